// SPDX-License-Identifier: GPL-2.0-or-later
// Issue 16, pattern 3: a Qt 5-era theme (no QtVersion in metadata.desktop) built on KDE
// Plasma 5's QML modules, as Plasma 5's own login screen is: org.kde.plasma.core (units,
// theme colours), .components 3.0 and .extras (plasma-framework on Debian 12) and
// org.kde.kirigami 2.20 (qml-module-org-kde-kirigami2). Where they are installed the Qt 5
// greeter shows it; where they are not it refuses it naming those packages.
import QtQuick 2.15
import org.kde.plasma.core 2.0 as PlasmaCore
import org.kde.plasma.extras 2.0 as PlasmaExtras
import "components"

Rectangle {
    id: root
    width: 1280
    height: 800
    color: PlasmaCore.Theme.backgroundColor

    Column {
        x: 440; y: 200
        spacing: PlasmaCore.Units.largeSpacing
        PlasmaExtras.Heading {
            objectName: "banner"
            level: 1
            text: "Plasma 5 theme"
        }
        Field {
            id: user
            objectName: "user"
            placeholderText: "user@realm"
            focus: true
            KeyNavigation.tab: password
        }
        Field {
            id: password
            objectName: "password"
            placeholderText: "password"
            echoMode: TextInput.Password
            onAccepted: sddm.login(user.text, password.text, sessionModel.lastIndex)
        }
    }
}
