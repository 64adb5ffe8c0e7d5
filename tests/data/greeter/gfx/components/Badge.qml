import QtQuick 2.0
// Qt 5 themes wrote paths from the theme root even in components/: "images/badge.png".
Image { source: "images/badge.png" }
