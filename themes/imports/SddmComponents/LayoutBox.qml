// SPDX-License-Identifier: MIT
// LayoutBox: the keyboard layout chooser, bound to the greeter's `keyboard` object.
import QtQuick 2.15

ComboBox {
    id: layoutBox

    model: keyboard.layouts
    index: keyboard.currentLayout
    enabled: keyboard.enabled

    onValueChanged: function (id) { keyboard.currentLayout = id }

    Connections {
        target: keyboard
        function onCurrentLayoutChanged() { layoutBox.index = keyboard.currentLayout }
    }

    rowDelegate: Component {
        Text {
            anchors.fill: parent
            anchors.leftMargin: Math.max(8, height * 0.25)
            anchors.rightMargin: 4
            verticalAlignment: Text.AlignVCenter
            elide: Text.ElideRight
            color: layoutBox.textColor
            font: layoutBox.font
            text: modelItem && modelItem.modelData ? modelItem.modelData.shortName : ""
        }
    }
}
