// SPDX-License-Identifier: GPL-2.0-or-later
#include "greeterapp.h"

#include <QDir>
#include <QEventLoop>
#include <QFontDatabase>
#include <QThreadPool>
#include <QFile>
#include <QGuiApplication>
#include <QIcon>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QQmlComponent>
#include <QQmlContext>
#include <QQmlEngine>
#include <QQmlError>
#include <QQuickItem>
#include <QQuickView>
#if QT_VERSION_MAJOR >= 6
#include <QQuickStyle>
#endif
#include <QSGRendererInterface>
#include <QScreen>

#include "bridge.h"
#include "keyboard.h"
#include "models.h"
#include "proxy.h"
#include "noexec.h"
#include "status.h"

#include <algorithm>
#include <cstring>

Q_LOGGING_CATEGORY(lcGreeter, "sdvm.greeter", QtInfoMsg)
Q_LOGGING_CATEGORY(lcQml, "sdvm.greeter.qml", QtInfoMsg)
// Start-up steps with their time (QT_LOGGING_RULES="sdvm.greeter.timing.debug=true").
Q_LOGGING_CATEGORY(lcTiming, "sdvm.greeter.timing", QtWarningMsg)

namespace sdvm {

static const char *const kFallbackUrl = "qrc:/sdvm/qml/fallback/Fallback.qml";
static const char *const kStatusLayerUrl = "qrc:/sdvm/qml/StatusLayer.qml";
static const char *const kImportPath = "qrc:/sdvm/imports";

GreeterApp::GreeterApp(const GreeterSettings &settings, const GreeterOptions &options,
                       QObject *parent)
    : QObject(parent), m_settings(settings), m_options(options)
{
    m_clock.start();
    m_urlHandler.install(); // review H2: Qt.openUrlExternally opens nothing
    m_reconnect.setInterval(2000);
    connect(&m_reconnect, &QTimer::timeout, this, &GreeterApp::retryConnect);
}

GreeterApp::~GreeterApp()
{
    m_urlHandler.uninstall();
    for (View *v : std::as_const(m_views)) {
        delete v->overlay; // before the view's engine goes
        delete v->window;
        delete v;
    }
    m_views.clear();
    if (m_keyboard)
        qApp->removeEventFilter(m_keyboard);
}

GreeterApp::View *
GreeterApp::primaryView() const
{
    for (View *v : m_views)
        if (m_options.size.isValid() || v->screen == QGuiApplication::primaryScreen())
            return v;
    return m_views.value(0);
}

QStringList
GreeterApp::urlRedirects() const
{
    return m_interceptor ? m_interceptor->redirects() : QStringList();
}

int
GreeterApp::start()
{
    // Reading the font configuration takes a good part of the start; do it on another core
    // while the QML engine loads the theme (QFontDatabase is thread-safe).
#if QT_VERSION_MAJOR >= 6
    QThreadPool::globalInstance()->start([]() { QFontDatabase::families(); });
#endif

    if (m_appTranslator.load(QLocale(), QStringLiteral("sdvm-greeter"), QStringLiteral("_"),
                             QStringLiteral(":/sdvm/i18n")))
        QCoreApplication::installTranslator(&m_appTranslator);

    // The login service: the daemon, or in test mode the fake backend (unless the caller chose).
    if (m_options.testMode && qEnvironmentVariableIsEmpty("SDVM_BACKEND"))
        qputenv("SDVM_BACKEND", "fake");
    m_bridge = new SdvmBridge(this);
    m_sessions = new SessionModel(this);
    m_users = new UserModel(this);
    m_status = new StatusController(m_settings.virtualKeyboard, this);
    qApp->installEventFilter(m_status); // the person's first mouse press frees the focus
    m_proxy = new GreeterProxy(m_bridge, m_sessions, m_status, this);
    connect(m_bridge, &SdvmBridge::imagesChanged, this,
            [this]() { m_sessions->setImages(m_bridge->images()); });
    connect(m_bridge, &SdvmBridge::connectedChanged, this, [this](bool connected) {
        if (connected)
            m_reconnect.stop();
        else if (!m_finishing)
            m_reconnect.start();
    });
    connect(m_proxy, &GreeterProxy::loginSucceeded, this, &GreeterApp::finishAfterLogin,
            Qt::QueuedConnection);
    // Review M5: the password of a failed attempt lives on in the JavaScript strings the theme
    // passed to sddm.login(). Qt cannot wipe those; a collection right after the attempt
    // gives them back at once instead of whenever the next one runs (queued: never from
    // inside the theme's own call).
    connect(m_proxy, &GreeterProxy::loginFailed, this, [this]() {
        for (View *v : std::as_const(m_views))
            if (v->window && v->window->engine())
                v->window->engine()->collectGarbage();
    }, Qt::QueuedConnection);
    if (m_bridge->connectBackend() < 0) {
        m_status->setConnected(false);
        m_reconnect.start();
    }

    qCDebug(lcTiming, "%lld ms: login service", static_cast<long long>(m_clock.elapsed()));

    // The keyboard.
    QStringList layouts = m_settings.keyboardLayouts;
    if (layouts.isEmpty())
        layouts = KeyboardModel::systemLayouts(!m_options.testMode);
    m_keyboard = new KeyboardModel(layouts, this);
    const QString platform = QGuiApplication::platformName();
    // Which Qt platform draws (eglfs, linuxfb, ...): the terminal tests and an administrator
    // reading the journal both need to know.
    qCInfo(lcGreeter, "Qt platform %s", qPrintable(platform));
    if (platform == QLatin1String("eglfs") || platform == QLatin1String("linuxfb"))
        m_keyboard->setTranslate(KeyboardModel::Translate::Always);
    else
        m_keyboard->setTranslate(KeyboardModel::Translate::WhenSwitched);
    qApp->installEventFilter(m_keyboard);

    // The theme.
    if (m_options.fallback) {
        m_sddmErrors = tr("The login screen's theme failed to start several times, so the "
                          "built-in one is shown.");
        qCWarning(lcGreeter, "asked to use the embedded fallback theme");
    } else {
        QString error;
        const QString dir = findTheme(m_settings.theme, m_settings.themeDirs, &error);
        if (dir.isEmpty() || !m_theme.load(dir, &error)) {
            m_themeErrors << error;
        } else {
            m_themeErrors << scanThemeForUnsupported(m_theme);
        }
        if (!m_themeErrors.isEmpty()) {
            for (const QString &e : std::as_const(m_themeErrors))
                qCWarning(lcGreeter, "theme refused: %s", qPrintable(e));
        }
    }
    m_config = new ThemeConfig(this);
    if (m_themeErrors.isEmpty() && !m_options.fallback) {
        m_config->load(m_theme.configPath());
        const QString iconTheme = m_config->value(QStringLiteral("iconTheme")).toString();
        if (!iconTheme.isEmpty())
            QIcon::setThemeName(iconTheme);
        const QString translations = m_theme.dir + QLatin1Char('/') + m_theme.translationsDir;
        if (m_themeTranslator.load(QLocale(), QString(), QString(), translations))
            QCoreApplication::installTranslator(&m_themeTranslator);
        qCInfo(lcGreeter, "theme %s (%s)", qPrintable(m_theme.name), qPrintable(m_theme.dir));
#if QT_VERSION_MAJOR >= 6
        // Issue 16, pattern 6: a Qt 5-era theme (no QtVersion=6) was drawn with Qt 5's default
        // Controls style, which Qt 6 calls Basic; Qt 6's own default on Linux is Fusion, which
        // paints a Button with palette.button "transparent" as a black box and leaves a
        // Button's icon untinted by palette.buttonText (the Sugar themes' dark power icons).
        // An administrator's QT_QUICK_CONTROLS_STYLE still wins; QtVersion=6 themes get Qt's
        // default, as under SDDM.
        if (m_theme.qtVersion < 6 && qEnvironmentVariableIsEmpty("QT_QUICK_CONTROLS_STYLE")) {
            QQuickStyle::setStyle(QStringLiteral("Basic"));
            qCInfo(lcGreeter, "Qt 5-era theme: Qt Quick Controls style Basic (Qt 5's Default)");
        }
#endif
    }
    qCDebug(lcTiming, "%lld ms: keyboard, theme metadata and config", static_cast<long long>(m_clock.elapsed()));
    m_interceptor = std::make_unique<ThemeUrlInterceptor>(m_theme.dir, QStringLiteral("/sdvm/imports/"));

    // The views.
    if (m_options.size.isValid()) {
        addView(QGuiApplication::primaryScreen());
    } else {
        for (QScreen *screen : QGuiApplication::screens())
            addView(screen);
        connect(qApp, &QGuiApplication::screenAdded, this, &GreeterApp::addView);
        connect(qApp, &QGuiApplication::screenRemoved, this, &GreeterApp::removeView);
        connect(qApp, &QGuiApplication::primaryScreenChanged, this, [this](QScreen *primary) {
            for (View *v : std::as_const(m_views))
                v->window->engine()->rootContext()->setContextProperty(
                    QStringLiteral("primaryScreen"), v->screen == primary);
        });
    }
    if (m_views.isEmpty()) {
        qCCritical(lcGreeter, "no screen to show the login on");
        return 2;
    }
    return 0;
}

void
GreeterApp::retryConnect()
{
    if (m_bridge->connectBackend() == 0)
        qCInfo(lcGreeter, "login service connected");
}

QStringList
GreeterApp::loadTheme(View *v, const QUrl &url)
{
    QQmlEngine *engine = v->window->engine();
    auto *component = new QQmlComponent(engine, url, QQmlComponent::PreferSynchronous, v->window);
    if (component->isLoading()) {
        QEventLoop loop;
        connect(component, &QQmlComponent::statusChanged, &loop, &QEventLoop::quit);
        loop.exec();
    }
    auto errorsOf = [](QQmlComponent *c) {
        QStringList out;
        for (const QQmlError &e : c->errors())
            out << e.toString();
        return out;
    };
    if (component->isError()) {
        const QStringList errors = errorsOf(component);
        delete component;
        return errors;
    }
    QObject *object = component->beginCreate(engine->rootContext());
    auto *item = qobject_cast<QQuickItem *>(object);
    if (!item) {
        component->completeCreate();
        QStringList errors = errorsOf(component);
        if (object)
            errors << tr("%1: the theme's root object is not an Item").arg(url.toString());
        delete object;
        delete component;
        return errors;
    }
    // Size the theme before its bindings run, so pictures are decoded once, at screen size.
    item->setSize(v->window->size());
    component->completeCreate();
    if (component->isError()) {
        const QStringList errors = errorsOf(component);
        delete item;
        delete component;
        return errors;
    }
    v->window->setContent(url, component, item);
    v->themeRoot = item;
    return {};
}

void
GreeterApp::loadOverlay(View *v)
{
    QQmlComponent component(v->window->engine(), QUrl(QString::fromLatin1(kStatusLayerUrl)));
    QObject *object = component.create();
    auto *item = qobject_cast<QQuickItem *>(object);
    if (!item) {
        for (const QQmlError &e : component.errors())
            qCCritical(lcGreeter, "status layer: %s", qPrintable(e.toString()));
        delete object;
        return;
    }
    item->setParent(v->window);
    item->setParentItem(v->window->contentItem());
    item->setZ(1e6);
    v->overlay = item;
}

void
GreeterApp::addView(QScreen *screen)
{
    auto *v = new View;
    v->screen = screen;
    v->window = new QQuickView();
    QQmlEngine *engine = v->window->engine();
    engine->setOutputWarningsToStandardError(false);
    connect(engine, &QQmlEngine::warnings, this, [this](const QList<QQmlError> &warnings) {
        for (const QQmlError &w : warnings) {
            // A binding that fails in a Repeater's delegate says so once per delegate: a
            // themer reads each warning once, with its count in the report.
            const QString text = w.toString();
            if (m_warningCount[text]++ > 0)
                continue;
            m_warnings << text;
            qCWarning(lcQml, "%s", qPrintable(text));
        }
    });
    engine->addImportPath(QString::fromLatin1(kImportPath));
    engine->setNetworkAccessManagerFactory(&m_networkFactory);
#if QT_VERSION_MAJOR >= 6
    engine->addUrlInterceptor(m_interceptor.get());
#else
    engine->setUrlInterceptor(m_interceptor.get()); // Qt 5: one interceptor per engine
#endif
    // Issue 14 §1: no QtQuick.LocalStorage (a theme could keep a typed password in a database
    // in the greeter's home): a path no one can create, so openDatabaseSync() throws "offline
    // storage is disabled".
    engine->setOfflineStoragePath(QStringLiteral("/proc/self/sdvm-no-offline-storage"));

    v->screenModel = new ScreenModel(screen, m_options.size, v->window);
    v->placer = new OverlayPlacer(v->window);
    const bool primary = m_options.size.isValid() || screen == QGuiApplication::primaryScreen();

    QQmlContext *ctx = engine->rootContext();
    ctx->setContextProperty(QStringLiteral("sddm"), m_proxy);
    ctx->setContextProperty(QStringLiteral("userModel"), m_users);
    ctx->setContextProperty(QStringLiteral("sessionModel"), m_sessions);
    ctx->setContextProperty(QStringLiteral("screenModel"), v->screenModel);
    ctx->setContextProperty(QStringLiteral("keyboard"), m_keyboard);
    ctx->setContextProperty(QStringLiteral("config"), m_config);
    ctx->setContextProperty(QStringLiteral("primaryScreen"), primary);
    ctx->setContextProperty(QStringLiteral("__sddm_errors"), m_sddmErrors);
    ctx->setContextProperty(QStringLiteral("__sdvm_status"), m_status);
    ctx->setContextProperty(QStringLiteral("__sdvm_placer"), v->placer);

    v->window->setResizeMode(QQuickView::SizeRootObjectToView);
    v->window->setColor(Qt::black);
    v->window->setTitle(QStringLiteral("SDVM"));
    if (m_options.size.isValid()) {
        v->window->resize(m_options.size);
    } else if (screen) {
        v->window->setScreen(screen);
        v->window->setGeometry(screen->geometry());
    }
    if (!m_options.testMode)
        v->window->setFlags(v->window->flags() | Qt::FramelessWindowHint);

    qCDebug(lcTiming, "%lld ms: view and engine", static_cast<long long>(m_clock.elapsed()));
    if (m_options.noExec) {
        // Review H2: from here on, other people's QML runs in this process; it starts nothing.
        const int r = installNoExecFilter();
        if (r < 0)
            qCWarning(lcGreeter, "cannot install the no-exec filter: %s", strerror(-r));
    }
    bool useFallback = m_options.fallback || !m_themeErrors.isEmpty();
    if (!useFallback) {
        const QStringList errors = loadTheme(v, QUrl::fromLocalFile(m_theme.mainScriptPath()));
        if (!errors.isEmpty()) {
            for (const QString &e : errors)
                if (!m_themeErrors.contains(e))
                    qCWarning(lcGreeter, "theme failed to load: %s", qPrintable(e));
            m_themeErrors << errors;
            m_themeErrors.removeDuplicates();
            useFallback = true;
        }
    }
    if (useFallback) {
        if (m_sddmErrors.isEmpty() || !m_themeErrors.isEmpty())
            m_sddmErrors = m_themeErrors.isEmpty() ? m_sddmErrors : m_themeErrors.join(QLatin1Char('\n'));
        ctx->setContextProperty(QStringLiteral("__sddm_errors"), m_sddmErrors);
        v->fallback = true;
        const QStringList errors = loadTheme(v, QUrl(QString::fromLatin1(kFallbackUrl)));
        for (const QString &e : errors)
            qCCritical(lcGreeter, "embedded fallback theme: %s", qPrintable(e));
    }
    qCDebug(lcTiming, "%lld ms: theme created", static_cast<long long>(m_clock.elapsed()));
    v->placer->setThemeRoot(v->themeRoot);
    if (primary)
        m_status->setNeedsUserName(!v->placer->themeHasUserField());
    // The status layer draws nothing while idle: unless it has something to show at once (a
    // user-name field, the login service being away), it comes after the theme's first frame.
    if (m_status->needsUserName() || !m_status->connected() || m_settings.virtualKeyboard)
        loadOverlay(v);

    connect(v->window, &QQuickWindow::frameSwapped, this, [this, v]() { onFrameSwapped(v); },
            Qt::QueuedConnection);
    m_views.append(v);
    if (m_options.testMode)
        v->window->show();
    else
        v->window->showFullScreen();
    if (primary)
        v->window->requestActivate(); // the theme's own focus: true item gets the keyboard
}

void
GreeterApp::removeView(QScreen *screen)
{
    for (int i = 0; i < m_views.size(); i++) {
        View *v = m_views.at(i);
        if (v->screen != screen)
            continue;
        m_views.removeAt(i);
        delete v->overlay;
        v->window->deleteLater();
        delete v;
        return;
    }
}

void
GreeterApp::onFrameSwapped(View *v)
{
    if (v->firstFrame || !m_views.contains(v))
        return;
    v->firstFrame = true;
    muteThemeMessages(); // review H2: a password may be typed from now on
    if (!v->overlay)
        loadOverlay(v);
    if (v != primaryView())
        return;
    m_firstFrameMs = m_clock.elapsed();
    qCInfo(lcGreeter, "first frame after %lld ms", static_cast<long long>(m_firstFrameMs));
    // Themes may create their fields late (Loaders, states): look again.
    m_status->setNeedsUserName(!v->placer->themeHasUserField());
    Q_EMIT firstFrameShown();
    if (!m_options.screenshot.isEmpty())
        takeScreenshotWhenReady(150);
}

static bool
anyImageLoading(const QQuickItem *item)
{
    if (item->inherits("QQuickImageBase") && item->property("status").toInt() == 2 /* Loading */)
        return true;
    for (const QQuickItem *child : item->childItems())
        if (anyImageLoading(child))
            return true;
    return false;
}

void
GreeterApp::takeScreenshotWhenReady(int attemptsLeft)
{
    View *v = primaryView();
    if (!v)
        return;
    if (attemptsLeft > 0 && anyImageLoading(v->window->contentItem())) {
        QTimer::singleShot(20, this, [this, attemptsLeft]() { takeScreenshotWhenReady(attemptsLeft - 1); });
        return;
    }
    // Let the theme's animations run (a shot of the first frame is mid-fade), then save.
    QTimer::singleShot(std::max(0, m_options.settleMs), this, &GreeterApp::saveScreenshot);
}

static QString
rendererName(const QQuickWindow *window)
{
    switch (window->rendererInterface()->graphicsApi()) {
    case QSGRendererInterface::Software:
        return QStringLiteral("software");
    case QSGRendererInterface::OpenGL:
        return QStringLiteral("opengl");
#if QT_VERSION_MAJOR >= 6
    case QSGRendererInterface::Vulkan:
        return QStringLiteral("vulkan");
#endif
    default:
        return QStringLiteral("other");
    }
}

// Items the software renderer leaves out: ShaderEffect (Qt5Compat.GraphicalEffects,
// QtQuick.Effects, a theme's own shaders; named with the QML type that holds it, e.g.
// "ShaderEffect in ColorOverlay") and any layer.effect.
static QString
typeName(const QObject *o)
{
    QString name = QString::fromLatin1(o->metaObject()->className());
    if (const int cut = name.indexOf(QLatin1String("_QML")); cut > 0)
        name.truncate(cut);
    return name.startsWith(QLatin1String("QQuick")) ? name.mid(6) : name;
}

static void
collectEffects(const QQuickItem *item, QStringList *out)
{
    if (item->inherits("QQuickShaderEffect")) {
        const QQuickItem *holder = item->parentItem();
        const bool qmlType = holder && strstr(holder->metaObject()->className(), "_QML");
        *out << (qmlType ? QStringLiteral("ShaderEffect in %1").arg(typeName(holder))
                         : QStringLiteral("ShaderEffect"));
    }
    const QObject *layer = item->property("layer").value<QObject *>();
    if (layer && layer->property("enabled").toBool() &&
        layer->property("effect").value<QObject *>())
        *out << QStringLiteral("layer.effect of %1").arg(typeName(item));
    for (const QQuickItem *child : item->childItems())
        collectEffects(child, out);
}

void
GreeterApp::saveScreenshot()
{
    View *v = primaryView();
    if (!v)
        return;
    if (v->window->rendererInterface()->graphicsApi() == QSGRendererInterface::Software) {
        collectEffects(v->window->contentItem(), &m_undrawnEffects);
        if (!m_undrawnEffects.isEmpty())
            qCWarning(lcGreeter,
                      "%lld effect(s) could not be drawn: Qt platform %s renders without GL (%s). "
                      "On an X server they are, e.g. xvfb-run -a sdvm-greeter --test-mode "
                      "--screenshot FILE",
                      static_cast<long long>(m_undrawnEffects.size()),
                      qPrintable(QGuiApplication::platformName()),
                      qPrintable(m_undrawnEffects.join(QLatin1String(", "))));
    }
    QImage image = v->window->grabWindow();
#if QT_VERSION_MAJOR < 6
    // Qt 5's software renderer cannot grab on offscreen: the platform's copy of the window.
    if (image.isNull() && v->window->screen())
        image = v->window->screen()->grabWindow(v->window->winId()).toImage();
#endif
    if (image.isNull() || !image.save(m_options.screenshot, "PNG")) {
        qCCritical(lcGreeter, "cannot save the screenshot to %s", qPrintable(m_options.screenshot));
        finish(5);
        return;
    }
    qCInfo(lcGreeter, "screenshot saved to %s", qPrintable(m_options.screenshot));
    finish(usingFallback() ? 3 : 0);
}

void
GreeterApp::finishAfterLogin()
{
    // Release the display at once: the guest takes this GPU next.
    for (View *v : std::as_const(m_views))
        v->window->close();
    finish(0);
}

void
GreeterApp::finish(int status)
{
    if (m_finishing)
        return;
    m_finishing = true;
    m_reconnect.stop();
    if (!m_options.report.isEmpty())
        writeReport(status);
    Q_EMIT finished(status);
}

void
GreeterApp::writeReport(int status) const
{
    QJsonObject o;
    o.insert(QStringLiteral("status"), status);
    o.insert(QStringLiteral("platform"), QGuiApplication::platformName());
    o.insert(QStringLiteral("qt"), QLatin1String(qVersion())); // which greeter ran (issue 16)
    o.insert(QStringLiteral("theme"), m_theme.name);
    o.insert(QStringLiteral("themeDir"), m_theme.dir);
    o.insert(QStringLiteral("fallback"), usingFallback());
    o.insert(QStringLiteral("themeErrors"), QJsonArray::fromStringList(m_themeErrors));
    o.insert(QStringLiteral("qmlWarnings"), QJsonArray::fromStringList(m_warnings));
    QJsonObject repeats;
    for (const QString &w : m_warnings)
        if (m_warningCount.value(w) > 1)
            repeats.insert(w, m_warningCount.value(w));
    o.insert(QStringLiteral("qmlWarningRepeats"), repeats);
    if (const View *v = primaryView())
        o.insert(QStringLiteral("renderer"), rendererName(v->window));
    o.insert(QStringLiteral("undrawnEffects"), QJsonArray::fromStringList(m_undrawnEffects));
    o.insert(QStringLiteral("urlRedirects"), QJsonArray::fromStringList(urlRedirects()));
    o.insert(QStringLiteral("refusedNetworkRequests"), RefusingNetworkAccessManager::refusedCount());
    o.insert(QStringLiteral("firstFrameMs"), m_firstFrameMs);
    o.insert(QStringLiteral("views"), static_cast<int>(m_views.size()));
    QStringList images;
    for (const ImageInfo &i : m_sessions->images())
        images << i.name;
    o.insert(QStringLiteral("images"), QJsonArray::fromStringList(images));
    o.insert(QStringLiteral("statusPhase"), m_status->phase());
    o.insert(QStringLiteral("statusReason"), m_status->reason());
    QFile f(m_options.report);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate)
        || f.write(QJsonDocument(o).toJson()) < 0)
        qCWarning(lcGreeter, "cannot write the report to %s", qPrintable(m_options.report));
}

} // namespace sdvm
