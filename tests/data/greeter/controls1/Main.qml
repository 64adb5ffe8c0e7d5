// SPDX-License-Identifier: GPL-2.0-or-later
// Issue 16, pattern 2: a Qt 5-era theme (no QtVersion in metadata.desktop) whose own user and
// password fields are Qt Quick Controls 1 TextFields styled with TextFieldStyle. Qt 6 removed
// Controls 1: the Qt 6 greeter shows its fallback theme; sdvm-greeter-qt5 shows this one.
import QtQuick 2.15
import QtQuick.Controls 1.4
import QtQuick.Controls.Styles 1.4

Rectangle {
    id: root
    width: 1280
    height: 800
    color: "#2b1d3a"

    Component {
        id: fieldStyle
        TextFieldStyle {
            textColor: "#1b1b1b"
            placeholderTextColor: "#7a7a7a"
            background: Rectangle {
                radius: 6
                color: control.activeFocus ? "#fff6d5" : "#f0f0f0"
                border.color: control.activeFocus ? "#e0a000" : "#909090"
                border.width: 2
                implicitWidth: 400
                implicitHeight: 44
            }
        }
    }

    Text {
        objectName: "banner"
        text: "Controls 1 theme"
        color: "#f0d080"
        font.pixelSize: 32
        x: 440; y: 150
    }
    Column {
        x: 440; y: 230
        spacing: 16
        TextField {
            id: user
            objectName: "user"
            width: 400
            placeholderText: "user@realm"
            style: fieldStyle
            focus: true
            KeyNavigation.tab: password
        }
        TextField {
            id: password
            objectName: "password"
            width: 400
            placeholderText: "password"
            echoMode: TextInput.Password
            style: fieldStyle
            onAccepted: sddm.login(user.text, password.text, sessionModel.lastIndex)
        }
        Text {
            id: message
            color: "white"
            font.pixelSize: 18
        }
    }
    Connections {
        target: sddm
        function onLoginFailed() {
            password.text = ""
            message.text = "Login failed"
        }
    }
}
