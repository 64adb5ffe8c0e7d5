// SPDX-License-Identifier: GPL-2.0-or-later
// Issue 16, pattern 2: a Qt 5-era theme (no QtVersion in metadata.desktop) whose own fields
// are Qt Quick Controls 2; only its helper components/Fader.qml imports Controls 1, unused.
import QtQuick 2.15
import QtQuick.Controls 2.15
import "components"

Rectangle {
    id: root
    width: 1280
    height: 800
    color: "black"

    Fader {
        objectName: "fader"
        anchors.fill: parent
    }
    Text {
        objectName: "banner"
        text: "Dead Controls 1 import"
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
            focus: true
            KeyNavigation.tab: password
        }
        TextField {
            id: password
            objectName: "password"
            width: 400
            placeholderText: "password"
            echoMode: TextInput.Password
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
