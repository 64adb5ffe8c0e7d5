// SPDX-License-Identifier: MIT
// Button: a flat push button. Space (and Return/Enter) activate it from the keyboard.
import QtQuick 2.15

Rectangle {
    id: button

    property color borderColor: "#0d4f73"
    property color textColor: "white"
    property color disabledColor: "#7f8a93"
    property color activeColor: "#2178a8"
    property color pressedColor: "#0d4f73"
    property alias font: label.font
    property alias text: label.text

    property bool spaceDown: false
    property bool isFocused: activeFocus || mouse.containsMouse
    property bool isPressed: spaceDown || mouse.pressed

    signal pressed()
    signal released()
    signal clicked()

    implicitWidth: label.implicitWidth + 24
    implicitHeight: label.implicitHeight + 12

    color: "#2b6f96"
    border.color: activeFocus ? "#ffd23f" : borderColor
    border.width: activeFocus ? 2 : 1
    radius: 2
    activeFocusOnTab: true

    Rectangle {
        id: shade
        anchors.fill: parent
        radius: parent.radius
        color: !button.enabled ? button.disabledColor
             : button.isPressed ? button.pressedColor
             : button.isFocused ? button.activeColor : "transparent"
        border.color: button.border.color
        border.width: button.border.width
    }

    Text {
        id: label
        anchors.centerIn: parent
        color: button.textColor
        font.pixelSize: 14
        elide: Text.ElideRight
        width: Math.min(implicitWidth, button.width - 8)
        horizontalAlignment: Text.AlignHCenter
    }

    MouseArea {
        id: mouse
        anchors.fill: parent
        hoverEnabled: true
        enabled: button.enabled
        cursorShape: Qt.PointingHandCursor
        onPressed: { button.focus = true; button.pressed() }
        onReleased: button.released()
        onClicked: button.clicked()
    }

    function activationKey(key) {
        return key === Qt.Key_Space || key === Qt.Key_Return || key === Qt.Key_Enter
    }

    Keys.onPressed: function (event) {
        if (activationKey(event.key) && !event.isAutoRepeat && button.enabled) {
            button.spaceDown = true
            button.pressed()
            event.accepted = true
        }
    }
    Keys.onReleased: function (event) {
        if (activationKey(event.key) && !event.isAutoRepeat && button.spaceDown) {
            button.spaceDown = false
            button.released()
            button.clicked()
            event.accepted = true
        }
    }
}
