// SPDX-License-Identifier: MIT
// Background: a full-size picture behind a theme. Relative sources written by Qt 5-era themes
// ("background.jpg") are resolved against the theme folder by the greeter's URL interceptor.
import QtQuick 2.15
import QtQuick.Window 2.15 // Screen (Qt 5 has it there; Qt 6 in QtQuick too)

FocusScope {
    id: root

    property url source
    property alias fillMode: image.fillMode
    property alias status: image.status

    // Decode once, at the size shown, not at the file's size (a 4K JPEG costs 32 MiB decoded)
    // and not before the theme has laid the picture out.
    function update() {
        if (width <= 0 || height <= 0)
            return
        var dpr = Screen.devicePixelRatio > 0 ? Screen.devicePixelRatio : 1
        var size = Qt.size(Math.ceil(width * dpr), Math.ceil(height * dpr))
        if (image.sourceSize !== size)
            image.sourceSize = size
        if (image.source !== root.source)
            image.source = root.source
    }
    onSourceChanged: Qt.callLater(update)
    onWidthChanged: Qt.callLater(update)
    onHeightChanged: Qt.callLater(update)
    Component.onCompleted: update()

    Image {
        id: image
        anchors.fill: parent
        fillMode: Image.PreserveAspectCrop
        clip: true
    }

    MouseArea {
        anchors.fill: parent
        onClicked: root.focus = true
    }
}
