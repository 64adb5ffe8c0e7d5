// SPDX-License-Identifier: GPL-2.0-or-later
// Issue 16, pattern 4: a theme without a user field that logs in with the user model's name
// or, when that is empty, a fallback of its own (an idiom of many published themes).
import QtQuick 2.15
Rectangle {
    width: 1280
    height: 800
    color: "#203040"
    ListView {
        id: users
        objectName: "users"
        x: 440; y: 200; width: 400; height: 60
        model: userModel
        currentIndex: userModel.lastIndex
        delegate: Text {
            readonly property string userName: model.name
            text: model.realName
            color: "white"
            font.pixelSize: 24
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
            focus: true
            onAccepted: sddm.login(users.currentItem.userName || "123test", text, sessionModel.lastIndex)
        }
    }
}
