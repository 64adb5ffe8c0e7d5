// SPDX-License-Identifier: GPL-2.0-or-later
// The greeter's parts: the platform choice, the theme's `config`, the URL interceptor, the
// fallback theme, refused themes, the QtGraphicalEffects shim, network refusal, keyboard layout
// translation, translations, the status layer's words, throttling, the SDDM contract's shape.
#include <gtest/gtest.h>

#include <optional>

#include <QDir>
#include <QFileInfo>
#include <QKeyEvent>
#include <QLibraryInfo>
#include <QMetaProperty>
#include <QQmlContext>
#include <QQmlEngine>
#include <QTcpServer>
#include <QTranslator>

#include "greeter_test.h"
#include "hardening.h"
#include "noexec.h"

#include <sys/wait.h>
#include <unistd.h>
#include "settings.h"
#include "theme.h"

using namespace sdvm;
using namespace sdvm::test;

namespace {

QString
writeFile(const QTemporaryDir &dir, const QString &name, const QByteArray &content)
{
    const QString path = dir.filePath(name);
    QDir().mkpath(QFileInfo(path).path());
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly))
        return QString();
    f.write(content);
    return path;
}

} // namespace

// --- settings ------------------------------------------------------------------------------

TEST(Settings, PlatformChoice)
{
    PlatformProbe terminal;
    terminal.hasDrm = true;
    terminal.hasEgl = true;
    EXPECT_EQ(choosePlatform(terminal, QStringLiteral("auto")).name, QStringLiteral("eglfs"));
    // Only a choice made by "auto" is checked again (eglfsWorks) and may fall back to linuxfb.
    EXPECT_TRUE(choosePlatform(terminal, QStringLiteral("auto")).automatic);
    EXPECT_FALSE(choosePlatform(terminal, QStringLiteral("eglfs")).automatic);
    PlatformProbe noEgl = terminal;
    noEgl.hasEgl = false;
    const PlatformChoice fb = choosePlatform(noEgl, QStringLiteral("auto"));
    EXPECT_EQ(fb.name, QStringLiteral("linuxfb"));
    EXPECT_TRUE(fb.fbDrm);
    PlatformProbe nothing;
    EXPECT_EQ(choosePlatform(nothing, QStringLiteral("auto")).name, QStringLiteral("linuxfb"));
    EXPECT_FALSE(choosePlatform(nothing, QStringLiteral("auto")).fbDrm);
    EXPECT_EQ(choosePlatform(terminal, QStringLiteral("vnc")).name, QStringLiteral("vnc"));
    PlatformProbe env = terminal;
    env.environment = QStringLiteral("xcb");
    EXPECT_EQ(choosePlatform(env, QStringLiteral("vnc")).name, QStringLiteral("xcb"));
    env.option = QStringLiteral("offscreen");
    EXPECT_EQ(choosePlatform(env, QStringLiteral("vnc")).name, QStringLiteral("offscreen"));
    PlatformProbe themer;
    themer.testMode = true;
    themer.hasDisplay = true;
    EXPECT_EQ(choosePlatform(themer, QStringLiteral("eglfs")).name, QString()); // a desktop window
    themer.hasDisplay = false;
    EXPECT_EQ(choosePlatform(themer, QStringLiteral("eglfs")).name, QStringLiteral("offscreen"));
}

// --- themes ---------------------------------------------------------------------------------

TEST(ThemeMetadataTest, ReadsKeysAndRefusesPathsOutsideTheFolder)
{
    ThemeMetadata m;
    QString error;
    ASSERT_TRUE(m.load(themeDir(QStringLiteral("test:gfx")), &error)) << qPrintable(error);
    EXPECT_EQ(m.name, QStringLiteral("Gfx"));
    EXPECT_EQ(m.configFile, QStringLiteral("theme.conf"));
    EXPECT_EQ(m.qtVersion, 5);

    QTemporaryDir dir;
    writeFile(dir, QStringLiteral("t/metadata.desktop"),
              "[SddmGreeterTheme]\nMainScript=../../etc/passwd\n");
    ThemeMetadata bad;
    EXPECT_FALSE(bad.load(dir.filePath(QStringLiteral("t")), &error));
    EXPECT_TRUE(error.contains(QStringLiteral("outside the theme folder"))) << qPrintable(error);
}

TEST(ThemeMetadataTest, FindsThemesByNameInOrder)
{
    QTemporaryDir a, b;
    writeFile(a, QStringLiteral("x/Main.qml"), "import QtQuick\nItem {}\n");
    writeFile(b, QStringLiteral("x/Main.qml"), "import QtQuick\nItem {}\n");
    QString error;
    EXPECT_EQ(findTheme(QStringLiteral("x"), {a.path(), b.path()}, &error), a.filePath(QStringLiteral("x")));
    EXPECT_EQ(findTheme(QStringLiteral("y"), {a.path(), b.path()}, &error), QString());
    EXPECT_TRUE(error.contains(a.path()) && error.contains(b.path())) << qPrintable(error);
}

// QtQuick.Effects came with Qt 6.5: refused on Debian 12 (Qt 6.4), fine on Debian 13 (Qt 6.8).
TEST(ThemeMetadataTest, ScanRefusesWhatThisQtLacks)
{
    ThemeMetadata m;
    QString error;
    ASSERT_TRUE(m.load(themeDir(QStringLiteral("test:effects")), &error));
    const QStringList problems = scanThemeForUnsupported(m);
#if QT_VERSION < QT_VERSION_CHECK(6, 5, 0)
    ASSERT_EQ(problems.size(), 1);
    EXPECT_TRUE(problems[0].contains(QStringLiteral("QtQuick.Effects")));
    EXPECT_TRUE(problems[0].contains(QStringLiteral("6.5")));
#else
    EXPECT_TRUE(problems.isEmpty()) << qPrintable(problems.join(QLatin1Char('\n')));
#endif

    QTemporaryDir dir;
    writeFile(dir, QStringLiteral("c1/Main.qml"),
              "import QtQuick 2.5\nimport QtQuick.Controls 1.4\nItem {}\n");
    ThemeMetadata c1;
    ASSERT_TRUE(c1.load(dir.filePath(QStringLiteral("c1")), &error));
    const QStringList c1problems = scanThemeForUnsupported(c1);
    ASSERT_EQ(c1problems.size(), 1);
    EXPECT_TRUE(c1problems[0].contains(QStringLiteral("Controls 1")));

    ThemeMetadata ok;
    ASSERT_TRUE(ok.load(themeDir(QStringLiteral("sdvm")), &error));
    EXPECT_TRUE(scanThemeForUnsupported(ok).isEmpty());
}

// Issue 16, pattern 3: a theme on Plasma's QML modules, where they are not installed, is
// refused with the Debian package to install (Breeze on Debian 12 runs nowhere else).
TEST(ThemeMetadataTest, ScanNamesTheDebianPackageOfAMissingKdeModule)
{
    QTemporaryDir dir;
    writeFile(dir, QStringLiteral("kde/Main.qml"),
              "import QtQuick 2.15\nimport org.kde.plasma.core 2.0 as PlasmaCore\n"
              "import org.kde.kirigami 2.20 as Kirigami\nItem {}\n");
    writeFile(dir, QStringLiteral("kde/Other.qml"),
              "import org.kde.plasma.core 2.0 as PlasmaCore\nimport org.kde.nosuchthing 1.0\nItem {}\n");
    ThemeMetadata m;
    QString error;
    ASSERT_TRUE(m.load(dir.filePath(QStringLiteral("kde")), &error));
    const QString all = scanThemeForUnsupported(m).join(QLatin1Char('\n'));
    if (QFileInfo::exists(QLibraryInfo::path(QLibraryInfo::QmlImportsPath)
                          + QStringLiteral("/org/kde/plasma/core/qmldir")))
        GTEST_SKIP() << "Plasma's QML modules are installed here";
#if QT_VERSION_MAJOR >= 6
    EXPECT_TRUE(all.contains(QStringLiteral("org.kde.plasma.core 2.0")) && all.contains(QStringLiteral("plasma-desktoptheme")))
        << qPrintable(all);
    EXPECT_TRUE(all.contains(QStringLiteral("qml6-module-org-kde-kirigami"))) << qPrintable(all);
    // A Qt 5-era theme: the Plasma 5 package a Qt 5 greeter would need is named too.
    EXPECT_TRUE(all.contains(QStringLiteral("plasma-framework"))) << qPrintable(all);
#else
    EXPECT_TRUE(all.contains(QStringLiteral("plasma-framework"))) << qPrintable(all);
    EXPECT_TRUE(all.contains(QStringLiteral("qml-module-org-kde-kirigami2"))) << qPrintable(all);
#endif
    // Once per module, however many files import it; an unknown KDE module says where to look.
    EXPECT_EQ(all.count(QStringLiteral("org.kde.plasma.core")), 1) << qPrintable(all);
    EXPECT_TRUE(all.contains(QStringLiteral("org/kde/nosuchthing"))) << qPrintable(all);

    EXPECT_EQ(kdeModulePackage(QStringLiteral("org.kde.plasma.workspace.components"), 5),
              QStringLiteral("plasma-workspace"));
    EXPECT_EQ(kdeModulePackage(QStringLiteral("org.kde.breeze.components"), 5), QString());
    EXPECT_EQ(kdeModulePackage(QStringLiteral("org.kde.ksvg"), 6), QStringLiteral("qml6-module-org-kde-ksvg"));
    EXPECT_EQ(kdeModulePackage(QStringLiteral("org.kde.kirigamiaddons.formcard"), 6), QString());
}

TEST(ThemeConfigTest, SddmSemantics)
{
    ThemeConfig c;
    c.load(themeDir(QStringLiteral("test:gfx")) + QStringLiteral("/theme.conf"));
    EXPECT_EQ(c.value(QStringLiteral("color")).toString(), QStringLiteral("#204060"));
    EXPECT_EQ(c.value(QStringLiteral("Strings/greeting")).toString(), QStringLiteral("Hello"));
    // theme.conf.user overrides non-empty values only.
    EXPECT_EQ(c.intValue(QStringLiteral("size")), 14);
    EXPECT_TRUE(c.boolValue(QStringLiteral("enabled")));
    EXPECT_DOUBLE_EQ(c.realValue(QStringLiteral("ratio")), 0.5);
    EXPECT_EQ(c.value(QStringLiteral("defaultBackground")).toString(), QStringLiteral("images/badge.png"));
    EXPECT_FALSE(c.contains(QStringLiteral("absent")));
    EXPECT_EQ(c.intValue(QStringLiteral("color")), 0); // not a number: 0 and a warning
}

// --- the URL interceptor ----------------------------------------------------------------------

TEST(UrlInterceptor, RedirectsOnlyMisses)
{
    const QString dir = themeDir(QStringLiteral("test:gfx"));
    ThemeUrlInterceptor i(dir, QStringLiteral("/sdvm/imports/"));
    const auto S = QQmlAbstractUrlInterceptor::UrlString;
    // Resolved inside our components: back to the theme root.
    EXPECT_EQ(i.intercept(QUrl(QStringLiteral("qrc:/sdvm/imports/SddmComponents/images/badge.png")), S),
              QUrl::fromLocalFile(dir + QStringLiteral("/images/badge.png")));
    // Resolved inside the theme's components/ folder.
    EXPECT_EQ(i.intercept(QUrl::fromLocalFile(dir + QStringLiteral("/components/images/badge.png")), S),
              QUrl::fromLocalFile(dir + QStringLiteral("/images/badge.png")));
    // SDDM's embedded theme prefix.
    EXPECT_EQ(i.intercept(QUrl(QStringLiteral("qrc:/theme/theme.conf")), S),
              QUrl::fromLocalFile(dir + QStringLiteral("/theme.conf")));
    // An absolute path read as qrc.
    EXPECT_EQ(i.intercept(QUrl(QStringLiteral("qrc") + QLatin1Char(':') + dir + QStringLiteral("/theme.conf")), S),
              QUrl::fromLocalFile(dir + QStringLiteral("/theme.conf")));
    // Files that exist, other kinds of URL, misses with no candidate and escapes stay as they are.
    const QUrl existing = QUrl::fromLocalFile(dir + QStringLiteral("/images/badge.png"));
    EXPECT_EQ(i.intercept(existing, S), existing);
    const QUrl qml = QUrl(QStringLiteral("qrc:/sdvm/imports/SddmComponents/Nope.qml"));
    EXPECT_EQ(i.intercept(qml, QQmlAbstractUrlInterceptor::QmlFile), qml);
    const QUrl nowhere = QUrl(QStringLiteral("qrc:/sdvm/imports/SddmComponents/nowhere.png"));
    EXPECT_EQ(i.intercept(nowhere, S), nowhere);
    const QUrl escape = QUrl::fromLocalFile(dir + QStringLiteral("/components/../../../../etc/passwd"));
    EXPECT_EQ(i.intercept(escape, S), escape);
    EXPECT_EQ(i.redirects().size(), 4);
    // Issue 16: a network URL string is refused here (Qt 5's MediaPlayer hands its source to
    // GStreamer, past the refusing network access manager), counted, not a redirect.
    const int before = RefusingNetworkAccessManager::refusedCount();
    for (const char *remote :
         {"http://example.com/x.png", "rtsp://example.com/v", "udp://0.0.0.0:5000",
          "gst-pipeline: souphttpsrc location=http://example.com/ ! fakesink"})
        EXPECT_EQ(i.intercept(QUrl(QString::fromLatin1(remote)), S), QUrl(QStringLiteral("data:,")))
            << remote;
    EXPECT_EQ(RefusingNetworkAccessManager::refusedCount() - before, 4);
    const QUrl picture = QUrl(QStringLiteral("image://avatar/x"));
    EXPECT_EQ(i.intercept(picture, S), picture);
    EXPECT_EQ(i.redirects().size(), 4);
}

// --- whole greeter, special themes -----------------------------------------------------------

TEST(Fallback, BrokenThemeShowsErrorsAndStillLogsIn)
{
    Harness h(QStringLiteral("test:broken"));
    ASSERT_TRUE(h.start());
    ASSERT_TRUE(h.app->usingFallback());
    ASSERT_FALSE(h.app->themeErrors().isEmpty());
    EXPECT_TRUE(h.app->themeErrors().join(QLatin1Char('\n')).contains(QStringLiteral("broken/Main.qml")));
    QQuickItem *errors = findByObjectName(h.themeRoot(), QStringLiteral("fallbackErrors"));
    ASSERT_NE(errors, nullptr);
    EXPECT_TRUE(errors->isVisible());
    EXPECT_TRUE(errors->property("text").toString().contains(QStringLiteral("broken/Main.qml")));
    EXPECT_EQ(h.window()->engine()->rootContext()->contextProperty(QStringLiteral("__sddm_errors")).toString(),
              h.app->themeErrors().join(QLatin1Char('\n')));

    QSignalSpy done(h.app.get(), &GreeterApp::finished);
    h.type(QStringLiteral("bo@example.org"));
    h.key(Qt::Key_Return);
    h.type(QStringLiteral("pw"));
    h.key(Qt::Key_Return);
    ASSERT_TRUE(done.wait(10000)) << qPrintable(h.fakeLog());
    EXPECT_TRUE(h.fakeLog().contains(QStringLiteral("LOGIN nai=bo@example.org image=windows-11 password-length=2")));
}

TEST(Fallback, Qt65ThemeIsRefusedWithAClearMessage)
{
    if (QT_VERSION >= QT_VERSION_CHECK(6, 5, 0))
        GTEST_SKIP() << "this Qt (" << qVersion() << ") has QtQuick.Effects: see Qt65ThemeRuns";
    Harness h(QStringLiteral("test:effects"));
    ASSERT_TRUE(h.start());
    ASSERT_TRUE(h.app->usingFallback());
    const QString errors = h.app->themeErrors().join(QLatin1Char('\n'));
    EXPECT_TRUE(errors.contains(QStringLiteral("QtQuick.Effects")) && errors.contains(QStringLiteral("Qt 6.5")))
        << qPrintable(errors);
    QQuickItem *shown = findByObjectName(h.themeRoot(), QStringLiteral("fallbackErrors"));
    ASSERT_NE(shown, nullptr);
    EXPECT_TRUE(shown->property("text").toString().contains(QStringLiteral("QtQuick.Effects")));
}

// On Qt >= 6.5 (Debian 13: qml6-module-qtquick-effects) the same theme runs, with no fallback.
TEST(Fallback, Qt65ThemeRuns)
{
    if (QT_VERSION < QT_VERSION_CHECK(6, 5, 0))
        GTEST_SKIP() << "Qt " << qVersion()
                     << " has no QtQuick.Effects: see Qt65ThemeIsRefusedWithAClearMessage";
    Harness h(QStringLiteral("test:effects"));
    ASSERT_TRUE(h.start());
    const QString errors = h.app->themeErrors().join(QLatin1Char('\n'));
    EXPECT_FALSE(h.app->usingFallback()) << qPrintable(errors);
    EXPECT_TRUE(errors.isEmpty()) << qPrintable(errors);
}

TEST(Fallback, MissingThemeFallsBack)
{
    Harness h(QStringLiteral("test:does-not-exist"));
    ASSERT_TRUE(h.start());
    EXPECT_TRUE(h.app->usingFallback());
    EXPECT_TRUE(h.app->themeErrors().join(QLatin1Char(' ')).contains(QStringLiteral("does-not-exist")));
}

TEST(Compat, GraphicalEffectsShimRelativeUrlsAndConfig)
{
    Harness h(QStringLiteral("test:gfx"));
    ASSERT_TRUE(h.start());
    ASSERT_FALSE(h.app->usingFallback()) << qPrintable(h.app->themeErrors().join(QLatin1Char('\n')));
    EXPECT_TRUE(h.app->qmlWarnings().isEmpty()) << qPrintable(h.app->qmlWarnings().join(QLatin1Char('\n')));
    QQuickItem *badge = findByObjectName(h.themeRoot(), QStringLiteral("badge"));
    ASSERT_NE(badge, nullptr);
    EXPECT_EQ(badge->property("status").toInt(), 1) << "components/ picture not found";
    EXPECT_EQ(badge->width(), 16);
    QQuickItem *probe = findByObjectName(h.themeRoot(), QStringLiteral("configProbe"));
    ASSERT_NE(probe, nullptr);
    EXPECT_EQ(probe->property("text").toString(), QStringLiteral("Hello|14|true|0.5|images/badge.png"));
}

TEST(Hardening, NoNetworkAndNoFileReadsForThemes)
{
    QTcpServer server;
    ASSERT_TRUE(server.listen(QHostAddress::LocalHost));
    int connections = 0;
    QObject::connect(&server, &QTcpServer::newConnection, [&]() {
        connections++;
        delete server.nextPendingConnection();
    });
    QTemporaryDir dir;
    QFile src(themeDir(QStringLiteral("test:network")) + QStringLiteral("/Main.qml"));
    ASSERT_TRUE(src.open(QIODevice::ReadOnly));
    writeFile(dir, QStringLiteral("network/Main.qml"),
              src.readAll().replace("%PORT%", QByteArray::number(server.serverPort())));
    const int before = RefusingNetworkAccessManager::refusedCount();

    Harness h{QString()};
    h.app.reset();
    h.settings.theme = dir.filePath(QStringLiteral("network"));
    h.app = std::make_unique<GreeterApp>(h.settings, h.options);
    ASSERT_TRUE(h.start());
    ASSERT_FALSE(h.app->usingFallback()) << qPrintable(h.app->themeErrors().join(QLatin1Char('\n')));
    QQuickItem *root = h.themeRoot();
    ASSERT_TRUE(QTest::qWaitFor([&]() {
        return root->property("xhrResult").toString() != QLatin1String("pending");
    }, 5000));
    QTest::qWait(200);
    EXPECT_EQ(connections, 0) << "the theme reached a server";
    EXPECT_EQ(root->property("xhrResult").toString(), QStringLiteral("status 0 length 0"));
    EXPECT_TRUE(root->property("fileResult").toString().startsWith(QLatin1String("refused")))
        << qPrintable(root->property("fileResult").toString());
    QQuickItem *remote = findByObjectName(root, QStringLiteral("remote"));
    ASSERT_NE(remote, nullptr);
    EXPECT_EQ(remote->property("status").toInt(), 3 /* Error */);
    EXPECT_GE(RefusingNetworkAccessManager::refusedCount() - before, 2);
}

// Review H2: a theme folder whose qmldir names a native plugin is refused, with a reason that
// says so, and the embedded theme is shown (its library is never loaded).
TEST(Hardening, ThemeWithNativePluginIsRefused)
{
    Harness h(QStringLiteral("test:contain-plugin"));
    ASSERT_TRUE(h.start());
    EXPECT_TRUE(h.app->usingFallback());
    const QString errors = h.app->themeErrors().join(QLatin1Char('\n'));
    EXPECT_TRUE(errors.contains(QLatin1String("declares a native plugin (\"plugin probe\")")))
        << qPrintable(errors);
    EXPECT_TRUE(errors.contains(QLatin1String("components/qmldir"))) << qPrintable(errors);
}

// The same plugin reached at run time (a folder the theme names by path, not scanned at
// start): the import fails instead of loading the plugin.
TEST(Hardening, QmldirPluginRefusedAtImport)
{
    QTemporaryDir dir;
    writeFile(dir, QStringLiteral("elsewhere/qmldir"), "module elsewhere\nplugin probe\n");
    EXPECT_TRUE(qmldirNamesPlugin(dir.filePath(QStringLiteral("elsewhere/qmldir"))));
    writeFile(dir, QStringLiteral("plain/qmldir"), "module plain\nProbe 1.0 Probe.qml\n");
    EXPECT_FALSE(qmldirNamesPlugin(dir.filePath(QStringLiteral("plain/qmldir"))));
    ThemeUrlInterceptor interceptor(dir.path(), QStringLiteral("/sdvm/imports/"));
    const QUrl refused = interceptor.intercept(
        QUrl::fromLocalFile(dir.filePath(QStringLiteral("elsewhere/qmldir"))),
        QQmlAbstractUrlInterceptor::QmldirFile);
    EXPECT_FALSE(refused.isLocalFile()) << qPrintable(refused.toString());
    const QUrl plain = QUrl::fromLocalFile(dir.filePath(QStringLiteral("plain/qmldir")));
    EXPECT_EQ(interceptor.intercept(plain, QQmlAbstractUrlInterceptor::QmldirFile), plain);
}

// Review H2: Qt.openUrlExternally goes to the refusing handler for every scheme it names
// (the vnc test in greeter-contain-theme shows that no xdg-open runs on a platform with
// services).
TEST(Hardening, OpenUrlExternallyIsRefused)
{
    const int before = RefusingUrlHandler::refusedCount();
    Harness h(QStringLiteral("test:contain-url"));
    ASSERT_TRUE(h.start());
    ASSERT_FALSE(h.app->usingFallback()) << qPrintable(h.app->themeErrors().join(QLatin1Char('\n')));
    EXPECT_EQ(RefusingUrlHandler::refusedCount() - before, 3);
    for (const char *scheme : {"http", "https", "file", "ftp", "ws", "data", "mailto"})
        EXPECT_TRUE(RefusingUrlHandler::urlSchemes().contains(QLatin1String(scheme))) << scheme;
    EXPECT_GE(RefusingUrlHandler::urlSchemes().size(), 55);
}

// Review H2: once the theme is about to load, the greeter can exec nothing (checked in a
// child, so this test process keeps its exec).
TEST(Hardening, NoExecFilterRefusesExec)
{
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        if (installNoExecFilter() != 0)
            _exit(2);
        execl("/bin/true", "true", static_cast<char *>(nullptr));
        _exit(errno == EPERM ? 0 : 3);
    }
    int status = 0;
    ASSERT_EQ(pid, waitpid(pid, &status, 0));
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << "2: no filter, 3: exec was not refused with EPERM";
}

// --- the SDDM contract -----------------------------------------------------------------------

TEST(Contract, ContextPropertiesRolesAndSignatures)
{
    Harness h(QStringLiteral("sdvm"));
    ASSERT_TRUE(h.start());
    QQmlContext *ctx = h.window()->engine()->rootContext();
    for (const char *name : {"sddm", "userModel", "sessionModel", "screenModel", "keyboard",
                             "config", "primaryScreen", "__sddm_errors"})
        EXPECT_TRUE(ctx->contextProperty(QString::fromLatin1(name)).isValid()) << name;
    EXPECT_TRUE(ctx->contextProperty(QStringLiteral("primaryScreen")).toBool());

    // Roles in SDDM's order, starting at Qt::UserRole + 1.
    auto roles = [](QAbstractItemModel *m) {
        QStringList out;
        const auto names = m->roleNames();
        for (int r = Qt::UserRole + 1; names.contains(r); r++)
            out << QString::fromLatin1(names.value(r));
        return out;
    };
    auto *sessions = qobject_cast<QAbstractItemModel *>(ctx->contextProperty(QStringLiteral("sessionModel")).value<QObject *>());
    auto *users = qobject_cast<QAbstractItemModel *>(ctx->contextProperty(QStringLiteral("userModel")).value<QObject *>());
    auto *screens = qobject_cast<QAbstractItemModel *>(ctx->contextProperty(QStringLiteral("screenModel")).value<QObject *>());
    ASSERT_TRUE(sessions && users && screens);
    EXPECT_EQ(roles(sessions).mid(0, 6), QStringList({"directory", "file", "type", "name", "exec", "comment"}));
    EXPECT_EQ(roles(users), QStringList({"name", "realName", "homeDir", "icon", "needsPassword"}));
    EXPECT_EQ(roles(screens), QStringList({"name", "geometry"}));
    EXPECT_EQ(sessions->rowCount(), 3);
    EXPECT_EQ(sessions->data(sessions->index(1, 0), Qt::UserRole + 2).toString(), QStringLiteral("debian-12"));
    EXPECT_EQ(sessions->property("lastIndex").toInt(), 0); // the catalog's default
    EXPECT_EQ(sessions->property("count").toInt(), 3);
    // Privacy: one row, no earlier user's name anywhere.
    EXPECT_EQ(users->rowCount(), 1);
    // Its name is the network account's placeholder (issue 16), never a person's.
    EXPECT_EQ(users->data(users->index(0, 0), Qt::UserRole + 1).toString(),
              UserModel::placeholderName());
    EXPECT_EQ(users->property("lastUser").toString(), QString());
    EXPECT_FALSE(users->property("containsAllUsers").toBool());
    EXPECT_EQ(screens->data(screens->index(0, 0), Qt::UserRole + 2).toRect(), QRect(0, 0, 1280, 800));
    EXPECT_EQ(screens->property("primary").toInt(), 0);

    QObject *sddm = ctx->contextProperty(QStringLiteral("sddm")).value<QObject *>();
    const QMetaObject *mo = sddm->metaObject();
    for (const char *sig : {"login(QString,QString,int)", "powerOff()", "reboot()", "suspend()",
                            "hibernate()", "hybridSleep()", "loginSucceeded()", "loginFailed()",
                            "informationMessage(QString)", "socketDisconnected()"})
        EXPECT_GE(mo->indexOfMethod(sig), 0) << sig;
    for (const char *prop : {"hostName", "canPowerOff", "canReboot", "canSuspend", "canHibernate",
                             "canHybridSleep"})
        EXPECT_GE(mo->indexOfProperty(prop), 0) << prop;
    EXPECT_EQ(sddm->property("hostName").toString(), QStringLiteral("lab-terminal-01"));
    // What the login service offers (here the fake's SDVM_FAKE_POWER), nothing more.
    EXPECT_TRUE(sddm->property("canPowerOff").toBool());
    EXPECT_TRUE(sddm->property("canReboot").toBool());
    EXPECT_FALSE(sddm->property("canSuspend").toBool());

    QObject *kb = ctx->contextProperty(QStringLiteral("keyboard")).value<QObject *>();
    for (const char *prop : {"numLock", "capsLock", "currentLayout", "layouts", "enabled"})
        EXPECT_GE(kb->metaObject()->indexOfProperty(prop), 0) << prop;
    QObject *config = ctx->contextProperty(QStringLiteral("config")).value<QObject *>();
    for (const char *m : {"boolValue(QString)", "intValue(QString)", "realValue(QString)", "stringValue(QString)"})
        EXPECT_GE(config->metaObject()->indexOfMethod(m), 0) << m;
}

TEST(Contract, PowerActionsReachTheBackend)
{
    Harness h(QStringLiteral("sdvm"));
    qputenv("SDVM_FAKE_POWER", "reboot"); // the mask sdvmd would send for PowerActions=reboot
    ASSERT_TRUE(h.start());
    GreeterProxy *sddm = h.app->proxy();
    EXPECT_FALSE(sddm->canPowerOff());
    sddm->powerOff(); // not offered: nothing happens
    sddm->reboot();
    QTest::qWait(50);
    EXPECT_FALSE(h.fakeLog().contains(QStringLiteral("action=poweroff")));
    EXPECT_TRUE(h.fakeLog().contains(QStringLiteral("POWER action=reboot"))) << qPrintable(h.fakeLog());
}

// --- the status layer ---------------------------------------------------------------------------

TEST(Status, EveryFailureHasPlainWords)
{
    for (int f = 1; f < 100; f++) {
        const QString name = QString::fromLatin1(sdvm_failure_to_string(static_cast<sdvm_failure>(f)));
        if (name == QLatin1String("UNKNOWN"))
            continue;
        EXPECT_FALSE(failureReason(f).isEmpty()) << qPrintable(name);
        EXPECT_FALSE(failureReason(f).contains(QStringLiteral("reason %1").arg(f)))
            << qPrintable(name) << " has no sentence of its own";
        if (f != SDVM_FAILURE_CANCELLED) {
            EXPECT_FALSE(failureHint(f).isEmpty()) << qPrintable(name);
        }
    }
    EXPECT_TRUE(failureReason(1000).contains(QStringLiteral("1000")));
    EXPECT_TRUE(failureReason(SDVM_FAILURE_UNKNOWN_REALM, QStringLiteral("nowhere.test")).contains(QStringLiteral("nowhere.test")));
}

TEST(Status, SlowHomeServerIsToldAndIsNoStepForward)
{
    StatusController s(false);
    s.setBusy(QString());
    s.setStage(SDVM_STAGE_AUTHENTICATING);
    const qreal authenticating = s.progress();
    s.setStage(SDVM_STAGE_HOME_SERVER_SLOW);
    EXPECT_EQ(authenticating, s.progress());
    EXPECT_TRUE(s.stageText().contains(QStringLiteral("slow to answer"))) << qPrintable(s.stageText());
    EXPECT_TRUE(failureReason(SDVM_FAILURE_HOME_SERVER_TIMEOUT).contains(QStringLiteral("slow to answer")));
    EXPECT_NE(failureReason(SDVM_FAILURE_HOME_SERVER_TIMEOUT), failureReason(SDVM_FAILURE_AUTH_TIMEOUT));
}

TEST(Status, ThrottledLoginCountsDownAndSendsNothing)
{
    Harness h(QStringLiteral("sdvm"));
    ASSERT_TRUE(h.start());
    QSignalSpy failed(h.app->proxy(), &GreeterProxy::loginFailed);
    h.app->proxy()->login(QStringLiteral("ana@example.edu"), QStringLiteral("throttle"), 0);
    ASSERT_TRUE(failed.wait(5000));
    EXPECT_EQ(h.app->status()->failure(), static_cast<int>(SDVM_FAILURE_THROTTLED));
    const int left = h.app->status()->retrySeconds();
    EXPECT_GT(left, 0);
    EXPECT_LE(left, 30);
    EXPECT_TRUE(visibleTexts(h.window()).contains(h.app->status()->retryText()));
    EXPECT_TRUE(h.app->status()->retryText().contains(QString::number(left)));
    ASSERT_TRUE(QTest::qWaitFor([&]() { return h.app->status()->retrySeconds() < left; }, 2500));

    // While waiting, a new attempt does not reach the backend.
    const qsizetype mark = h.fakeLog().size();
    h.app->proxy()->login(QStringLiteral("ana@example.edu"), QStringLiteral("secret"), 0);
    EXPECT_EQ(failed.size(), 2);
    QTest::qWait(50);
    EXPECT_FALSE(h.fakeLog().mid(mark).contains(QStringLiteral("LOGIN")));
}

TEST(Status, ProgressStagesAndMessagesReachThemes)
{
    qputenv("SDVM_FAKE_DELAY_MS", "150");
    Harness h(QStringLiteral("sdvm"));
    qputenv("SDVM_FAKE_DELAY_MS", "150");
    ASSERT_TRUE(h.start());
    QSignalSpy info(h.app->proxy(), &GreeterProxy::informationMessage);
    QSignalSpy done(h.app.get(), &GreeterApp::finished);
    QStringList stages;
    QObject::connect(h.app->status(), &StatusController::changed, [&]() {
        if (!stages.contains(h.app->status()->stageText()))
            stages << h.app->status()->stageText();
    });
    h.app->proxy()->login(QStringLiteral("ana@notice.test"), QStringLiteral("secret"), 1);
    EXPECT_EQ(h.app->status()->phase(), QStringLiteral("busy"));
    ASSERT_TRUE(QTest::qWaitFor([&]() { return h.app->status()->stage() == SDVM_STAGE_AUTHENTICATING; }, 5000));
    // The layer shows the stage the login is in (on a slow machine it may have moved on).
    EXPECT_TRUE(QTest::qWaitFor([&]() {
        return visibleTexts(h.window()).contains(h.app->status()->stageText());
    }, 2000)) << qPrintable(visibleTexts(h.window()).join(QLatin1String(" | ")));
    ASSERT_TRUE(done.wait(10000));
    EXPECT_TRUE(stages.contains(stageText(SDVM_STAGE_CHECKING_REALM)));
    EXPECT_TRUE(stages.contains(stageText(SDVM_STAGE_CONNECTING_WIRED)));
    EXPECT_TRUE(stages.contains(stageText(SDVM_STAGE_PREPARING_DISK)));
    EXPECT_TRUE(stages.contains(stageText(SDVM_STAGE_STARTING, QStringLiteral("Debian GNU/Linux 12"))));
    QStringList messages;
    for (const auto &args : std::as_const(info))
        messages << args.first().toString();
    EXPECT_TRUE(messages.contains(QStringLiteral("Your password expires in 3 days.")))
        << qPrintable(messages.join(QLatin1String(" | ")));
    qputenv("SDVM_FAKE_DELAY_MS", "20");
}

TEST(Status, UnknownRealmAndEmptyUser)
{
    Harness h(QStringLiteral("maui"));
    ASSERT_TRUE(h.start());
    QSignalSpy failed(h.app->proxy(), &GreeterProxy::loginFailed);
    // maui logs in with the network account row (empty name) and no name typed yet.
    h.app->proxy()->login(QString(), QStringLiteral("pw"), 0);
    ASSERT_EQ(failed.size(), 1);
    EXPECT_EQ(h.app->status()->reason(), StatusController::tr("Type your user name first."));
    QTest::qWait(20);
    QQuickItem *field = findByObjectName(h.app->primaryView()->overlay, QStringLiteral("sdvmUserNameField"));
    ASSERT_NE(field, nullptr);
    EXPECT_TRUE(field->hasActiveFocus());
    EXPECT_FALSE(h.fakeLog().contains(QStringLiteral("LOGIN")));

    h.app->status()->setUserName(QStringLiteral("zoe@unknown.test"));
    h.app->proxy()->login(QString(), QStringLiteral("pw"), 0);
    ASSERT_TRUE(failed.wait(5000));
    EXPECT_EQ(h.app->status()->failure(), static_cast<int>(SDVM_FAILURE_UNKNOWN_REALM));
    EXPECT_TRUE(h.app->status()->reason().contains(QStringLiteral("unknown.test")));
}

// Review L4: a password typed into the user field (common) never reaches the log.
namespace {
QStringList *g_logged = nullptr;
void
capture(QtMsgType, const QMessageLogContext &, const QString &msg)
{
    if (g_logged)
        g_logged->append(msg);
}
} // namespace

TEST(Status, UserFieldIsLoggedOnlyWhenItIsANai)
{
    Harness h(QStringLiteral("maui"));
    ASSERT_TRUE(h.start());
    QStringList logged;
    struct Capture {
        QtMessageHandler previous;
        explicit Capture(QStringList *to) : previous((g_logged = to, qInstallMessageHandler(capture))) {}
        ~Capture()
        {
            qInstallMessageHandler(previous);
            g_logged = nullptr;
        }
    };
    std::optional<Capture> guard(std::in_place, &logged);
    for (const QString &typed : {QStringLiteral("Hunter2-Secret!"), QStringLiteral("p@ss word")}) {
        QSignalSpy failed(h.app->proxy(), &GreeterProxy::loginFailed);
        h.app->proxy()->login(typed, QStringLiteral("pw"), 0);
        ASSERT_TRUE(failed.size() > 0 || failed.wait(5000)) << qPrintable(typed);
        QTest::qWait(50);
    }
    h.app->proxy()->login(QStringLiteral("zoe@unknown.test"), QStringLiteral("pw"), 0);
    QTest::qWait(100);
    guard.reset();
    const QString all = logged.join(QLatin1Char('\n'));
    EXPECT_FALSE(all.contains(QStringLiteral("Hunter2"))) << qPrintable(all);
    EXPECT_FALSE(all.contains(QStringLiteral("p@ss"))) << qPrintable(all);
    EXPECT_TRUE(all.contains(QStringLiteral("not logged"))) << qPrintable(all);
    EXPECT_TRUE(all.contains(QStringLiteral("login for zoe@unknown.test"))) << qPrintable(all);
}

// --- the network account against themes' own login logic (issue 16, pattern 4) ---------------

TEST(NetworkAccount, PlaceholderNameAndTheTypedNameWins)
{
    UserModel users;
    const QString name = users.data(users.index(0), UserModel::NameRole).toString();
    EXPECT_EQ(name, UserModel::placeholderName());
    EXPECT_FALSE(name.isEmpty()); // `|| "123test"` keeps it
    EXPECT_FALSE(name.contains(QLatin1Char('@'))); // never taken for a NAI

    Harness h(QStringLiteral("test:fallback-name"));
    ASSERT_TRUE(h.start());
    ASSERT_TRUE(h.app->status()->needsUserName());
    QSignalSpy failed(h.app->proxy(), &GreeterProxy::loginFailed);
    // The placeholder with nothing typed: "no name", not a login for "network-account".
    h.app->proxy()->login(UserModel::placeholderName(), QStringLiteral("pw"), 0);
    ASSERT_EQ(failed.size(), 1);
    EXPECT_EQ(h.app->status()->reason(), StatusController::tr("Type your user name first."));
    EXPECT_FALSE(h.fakeLog().contains(QStringLiteral("LOGIN")));
    // A name typed in the greeter's own field wins over the theme's fallback.
    h.app->status()->setUserName(QStringLiteral("ana@example.edu"));
    QSignalSpy succeeded(h.app->proxy(), &GreeterProxy::loginSucceeded);
    h.app->proxy()->login(QStringLiteral("123test"), QStringLiteral("pw"), 0);
    ASSERT_TRUE(succeeded.wait(5000));
    EXPECT_TRUE(h.fakeLog().contains(QStringLiteral("LOGIN nai=ana@example.edu "))) << qPrintable(h.fakeLog());
    EXPECT_FALSE(h.fakeLog().contains(QStringLiteral("123test")));
}

TEST(NetworkAccount, OnlyVisibleFieldsAreTheThemesUserField)
{
    {
        // A user field at opacity 0: the greeter shows its own.
        Harness h(QStringLiteral("test:hidden-user-field"));
        ASSERT_TRUE(h.start());
        EXPECT_TRUE(h.app->status()->needsUserName());
        // Shown (the theme's manual login): it is the theme's field again.
        h.themeRoot()->setProperty("manual", true);
        EXPECT_TRUE(h.app->primaryView()->placer->themeHasUserField());
        // Disabled, of no size, or off screen: not a field to type in.
        QQuickItem *field = findByObjectName(h.themeRoot(), QStringLiteral("hiddenName"));
        ASSERT_NE(field, nullptr);
        field->setEnabled(false);
        EXPECT_FALSE(h.app->primaryView()->placer->themeHasUserField());
        field->setEnabled(true);
        field->parentItem()->setHeight(0); // the field fills its frame, less the margins
        EXPECT_FALSE(h.app->primaryView()->placer->themeHasUserField());
        field->parentItem()->setHeight(40);
        field->parentItem()->setX(-5000);
        EXPECT_FALSE(h.app->primaryView()->placer->themeHasUserField());
        field->parentItem()->setX(440);
        EXPECT_TRUE(h.app->primaryView()->placer->themeHasUserField());
    }
    {
        Harness h(QStringLiteral("sdvm")); // a real user field of its own
        ASSERT_TRUE(h.start());
        EXPECT_FALSE(h.app->status()->needsUserName());
    }
}

TEST(NetworkAccount, TheGreetersFieldKeepsTheKeyboardUntilThePersonMovesIt)
{
    Harness h(QStringLiteral("test:focus-password"));
    ASSERT_TRUE(h.start());
    QTest::qWait(50);
    QQuickItem *ours = findByObjectName(h.app->primaryView()->overlay, QStringLiteral("sdvmUserNameField"));
    QQuickItem *theirs = findByObjectName(h.themeRoot(), QStringLiteral("password"));
    ASSERT_NE(ours, nullptr);
    ASSERT_NE(theirs, nullptr);
    EXPECT_TRUE(ours->hasActiveFocus());
    // The theme takes the keyboard (as on xcb when the window is activated): taken back.
    theirs->forceActiveFocus();
    QTRY_VERIFY_WITH_TIMEOUT(ours->hasActiveFocus(), 2000);
    h.type(QStringLiteral("ana@example.edu"));
    EXPECT_EQ(h.app->status()->userName(), QStringLiteral("ana@example.edu"));
    // Tab: the person moves on to the theme's password field, and it stays there.
    h.key(Qt::Key_Tab);
    EXPECT_TRUE(h.app->status()->focusMovedByPerson());
    EXPECT_TRUE(theirs->hasActiveFocus());
    QTest::qWait(50);
    EXPECT_TRUE(theirs->hasActiveFocus());
    h.type(QStringLiteral("pw"));
    QSignalSpy succeeded(h.app->proxy(), &GreeterProxy::loginSucceeded);
    h.key(Qt::Key_Return);
    ASSERT_TRUE(succeeded.wait(5000));
    EXPECT_TRUE(h.fakeLog().contains(QStringLiteral("LOGIN nai=ana@example.edu "))) << qPrintable(h.fakeLog());
}

TEST(NetworkAccount, AMousePressFreesTheKeyboard)
{
    Harness h(QStringLiteral("test:focus-password"));
    ASSERT_TRUE(h.start());
    QTest::qWait(50);
    QQuickItem *ours = findByObjectName(h.app->primaryView()->overlay, QStringLiteral("sdvmUserNameField"));
    QQuickItem *theirs = findByObjectName(h.themeRoot(), QStringLiteral("password"));
    ASSERT_NE(ours, nullptr);
    ASSERT_NE(theirs, nullptr);
    EXPECT_TRUE(ours->hasActiveFocus());
    const QPointF p = theirs->mapToScene(QPointF(theirs->width() / 2, theirs->height() / 2));
    QTest::mouseClick(h.window(), Qt::LeftButton, Qt::NoModifier, p.toPoint());
    EXPECT_TRUE(h.app->status()->focusMovedByPerson());
    theirs->forceActiveFocus(); // where the person clicked
    QTest::qWait(50);
    EXPECT_TRUE(theirs->hasActiveFocus());
}

// --- keyboard ---------------------------------------------------------------------------------

namespace {
struct KeySink : QObject {
    QString text;
    QList<int> keys;
    bool eventFilter(QObject *, QEvent *e) override
    {
        if (e->type() == QEvent::KeyPress) {
            auto *k = static_cast<QKeyEvent *>(e);
            text += k->text();
            keys << k->key();
        }
        return false;
    }
};

// Press and release a key as eglfs/xcb deliver it: an evdev code + 8 as native scan code.
void
press(QWindow *w, quint32 evdev, const QString &platformText = QString(), int platformKey = 0)
{
    const quint32 code = evdev + 8;
    QKeyEvent down(QEvent::KeyPress, platformKey, Qt::NoModifier, code, 0, 0, platformText);
    QCoreApplication::sendEvent(w, &down);
    QKeyEvent up(QEvent::KeyRelease, platformKey, Qt::NoModifier, code, 0, 0, platformText);
    QCoreApplication::sendEvent(w, &up);
}
} // namespace

TEST(Keyboard, LayoutsSwitchDeadKeysComposeAndLocksAreTracked)
{
    KeyboardModel kb({QStringLiteral("us"), QStringLiteral("de"), QStringLiteral("br")});
    kb.setTranslate(KeyboardModel::Translate::Always);
    ASSERT_EQ(kb.layouts().size(), 3);
    EXPECT_EQ(kb.layouts()[1]->property("shortName").toString(), QStringLiteral("de"));
    EXPECT_EQ(kb.layouts()[2]->property("longName").toString(), QStringLiteral("Portuguese (Brazil)"));

    QWindow window;
    KeySink sink;
    window.installEventFilter(&sink);
    qApp->installEventFilter(&kb);

    enum { KEY_Y = 21, KEY_A = 30, KEY_LEFTBRACE = 26, KEY_CAPSLOCK = 58 };
    press(&window, KEY_Y, QStringLiteral("y"), Qt::Key_Y);
    kb.setCurrentLayout(1); // de: Y and Z trade places
    press(&window, KEY_Y, QStringLiteral("y"), Qt::Key_Y);
    kb.setCurrentLayout(2); // br: [ is a dead acute
    press(&window, KEY_LEFTBRACE, QStringLiteral("["), Qt::Key_BracketLeft);
    press(&window, KEY_A, QStringLiteral("a"), Qt::Key_A);

    QSignalSpy caps(&kb, &KeyboardModel::capsLockStateChanged);
    press(&window, KEY_CAPSLOCK, QString(), Qt::Key_CapsLock);
    EXPECT_EQ(caps.size(), 1);
    EXPECT_TRUE(kb.capsLockState());
    press(&window, KEY_A, QStringLiteral("a"), Qt::Key_A);
    qApp->removeEventFilter(&kb);

    EXPECT_EQ(sink.text, QStringLiteral("yzáA"));
    EXPECT_TRUE(sink.keys.contains(Qt::Key_Z));
}

TEST(Keyboard, SyntheticEventsPassUntouched)
{
    KeyboardModel kb({QStringLiteral("de")});
    kb.setTranslate(KeyboardModel::Translate::Always);
    QWindow window;
    KeySink sink;
    window.installEventFilter(&sink);
    qApp->installEventFilter(&kb);
    QTest::keyClick(&window, Qt::Key_Y); // no native scan code: an input method or a test
    qApp->removeEventFilter(&kb);
    EXPECT_EQ(sink.text, QStringLiteral("y"));
}

// --- translations --------------------------------------------------------------------------------

TEST(Translations, BrazilianPortugueseAndSpanish)
{
    for (const auto &[locale, expectedLogin, expectedReason] :
         {std::tuple<const char *, const char *, const char *>{"pt_BR", "Entrar", "Sua instituição não aceitou este nome de usuário e senha."},
          {"es", "Iniciar sesión", "Su institución no aceptó este nombre de usuario y contraseña."}}) {
        QTranslator t;
        ASSERT_TRUE(t.load(QLocale(QString::fromLatin1(locale)), QStringLiteral("sdvm-greeter"),
                           QStringLiteral("_"), QStringLiteral(":/sdvm/i18n")))
            << locale;
        QCoreApplication::installTranslator(&t);
        EXPECT_EQ(QCoreApplication::translate("TextConstants", "Log in"), QString::fromUtf8(expectedLogin)) << locale;
        EXPECT_EQ(failureReason(SDVM_FAILURE_BAD_CREDENTIALS), QString::fromUtf8(expectedReason)) << locale;
        // Every failure reason is translated (none falls back to English).
        QCoreApplication::removeTranslator(&t);
        QStringList english;
        for (int f = 1; f < 100; f++)
            english << failureReason(f);
        QCoreApplication::installTranslator(&t);
        for (int f = 1; f < 100; f++) {
            if (QString::fromLatin1(sdvm_failure_to_string(static_cast<sdvm_failure>(f))) == QLatin1String("UNKNOWN"))
                continue;
            EXPECT_NE(failureReason(f), english[f - 1]) << locale << " lacks reason " << f;
        }
        // Issue 16: so is every reason an image is unavailable (by its number).
        QCoreApplication::removeTranslator(&t);
        QStringList englishImage;
        for (int st = SDVM_IMAGE_QCOW2_MISSING; st <= SDVM_IMAGE_INI_BROKEN + 1; st++) {
            ImageInfo im;
            im.available = false;
            im.unavailableStatus = st;
            englishImage << SessionModel::unavailableText(im);
        }
        QCoreApplication::installTranslator(&t);
        for (int st = SDVM_IMAGE_QCOW2_MISSING; st <= SDVM_IMAGE_INI_BROKEN + 1; st++) {
            ImageInfo im;
            im.available = false;
            im.unavailableStatus = st;
            EXPECT_NE(SessionModel::unavailableText(im), englishImage[st - 1])
                << locale << " lacks image status " << st;
        }
        QCoreApplication::removeTranslator(&t);
    }
}

// Issue 16: in pt_BR the image list said "the base image ubuntu-24.04.qcow2 is missing" in
// English; the reason is now translated from its number, the file name only a detail.
TEST(Translations, ImageUnavailabilityInThePersonsLanguage)
{
    QLocale::setDefault(QLocale(QStringLiteral("pt_BR"))); // the greeter loads its catalog
    {
        Harness h(QStringLiteral("sdvm"));
        ASSERT_TRUE(h.start());
        SessionModel *sessions = h.app->sessions();
        int row = -1;
        for (int i = 0; i < sessions->rowCount(); i++)
            if (sessions->imageId(i) == QLatin1String("ubuntu-24.04"))
                row = i;
        ASSERT_GE(row, 0);
        const QModelIndex index = sessions->index(row);
        const QString reason = sessions->data(index, SessionModel::UnavailableReasonRole).toString();
        EXPECT_EQ(reason, QString::fromUtf8("O arquivo de disco da imagem não está neste terminal."));
        EXPECT_EQ(sessions->data(index, SessionModel::CommentRole).toString(), reason);
        EXPECT_FALSE(reason.contains(QStringLiteral("qcow2")));
        EXPECT_EQ(sessions->data(index, SessionModel::UnavailableDetailRole).toString(),
                  QStringLiteral("the base image ubuntu-24.04.qcow2 is missing"));
        // An available image has no reason.
        EXPECT_EQ(sessions->data(sessions->index(0), SessionModel::UnavailableReasonRole).toString(),
                  QString());
    }
    QLocale::setDefault(QLocale(QLocale::English, QLocale::UnitedStates));
    // A number this greeter does not know: sdvmd's words.
    ImageInfo future;
    future.available = false;
    future.unavailableStatus = 1000;
    future.unavailableReason = QStringLiteral("a reason from a newer sdvmd");
    EXPECT_EQ(SessionModel::unavailableText(future), future.unavailableReason);
}

TEST(Translations, ThemeShowsPortugueseWhenTheLocaleSaysSo)
{
    QLocale::setDefault(QLocale(QStringLiteral("pt_BR")));
    {
        Harness h(QStringLiteral("maldives"));
        ASSERT_TRUE(h.start());
        const QStringList texts = visibleTexts(h.window());
        EXPECT_TRUE(texts.contains(QStringLiteral("Nome de usuário"))) << qPrintable(texts.join(QLatin1String(" | ")));
        EXPECT_TRUE(texts.contains(QStringLiteral("Sistema"))) << qPrintable(texts.join(QLatin1String(" | ")));
    }
    QLocale::setDefault(QLocale(QLocale::English, QLocale::UnitedStates));
}
