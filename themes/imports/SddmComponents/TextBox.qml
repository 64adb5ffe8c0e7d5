// SPDX-License-Identifier: MIT
// TextBox: a one-line text field (the user name in most themes).
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

    implicitWidth: 200
    implicitHeight: 30

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
        anchors.rightMargin: Math.max(8, container.height * 0.2)
        verticalAlignment: TextInput.AlignVCenter
        clip: true
        focus: true
        selectByMouse: true
        color: "black"
        font.pixelSize: 14
    }
}
