// SPDX-License-Identifier: MIT
// Clock: time ("hh:mm") above the long date in the person's locale.
import QtQuick 2.15

Column {
    id: clock

    property date dateTime: new Date()
    property color color: "white"
    property alias timeFont: time.font
    property alias dateFont: date.font

    spacing: 0

    Timer {
        interval: 1000
        running: true
        repeat: true
        onTriggered: clock.dateTime = new Date()
    }

    Text {
        id: time
        anchors.horizontalCenter: parent.horizontalCenter
        color: clock.color
        text: Qt.formatTime(clock.dateTime, "hh:mm")
        font.pixelSize: 64
    }

    Text {
        id: date
        anchors.horizontalCenter: parent.horizontalCenter
        color: clock.color
        // Qt 6 has no Qt.DefaultLocaleLongDate: ask the locale for its long format.
        text: clock.dateTime.toLocaleDateString(Qt.locale(), Locale.LongFormat)
        font.pixelSize: 24
    }
}
