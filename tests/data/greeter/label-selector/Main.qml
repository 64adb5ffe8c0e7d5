// SPDX-License-Identifier: GPL-2.0-or-later
// Issue 16, pattern 6: the layout of the Sugar family (the most-copied SDDM design), in our own
// words. A Controls 2 Pane; a form above a full-screen MouseArea that takes the focus; a Column
// that a layout gives less height than its content; at its bottom an image selector that is a
// ComboBox with no size of its own inside an Item shorter than it, the label its contentItem,
// its indicator hidden and its background a 0-height line anchored under it. The person opens
// the selector by clicking its label. No QtVersion: Qt 5-era, so it runs in both greeters.
// The positions are fixed (pixels) so that the test knows where to click in a 1280x800 window:
//   user field 100..500 x 300..340, password 350..390, login button 400..440,
//   selector label from y 450, its list from y 480 in rows of 30 (the second row 510..540).
// Beside the form, two more Sugar habits: a disabled Button with palette.button "transparent"
// (Qt 5's style draws nothing; Qt 6's Fusion a black box) and a RoundButton whose black icon
// takes the colour of palette.buttonText (Qt 5's style tints it; Fusion leaves it black).
import QtQuick 2.15
import QtQuick.Controls 2.15
import QtQuick.Layouts 1.15

Pane {
    id: root
    padding: 0
    focus: true
    palette.button: "transparent"
    palette.text: "#f5deb3"
    palette.buttonText: "#f5deb3"
    palette.window: "#101010"
    font.pixelSize: 14

    ColumnLayout {
        anchors.fill: parent
        z: 1
        spacing: 0

        Column {
            id: form
            Layout.alignment: Qt.AlignTop | Qt.AlignLeft
            Layout.topMargin: 300
            Layout.leftMargin: 100
            Layout.preferredWidth: 400
            Layout.preferredHeight: 40 // less than its content, as in the Sugar themes
            spacing: 10

            TextField {
                id: user
                objectName: "labelSelectorUser"
                width: parent.width
                height: 40
                focus: true
                placeholderText: "user@realm"
                KeyNavigation.tab: password
            }
            TextField {
                id: password
                width: parent.width
                height: 40
                echoMode: TextInput.Password
            }
            Button {
                id: loginButton
                width: parent.width
                height: 40
                text: "Log in"
                onClicked: sddm.login(user.text, password.text, selector.currentIndex)
            }
            Item {
                width: parent.width / 2
                height: 12 // shorter than the selector in it

                ComboBox {
                    id: selector
                    objectName: "labelSelector"
                    anchors.left: parent.left
                    hoverEnabled: true
                    model: sessionModel
                    currentIndex: model.lastIndex
                    textRole: "name"

                    indicator: Item { visible: false }
                    contentItem: Text {
                        id: label
                        text: "Image: " + selector.displayText
                        color: root.palette.text
                        verticalAlignment: Text.AlignVCenter
                        anchors.left: parent.left
                        anchors.leftMargin: 3
                        font.pixelSize: 14
                    }
                    background: Rectangle {
                        color: "transparent"
                        border.width: selector.visualFocus ? 1 : 0
                        border.color: root.palette.text
                        height: selector.visualFocus ? 2 : 0
                        width: label.implicitWidth
                        anchors.top: parent.bottom
                        anchors.left: parent.left
                    }
                    delegate: ItemDelegate {
                        width: 400
                        height: 30
                        contentItem: Text {
                            text: model.name
                            color: "white"
                            verticalAlignment: Text.AlignVCenter
                        }
                        highlighted: selector.highlightedIndex === index
                        background: Rectangle {
                            color: selector.highlightedIndex === index ? "#505050" : "#303030"
                        }
                    }
                    popup: Popup {
                        y: 30
                        width: 400
                        padding: 0
                        implicitHeight: contentItem.implicitHeight
                        contentItem: ListView {
                            implicitHeight: contentHeight
                            model: selector.popup.visible ? selector.delegateModel : null
                            currentIndex: selector.highlightedIndex
                            interactive: false
                        }
                        background: Rectangle { color: "#303030" }
                    }
                }
            }
        }
        Item { Layout.fillHeight: true }
    }

    MouseArea {
        anchors.fill: parent
        onClicked: root.forceActiveFocus()
    }

    Row {
        x: 700
        y: 300
        z: 1
        spacing: 40

        Button {
            width: 48
            height: 48
            enabled: false
            icon.source: Qt.resolvedUrl("power.svg")
            icon.width: 16
            icon.height: 16
            icon.color: "#40e0d0"
        }
        RoundButton {
            width: 64
            height: 64
            display: AbstractButton.IconOnly
            icon.source: Qt.resolvedUrl("power.svg")
            icon.width: 32
            icon.height: 32
            palette.buttonText: "#40e0d0"
            background: Item {}
        }
    }
}
