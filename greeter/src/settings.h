// SPDX-License-Identifier: GPL-2.0-or-later
// The greeter's settings: sdvm.conf [Greeter] overridden by the command line.
#pragma once

#include <QString>
#include <QStringList>

namespace sdvm {

struct GreeterSettings {
    QString configPath;          // the sdvm.conf that was read ("" if none)
    QString user = QStringLiteral("sdvm-greeter");
    QString theme = QStringLiteral("sdvm"); // a name (searched in themeDirs) or a folder
    QStringList themeDirs;
    QString platform = QStringLiteral("auto"); // auto, eglfs, linuxfb, offscreen, xcb, vnc, ...
    bool virtualKeyboard = false;
    QStringList keyboardLayouts; // XKB "layout" or "layout(variant)"; empty: ask localed
    QStringList powerActions = {QStringLiteral("poweroff"), QStringLiteral("reboot")};
    QStringList warnings;        // problems found in the file (the greeter still starts)
};

// What decides the Qt platform plugin.
struct PlatformProbe {
    QString option;      // --platform
    QString environment; // QT_QPA_PLATFORM
    bool hasDisplay = false; // DISPLAY or WAYLAND_DISPLAY set
    bool hasDrm = false;     // a /dev/dri/card* device
    bool hasEgl = false;     // libEGL.so.1 loads
    bool testMode = false;
    bool screenshot = false;
    static PlatformProbe system(); // environment, devices and libraries of this machine
};
struct PlatformChoice {
    QString name;        // for QT_QPA_PLATFORM; "" leaves Qt's own default
    bool fbDrm = false;  // linuxfb on DRM dumb buffers (QT_QPA_FB_DRM=1)
};
// The command line, then QT_QPA_PLATFORM, then sdvm.conf's Platform, where "auto" means eglfs
// (DRM/KMS through EGL), or linuxfb when there is no EGL or no DRM device. In test mode the
// default is a window on the desktop, or offscreen without a display or for a screenshot.
PlatformChoice choosePlatform(const PlatformProbe &probe, const QString &configured);

// Default theme folders: our own, then SDDM's.
QStringList defaultThemeDirs();

// Read the [Greeter] section of an sdvm.conf (GLib key-file syntax: '#' comments, ';' lists,
// \s \n \t \r \\ \; escapes). A missing file is not an error (defaults apply). Returns false
// with *error set ("FILE:LINE: message") only when the file exists but cannot be read.
// Unknown keys and bad values become warnings: sdvmd's own parser is the authority and has
// already refused a broken file before starting the greeter.
bool loadGreeterSettings(const QString &path, GreeterSettings *settings, QString *error);

// Split a key-file list value into its items (unescaping, dropping empty items).
QStringList splitKeyFileList(const QString &raw);
// Unescape a key-file string value.
QString unescapeKeyFileValue(const QString &raw);

} // namespace sdvm
