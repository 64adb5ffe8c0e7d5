// A theme with a syntax error: the greeter must show its fallback theme with this error.
import QtQuick 2.0
Rectangle {
    color: "red"
    Text { text: "missing brace"
}
