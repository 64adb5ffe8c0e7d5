// A Qt >= 6.5 theme: QtQuick.Effects (MultiEffect) does not exist in Qt 6.4.
import QtQuick
import QtQuick.Effects
Rectangle {
    color: "black"
    MultiEffect { anchors.fill: parent; blurEnabled: true }
}
