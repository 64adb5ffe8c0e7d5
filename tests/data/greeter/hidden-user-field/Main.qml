// SPDX-License-Identifier: GPL-2.0-or-later
// Issue 16, pattern 4: a theme with a manual-login user field kept at opacity 0 (shown only
// when the person asks for it) and a password field; it logs in with that field's text.
import QtQuick 2.15
Rectangle {
    width: 1280
    height: 800
    color: "#302030"
    property bool manual: false
    Rectangle {
        x: 440; y: 240; width: 400; height: 40
        color: "white"
        opacity: manual ? 1 : 0
        TextInput {
            id: name
            objectName: "hiddenName"
            anchors.fill: parent
            anchors.margins: 8
        }
    }
    Rectangle {
        x: 440; y: 300; width: 400; height: 40
        color: "white"
        TextInput {
            id: password
            objectName: "password"
            anchors.fill: parent
            anchors.margins: 8
            echoMode: TextInput.Password
            onAccepted: sddm.login(name.text, text, sessionModel.lastIndex)
        }
    }
}
