// SPDX-License-Identifier: MIT
// PictureBox: one person's card (picture, name, and in the "active" state a password field).
// Return in the password field emits login().
import QtQuick 2.15

FocusScope {
    id: box

    property alias name: nameLabel.text
    property alias icon: avatar.source
    property alias password: passwordField.text
    property bool showPassword: true

    signal login()

    width: 150
    height: 185
    clip: true

    states: State {
        name: "active"
        PropertyChanges { target: box; height: 225 }
    }

    Rectangle {
        anchors.fill: parent
        color: box.activeFocus ? "#33ffffff" : "transparent"
        border.color: box.activeFocus ? "#ffd23f" : "transparent"
        border.width: 2
        radius: 4
    }

    Column {
        anchors.top: parent.top
        anchors.topMargin: 10
        anchors.horizontalCenter: parent.horizontalCenter
        spacing: 8

        Image {
            id: avatar
            anchors.horizontalCenter: parent.horizontalCenter
            width: 100
            height: 100
            sourceSize.width: 100
            sourceSize.height: 100
            fillMode: Image.PreserveAspectFit
        }

        Text {
            id: nameLabel
            anchors.horizontalCenter: parent.horizontalCenter
            width: box.width - 10
            horizontalAlignment: Text.AlignHCenter
            elide: Text.ElideRight
            color: "white"
            style: Text.Outline
            styleColor: "#80000000"
            font.pixelSize: 16
        }

        PasswordBox {
            id: passwordField
            anchors.horizontalCenter: parent.horizontalCenter
            width: box.width - 20
            height: 30
            visible: box.state === "active" && box.showPassword
            focus: true

            Keys.onPressed: function (event) {
                if (event.key === Qt.Key_Return || event.key === Qt.Key_Enter) {
                    box.login()
                    event.accepted = true
                }
            }
        }
    }

    Keys.onPressed: function (event) {
        // A card without a password field logs in on Return as well.
        if ((event.key === Qt.Key_Return || event.key === Qt.Key_Enter) && !passwordField.visible) {
            box.login()
            event.accepted = true
        }
    }
}
