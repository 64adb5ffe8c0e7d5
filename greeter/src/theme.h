// SPDX-License-Identifier: GPL-2.0-or-later
// An SDDM theme folder: metadata.desktop, the theme's config (the `config` context property),
// and a scan for what Qt 6.4 cannot run.
#pragma once

#include <QQmlPropertyMap>
#include <QString>
#include <QStringList>

namespace sdvm {

struct ThemeMetadata {
    QString dir;             // absolute folder
    QString name;            // Name= (informational)
    QString mainScript = QStringLiteral("Main.qml");
    QString configFile = QStringLiteral("theme.conf");
    QString translationsDir = QStringLiteral(".");
    int qtVersion = 5;

    // Reads <dir>/metadata.desktop ([SddmGreeterTheme]); a folder without one is accepted
    // when it has a Main.qml. Returns false with *error when the folder is not a theme or a
    // file it names lies outside the folder.
    bool load(const QString &themeDir, QString *error);
    QString mainScriptPath() const { return dir + QLatin1Char('/') + mainScript; }
    QString configPath() const { return dir + QLatin1Char('/') + configFile; }
};

// Find a theme: a folder path is used as is; a name is looked up in each of dirs in order.
// Returns the absolute folder, or "" with *error listing where it looked.
QString findTheme(const QString &nameOrPath, const QStringList &dirs, QString *error);

// Scan a theme's QML for modules Qt 6.4 does not have (QtQuick.Effects: Qt >= 6.5;
// Qt Quick Controls 1: removed in Qt 6; a KDE QML module not installed, with the Debian package
// that ships it). Returns one plain sentence per problem; empty when
// nothing is known to be missing.
QStringList scanThemeForUnsupported(const ThemeMetadata &theme);
// The Debian package that ships a KDE QML module (org.kde.kirigami, org.kde.plasma.core, ...)
// for Qt qtMajor (5: Debian 12's KF5/Plasma 5; 6: Debian 13's KF6/Plasma 6); "" when unknown
// or not packaged for that Qt. scanThemeForUnsupported names it for a module not installed.
QString kdeModulePackage(const QString &module, int qtMajor);
// qmldir files under dir that name a native plugin (review H2), one problem each.
QStringList scanThemeForNativePlugins(const QString &dir);

// `config`: every key of the theme's config file (keys of [General] bare, others
// "Group/key"), overridden by non-empty values of <ConfigFile>.user; `background` is also
// copied to `defaultBackground`. Values are strings, as in SDDM.
class ThemeConfig : public QQmlPropertyMap
{
    Q_OBJECT
public:
    explicit ThemeConfig(QObject *parent = nullptr);
    void load(const QString &configFile);

    Q_INVOKABLE bool boolValue(const QString &key) const;
    Q_INVOKABLE int intValue(const QString &key) const;
    Q_INVOKABLE qreal realValue(const QString &key) const;
    Q_INVOKABLE QString stringValue(const QString &key) const;
};

} // namespace sdvm
