// SPDX-License-Identifier: GPL-2.0-or-later
// The few Qt 6 calls the greeter makes that Qt 5.15 spells differently (issue 16: one set of
// sources, two greeters).
#pragma once

#include <QLibraryInfo>
#include <QString>

namespace sdvm {

enum class QtDir { Plugins, QmlImports };

inline QString
qtDir(QtDir which)
{
#if QT_VERSION_MAJOR >= 6
    return QLibraryInfo::path(which == QtDir::Plugins ? QLibraryInfo::PluginsPath
                                                      : QLibraryInfo::QmlImportsPath);
#else
    return QLibraryInfo::location(which == QtDir::Plugins ? QLibraryInfo::PluginsPath
                                                          : QLibraryInfo::Qml2ImportsPath);
#endif
}

} // namespace sdvm
