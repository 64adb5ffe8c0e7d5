// SPDX-License-Identifier: GPL-2.0-or-later
// Issue 16, pattern 5: a Qt 5-era theme (no QtVersion in metadata.desktop) whose background is
// a video: QtMultimedia 5's MediaPlayer + VideoOutput playing a local file from the theme
// folder, looping, muted. Its other players ask for the network three ways (a URL written in
// the QML, one from theme.conf, one set from JavaScript): the greeter must fetch none of them.
import QtQuick 2.15
import QtMultimedia 5.15

Rectangle {
    id: root
    width: 1280
    height: 800
    color: "black"

    MediaPlayer {
        id: background
        source: config.background
        autoPlay: true
        muted: true
        loops: MediaPlayer.Infinite
    }
    VideoOutput {
        objectName: "video"
        anchors.fill: parent
        source: background
        fillMode: VideoOutput.Stretch
    }

    // The network, three ways.
    MediaPlayer { id: written; source: "http://127.0.0.1:@PORT@/written.ogv"; autoPlay: true; muted: true }
    MediaPlayer { id: configured; source: config.stream; autoPlay: true; muted: true }
    MediaPlayer { id: scripted; autoPlay: true; muted: true }
    Video { x: 0; y: 0; width: 16; height: 16; source: "http://127.0.0.1:@PORT@/video.ogv"; autoPlay: true; muted: true }
    Component.onCompleted: {
        scripted.source = "http://127.0.0.1:@PORT@/scripted.ogv"
        scripted.play()
    }

    Rectangle {
        x: 440; y: 200; width: 400; height: 200
        color: "#202020"
        Column {
            anchors.centerIn: parent
            spacing: 12
            TextInput {
                id: user
                objectName: "user"
                width: 360
                color: "white"
                font.pixelSize: 22
                focus: true
                KeyNavigation.tab: password
            }
            TextInput {
                id: password
                objectName: "password"
                width: 360
                color: "white"
                font.pixelSize: 22
                echoMode: TextInput.Password
                onAccepted: sddm.login(user.text, password.text, sessionModel.lastIndex)
            }
        }
    }
}
