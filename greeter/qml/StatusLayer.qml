// SPDX-License-Identifier: GPL-2.0-or-later
// The greeter's status layer, above every theme: a card with the login's progress, the
// failure reason in plain words, the helpdesk, the wait after repeated failures, and, for
// themes without one, a user-name field. The card is placed where the theme has no field,
// button or list (OverlayPlacer), and shows nothing when there is nothing to say.
import QtQuick 2.15
import QtQuick.Window 2.15 // Window (Qt 5 has it there; Qt 6 in QtQuick too)

Item {
    id: overlay
    anchors.fill: parent

    readonly property var status: __sdvm_status
    readonly property var placer: __sdvm_placer
    readonly property real unit: Math.max(1, Math.min(width / 1024, height / 768))
    readonly property real margin: 16 * unit
    readonly property bool failed: status.phase === "failed" || status.phase === "offline"
    readonly property bool busy: status.phase === "busy" || status.phase === "success"
    readonly property bool showCard: status.needsUserName || status.phase !== "idle"
                                     || status.retrySeconds > 0 || !status.connected
    readonly property real keyboardTop: vk.item && vk.item.active ? height - vk.item.height : height

    readonly property real cardWidth: Math.min(width - 2 * margin, 600 * unit)

    // Where the card covers nothing of the theme: clear of its words and controls, at full or
    // at a narrower width; else clear of its controls; else at the bottom.
    function reposition() {
        if (!card.visible)
            return
        var widths = [cardWidth, Math.round(cardWidth * 0.75), Math.round(cardWidth * 0.55)]
        for (var pass = 0; pass < 2; pass++) {
            for (var i = 0; i < widths.length; i++) {
                card.width = widths[i]
                column.forceLayout() // a Column lays out at polish time; the height is needed now
                var p = placer.placeClear(card.width, card.height, margin, pass === 0)
                if (p.x >= 0) {
                    moveCard(p)
                    return
                }
            }
        }
        card.width = cardWidth
        column.forceLayout()
        moveCard(placer.place(card.width, card.height, margin))
    }
    function moveCard(p) {
        card.x = p.x
        card.y = Math.max(0, Math.min(p.y, keyboardTop - card.height - margin))
    }

    // Give the keyboard back to the theme: its password field when it has one.
    function returnFocus() {
        var target = placer.passwordField()
        if (target)
            target.forceActiveFocus()
        else if (placer.themeRoot)
            placer.themeRoot.forceActiveFocus()
    }

    // With the on-screen keyboard up, slide the theme so the focused field stays visible.
    property var focusItem: Window.activeFocusItem
    function shiftTheme() {
        var root = placer.themeRoot
        if (!root)
            return
        var f = overlay.focusItem
        if (!f || keyboardTop >= height) {
            root.y = 0
            return
        }
        var bottom = f.mapToItem(null, 0, f.height).y - root.y
        var overlap = bottom + margin - keyboardTop
        root.y = overlap > 0 ? -overlap : 0
    }
    onFocusItemChanged: {
        shiftTheme()
        if (focusItem && focusItem !== nameInput)
            Qt.callLater(keepUserFieldFocus)
    }
    onKeyboardTopChanged: { shiftTheme(); reposition() }
    onShowCardChanged: Qt.callLater(reposition)
    onWidthChanged: Qt.callLater(reposition)
    onHeightChanged: Qt.callLater(reposition)

    Connections {
        target: overlay.status
        function onChanged() { Qt.callLater(overlay.reposition) }
        function onUserNameWanted() { nameInput.forceActiveFocus() }
    }

    Timer {
        // Themes settle (anchors, states, late Loaders) after the first frame.
        interval: 300
        running: true
        onTriggered: overlay.reposition()
    }

    Timer {
        // A theme without a user-name field: start in ours.
        interval: 0
        running: overlay.status.needsUserName
        onTriggered: nameInput.forceActiveFocus()
    }

    // ... and stay there until the person moves the focus (a mouse press, Tab, Return): a
    // theme's `focus: true` password field (given the keyboard when the window is activated,
    // on xcb after the first frame) or its Component.onCompleted must not take it before.
    property int focusRetakes: 0
    function keepUserFieldFocus() {
        if (!overlay.status.needsUserName || overlay.status.focusMovedByPerson
                || overlay.status.phase === "success" || nameInput.activeFocus
                || focusRetakes >= 50) // a theme that fights back wins, rather than a loop
            return
        focusRetakes++
        nameInput.forceActiveFocus()
    }

    Rectangle {
        id: card
        objectName: "sdvmStatusCard"
        visible: overlay.showCard
        width: overlay.cardWidth // reposition() may narrow it to fit beside the theme's form
        height: column.implicitHeight + 2 * pad
        onHeightChanged: {
            // Never hang over the edge, even for the moment until it is placed again.
            if (y + height > overlay.height)
                y = Math.max(0, overlay.height - height - overlay.margin)
            Qt.callLater(overlay.reposition)
        }
        readonly property real pad: 14 * overlay.unit
        color: "#f0101418"
        radius: 6 * overlay.unit
        border.width: Math.max(2, 2 * overlay.unit)
        border.color: overlay.failed ? "#ff8a80" : overlay.busy ? "#ffd23f" : "#8fa3b3"

        Accessible.role: Accessible.AlertMessage
        Accessible.name: reasonText.visible ? reasonText.text : stageLine.text

        Column {
            id: column
            x: card.pad
            y: card.pad
            width: card.width - 2 * card.pad
            spacing: 8 * overlay.unit

            // User name, for themes that have no field for it.
            Column {
                width: parent.width
                spacing: 4 * overlay.unit
                visible: overlay.status.needsUserName && overlay.status.phase !== "success"

                Text {
                    text: overlay.status.userNameLabel
                    color: "white"
                    font.pixelSize: 15 * overlay.unit
                    font.bold: true
                }
                Rectangle {
                    width: parent.width
                    height: 36 * overlay.unit
                    color: "white"
                    border.width: nameInput.activeFocus ? 3 : 1
                    border.color: nameInput.activeFocus ? "#ffd23f" : "#8fa3b3"
                    radius: 3 * overlay.unit

                    TextInput {
                        id: nameInput
                        objectName: "sdvmUserNameField"
                        anchors.fill: parent
                        anchors.leftMargin: 10 * overlay.unit
                        anchors.rightMargin: 10 * overlay.unit
                        verticalAlignment: TextInput.AlignVCenter
                        clip: true
                        color: "black"
                        font.pixelSize: 17 * overlay.unit
                        text: overlay.status.userName
                        onTextEdited: overlay.status.userName = text
                        inputMethodHints: Qt.ImhNoAutoUppercase | Qt.ImhNoPredictiveText | Qt.ImhEmailCharactersOnly
                        Accessible.role: Accessible.EditableText
                        Accessible.name: overlay.status.userNameLabel

                        Text {
                            anchors.fill: parent
                            verticalAlignment: Text.AlignVCenter
                            visible: nameInput.text === "" && !nameInput.activeFocus
                            text: overlay.status.userNameHint
                            color: "#6b7780"
                            font: nameInput.font
                        }

                        Keys.onPressed: function (event) {
                            if (event.key === Qt.Key_Return || event.key === Qt.Key_Enter
                                    || event.key === Qt.Key_Tab) {
                                overlay.status.focusMovedByPerson = true
                                overlay.returnFocus()
                                event.accepted = true
                            }
                        }
                    }
                }
            }

            // Progress.
            Row {
                width: parent.width
                spacing: 10 * overlay.unit
                visible: overlay.busy

                Item {
                    id: spinner
                    width: 22 * overlay.unit
                    height: width
                    anchors.verticalCenter: parent.verticalCenter
                    Repeater {
                        model: 3
                        Rectangle {
                            required property int index
                            x: index * spinner.width / 3
                            anchors.verticalCenter: parent.verticalCenter
                            width: spinner.width / 4
                            height: width
                            radius: width / 2
                            color: "#ffd23f"
                            SequentialAnimation on opacity {
                                running: overlay.busy && overlay.visible
                                loops: Animation.Infinite
                                PauseAnimation { duration: index * 150 }
                                NumberAnimation { from: 1; to: 0.2; duration: 450 }
                                NumberAnimation { from: 0.2; to: 1; duration: 450 }
                                PauseAnimation { duration: (2 - index) * 150 }
                            }
                        }
                    }
                }
                Text {
                    id: stageLine
                    objectName: "sdvmStatusStage"
                    width: parent.width - spinner.width - parent.spacing
                    text: overlay.status.stageText
                    color: "white"
                    wrapMode: Text.Wrap
                    font.pixelSize: 17 * overlay.unit
                }
            }
            Rectangle {
                visible: overlay.busy
                width: parent.width
                height: 4 * overlay.unit
                color: "#33ffffff"
                Rectangle {
                    width: parent.width * overlay.status.progress
                    height: parent.height
                    color: "#ffd23f"
                    Behavior on width { NumberAnimation { duration: 200 } }
                }
            }

            // Failure.
            Text {
                id: reasonText
                objectName: "sdvmStatusReason"
                visible: overlay.failed && text !== ""
                width: parent.width
                text: overlay.status.reason
                color: "#ffb4ab"
                wrapMode: Text.Wrap
                font.pixelSize: 17 * overlay.unit
                font.bold: true
            }
            Text {
                objectName: "sdvmStatusHint"
                visible: overlay.failed && text !== ""
                width: parent.width
                text: overlay.status.hint
                color: "white"
                wrapMode: Text.Wrap
                font.pixelSize: 15 * overlay.unit
            }
            Text {
                objectName: "sdvmHelpdesk"
                visible: overlay.failed && text !== ""
                width: parent.width
                text: overlay.status.helpdesk
                color: "#cfe8ff"
                wrapMode: Text.Wrap
                font.pixelSize: 15 * overlay.unit
            }
            Text {
                objectName: "sdvmRetry"
                visible: overlay.status.retrySeconds > 0
                width: parent.width
                text: overlay.status.retryText
                color: "#ffd23f"
                wrapMode: Text.Wrap
                font.pixelSize: 16 * overlay.unit
                font.bold: true
            }
            Text {
                objectName: "sdvmMessage"
                visible: text !== "" && overlay.status.phase !== "idle"
                width: parent.width
                text: overlay.status.message
                color: "#d0d6db"
                wrapMode: Text.Wrap
                font.pixelSize: 14 * overlay.unit
            }
        }
    }

    Loader {
        id: vk
        active: overlay.status.virtualKeyboard
        source: "VirtualKeyboard.qml"
        anchors.left: parent.left
        anchors.right: parent.right
        anchors.bottom: parent.bottom
    }
}
