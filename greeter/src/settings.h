// SPDX-License-Identifier: GPL-2.0-or-later
// The greeter's settings, all from its command line. sdvmd, the one reader of sdvm.conf, passes
// the validated [Greeter] values as options (see sdvm-greeter(1)); the greeter, which runs other
// people's QML, never opens root's configuration.
#pragma once

#include <QString>
#include <QStringList>

namespace sdvm {

// Default theme folders: our own, then SDDM's.
QStringList defaultThemeDirs();

struct GreeterSettings {
    QString user = QStringLiteral("sdvm-greeter"); // --user: who to become when started as root
    QString theme = QStringLiteral("sdvm"); // a name (searched in themeDirs) or a folder
    QStringList themeDirs = defaultThemeDirs();
    QString platform = QStringLiteral("auto"); // --default-platform: auto, eglfs, linuxfb, ...
    bool virtualKeyboard = false;
    QStringList keyboardLayouts; // XKB "layout" or "layout(variant)"; empty: ask localed
};

// What decides the Qt platform plugin.
struct PlatformProbe {
    QString option;      // --platform
    QString environment; // QT_QPA_PLATFORM
    bool hasDisplay = false; // DISPLAY or WAYLAND_DISPLAY set
    bool hasDrm = false;     // a /dev/dri/card* device
    bool hasEgl = false;     // libEGL.so.1 loads
    bool testMode = false;
    static PlatformProbe system(); // environment, devices and libraries of this machine
    // Whether eglfs can really start here: its plugin is installed and EGL initialises on the
    // first DRM device through GBM (tried in a child process; costs one EGL start-up).
    static bool eglfsWorks();
};
struct PlatformChoice {
    QString name;        // for QT_QPA_PLATFORM; "" leaves Qt's own default
    bool fbDrm = false;  // linuxfb on DRM dumb buffers (QT_QPA_FB_DRM=1)
    bool automatic = false; // chosen by "auto" (not by an option, the environment or sdvm.conf)
};
// --platform, then QT_QPA_PLATFORM, then the configured default (--default-platform, which
// sdvmd sets from [Greeter] Platform), where "auto" means eglfs (DRM/KMS through EGL), or
// linuxfb when there is no EGL or no DRM device. In test mode the default is a window on the
// desktop (a screenshot too: there Qt Quick draws with GL), or offscreen without a display.
PlatformChoice choosePlatform(const PlatformProbe &probe, const QString &configured);

} // namespace sdvm
