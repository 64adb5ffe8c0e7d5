// SPDX-License-Identifier: GPL-2.0-or-later
// The optional on-screen keyboard ([Greeter] VirtualKeyboard=true). It appears only while a
// text field has the focus, and the status layer slides the theme up so the field stays
// visible above it.
import QtQuick 2.15
import QtQuick.Window 2.15 // Window (Qt 5 has it there; Qt 6 in QtQuick too)
import QtQuick.VirtualKeyboard 2.15

InputPanel {
    id: panel
    objectName: "sdvmVirtualKeyboard"
    width: parent ? parent.width : 0
    visible: active

    // A field may have had the focus before the panel existed (the theme sets it at start).
    Component.onCompleted: {
        var f = Window.activeFocusItem
        if (f && (f.inputMethodHints !== undefined || f.echoMode !== undefined))
            Qt.inputMethod.show()
    }
}
