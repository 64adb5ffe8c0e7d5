// SPDX-License-Identifier: MIT
// ComboBox: a closed box showing the current row and a drop-down Menu of all rows.
// Keyboard: Up/Down change the choice; Return, Enter or Space open the list; in the open list
// Up/Down move, Return/Enter/Space choose, Escape closes. rowDelegate receives `modelItem`.
import QtQuick 2.15
import QtQml.Models 2.15

FocusScope {
    id: combo

    property color color: "white"
    property color borderColor: "#ababab"
    property color focusColor: "#266294"
    property color hoverColor: "#5692c4"
    property color menuColor: "white"
    property color textColor: "black"
    property int borderWidth: 1
    property font font
    property var model
    property int index: 0
    property color arrowColor: "white"
    property alias arrowIcon: arrow.source
    property Component rowDelegate: defaultRowDelegate

    readonly property bool opened: menu.visible
    readonly property int count: rows.count
    // The model object of the current row (roles as properties), or null.
    readonly property var currentItem: (rows.count, combo.index >= 0 && combo.index < rows.count)
                                       ? rows.objectAt(combo.index).item : null

    signal valueChanged(int id)

    implicitWidth: 180
    implicitHeight: 30
    font.pixelSize: 14

    Component {
        id: defaultRowDelegate
        Text {
            anchors.fill: parent
            anchors.leftMargin: Math.max(8, height * 0.25)
            anchors.rightMargin: 8
            verticalAlignment: Text.AlignVCenter
            elide: Text.ElideRight
            color: combo.textColor
            font: combo.font
            text: modelItem && modelItem.name !== undefined ? modelItem.name : ""
        }
    }

    // One light object per row so the closed box can show the current row's roles.
    Instantiator {
        id: rows
        model: combo.model
        delegate: QtObject {
            required property var model
            readonly property var item: model
        }
    }

    function toggle() {
        if (menu.visible)
            close(false)
        else
            open()
    }

    function open() {
        if (rows.count === 0)
            return
        menu.index = Math.max(0, Math.min(combo.index, rows.count - 1))
        // Open upwards when the list would leave the window.
        var bottom = combo.mapToItem(null, 0, combo.height + menu.implicitHeight).y
        var windowHeight = combo.Window.height > 0 ? combo.Window.height : bottom
        menu.y = (bottom > windowHeight && combo.mapToItem(null, 0, 0).y > menu.implicitHeight)
                 ? -menu.implicitHeight : combo.height
        menu.visible = true
        combo.forceActiveFocus()
    }

    function close(update) {
        if (update && menu.index !== combo.index && menu.index >= 0) {
            combo.index = menu.index
            combo.valueChanged(combo.index)
        }
        menu.visible = false
    }

    function step(delta) {
        var next = Math.max(0, Math.min(rows.count - 1, combo.index + delta))
        if (next !== combo.index && rows.count > 0) {
            combo.index = next
            combo.valueChanged(next)
        }
    }

    onActiveFocusChanged: if (!activeFocus && menu.visible) close(false)

    Rectangle {
        id: box
        anchors.fill: parent
        color: combo.color
        border.width: combo.activeFocus ? Math.max(2, combo.borderWidth) : combo.borderWidth
        border.color: combo.activeFocus ? combo.focusColor
                    : boxArea.containsMouse ? combo.hoverColor : combo.borderColor
        clip: true

        Loader {
            id: current
            anchors.left: parent.left
            anchors.right: arrowBox.left
            anchors.top: parent.top
            anchors.bottom: parent.bottom
            anchors.margins: box.border.width
            property var modelItem: combo.currentItem
            sourceComponent: combo.rowDelegate
        }

        Rectangle {
            id: arrowBox
            anchors.right: parent.right
            anchors.top: parent.top
            anchors.bottom: parent.bottom
            anchors.margins: box.border.width
            width: height
            color: combo.arrowColor

            Image {
                id: arrow
                anchors.fill: parent
                anchors.margins: 2
                fillMode: Image.Pad
                horizontalAlignment: Image.AlignHCenter
                verticalAlignment: Image.AlignVCenter
            }
            Text {
                anchors.centerIn: parent
                visible: arrow.status !== Image.Ready
                text: "\u25BE"
                color: combo.textColor
                font.pixelSize: Math.max(10, parent.height * 0.6)
            }
        }

        MouseArea {
            id: boxArea
            anchors.fill: parent
            hoverEnabled: true
            cursorShape: Qt.PointingHandCursor
            onClicked: combo.toggle()
        }
    }

    Menu {
        id: menu
        visible: false
        z: 100
        width: combo.width
        height: implicitHeight
        model: combo.model
        itemHeight: Math.max(combo.height, 24)
        color: combo.menuColor
        border.color: combo.focusColor
        hoverColor: combo.hoverColor
        textColor: combo.textColor
        font: combo.font
        rowDelegate: combo.rowDelegate
        onChosen: function (row) {
            menu.index = row
            combo.close(true)
        }
    }

    Keys.onPressed: function (event) {
        var key = event.key
        if (menu.visible) {
            if (key === Qt.Key_Up) {
                menu.index = Math.max(0, menu.index - 1)
            } else if (key === Qt.Key_Down) {
                menu.index = Math.min(rows.count - 1, menu.index + 1)
            } else if (key === Qt.Key_Return || key === Qt.Key_Enter || key === Qt.Key_Space) {
                combo.close(true)
            } else if (key === Qt.Key_Escape) {
                combo.close(false)
            } else {
                return
            }
            event.accepted = true
        } else if (key === Qt.Key_Up) {
            combo.step(-1)
            event.accepted = true
        } else if (key === Qt.Key_Down) {
            combo.step(1)
            event.accepted = true
        } else if (key === Qt.Key_Space || key === Qt.Key_Return || key === Qt.Key_Enter) {
            combo.open()
            event.accepted = true
        }
    }
}
