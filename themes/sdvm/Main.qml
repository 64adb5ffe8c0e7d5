// SPDX-License-Identifier: GPL-2.0-or-later
// SDVM's default login screen. High contrast, large type, every control reachable with the
// keyboard alone (Tab / Shift+Tab, Up/Down in the system list, Return to log in), laid out in
// units of the screen so it reads the same at 1024x768 and at 3840x2160.
// Why a login failed is shown by the greeter's status layer, above any theme.
import QtQuick
import SddmComponents 2.0

Rectangle {
    id: root
    width: 1024
    height: 768

    readonly property real u: Math.max(0.5, Math.min(width / 1024, height / 768))
    readonly property color textColor: config.textColor ? config.textColor : "#ffffff"
    readonly property color accent: config.accentColor ? config.accentColor : "#ffd23f"
    readonly property color panelColor: config.panelColor ? config.panelColor : "#17222d"
    readonly property color fieldBorder: "#8fa3b3"
    readonly property color dimText: "#c5d0d8"
    property int sessionIndex: sessionModel.lastIndex

    color: config.backgroundColor ? config.backgroundColor : "#0e151c"

    LayoutMirroring.enabled: Qt.locale().textDirection === Qt.RightToLeft
    LayoutMirroring.childrenInherit: true

    TextConstants { id: textConstants }

    function login() {
        if (userField.text === "") {
            userField.focus = true
            return
        }
        if (passwordField.text === "") {
            passwordField.focus = true
            return
        }
        sddm.login(userField.text, passwordField.text, root.sessionIndex)
    }

    function iconFor(osType) {
        if (osType === "windows")
            return "icons/windows.svg"
        if (osType === "linux")
            return "icons/linux.svg"
        return "icons/other.svg"
    }

    Connections {
        target: sddm
        function onLoginFailed() {
            passwordField.text = ""
            passwordField.focus = true
        }
    }

    Background {
        anchors.fill: parent
        source: config.background ? config.background : ""
        visible: config.background ? true : false
        fillMode: Image.PreserveAspectCrop
    }

    // --- top bar: host, keyboard, clock ----------------------------------------------------
    Item {
        id: topBar
        anchors.left: parent.left
        anchors.right: parent.right
        anchors.top: parent.top
        anchors.margins: 24 * root.u
        height: 56 * root.u

        Text {
            anchors.left: parent.left
            anchors.verticalCenter: parent.verticalCenter
            text: sddm.hostName
            color: root.dimText
            font.pixelSize: 20 * root.u
        }

        Column {
            anchors.right: parent.right
            anchors.verticalCenter: parent.verticalCenter
            visible: config.showClock !== "false"
            Text {
                id: clockTime
                anchors.right: parent.right
                color: root.textColor
                font.pixelSize: 30 * root.u
                font.bold: true
            }
            Text {
                id: clockDate
                anchors.right: parent.right
                color: root.dimText
                font.pixelSize: 15 * root.u
            }
            Timer {
                interval: 1000
                running: true
                repeat: true
                triggeredOnStart: true
                onTriggered: {
                    var now = new Date()
                    clockTime.text = Qt.formatTime(now, "hh:mm")
                    clockDate.text = now.toLocaleDateString(Qt.locale(), Locale.LongFormat)
                }
            }
        }
    }

    // --- the form ----------------------------------------------------------------------------
    // The band between the form and the bottom bar stays empty: the greeter's status layer
    // (progress, why a login failed) appears there without covering anything.
    readonly property real statusBand: 180 * root.u

    Rectangle {
        id: panel
        anchors.horizontalCenter: parent.horizontalCenter
        anchors.top: topBar.bottom
        anchors.topMargin: 16 * root.u
        width: Math.min(parent.width - 48 * root.u, 920 * root.u)
        height: Math.min(bottomBar.y - y - root.statusBand, 470 * root.u)
        color: root.panelColor
        radius: 8 * root.u
        border.color: "#33475a"
        border.width: Math.max(1, root.u)

        Row {
            anchors.fill: parent
            anchors.margins: 32 * root.u
            spacing: 40 * root.u

            // Left: who.
            Column {
                id: who
                width: (parent.width - parent.spacing) * 0.46
                spacing: 10 * root.u

                Text {
                    width: parent.width
                    text: textConstants.welcomeText.arg(sddm.hostName)
                    color: root.textColor
                    font.pixelSize: 28 * root.u
                    font.bold: true
                    wrapMode: Text.Wrap
                }
                Text {
                    width: parent.width
                    text: qsTr("Log in with your institution's account (eduroam).")
                    color: root.dimText
                    font.pixelSize: 15 * root.u
                    wrapMode: Text.Wrap
                }
                Item { width: 1; height: 8 * root.u }

                Text {
                    text: textConstants.userName
                    color: root.textColor
                    font.pixelSize: 16 * root.u
                    font.bold: true
                }
                TextBox {
                    id: userField
                    objectName: "userField"
                    width: parent.width
                    height: 44 * root.u
                    font.pixelSize: 20 * root.u
                    color: "#ffffff"
                    textColor: "#000000"
                    borderColor: root.fieldBorder
                    focusColor: root.accent
                    focus: true
                    Accessible.name: textConstants.userName
                    KeyNavigation.tab: passwordField
                    KeyNavigation.backtab: powerRow.lastButton
                    Keys.onPressed: function (event) {
                        if (event.key === Qt.Key_Return || event.key === Qt.Key_Enter) {
                            passwordField.focus = true
                            event.accepted = true
                        }
                    }
                }
                Text {
                    width: parent.width
                    text: qsTr("For example: name@university.edu")
                    color: root.dimText
                    font.pixelSize: 13 * root.u
                    wrapMode: Text.Wrap
                }

                Text {
                    text: textConstants.password
                    color: root.textColor
                    font.pixelSize: 16 * root.u
                    font.bold: true
                }
                PasswordBox {
                    id: passwordField
                    objectName: "passwordField"
                    width: parent.width
                    height: 44 * root.u
                    font.pixelSize: 20 * root.u
                    color: "#ffffff"
                    textColor: "#000000"
                    borderColor: root.fieldBorder
                    focusColor: root.accent
                    tooltipEnabled: false
                    Accessible.name: textConstants.password
                    KeyNavigation.tab: systems
                    KeyNavigation.backtab: userField
                    Keys.onPressed: function (event) {
                        if (event.key === Qt.Key_Return || event.key === Qt.Key_Enter) {
                            root.login()
                            event.accepted = true
                        }
                    }
                }
                Text {
                    objectName: "capsWarning"
                    visible: keyboard.capsLock
                    text: textConstants.capslockWarning
                    color: root.accent
                    font.pixelSize: 15 * root.u
                    font.bold: true
                }

                Item { width: 1; height: 6 * root.u }
                Button {
                    id: loginButton
                    objectName: "loginButton"
                    width: parent.width
                    height: 48 * root.u
                    text: textConstants.login
                    font.pixelSize: 20 * root.u
                    font.bold: true
                    color: "#2b6f96"
                    activeColor: "#3a87b3"
                    pressedColor: "#1d5675"
                    borderColor: root.fieldBorder
                    onClicked: root.login()
                    KeyNavigation.tab: layoutBox
                    KeyNavigation.backtab: systems
                }
            }

            // Right: which system.
            Column {
                width: (parent.width - parent.spacing) * 0.54
                height: parent.height
                spacing: 10 * root.u

                Text {
                    id: systemsTitle
                    text: qsTr("Choose a system")
                    color: root.textColor
                    font.pixelSize: 20 * root.u
                    font.bold: true
                }

                Rectangle {
                    width: parent.width
                    height: parent.height - systemsTitle.height - parent.spacing
                    color: "transparent"
                    border.color: systems.activeFocus ? root.accent : "#33475a"
                    border.width: systems.activeFocus ? 3 * root.u : Math.max(1, root.u)
                    radius: 4 * root.u

                    ListView {
                        id: systems
                        objectName: "systemList"
                        anchors.fill: parent
                        anchors.margins: 6 * root.u
                        clip: true
                        spacing: 4 * root.u
                        model: sessionModel
                        currentIndex: root.sessionIndex
                        onCurrentIndexChanged: root.sessionIndex = currentIndex
                        keyNavigationWraps: false
                        highlightMoveDuration: 0
                        boundsBehavior: Flickable.StopAtBounds
                        activeFocusOnTab: true
                        Accessible.role: Accessible.List
                        Accessible.name: qsTr("Choose a system")
                        KeyNavigation.tab: loginButton
                        KeyNavigation.backtab: passwordField
                        Keys.onPressed: function (event) {
                            if (event.key === Qt.Key_Return || event.key === Qt.Key_Enter) {
                                root.login()
                                event.accepted = true
                            }
                        }

                        delegate: Rectangle {
                            id: row
                            required property int index
                            required property string name
                            required property string comment
                            required property string osType
                            required property bool available
                            readonly property bool current: ListView.isCurrentItem

                            width: ListView.view.width
                            height: 64 * root.u
                            radius: 4 * root.u
                            color: current ? "#2b4a63" : rowArea.containsMouse ? "#203445" : "transparent"
                            border.color: current ? root.accent : "transparent"
                            border.width: 2 * root.u
                            opacity: available ? 1.0 : 0.55
                            Accessible.role: Accessible.ListItem
                            Accessible.name: name

                            Image {
                                id: osIcon
                                anchors.left: parent.left
                                anchors.leftMargin: 10 * root.u
                                anchors.verticalCenter: parent.verticalCenter
                                width: 44 * root.u
                                height: width
                                sourceSize.width: width
                                sourceSize.height: height
                                source: root.iconFor(row.osType)
                            }
                            Column {
                                anchors.left: osIcon.right
                                anchors.leftMargin: 14 * root.u
                                anchors.right: parent.right
                                anchors.rightMargin: 10 * root.u
                                anchors.verticalCenter: parent.verticalCenter
                                Text {
                                    width: parent.width
                                    text: row.name
                                    color: root.textColor
                                    font.pixelSize: 18 * root.u
                                    font.bold: row.current
                                    elide: Text.ElideRight
                                }
                                Text {
                                    width: parent.width
                                    visible: text !== ""
                                    text: row.comment
                                    color: root.dimText
                                    font.pixelSize: 13 * root.u
                                    elide: Text.ElideRight
                                }
                            }
                            MouseArea {
                                id: rowArea
                                anchors.fill: parent
                                hoverEnabled: true
                                onClicked: {
                                    systems.currentIndex = row.index
                                    systems.forceActiveFocus()
                                }
                                onDoubleClicked: root.login()
                            }
                        }
                    }
                }
            }
        }
    }

    // --- bottom bar: keyboard layout, power -------------------------------------------------
    Item {
        id: bottomBar
        anchors.left: parent.left
        anchors.right: parent.right
        anchors.bottom: parent.bottom
        anchors.margins: 24 * root.u
        height: 44 * root.u

        Row {
            anchors.left: parent.left
            anchors.verticalCenter: parent.verticalCenter
            spacing: 10 * root.u

            Text {
                anchors.verticalCenter: parent.verticalCenter
                text: textConstants.layout
                color: root.textColor
                font.pixelSize: 16 * root.u
            }
            LayoutBox {
                id: layoutBox
                objectName: "layoutBox"
                width: 130 * root.u
                height: 40 * root.u
                font.pixelSize: 16 * root.u
                color: "#ffffff"
                textColor: "#000000"
                borderColor: root.fieldBorder
                focusColor: root.accent
                arrowColor: "#dfe6eb"
                KeyNavigation.tab: powerRow.firstButton
                KeyNavigation.backtab: loginButton
            }
            Text {
                anchors.verticalCenter: parent.verticalCenter
                visible: keyboard.numLock
                text: qsTr("Num Lock")
                color: root.dimText
                font.pixelSize: 14 * root.u
            }
        }

        Row {
            id: powerRow
            anchors.right: parent.right
            anchors.verticalCenter: parent.verticalCenter
            spacing: 10 * root.u
            readonly property Item firstButton: suspendButton.visible ? suspendButton
                                              : rebootButton.visible ? rebootButton
                                              : powerButton.visible ? powerButton : userField
            readonly property Item lastButton: powerButton.visible ? powerButton
                                             : rebootButton.visible ? rebootButton
                                             : suspendButton.visible ? suspendButton : layoutBox

            Button {
                id: suspendButton
                visible: sddm.canSuspend
                height: 40 * root.u
                width: Math.max(implicitWidth, 120 * root.u)
                text: textConstants.suspend
                font.pixelSize: 16 * root.u
                color: "#2a3945"
                borderColor: root.fieldBorder
                onClicked: sddm.suspend()
                KeyNavigation.tab: rebootButton.visible ? rebootButton : powerButton.visible ? powerButton : userField
                KeyNavigation.backtab: layoutBox
            }
            Button {
                id: rebootButton
                visible: sddm.canReboot
                height: 40 * root.u
                width: Math.max(implicitWidth, 120 * root.u)
                text: textConstants.reboot
                font.pixelSize: 16 * root.u
                color: "#2a3945"
                borderColor: root.fieldBorder
                onClicked: sddm.reboot()
                KeyNavigation.tab: powerButton.visible ? powerButton : userField
                KeyNavigation.backtab: suspendButton.visible ? suspendButton : layoutBox
            }
            Button {
                id: powerButton
                visible: sddm.canPowerOff
                height: 40 * root.u
                width: Math.max(implicitWidth, 120 * root.u)
                text: textConstants.shutdown
                font.pixelSize: 16 * root.u
                color: "#7a2a2a"
                activeColor: "#9c3a3a"
                borderColor: root.fieldBorder
                onClicked: sddm.powerOff()
                KeyNavigation.tab: userField
                KeyNavigation.backtab: rebootButton.visible ? rebootButton : suspendButton.visible ? suspendButton : layoutBox
            }
        }
    }
}
