// SPDX-License-Identifier: GPL-2.0-or-later
// How the greeter chooses its Qt platform, and where it looks for themes.
#include "settings.h"

#include <dlfcn.h>
#include <glob.h>

#ifndef SDVM_DATADIR
#error "SDVM_DATADIR must be defined by the build"
#endif

namespace sdvm {

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
        return {QStringLiteral("eglfs"), false};
    return {QStringLiteral("linuxfb"), p.hasDrm};
}

QStringList
defaultThemeDirs()
{
    return {QStringLiteral(SDVM_DATADIR "/themes"), QStringLiteral("/usr/share/sddm/themes")};
}

} // namespace sdvm
