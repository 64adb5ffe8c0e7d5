// SPDX-License-Identifier: MIT
// PasswordBox: a masked text field with a Caps Lock warning (icon, optional tooltip).
import QtQuick 2.15

FocusScope {
    id: container

    property color color: "white"
    property color borderColor: "#ababab"
    property color focusColor: "#266294"
    property color hoverColor: "#5692c4"
    property alias radius: frame.radius
    property alias font: input.font
    property alias textColor: input.color
    property alias echoMode: input.echoMode
    property alias text: input.text

    property alias image: capsImage.source
    property int imageFadeIn: 250
    property int imageFadeOut: 150
    property bool tooltipEnabled: false
    property string tooltipText: constants.capslockWarning
    property color tooltipFG: "black"
    property color tooltipBG: "#fff4c2"

    readonly property bool capsLockOn: keyboard.capsLock

    implicitWidth: 200
    implicitHeight: 30

    TextConstants { id: constants }

    Rectangle {
        id: frame
        anchors.fill: parent
        color: container.color
        border.color: container.activeFocus ? container.focusColor
                    : hover.containsMouse ? container.hoverColor : container.borderColor
        border.width: container.activeFocus ? Math.max(2, Math.round(container.height / 15)) : Math.max(1, Math.round(container.height / 40))
    }

    MouseArea {
        id: hover
        anchors.fill: parent
        hoverEnabled: true
        acceptedButtons: Qt.NoButton
        cursorShape: Qt.IBeamCursor
    }

    TextInput {
        id: input
        anchors.fill: parent
        anchors.leftMargin: Math.max(8, container.height * 0.2)
        anchors.rightMargin: Math.max(8, container.height * 0.2) + (capsIndicator.opacity > 0 ? capsIndicator.width + 4 : 0)
        verticalAlignment: TextInput.AlignVCenter
        clip: true
        focus: true
        echoMode: TextInput.Password
        passwordMaskDelay: 0
        color: "black"
        font.pixelSize: 14
        inputMethodHints: Qt.ImhSensitiveData | Qt.ImhNoPredictiveText | Qt.ImhNoAutoUppercase
    }

    Item {
        id: capsIndicator
        anchors.right: parent.right
        anchors.rightMargin: 4
        anchors.verticalCenter: parent.verticalCenter
        height: Math.max(12, parent.height - 10)
        width: height
        opacity: container.capsLockOn ? 1 : 0
        Behavior on opacity {
            NumberAnimation { duration: container.capsLockOn ? container.imageFadeIn : container.imageFadeOut }
        }

        Image {
            id: capsImage
            anchors.fill: parent
            fillMode: Image.PreserveAspectFit
            sourceSize.height: height
        }
        // Drawn warning sign when the theme gives no picture (or it cannot be loaded).
        Rectangle {
            anchors.fill: parent
            visible: capsImage.status !== Image.Ready
            radius: width / 2
            color: "#c47f00"
            Text {
                anchors.centerIn: parent
                text: "A"
                color: "white"
                font.bold: true
                font.pixelSize: parent.height * 0.7
            }
        }
        MouseArea {
            id: capsHover
            anchors.fill: parent
            hoverEnabled: true
        }
    }

    Rectangle {
        id: tooltip
        visible: container.tooltipEnabled && container.capsLockOn
                 && (capsHover.containsMouse || container.activeFocus) && container.tooltipText !== ""
        z: 100
        anchors.top: parent.bottom
        anchors.topMargin: 4
        anchors.right: parent.right
        width: tipText.implicitWidth + 16
        height: tipText.implicitHeight + 10
        color: container.tooltipBG
        border.color: container.tooltipFG
        radius: 3
        Text {
            id: tipText
            anchors.centerIn: parent
            text: container.tooltipText
            color: container.tooltipFG
            font.pixelSize: 13
        }
    }
}
