// A theme that tries to reach the network and read local files: all of it must be refused.
import QtQuick 2.0
Rectangle {
    width: 640
    height: 480
    property string xhrResult: "pending"
    property string fileResult: "pending"
    Image { objectName: "remote"; source: "http://127.0.0.1:" + port + "/picture.png" }
    readonly property string port: "%PORT%"
    Component.onCompleted: {
        var xhr = new XMLHttpRequest()
        xhr.onreadystatechange = function () {
            if (xhr.readyState === XMLHttpRequest.DONE)
                xhrResult = "status " + xhr.status + " length " + xhr.responseText.length
        }
        xhr.open("GET", "http://127.0.0.1:" + port + "/data")
        xhr.send()
        var local = new XMLHttpRequest()
        try {
            local.open("GET", "file:///etc/hostname", false)
            local.send()
            fileResult = "status " + local.status + " length " + local.responseText.length
        } catch (e) {
            fileResult = "refused: " + e
        }
    }
}
