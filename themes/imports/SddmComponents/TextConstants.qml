// SPDX-License-Identifier: MIT
// TextConstants: the translated strings SDDM themes show. In SDVM a "session" is the operating
// system (a VM image) the person starts, and user names are network accounts (user@institution).
import QtQml 2.15

QtObject {
    readonly property string capslockWarning: qsTr("Caps Lock is on")
    readonly property string layout: qsTr("Layout")
    readonly property string login: qsTr("Log in")
    readonly property string loginFailed: qsTr("Login failed")
    readonly property string loginSucceeded: qsTr("Login succeeded")
    readonly property string password: qsTr("Password")
    readonly property string emptyPassword: qsTr("Type your password")
    readonly property string passwordChange: qsTr("Change password")
    readonly property string prompt: qsTr("Type your user name and password")
    readonly property string promptSelectUser: qsTr("Select your account and type your password")
    readonly property string promptUser: qsTr("User name")
    readonly property string promptPassword: qsTr("Password")
    readonly property string emptyPrompt: qsTr("Type your user name")
    readonly property string showPasswordPrompt: qsTr("Show password")
    readonly property string hidePasswordPrompt: qsTr("Hide password")
    readonly property string reboot: qsTr("Restart")
    readonly property string session: qsTr("System")
    readonly property string shutdown: qsTr("Shut down")
    readonly property string suspend: qsTr("Suspend")
    readonly property string hibernate: qsTr("Hibernate")
    readonly property string userName: qsTr("User name")
    readonly property string welcomeText: qsTr("Welcome to %1")
    readonly property string pamMaxtriesError: qsTr("Too many failed attempts")
    readonly property string pamMaxtriesInfo: qsTr("Too many failed attempts: please wait before trying again")
}
