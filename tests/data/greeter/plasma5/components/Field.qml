// SPDX-License-Identifier: GPL-2.0-or-later
// A Plasma 5 text field with Kirigami's colours (KF5: qml-module-org-kde-kirigami2).
import QtQuick 2.15
import org.kde.plasma.components 3.0 as PlasmaComponents3
import org.kde.kirigami 2.20 as Kirigami

PlasmaComponents3.TextField {
    implicitWidth: Kirigami.Units.gridUnit * 20
    color: Kirigami.Theme.textColor
}
