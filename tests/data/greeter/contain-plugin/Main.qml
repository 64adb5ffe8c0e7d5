// A theme whose components/qmldir names a native plugin (review H2): it must be refused with
// a reason that says so, and the embedded theme shown; its library must never be loaded.
import QtQuick 2.0
import "components"
Rectangle {
    width: 640
    height: 480
    Probe { anchors.fill: parent }
}
