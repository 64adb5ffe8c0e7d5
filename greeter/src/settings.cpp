// SPDX-License-Identifier: GPL-2.0-or-later
// How the greeter chooses its Qt platform, and where it looks for themes.
#include "settings.h"
#include "qtcompat.h"

#include <QFile>
#include <QLibraryInfo>

#include <cerrno>
#include <cstdint>
#include <cstdio>
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
// for the GPU, eglfs aborts at start and the greeter would never draw. Only a definite "no"
// counts: a probe that cannot run, or takes longer than a slow start (llvmpipe under TCG
// needs tens of seconds), leaves the choice to eglfs. Returns the child's reason, 0 = works.
static int
eglProbe(const char *card)
{
    const pid_t pid = fork();
    if (pid < 0)
        return 0;
    if (pid == 0) {
        alarm(120);
        void *gbm = dlopen("libgbm.so.1", RTLD_NOW | RTLD_LOCAL);
        void *egl = dlopen("libEGL.so.1", RTLD_NOW | RTLD_LOCAL);
        if (!gbm || !egl)
            _exit(2);
        using CreateDevice = void *(*)(int);
        using GetPlatformDisplay = void *(*)(unsigned, void *, const intptr_t *);
        using Initialize = unsigned (*)(void *, int *, int *);
        auto create = reinterpret_cast<CreateDevice>(dlsym(gbm, "gbm_create_device"));
        auto getDisplay =
            reinterpret_cast<GetPlatformDisplay>(dlsym(egl, "eglGetPlatformDisplay"));
        auto initialize = reinterpret_cast<Initialize>(dlsym(egl, "eglInitialize"));
        if (!create || !getDisplay || !initialize)
            _exit(3);
        const int fd = open(card, O_RDWR | O_CLOEXEC);
        void *device = fd >= 0 ? create(fd) : nullptr;
        if (!device)
            _exit(4);
        const unsigned platformGbm = 0x31D7; // EGL_PLATFORM_GBM_KHR
        void *display = getDisplay(platformGbm, device, nullptr);
        if (!display)
            _exit(5);
        int major = 0, minor = 0;
        _exit(initialize(display, &major, &minor) ? 0 : 6);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 0;
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
        qtDir(QtDir::Plugins) + QStringLiteral("/platforms/libqeglfs.so");
    if (!QFile::exists(plugin))
        return false;
    glob_t g = {};
    int reason = 4;
    if (glob("/dev/dri/card[0-9]*", 0, nullptr, &g) == 0 && g.gl_pathc > 0)
        reason = eglProbe(g.gl_pathv[0]); // eglfs_kms opens the first card too
    globfree(&g);
    if (reason != 0) {
        static const char *const why[] = {"", "", "libEGL or libgbm does not load",
                                          "no EGL 1.5 or GBM entry points", "no GBM device",
                                          "no EGL display on GBM", "eglInitialize failed"};
        fprintf(stderr, "sdvm-greeter: eglfs cannot start: %s\n",
                reason < 7 ? why[reason] : "probe failed");
    }
    return reason == 0;
}

PlatformChoice
choosePlatform(const PlatformProbe &p, const QString &configured)
{
    if (!p.option.isEmpty())
        return {p.option, false};
    if (!p.environment.isEmpty())
        return {p.environment, false};
    if (p.testMode) {
        // A themer's window, or a shot: on a display Qt Quick draws with GL (Xvfb has GLX), so
        // shader effects are in the screenshot; offscreen draws without them.
        if (!p.hasDisplay)
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
