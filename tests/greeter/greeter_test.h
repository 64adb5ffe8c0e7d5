// SPDX-License-Identifier: GPL-2.0-or-later
// Helpers for the greeter tests: run a GreeterApp in-process (offscreen), walk the item tree.
#pragma once

#include <QColor>
#include <QFile>
#include <QGuiApplication>
#include <QImage>
#include <QQuickItem>
#include <QQuickView>
#include <QSet>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <functional>
#include <memory>
#include <ostream>

#include "greeterapp.h"
#include "keyboard.h"
#include "models.h"
#include "proxy.h"
#include "status.h"

// Readable QStrings in gtest messages.
inline void
PrintTo(const QString &s, std::ostream *os)
{
    *os << '"' << s.toStdString() << '"';
}

namespace sdvm::test {

inline QString
sourceDir()
{
    return qEnvironmentVariable("SDVM_SOURCE_DIR", QStringLiteral(SDVM_TEST_SOURCE_DIR));
}

// The folder of a theme: "sdvm" is ours (source tree), the others Debian's packages.
inline QString
themeDir(const QString &theme)
{
    if (theme == QLatin1String("sdvm"))
        return sourceDir() + QStringLiteral("/themes/sdvm");
    if (theme.startsWith(QLatin1String("test:")))
        return sourceDir() + QStringLiteral("/tests/data/greeter/") + theme.mid(5);
    return QStringLiteral("/usr/share/sddm/themes/") + theme;
}

inline void
walk(QQuickItem *item, const std::function<void(QQuickItem *)> &fn)
{
    if (!item)
        return;
    fn(item);
    for (QQuickItem *child : item->childItems())
        walk(child, fn);
}

// Texts a person can see: visible Text items with some opacity, inside the window.
inline QStringList
visibleTexts(QQuickView *window)
{
    QStringList out;
    const QRectF bounds(QPointF(0, 0), QSizeF(window->size()));
    walk(window->contentItem(), [&](QQuickItem *item) {
        if (!item->inherits("QQuickText") || !item->isVisible())
            return;
        qreal opacity = 1;
        for (QQuickItem *p = item; p; p = p->parentItem())
            opacity *= p->opacity();
        const QRectF r = item->mapRectToScene(QRectF(0, 0, item->width(), item->height()));
        if (opacity > 0.05 && r.intersects(bounds))
            out << item->property("text").toString();
    });
    return out;
}

inline QQuickItem *
findByObjectName(QQuickItem *root, const QString &name)
{
    QQuickItem *found = nullptr;
    walk(root, [&](QQuickItem *item) {
        if (!found && item->objectName() == name)
            found = item;
    });
    return found;
}

// A running greeter for one test, with the fake backend writing its transcript to a file.
class Harness
{
public:
    explicit Harness(const QString &theme, QSize size = QSize(1280, 800),
                     const QStringList &layouts = {QStringLiteral("us")})
    {
        logPath = dir.filePath(QStringLiteral("fake.log"));
        qputenv("SDVM_BACKEND", "fake");
        qputenv("SDVM_FAKE_LOG", logPath.toUtf8());
        qputenv("SDVM_FAKE_DELAY_MS", "20");
        // What sdvmd offers with the default PowerActions (logind allowing everything).
        qputenv("SDVM_FAKE_POWER", "poweroff;reboot");
        settings.themeDirs = {};
        settings.theme = theme.isEmpty() ? QString() : themeDir(theme);
        settings.keyboardLayouts = layouts;
        options.testMode = true;
        options.size = size;
        app = std::make_unique<GreeterApp>(settings, options);
    }

    bool start(int timeoutMs = 20000)
    {
        QSignalSpy frame(app.get(), &GreeterApp::firstFrameShown);
        if (app->start() != 0)
            return false;
        if (!frame.wait(timeoutMs))
            return false;
        QTest::qWait(50); // let Qt.callLater and 0-ms timers of the theme run
        return true;
    }

    QQuickView *window() const { return app->primaryView()->window; }
    QQuickItem *themeRoot() const { return app->primaryView()->themeRoot; }

    QString fakeLog() const
    {
        QFile f(logPath);
        return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()) : QString();
    }

    void type(const QString &text)
    {
        for (QChar c : text)
            QTest::keyClick(window(), c.toLatin1());
    }
    void key(Qt::Key k, Qt::KeyboardModifiers m = Qt::NoModifier) { QTest::keyClick(window(), k, m); }

    QTemporaryDir dir;
    QString logPath;
    GreeterSettings settings;
    GreeterOptions options;
    std::unique_ptr<GreeterApp> app;
};

// Not blank: many colours, and no single colour covering nearly everything.
inline bool
looksDrawn(const QImage &image, QString *why)
{
    if (image.isNull()) {
        *why = QStringLiteral("no image");
        return false;
    }
    QHash<QRgb, int> counts;
    const int step = qMax(1, image.width() / 320);
    int total = 0;
    for (int y = 0; y < image.height(); y += step)
        for (int x = 0; x < image.width(); x += step, total++)
            counts[image.pixel(x, y)]++;
    int most = 0;
    for (int c : std::as_const(counts))
        most = qMax(most, c);
    if (counts.size() < 8 || most > total * 0.97) {
        *why = QStringLiteral("%1 colours, the commonest covers %2% of the picture")
                   .arg(counts.size()).arg(100.0 * most / total, 0, 'f', 1);
        return false;
    }
    return true;
}

} // namespace sdvm::test
