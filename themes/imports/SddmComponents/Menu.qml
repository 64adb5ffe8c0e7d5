// SPDX-License-Identifier: MIT
// Menu: the drop-down list of a ComboBox (rows of itemHeight; index is the highlighted row).
import QtQuick 2.15

Rectangle {
    id: menu

    property int itemHeight: 30
    property var model
    property int index: 0
    property Component rowDelegate: defaultRow
    property color hoverColor: "#5692c4"
    property color textColor: "black"
    property font font
    readonly property int count: list.count

    signal chosen(int index)

    color: "white"
    border.color: "#ababab"
    border.width: 1
    clip: true
    implicitWidth: 180
    implicitHeight: list.count * itemHeight + 2 * border.width

    Component {
        id: defaultRow
        Text {
            anchors.fill: parent
            anchors.leftMargin: Math.max(8, height * 0.25)
            anchors.rightMargin: 8
            verticalAlignment: Text.AlignVCenter
            elide: Text.ElideRight
            color: menu.textColor
            font: menu.font
            text: modelItem && modelItem.name !== undefined ? modelItem.name : ""
        }
    }

    ListView {
        id: list
        anchors.fill: parent
        anchors.margins: menu.border.width
        model: menu.model
        currentIndex: menu.index
        boundsBehavior: Flickable.StopAtBounds
        interactive: contentHeight > height

        delegate: Rectangle {
            id: row
            required property int index
            required property var model
            width: ListView.view.width
            height: menu.itemHeight
            color: (row.index === menu.index || area.containsMouse) ? menu.hoverColor : "transparent"

            Loader {
                anchors.fill: parent
                property var modelItem: row.model
                sourceComponent: menu.rowDelegate
            }

            MouseArea {
                id: area
                anchors.fill: parent
                hoverEnabled: true
                onClicked: menu.chosen(row.index)
            }
        }
    }
}
