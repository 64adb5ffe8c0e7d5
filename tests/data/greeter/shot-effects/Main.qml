// The themers' tools (issue 16): what --screenshot shows of a theme's effects and animations.
//   a red panel that a layer.effect colours green: green with GL, missing without
//   a blue square fading in over 600 ms: present only once the shot waits for it (--settle)
//   three delegates whose binding fails the same way: one warning, counted three times
import QtQuick 2.15
import Qt5Compat.GraphicalEffects

Rectangle {
    width: 800
    height: 600
    color: "#202020"

    Rectangle {
        anchors.centerIn: parent
        width: 300
        height: 200
        color: "#ff0000"
        layer.enabled: true
        layer.effect: ColorOverlay { color: "#00ff00" }
    }

    Rectangle {
        x: 20
        y: 20
        width: 100
        height: 100
        color: "#0000ff"
        opacity: 0
        NumberAnimation on opacity { from: 0; to: 1; duration: 600 }
    }

    Repeater {
        model: 3
        Item { width: noSuchObject.width }
    }
}
