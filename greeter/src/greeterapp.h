// SPDX-License-Identifier: GPL-2.0-or-later
// The greeter: one QQuickView per screen running an SDDM theme with SDDM's context
// properties, the embedded fallback theme when the theme cannot run, and the status layer.
#pragma once

#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QPointer>
#include <QSize>
#include <QStringList>
#include <QTimer>
#include <QTranslator>
#include <memory>

#include "hardening.h"
#include "settings.h"
#include "theme.h"

#include <QQuickItem>
#include <QScreen>

class QQuickView;

namespace sdvm {

class GreeterProxy;
class KeyboardModel;
class OverlayPlacer;
class ScreenModel;
class SdvmBridge;
class SessionModel;
class StatusController;
class UserModel;

struct GreeterOptions {
    bool testMode = false;
    bool fallback = false;     // start with the embedded fallback theme (sdvmd's --fallback)
    QString screenshot;        // test mode: save the primary view after its first frame, exit
    int settleMs = 1000;       // test mode: how long the theme's animations run before the shot
    QSize size;                // test mode: one view of this size instead of one per screen
    QString report;            // test mode: write a JSON report here at exit
    QString platformName;      // the Qt platform actually used
    bool noExec = false;       // install the no-exec seccomp filter before the theme loads
};

class GreeterApp : public QObject
{
    Q_OBJECT
public:
    struct View {
        QScreen *screen = nullptr;
        QQuickView *window = nullptr;
        QQuickItem *themeRoot = nullptr;
        QQuickItem *overlay = nullptr;
        ScreenModel *screenModel = nullptr;
        OverlayPlacer *placer = nullptr;
        bool fallback = false;
        bool firstFrame = false;
    };

    GreeterApp(const GreeterSettings &settings, const GreeterOptions &options,
               QObject *parent = nullptr);
    ~GreeterApp() override;

    // Connect the login service and create the views. Returns 0, or an exit status.
    int start();

    const QList<View *> &views() const { return m_views; }
    View *primaryView() const;
    StatusController *status() const { return m_status; }
    GreeterProxy *proxy() const { return m_proxy; }
    SessionModel *sessions() const { return m_sessions; }
    KeyboardModel *keyboard() const { return m_keyboard; }
    SdvmBridge *bridge() const { return m_bridge; }
    const ThemeMetadata &theme() const { return m_theme; }
    // Why the theme could not be used (empty when it runs).
    QStringList themeErrors() const { return m_themeErrors; }
    bool usingFallback() const { return !m_themeErrors.isEmpty() || m_options.fallback; }
    // Every QML warning and error seen by any view's engine, in order.
    QStringList qmlWarnings() const { return m_warnings; }
    QStringList urlRedirects() const;
    qint64 firstFrameMs() const { return m_firstFrameMs; }

Q_SIGNALS:
    void firstFrameShown();
    // The greeter is done (a login succeeded, or test mode finished): exit with this status.
    void finished(int status);

private:
    void addView(QScreen *screen);
    void removeView(QScreen *screen);
    QStringList loadTheme(View *view, const QUrl &url);
    void loadOverlay(View *view);
    void onFrameSwapped(View *view);
    void takeScreenshotWhenReady(int attemptsLeft);
    void finishAfterLogin();
    void retryConnect();
    void writeReport(int status) const;
    void saveScreenshot();
    void finish(int status);

    GreeterSettings m_settings;
    GreeterOptions m_options;
    ThemeMetadata m_theme;
    QStringList m_themeErrors;
    QString m_sddmErrors;

    SdvmBridge *m_bridge = nullptr;
    SessionModel *m_sessions = nullptr;
    UserModel *m_users = nullptr;
    KeyboardModel *m_keyboard = nullptr;
    StatusController *m_status = nullptr;
    GreeterProxy *m_proxy = nullptr;
    class ThemeConfig *m_config = nullptr;
    RefusingNetworkFactory m_networkFactory;
    RefusingUrlHandler m_urlHandler;
    std::unique_ptr<ThemeUrlInterceptor> m_interceptor;
    QTranslator m_appTranslator;
    QTranslator m_themeTranslator;

    QList<View *> m_views;
    QStringList m_warnings;            // each distinct warning once, in order
    QHash<QString, int> m_warningCount; // how often each came (themes repeat them per delegate)
    QStringList m_undrawnEffects;      // what the software renderer could not draw (the shot)
    QTimer m_reconnect;
    QElapsedTimer m_clock;
    qint64 m_firstFrameMs = -1;
    bool m_finishing = false;
};

} // namespace sdvm
