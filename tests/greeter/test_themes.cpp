// SPDX-License-Identifier: GPL-2.0-or-later
// Every Debian SDDM theme and our default theme, run by the real greeter code (offscreen, fake
// backend): loads with no QML errors and no missing pictures, draws something, shows the VM
// images in its session list; a login typed with simulated keys reaches the fake backend with
// the right user, password length and image; a wrong password shows the reason in the status
// layer (without covering the theme's form); a right one closes the views.
#include <gtest/gtest.h>

#include <QQmlContext>
#include <QQmlEngine>
#include <QRegularExpression>

#include "greeter_test.h"

using namespace sdvm;
using namespace sdvm::test;

namespace {

const QStringList kImageNames = {QStringLiteral("Windows 11 Education"),
                                 QStringLiteral("Debian GNU/Linux 12"),
                                 QStringLiteral("Ubuntu 24.04 LTS (unavailable)")};

// Warnings a theme may print and still count as clean. Anything else fails the test.
bool
allowedWarning(const QString &theme, const QString &w)
{
    // Qt 6 deprecations every Qt 5-era theme triggers; the old syntax still works in Qt 6.4.
    if (w.contains(QLatin1String("Implicitly defined onFoo properties in Connections are deprecated")))
        return true;
    if (w.contains(QLatin1String("Injection of parameters into signal handlers is deprecated")))
        return true;
    // An upstream bug of elarun (on Qt 5 as well): KeyNavigation names an id that does not exist.
    if ((theme == QLatin1String("elarun") || theme == QLatin1String("debian-elarun"))
        && w.contains(QLatin1String("ReferenceError: session_button is not defined")))
        return true;
    return false;
}

struct ThemeCase {
    const char *name;
    bool hasUserField;
    // Keys after the user name and before the password; and after the password.
    QList<Qt::Key> afterUser;
    QList<Qt::Key> afterPassword;
    const char *expectedImage;
    // After a failure the theme empties the password field when its failure animation ends
    // (maya, 1.25 s later): keys typed before that would be lost, so the test waits for it.
    bool clearsPasswordAfterFailure = false;
    // After a failure the keyboard focus is not in the password field (Breeze: the field asks
    // for it back while the form is still disabled): the test clicks the field, as a user would.
    bool clickPasswordAfterFailure = false;
};

const ThemeCase kThemes[] = {
    // Ours: Tab to the password, Tab to the system list, Down to Debian, Return logs in.
    {"sdvm", true, {Qt::Key_Tab}, {Qt::Key_Tab, Qt::Key_Down, Qt::Key_Return}, "debian-12"},
    // maldives: the session combo follows the password; Down picks Debian, Shift+Tab back.
    {"maldives", true, {Qt::Key_Tab}, {Qt::Key_Tab, Qt::Key_Down, Qt::Key_Backtab, Qt::Key_Return},
     "debian-12"},
    {"elarun", true, {Qt::Key_Tab}, {Qt::Key_Return}, "windows-11"},
    {"debian-elarun", true, {Qt::Key_Tab}, {Qt::Key_Return}, "windows-11"},
    {"maya", true, {Qt::Key_Tab}, {Qt::Key_Return}, "windows-11", true},
    // No user-name field: the status layer asks for it; Return hands over to the password.
    {"maui", false, {Qt::Key_Return}, {Qt::Key_Return}, "windows-11"},
    {"debian-maui", false, {Qt::Key_Return}, {Qt::Key_Return}, "windows-11"},
    // Plasma 6's own theme (Debian 13: sddm-theme-breeze, Qt 6.8 and Plasma's QML modules).
    {"breeze", true, {Qt::Key_Tab}, {Qt::Key_Return}, "windows-11", false, true},
};

const ThemeCase &
themeCase(const std::string &name)
{
    for (const ThemeCase &c : kThemes)
        if (name == c.name)
            return c;
    throw std::runtime_error("unknown theme " + name);
}

class Theme : public ::testing::TestWithParam<std::string>
{
protected:
    QString name() const { return QString::fromStdString(GetParam()); }
    void SetUp() override
    {
        if (name() != QLatin1String("sdvm")) {
            ASSERT_TRUE(QFileInfo::exists(themeDir(name()) + QStringLiteral("/Main.qml")))
                << "theme package not installed: " << qPrintable(themeDir(name()))
                << " (make deps installs packaging/deps/greeter.list)";
        }
    }
};

QStringList
badWarnings(const QString &theme, const QStringList &warnings)
{
    QStringList bad;
    for (const QString &w : warnings)
        if (!allowedWarning(theme, w))
            bad << w;
    return bad;
}

// The session ComboBox of a theme: one of our ComboBoxes whose model is sessionModel.
QQuickItem *
sessionCombo(Harness &h)
{
    QObject *sessions = h.app->sessions();
    QQuickItem *found = nullptr;
    walk(h.window()->contentItem(), [&](QQuickItem *item) {
        if (!found && QString::fromLatin1(item->metaObject()->className()).startsWith(QLatin1String("ComboBox_QMLTYPE"))
            && item->property("model").value<QObject *>() == sessions)
            found = item;
    });
    return found;
}

// A visible text names the image: it is the text, or the theme labels it (Breeze's session
// button says "Desktop Session: <name>").
bool
showsImage(const QStringList &texts, const QString &image)
{
    for (const QString &t : texts)
        if (t == image || t.contains(image))
            return true;
    return false;
}

// A theme whose session list is not a ComboBox (Breeze: a button that pops up a menu): the
// visible button labelled with the default image.
QQuickItem *
sessionButton(Harness &h, const QString &image)
{
    QQuickItem *found = nullptr;
    walk(h.window()->contentItem(), [&](QQuickItem *item) {
        if (!found && item->inherits("QQuickAbstractButton") && item->isVisible()
            && item->property("text").toString().contains(image))
            found = item;
    });
    return found;
}

// The wait for the first frame: Breeze loads Plasma's QML modules (78 s under ASan on a loaded
// 2-core machine); ctest's TIMEOUT bounds the whole entry.
constexpr int kFirstFrameMs = 180000;

} // namespace

TEST_P(Theme, LoadsCleanlyAndShowsTheImages)
{
    Harness h(name());
    ASSERT_TRUE(h.start(kFirstFrameMs)) << "no first frame";
    EXPECT_FALSE(h.app->usingFallback()) << qPrintable(h.app->themeErrors().join(QLatin1Char('\n')));
    const QStringList bad = badWarnings(name(), h.app->qmlWarnings());
    EXPECT_TRUE(bad.isEmpty()) << qPrintable(bad.join(QLatin1Char('\n')));

    // No missing pictures: every Image with a source is Ready.
    QStringList broken;
    walk(h.window()->contentItem(), [&](QQuickItem *item) {
        if (!item->inherits("QQuickImageBase"))
            return;
        const QUrl source = item->property("source").toUrl();
        const int status = item->property("status").toInt();
        if (!source.isEmpty() && status != 1 /* Ready */)
            broken << QStringLiteral("%1 (status %2)").arg(source.toString()).arg(status);
    });
    EXPECT_TRUE(broken.isEmpty()) << qPrintable(broken.join(QLatin1Char('\n')));

    // A real picture.
    const QImage shot = h.window()->grabWindow();
    QString why;
    EXPECT_TRUE(looksDrawn(shot, &why)) << qPrintable(why);
    EXPECT_EQ(shot.size(), QSize(1280, 800));

    // The session list shows the VM images: the default on the closed box, all of them open.
    QStringList texts = visibleTexts(h.window());
    EXPECT_TRUE(showsImage(texts, kImageNames.first())) << qPrintable(texts.join(QLatin1String(" | ")));
    auto allShown = [&]() {
        texts = visibleTexts(h.window());
        for (const QString &image : kImageNames)
            if (!showsImage(texts, image))
                return false;
        return true;
    };
    if (QQuickItem *combo = sessionCombo(h)) {
        QMetaObject::invokeMethod(combo, "open");
        // The drop-down list makes its rows when it is next laid out (before the next frame).
        (void)QTest::qWaitFor(allShown, 3000);
    } else if (!allShown()) {
        // A session button with a menu: clicked as a user would.
        if (QQuickItem *button = sessionButton(h, kImageNames.first())) {
            const QPointF centre = button->mapToScene(QPointF(button->width() / 2, button->height() / 2));
            QTest::mouseClick(h.window(), Qt::LeftButton, Qt::NoModifier, centre.toPoint());
            (void)QTest::qWaitFor(allShown, 3000);
        }
    }
    for (const QString &image : kImageNames)
        EXPECT_TRUE(showsImage(texts, image)) << qPrintable(image) << " not shown; texts: "
                                              << qPrintable(texts.join(QLatin1String(" | ")));

    // A theme without a user-name field gets one from the status layer, and only then.
    const bool hasField = themeCase(GetParam()).hasUserField;
    EXPECT_EQ(h.app->status()->needsUserName(), !hasField);
    QQuickItem *field = findByObjectName(h.app->primaryView()->overlay,
                                         QStringLiteral("sdvmUserNameField"));
    ASSERT_NE(field, nullptr);
    EXPECT_EQ(field->isVisible(), !hasField);
}

TEST_P(Theme, ScriptedLoginFailsWithReasonThenSucceeds)
{
    const ThemeCase &tc = themeCase(GetParam());
    Harness h(name());
    ASSERT_TRUE(h.start(kFirstFrameMs));
    QSignalSpy failed(h.app->proxy(), &GreeterProxy::loginFailed);
    QSignalSpy done(h.app.get(), &GreeterApp::finished);

    const QString user = QStringLiteral("ana@example.edu");
    auto typeLogin = [&](const QString &password) {
        // Every theme starts with the keyboard in its user-name field (ours for maui), except
        // after a failure, when themes put it in the password field.
        h.type(user);
        for (Qt::Key k : tc.afterUser)
            h.key(k);
        h.type(password);
        for (Qt::Key k : tc.afterPassword)
            h.key(k);
    };

    // 1. A wrong password: loginFailed, and the status layer says why, in plain words.
    typeLogin(QStringLiteral("wrong"));
    ASSERT_TRUE(failed.wait(10000)) << "no loginFailed; fake log:\n" << qPrintable(h.fakeLog());
    const QString expectedLine = QStringLiteral("LOGIN nai=%1 image=%2 password-length=5")
                                     .arg(user, QLatin1String(tc.expectedImage));
    EXPECT_TRUE(h.fakeLog().contains(expectedLine)) << "expected " << qPrintable(expectedLine)
                                                    << "\ngot:\n" << qPrintable(h.fakeLog());
    EXPECT_EQ(h.app->status()->phase(), QStringLiteral("failed"));
    EXPECT_EQ(h.app->status()->failure(), static_cast<int>(SDVM_FAILURE_BAD_CREDENTIALS));
    QQuickItem *card = findByObjectName(h.app->primaryView()->overlay, QStringLiteral("sdvmStatusCard"));
    ASSERT_NE(card, nullptr);
    const QRectF screen(QPointF(0, 0), QSizeF(h.window()->size()));
    auto cardRectNow = [&]() { return card->mapRectToScene(QRectF(0, 0, card->width(), card->height())); };
    EXPECT_TRUE(QTest::qWaitFor([&]() { return card->isVisible() && screen.contains(cardRectNow()); }, 3000))
        << "the status card is not on screen";
    QTest::qWait(20);
    const QStringList texts = visibleTexts(h.window());
    EXPECT_TRUE(texts.contains(failureReason(SDVM_FAILURE_BAD_CREDENTIALS)))
        << qPrintable(texts.join(QLatin1String(" | ")));
    bool helpdesk = false;
    for (const QString &t : texts)
        helpdesk = helpdesk || t.contains(QLatin1String("helpdesk@example.edu"));
    QQuickItem *helpItem = findByObjectName(h.app->primaryView()->overlay, QStringLiteral("sdvmHelpdesk"));
    ASSERT_NE(helpItem, nullptr);
    EXPECT_TRUE(helpdesk) << "no helpdesk line: " << qPrintable(texts.join(QLatin1String(" | ")))
                          << "\nhelpdesk item: visible " << helpItem->isVisible() << " text \""
                          << qPrintable(helpItem->property("text").toString()) << "\" at "
                          << helpItem->mapRectToScene(QRectF(0, 0, helpItem->width(), helpItem->height())).y()
                          << " status helpdesk \"" << qPrintable(h.app->status()->helpdesk()) << "\"";

    // The card does not cover any field, button or list of the theme.
    ASSERT_TRUE(card->isVisible());
    const QRectF cardRect = cardRectNow();
    // (Nor any of its words: every theme here leaves room for the card somewhere.)
    for (const QRectF &r : h.app->primaryView()->placer->keepClear(true))
        EXPECT_FALSE(cardRect.intersects(r)) << "status card " << cardRect.x() << "," << cardRect.y()
                                             << " " << cardRect.width() << "x" << cardRect.height()
                                             << " covers a control or text at " << r.x() << "," << r.y()
                                             << " " << r.width() << "x" << r.height();

    // 2. Again, right this time (the image chosen before is kept): the views close and the
    // greeter finishes with 0. After a failure themes leave the keyboard in the password field.
    const qsizetype mark = h.fakeLog().size();
    const QString password = QStringLiteral("s3cret!");
    if (tc.clickPasswordAfterFailure) {
        QQuickItem *field = nullptr;
        QStringList inputs;
        (void)QTest::qWaitFor([&]() {
            inputs.clear();
            walk(h.window()->contentItem(), [&](QQuickItem *item) {
                if (!item->inherits("QQuickTextInput") || !item->isVisible())
                    return;
                inputs << QStringLiteral("%1 (enabled %2, echoMode %3)")
                              .arg(QString::fromLatin1(item->metaObject()->className()))
                              .arg(item->isEnabled())
                              .arg(item->property("echoMode").toInt());
                if (!field && item->isEnabled() && item->property("echoMode").toInt() == 2)
                    field = item;
            });
            return field != nullptr;
        }, 5000);
        ASSERT_NE(field, nullptr) << "no enabled password field to click: "
                                  << qPrintable(inputs.join(QLatin1String("; ")));
        const QPointF centre = field->mapToScene(QPointF(field->width() / 2, field->height() / 2));
        QTest::mouseClick(h.window(), Qt::LeftButton, Qt::NoModifier, centre.toPoint());
    }
    QQuickItem *focus = h.window()->activeFocusItem();
    ASSERT_NE(focus, nullptr);
    const bool inPassword = focus->property("echoMode").toInt() == 2;
    if (!inPassword) {
        typeLogin(password);
    } else {
        if (tc.clearsPasswordAfterFailure) {
            EXPECT_TRUE(QTest::qWaitFor([&]() { return focus->property("text").toString().isEmpty(); }, 5000))
                << "the theme did not empty its password field after the failure";
        }
        // Some themes keep the wrong password: select it all, type over it, Return.
        h.key(Qt::Key_A, Qt::ControlModifier);
        h.type(password);
        h.key(Qt::Key_Return);
    }
    ASSERT_TRUE(done.wait(10000)) << "no success; the second try began with the focus on a "
                                  << focus->metaObject()->className()
                                  << (inPassword ? " (a password field)" : "") << "; now on a "
                                  << (h.window()->activeFocusItem()
                                          ? h.window()->activeFocusItem()->metaObject()->className()
                                          : "nothing")
                                  << "; fake log:\n" << qPrintable(h.fakeLog());
    EXPECT_EQ(done.first().first().toInt(), 0);
    const QString expectedOk = QStringLiteral("LOGIN nai=%1 image=%2 password-length=%3")
                                   .arg(user, QLatin1String(tc.expectedImage)).arg(password.size());
    EXPECT_TRUE(h.fakeLog().mid(mark).contains(expectedOk)) << "expected " << qPrintable(expectedOk)
                                                  << "\ngot:\n" << qPrintable(h.fakeLog());
    for (auto *v : h.app->views())
        EXPECT_FALSE(v->window->isVisible()) << "a view is still open after the login";
    // The password is in no log line.
    EXPECT_FALSE(h.fakeLog().contains(password));
}

INSTANTIATE_TEST_SUITE_P(Greeter, Theme,
                         ::testing::Values("sdvm", "maldives", "elarun", "debian-elarun", "maya",
                                           "maui", "debian-maui", "breeze"),
                         [](const ::testing::TestParamInfo<std::string> &info) {
                             std::string n = info.param;
                             for (char &c : n)
                                 if (c == '-')
                                     c = '_';
                             return n;
                         });

// Our default theme at the two sizes the issue names: everything on screen, nothing overlapping.
class DefaultThemeSize : public ::testing::TestWithParam<QSize>
{
};

TEST_P(DefaultThemeSize, FitsTheScreen)
{
    const QSize size = GetParam();
    Harness h(QStringLiteral("sdvm"), size);
    ASSERT_TRUE(h.start());
    EXPECT_TRUE(badWarnings(QStringLiteral("sdvm"), h.app->qmlWarnings()).isEmpty());
    const QRectF screen(QPointF(0, 0), QSizeF(size));
    QList<QPair<QString, QRectF>> controls;
    walk(h.themeRoot(), [&](QQuickItem *item) {
        if (!item->isVisible() || item->width() <= 0 || item->height() <= 0)
            return;
        const QRectF r = item->mapRectToScene(QRectF(0, 0, item->width(), item->height()));
        if (item->inherits("QQuickText")) {
            EXPECT_TRUE(screen.contains(r)) << "text \"" << qPrintable(item->property("text").toString())
                                            << "\" leaves the screen";
        }
        if (item->inherits("QQuickTextInput") || item->activeFocusOnTab())
            controls.append({QString::fromLatin1(item->metaObject()->className()), r});
    });
    ASSERT_GE(controls.size(), 5); // user, password, list, log in, layout (+ power)
    for (int i = 0; i < controls.size(); i++) {
        EXPECT_TRUE(screen.contains(controls[i].second)) << qPrintable(controls[i].first) << " off screen";
        for (int j = i + 1; j < controls.size(); j++) {
            const QRectF a = controls[i].second, b = controls[j].second;
            if (a.contains(b) || b.contains(a))
                continue; // a field inside its own frame
            EXPECT_FALSE(a.intersects(b)) << qPrintable(controls[i].first) << " overlaps "
                                          << qPrintable(controls[j].first);
        }
    }
    // Large type on a 4K screen: the user name label scales with the screen.
    QQuickItem *user = findByObjectName(h.themeRoot(), QStringLiteral("userField"));
    ASSERT_NE(user, nullptr);
    EXPECT_GE(user->height(), 40.0 * qMin(size.width() / 1024.0, size.height() / 768.0));
}

INSTANTIATE_TEST_SUITE_P(Greeter, DefaultThemeSize,
                         ::testing::Values(QSize(1024, 768), QSize(3840, 2160)),
                         [](const ::testing::TestParamInfo<QSize> &info) {
                             return std::to_string(info.param.width()) + "x"
                                    + std::to_string(info.param.height());
                         });

// Keyboard only, in our theme: Tab reaches every control in a sensible order and comes back.
TEST(DefaultTheme, TabVisitsEveryControlInOrder)
{
    Harness h(QStringLiteral("sdvm"));
    ASSERT_TRUE(h.start());
    QStringList order;
    for (int i = 0; i < 8; i++) {
        QQuickItem *f = h.window()->activeFocusItem();
        QString name;
        for (QQuickItem *p = f; p && name.isEmpty(); p = p->parentItem())
            name = p->objectName();
        order << (name.isEmpty() && f ? QString::fromLatin1(f->metaObject()->className()) : name);
        h.key(Qt::Key_Tab);
    }
    const QStringList expected = {QStringLiteral("userField"), QStringLiteral("passwordField"),
                                  QStringLiteral("systemList"), QStringLiteral("loginButton"),
                                  QStringLiteral("layoutBox")};
    for (int i = 0; i < expected.size(); i++)
        EXPECT_EQ(order.value(i), expected[i]) << qPrintable(order.join(QLatin1String(" -> ")));
    EXPECT_TRUE(order.mid(5).contains(QStringLiteral("userField")))
        << "Tab does not come back to the user name: " << qPrintable(order.join(QLatin1String(" -> ")));
}
