// SPDX-License-Identifier: GPL-2.0-or-later
// Issue 16: Qt 6 imports (versionless QtQuick, Qt5Compat) without QtVersion=6: the theme goes to
// the Qt 5 greeter, which refuses it with a reason that names the fix.
import QtQuick
import Qt5Compat.GraphicalEffects
Rectangle {
    color: "#103020"
    Text { text: "qt6-port"; color: "white" }
}
