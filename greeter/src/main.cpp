// SPDX-License-Identifier: GPL-2.0-or-later
// sdvm-greeter: the SDVM login screen. Runs SDDM themes; see sdvm-greeter(1).
#include <QCommandLineParser>
#include <QDir>
#include <QFile>
#include <QGuiApplication>
#include <QLoggingCategory>
#include <QQuickWindow>
#include <QRegularExpression>
#include <QSGRendererInterface>

#include <cstdio>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>
#include <climits>
#include <sys/prctl.h>
#include <unistd.h>

#include "sdvm/greeter-choice.h"

#include "greeterapp.h"
#include "hardening.h"
#include "keyboard.h"
#include "settings.h"

#ifndef SDVM_VERSION
#define SDVM_VERSION "0"
#endif

using namespace sdvm;

namespace {

enum Exit {
    ExitOk = 0,
    ExitUsage = 1,
    ExitNoScreen = 2,
    ExitFallbackShown = 3,
    ExitPrivileges = 4,
    ExitScreenshot = 5,
};

QStringList
splitList(const QString &value)
{
    return value.split(QRegularExpression(QStringLiteral("[;,]")), Qt::SkipEmptyParts);
}

// Test mode (themers, tests): run the theme in the greeter its QtVersion asks for, as sdvmd
// does (sdvm_greeter_choose owns the rule). Returns only when this binary is the one, or
// when the other cannot be started (then this one runs the theme, as before issue 16).
void
runChosenGreeter(char *argv[], const GreeterSettings &settings)
{
    char self[PATH_MAX];
    const ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0)
        return;
    self[n] = '\0';
    QList<QByteArray> dirs;
    for (const QString &d : settings.themeDirs)
        dirs << QFile::encodeName(d);
    std::vector<const char *> dirv;
    for (const QByteArray &d : dirs)
        dirv.push_back(d.constData());
    dirv.push_back(nullptr);
    const QByteArray theme = QFile::encodeName(settings.theme);
    char chosen[PATH_MAX];
    const int qt = sdvm_greeter_choose(self, theme.constData(), dirv.data(), chosen, sizeof(chosen));
    if (qt < 0 || qt == QT_VERSION_MAJOR || strcmp(chosen, self) == 0)
        return;
    // --same-greeter first: the chosen one must not choose again (options may come in any order).
    std::vector<char *> args;
    args.push_back(chosen);
    static char same[] = "--same-greeter";
    args.push_back(same);
    for (int i = 1; argv[i]; i++)
        args.push_back(argv[i]);
    args.push_back(nullptr);
    fprintf(stderr, "sdvm-greeter: the theme is for Qt %d: running %s\n", qt, chosen);
    fflush(stderr);
    execv(chosen, args.data());
    fprintf(stderr, "sdvm-greeter: cannot run %s (%s); this greeter (Qt %d) runs the theme\n",
            chosen, strerror(errno), QT_VERSION_MAJOR);
}

} // namespace

int
main(int argc, char *argv[])
{
    // No core dump may hold a password typed here (review M5): not dumpable from the start
    // (this also keeps other processes of the greeter's user from ptrace-attaching). Again
    // after the privilege drop, which resets the flag to fs.suid_dumpable.
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "The SDVM login screen: runs SDDM themes; logs in through libsdvm."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption testMode(QStringLiteral("test-mode"),
        QStringLiteral("Run without the daemon, on the fake backend (for themers and tests)."));
    const QCommandLineOption themeOpt(QStringLiteral("theme"),
        QStringLiteral("Theme name (searched in the theme folders) or folder."), QStringLiteral("theme"));
    const QCommandLineOption themeDirsOpt(QStringLiteral("theme-dirs"),
        QStringLiteral("Folders to search for themes (';'-separated)."), QStringLiteral("dirs"));
    const QCommandLineOption screenshotOpt(QStringLiteral("screenshot"),
        QStringLiteral("Test mode: save a PNG after the first frame, then exit."), QStringLiteral("file"));
    const QCommandLineOption settleOpt(QStringLiteral("settle"),
        QStringLiteral("Test mode: with --screenshot, let the theme's animations run this long "
                       "after the first frame (default 1000)."), QStringLiteral("ms"));
    const QCommandLineOption sizeOpt(QStringLiteral("size"),
        QStringLiteral("Test mode: one view of this size instead of one per screen."), QStringLiteral("WxH"));
    const QCommandLineOption reportOpt(QStringLiteral("report"),
        QStringLiteral("Test mode: write a JSON report (errors, warnings, timings) at exit."),
        QStringLiteral("file"));
    const QCommandLineOption userOpt(QStringLiteral("user"),
        QStringLiteral("Started as root: become this user (default sdvm-greeter)."),
        QStringLiteral("name"));
    const QCommandLineOption fallbackOpt(QStringLiteral("fallback"),
        QStringLiteral("Use the embedded fallback theme (sdvmd passes this after repeated crashes)."));
    const QCommandLineOption platformOpt(QStringLiteral("platform"),
        QStringLiteral("Qt platform: eglfs, linuxfb, offscreen, xcb, vnc, ..."), QStringLiteral("name"));
    const QCommandLineOption defaultPlatformOpt(QStringLiteral("default-platform"),
        QStringLiteral("Qt platform when neither --platform nor QT_QPA_PLATFORM names one "
                       "(default auto: eglfs or linuxfb)."), QStringLiteral("name"));
    const QCommandLineOption layoutsOpt(QStringLiteral("keyboard-layouts"),
        QStringLiteral("Keyboard layouts, e.g. \"br;us(intl)\"."), QStringLiteral("list"));
    const QCommandLineOption vkOpt(QStringLiteral("virtual-keyboard"),
        QStringLiteral("Show the on-screen keyboard: true or false."), QStringLiteral("bool"));
    const QCommandLineOption sameOpt(QStringLiteral("same-greeter"),
        QStringLiteral("Test mode: run the theme in this greeter even when its QtVersion asks for "
                       "the other one (sdvm-greeter-qt5 runs themes without QtVersion=6)."));
    parser.addOptions({testMode, themeOpt, themeDirsOpt, screenshotOpt, settleOpt, sizeOpt, reportOpt,
                       userOpt, fallbackOpt, platformOpt, defaultPlatformOpt, layoutsOpt, vkOpt,
                       sameOpt});

    // A first pass before Qt starts: the platform and the privilege drop must come first.
    QStringList args;
    for (int i = 0; i < argc; i++)
        args << QString::fromLocal8Bit(argv[i]);
    parser.parse(args);
    const bool test = parser.isSet(testMode);
    if (!test && (parser.isSet(screenshotOpt) || parser.isSet(settleOpt) || parser.isSet(sizeOpt) ||
                  parser.isSet(reportOpt))) {
        fprintf(stderr, "sdvm-greeter: --screenshot, --settle, --size and --report need --test-mode\n");
        return ExitUsage;
    }

    // Every setting comes from here: sdvmd passes sdvm.conf's [Greeter] values, already
    // validated, and any --greeter-arg after them (the last of an option given twice wins).
    GreeterSettings settings;
    QString error;
    if (parser.isSet(userOpt))
        settings.user = parser.value(userOpt);
    if (parser.isSet(themeOpt))
        settings.theme = parser.value(themeOpt);
    if (parser.isSet(themeDirsOpt)) // folders may hold a ',': only ';' separates them
        settings.themeDirs = parser.value(themeDirsOpt).split(QLatin1Char(';'), Qt::SkipEmptyParts);
    if (parser.isSet(defaultPlatformOpt))
        settings.platform = parser.value(defaultPlatformOpt);
    if (parser.isSet(layoutsOpt))
        settings.keyboardLayouts = splitList(parser.value(layoutsOpt));
    if (parser.isSet(vkOpt))
        settings.virtualKeyboard = parser.value(vkOpt) == QLatin1String("true");

    // sdvmd has chosen already (and its sandbox lets the greeter exec nothing else).
    if (test && !parser.isSet(sameOpt) && !parser.isSet(fallbackOpt))
        runChosenGreeter(argv, settings);

    if (int r = dropPrivileges(settings.user, test, &error); r < 0) {
        fprintf(stderr, "sdvm-greeter: %s\n", qPrintable(error));
        return ExitPrivileges;
    }
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    scrubEnvironment(test);

    PlatformProbe probe = PlatformProbe::system();
    probe.option = parser.value(platformOpt);
    probe.testMode = test;
    PlatformChoice platform = choosePlatform(probe, settings.platform);
    // "auto" chose eglfs because libEGL loads; make sure EGL really starts on the DRM device
    // (no EGL vendor or no DRI driver would abort eglfs and the greeter would never draw).
    if (platform.automatic && platform.name == QLatin1String("eglfs") &&
        !PlatformProbe::eglfsWorks()) {
        fprintf(stderr, "sdvm-greeter: EGL does not start on the DRM device: linuxfb instead of eglfs\n");
        probe.hasEgl = false;
        platform = choosePlatform(probe, settings.platform);
    }
    if (!platform.name.isEmpty())
        qputenv("QT_QPA_PLATFORM", platform.name.toUtf8());
    if (platform.fbDrm)
        qputenv("QT_QPA_FB_DRM", "1"); // dumb buffers on the DRM device instead of /dev/fb0
    if (!settings.keyboardLayouts.isEmpty())
        KeyboardModel::preparePlatformEnvironment(settings.keyboardLayouts);
    if (settings.virtualKeyboard)
        qputenv("QT_IM_MODULE", "qtvirtualkeyboard");
    else if (qgetenv("QT_IM_MODULE") == "qtvirtualkeyboard")
        qunsetenv("QT_IM_MODULE");

    installThemeMessageFilter(); // review H2
    QGuiApplication app(argc, argv);
    QGuiApplication::setApplicationName(QStringLiteral("sdvm-greeter"));
    QGuiApplication::setApplicationVersion(QStringLiteral(SDVM_VERSION));
    parser.process(app); // strict now: unknown options, --help, --version
#if QT_VERSION_MAJOR < 6
    // Qt 5's offscreen platform offers OpenGL but has none without an X server; Qt Quick's
    // software renderer draws there (Qt 6 manages by itself).
    if (QGuiApplication::platformName() == QLatin1String("offscreen")
        && qEnvironmentVariableIsEmpty("QT_QUICK_BACKEND"))
        QQuickWindow::setSceneGraphBackend(QSGRendererInterface::Software);
#endif

    GreeterOptions options;
    options.testMode = test;
    options.fallback = parser.isSet(fallbackOpt);
    options.screenshot = parser.value(screenshotOpt);
    options.report = parser.value(reportOpt);
    if (parser.isSet(settleOpt)) {
        bool ok = false;
        options.settleMs = parser.value(settleOpt).toInt(&ok);
        if (!ok || options.settleMs < 0 || options.settleMs > 60000) {
            fprintf(stderr, "sdvm-greeter: --settle wants milliseconds from 0 to 60000\n");
            return ExitUsage;
        }
    }
    options.platformName = QGuiApplication::platformName();
    // Review H2: no exec once a theme loads (SDVM_GREETER_ALLOW_EXEC=1 lifts it in test mode,
    // for a sanitizer's symbolizer while debugging).
    options.noExec = !(test && qEnvironmentVariableIntValue("SDVM_GREETER_ALLOW_EXEC") == 1);
    if (parser.isSet(sizeOpt)) {
        static const QRegularExpression re(QStringLiteral("^(\\d{2,5})x(\\d{2,5})$"));
        const auto m = re.match(parser.value(sizeOpt));
        if (!m.hasMatch()) {
            fprintf(stderr, "sdvm-greeter: --size wants WIDTHxHEIGHT, e.g. 1024x768\n");
            return ExitUsage;
        }
        options.size = QSize(m.captured(1).toInt(), m.captured(2).toInt());
    }
    GreeterApp greeter(settings, options);
    QObject::connect(&greeter, &GreeterApp::finished, &app, [](int status) {
        QCoreApplication::exit(status);
    }, Qt::QueuedConnection);
    if (int r = greeter.start(); r != 0)
        return r == 2 ? ExitNoScreen : r;
    return app.exec();
}
