// SPDX-License-Identifier: MIT
// ImageButton: a picture that acts as a button (power actions, arrows).
import QtQuick 2.15

Image {
    id: button

    property bool spaceDown: false
    property bool isFocused: activeFocus || mouse.containsMouse
    property bool isPressed: spaceDown || mouse.pressed

    signal pressed()
    signal released()
    signal clicked()

    activeFocusOnTab: true
    fillMode: Image.PreserveAspectFit
    opacity: !enabled ? 0.4 : isPressed ? 0.6 : isFocused ? 1.0 : 0.85

    Rectangle {
        // Keyboard focus ring: a theme's picture cannot show focus by itself.
        anchors.fill: parent
        anchors.margins: -2
        color: "transparent"
        border.color: "#ffd23f"
        border.width: 2
        radius: 3
        visible: button.activeFocus
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
