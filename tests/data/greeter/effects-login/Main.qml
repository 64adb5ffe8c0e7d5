// SPDX-License-Identifier: GPL-2.0-or-later
// Issue 16, pattern 1: a theme written for Qt >= 6.5 (QtQuick.Effects' MultiEffect) with a
// password field of its own. Qt 6.4 refuses it (the fallback theme takes the login); a newer
// Qt shows it, and the greeter's own user field joins its password field.
import QtQuick
import QtQuick.Effects
Rectangle {
    width: 1280
    height: 800
    color: "#202030"
    Rectangle {
        id: glow
        x: 440; y: 300; width: 400; height: 40
        color: "white"
        TextInput {
            objectName: "password"
            anchors.fill: parent
            anchors.margins: 8
            echoMode: TextInput.Password
            onAccepted: sddm.login(userModel.data(userModel.index(0, 0), Qt.UserRole + 1), text,
                                   sessionModel.lastIndex)
        }
    }
    MultiEffect {
        source: glow
        anchors.fill: glow
        shadowEnabled: true
    }
}
