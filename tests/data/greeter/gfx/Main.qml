// A Qt 5-era theme: QtGraphicalEffects 1.0 (through the shim), a component in a subfolder that
// names a picture relative to the theme root, a config file with groups and a .user override.
import QtQuick 2.0
import QtGraphicalEffects 1.0
import SddmComponents 2.0
import "components"

Rectangle {
    id: root
    width: 640
    height: 480
    color: config.color
    TextConstants { id: textConstants }

    Badge { id: badge; objectName: "badge"; x: 10; y: 10 }
    DropShadow {
        anchors.fill: badge
        source: badge
        radius: 4
        color: "#80000000"
    }
    Text {
        objectName: "configProbe"
        y: 100
        text: config.stringValue("Strings/greeting") + "|" + config.intValue("size") + "|"
              + config.boolValue("enabled") + "|" + config.realValue("ratio") + "|" + config.defaultBackground
    }
    TextBox { objectName: "user"; y: 200; width: 200; height: 30; focus: true }
    PasswordBox { objectName: "password"; y: 240; width: 200; height: 30 }
}
