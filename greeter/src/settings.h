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
