// SPDX-License-Identifier: GPL-2.0-or-later
// Issue 16, pattern 4: a theme without a user field whose password field asks for the
// keyboard (focus: true, at completion, and again whenever its window becomes active: on
// xcb the window is activated after the first frame, when the greeter's field has the focus).
import QtQuick 2.15
import QtQuick.Window 2.15
Rectangle {
    width: 1280
    height: 800
    color: "#203020"
    Rectangle {
        x: 440; y: 300; width: 400; height: 40
        color: "white"
        TextInput {
            id: password
            objectName: "password"
            anchors.fill: parent
            anchors.margins: 8
            echoMode: TextInput.Password
            focus: true
            Component.onCompleted: forceActiveFocus()
            Connections {
                target: password.Window.window
                function onActiveChanged() {
                    if (password.Window.window.active)
                        password.forceActiveFocus()
                }
            }
            onAccepted: sddm.login(userModel.data(userModel.index(0, 0), Qt.UserRole + 1), text,
                                   sessionModel.lastIndex)
        }
    }
}
