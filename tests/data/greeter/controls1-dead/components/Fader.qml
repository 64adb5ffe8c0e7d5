// SPDX-License-Identifier: GPL-2.0-or-later
// Issue 16, pattern 2: a helper that imports Qt Quick Controls 1 and its styles and uses
// neither (a leftover, as in many themes derived from Plasma 5's login screen). Qt 6 has no
// such module: the import alone fails there; Qt 5 loads it and nothing else changes.
import QtQuick 2.15
import QtQuick.Controls 1.4
import QtQuick.Controls.Styles 1.4

Rectangle {
    id: fader
    property bool shown: false
    color: "#0e3b43"
    opacity: shown ? 1 : 0
    Behavior on opacity { NumberAnimation { duration: 250 } }
    Component.onCompleted: shown = true
}
