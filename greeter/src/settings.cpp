// SPDX-License-Identifier: GPL-2.0-or-later
// How the greeter chooses its Qt platform, and where it looks for themes.
#include "settings.h"

#include <QFile>
#include <QLibraryInfo>

#include <cerrno>
#include <dlfcn.h>
#include <fcntl.h>
#include <glob.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SDVM_DATADIR
#error "SDVM_DATADIR must be defined by the build"
#endif

namespace sdvm {

// Whether EGL really comes up on the DRM device (through GBM, as Qt's eglfs_kms does), tried
// in a child process. A libEGL that loads is not enough: without an EGL vendor or a DRI driver
// for the GPU, eglfs aborts at start and the greeter would never draw (seen in the terminal
// VM tier with Mesa's vendor file missing). One fork and one EGL initialisation.
static bool
eglWorksOn(const char *card)
{
    const pid_t pid = fork();
    if (pid < 0)
        return true; // cannot tell: let eglfs try
    if (pid == 0) {
        alarm(30);
        void *gbm = dlopen("libgbm.so.1", RTLD_NOW | RTLD_LOCAL);
        void *egl = dlopen("libEGL.so.1", RTLD_NOW | RTLD_LOCAL);
        if (!gbm || !egl)
            _exit(1);
        using CreateDevice = void *(*)(int);
        using GetDisplay = void *(*)(void *);
        using Initialize = unsigned (*)(void *, int *, int *);
        auto create = reinterpret_cast<CreateDevice>(dlsym(gbm, "gbm_create_device"));
        auto getDisplay = reinterpret_cast<GetDisplay>(dlsym(egl, "eglGetDisplay"));
        auto initialize = reinterpret_cast<Initialize>(dlsym(egl, "eglInitialize"));
        const int fd = open(card, O_RDWR | O_CLOEXEC);
        if (!create || !getDisplay || !initialize || fd < 0)
            _exit(1);
        void *device = create(fd);
        void *display = device ? getDisplay(device) : nullptr;
        int major = 0, minor = 0;
        _exit(display && initialize(display, &major, &minor) ? 0 : 1);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

PlatformProbe
PlatformProbe::system()
{
    PlatformProbe p;
    p.environment = qEnvironmentVariable("QT_QPA_PLATFORM");
    p.hasDisplay = !qEnvironmentVariableIsEmpty("DISPLAY") || !qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY");
    glob_t g = {};
    p.hasDrm = glob("/dev/dri/card[0-9]*", 0, nullptr, &g) == 0 && g.gl_pathc > 0;
    globfree(&g);
    if (void *h = dlopen("libEGL.so.1", RTLD_LAZY | RTLD_LOCAL)) {
        p.hasEgl = true;
        dlclose(h);
    }
    return p;
}

bool
PlatformProbe::eglfsWorks()
{
    const QString plugin =
        QLibraryInfo::path(QLibraryInfo::PluginsPath) + QStringLiteral("/platforms/libqeglfs.so");
    if (!QFile::exists(plugin))
        return false;
    glob_t g = {};
    bool ok = false;
    if (glob("/dev/dri/card[0-9]*", 0, nullptr, &g) == 0 && g.gl_pathc > 0)
        ok = eglWorksOn(g.gl_pathv[0]); // eglfs_kms opens the first card too
    globfree(&g);
    return ok;
}

PlatformChoice
choosePlatform(const PlatformProbe &p, const QString &configured)
{
    if (!p.option.isEmpty())
        return {p.option, false};
    if (!p.environment.isEmpty())
        return {p.environment, false};
    if (p.testMode) {
        if (!p.hasDisplay || p.screenshot)
            return {QStringLiteral("offscreen"), false};
        return {QString(), false};
    }
    if (configured != QLatin1String("auto") && !configured.isEmpty())
        return {configured, false};
    if (p.hasDrm && p.hasEgl)
        return {QStringLiteral("eglfs"), false, true};
    return {QStringLiteral("linuxfb"), p.hasDrm, true};
}

QStringList
defaultThemeDirs()
{
    return {QStringLiteral(SDVM_DATADIR "/themes"), QStringLiteral("/usr/share/sddm/themes")};
}

} // namespace sdvm
