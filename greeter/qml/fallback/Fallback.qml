// SPDX-License-Identifier: GPL-2.0-or-later
// The embedded fallback theme: shown when the configured theme cannot run. It says why
// (__sddm_errors) and still lets people log in. Only QtQuick and our own SddmComponents, no
// pictures: nothing here can go missing.
import QtQuick 2.15
import SddmComponents 2.0

Rectangle {
    id: root
    width: 1024
    height: 768
    color: "#14202b"

    readonly property real unit: Math.max(1, Math.min(width / 1024, height / 768))

    TextConstants { id: textConstants }

    function doLogin() {
        sddm.login(userField.text, passwordField.text, session.index)
    }

    Connections {
        target: sddm
        function onLoginFailed() {
            passwordField.text = ""
            passwordField.focus = true
        }
    }

    Column {
        id: form
        anchors.centerIn: parent
        width: Math.min(parent.width - 40 * root.unit, 460 * root.unit)
        spacing: 10 * root.unit

        Text {
            width: parent.width
            text: textConstants.welcomeText.arg(sddm.hostName)
            color: "white"
            font.pixelSize: 26 * root.unit
            wrapMode: Text.Wrap
        }

        Text {
            text: textConstants.userName
            color: "white"
            font.pixelSize: 15 * root.unit
        }
        TextBox {
            id: userField
            objectName: "fallbackUser"
            width: parent.width
            height: 36 * root.unit
            font.pixelSize: 17 * root.unit
            focus: true
            KeyNavigation.tab: passwordField
            Keys.onPressed: function (event) {
                if (event.key === Qt.Key_Return || event.key === Qt.Key_Enter) {
                    passwordField.focus = true
                    event.accepted = true
                }
            }
        }

        Text {
            text: textConstants.password
            color: "white"
            font.pixelSize: 15 * root.unit
        }
        PasswordBox {
            id: passwordField
            objectName: "fallbackPassword"
            width: parent.width
            height: 36 * root.unit
            font.pixelSize: 17 * root.unit
            tooltipEnabled: true
            KeyNavigation.backtab: userField
            KeyNavigation.tab: session
            Keys.onPressed: function (event) {
                if (event.key === Qt.Key_Return || event.key === Qt.Key_Enter) {
                    root.doLogin()
                    event.accepted = true
                }
            }
        }

        Text {
            text: textConstants.session
            color: "white"
            font.pixelSize: 15 * root.unit
        }
        ComboBox {
            id: session
            objectName: "fallbackSession"
            width: parent.width
            height: 36 * root.unit
            font.pixelSize: 17 * root.unit
            model: sessionModel
            index: sessionModel.lastIndex
            z: 10
            KeyNavigation.backtab: passwordField
            KeyNavigation.tab: loginButton
        }

        Row {
            spacing: 10 * root.unit
            Button {
                id: loginButton
                text: textConstants.login
                height: 36 * root.unit
                width: Math.max(implicitWidth, 120 * root.unit)
                font.pixelSize: 16 * root.unit
                onClicked: root.doLogin()
                KeyNavigation.backtab: session
                KeyNavigation.tab: rebootButton
            }
            Button {
                id: rebootButton
                visible: sddm.canReboot
                text: textConstants.reboot
                height: 36 * root.unit
                width: Math.max(implicitWidth, 120 * root.unit)
                font.pixelSize: 16 * root.unit
                onClicked: sddm.reboot()
                KeyNavigation.tab: powerButton
            }
            Button {
                id: powerButton
                visible: sddm.canPowerOff
                text: textConstants.shutdown
                height: 36 * root.unit
                width: Math.max(implicitWidth, 120 * root.unit)
                font.pixelSize: 16 * root.unit
                onClicked: sddm.powerOff()
                KeyNavigation.tab: userField
            }
        }
    }

    // Why the configured theme is not shown.
    Rectangle {
        anchors.left: parent.left
        anchors.right: parent.right
        anchors.top: parent.top
        height: Math.min(errors.implicitHeight + 20 * root.unit, form.y - 10 * root.unit)
        visible: __sddm_errors !== ""
        color: "#3a1414"
        clip: true

        Text {
            id: errors
            objectName: "fallbackErrors"
            x: 12 * root.unit
            y: 10 * root.unit
            width: parent.width - 24 * root.unit
            color: "#ffb4ab"
            font.pixelSize: 13 * root.unit
            wrapMode: Text.Wrap
            text: qsTr("The login screen's theme cannot be shown, so this built-in one is used. Please tell the lab staff.")
                  + "\n" + __sddm_errors
        }
    }
}
