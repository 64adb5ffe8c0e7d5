// SPDX-License-Identifier: GPL-2.0-or-later
#include "theme.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QLoggingCategory>
#include <QRegularExpression>
#include <QSettings>

#include "qtcompat.h"
#include "sdvm/greeter-choice.h"

Q_LOGGING_CATEGORY(lcTheme, "sdvm.greeter.theme", QtInfoMsg)

namespace sdvm {

static bool
insideFolder(const QString &dir, const QString &relative, QString *absolute)
{
    const QString path = QDir::cleanPath(dir + QLatin1Char('/') + relative);
    const QString root = QDir::cleanPath(dir);
    *absolute = path;
    return (path == root || path.startsWith(root + QLatin1Char('/')))
           && !QFileInfo(relative).isAbsolute();
}

bool
ThemeMetadata::load(const QString &themeDir, QString *error)
{
    QFileInfo info(themeDir);
    if (!info.isDir()) {
        *error = QStringLiteral("%1 is not a folder").arg(themeDir);
        return false;
    }
    dir = info.canonicalFilePath();
    const QString metadata = dir + QStringLiteral("/metadata.desktop");
    if (QFileInfo::exists(metadata)) {
        QSettings s(metadata, QSettings::IniFormat);
        s.beginGroup(QStringLiteral("SddmGreeterTheme"));
        name = s.value(QStringLiteral("Name")).toString();
        mainScript = s.value(QStringLiteral("MainScript"), mainScript).toString();
        configFile = s.value(QStringLiteral("ConfigFile"), configFile).toString();
        translationsDir = s.value(QStringLiteral("TranslationsDirectory"), translationsDir).toString();
    }
    qtVersion = sdvm_theme_qt_version(QFile::encodeName(dir).constData()); // the rule's reader
    if (name.isEmpty())
        name = QFileInfo(dir).fileName();
    QString abs;
    for (QString *rel : {&mainScript, &configFile, &translationsDir}) {
        if (rel->isEmpty())
            continue;
        if (!insideFolder(dir, *rel, &abs)) {
            *error = QStringLiteral("%1: \"%2\" lies outside the theme folder").arg(metadata, *rel);
            return false;
        }
        *rel = abs.mid(dir.size() + 1);
        if (rel->isEmpty())
            *rel = QStringLiteral(".");
    }
    if (!QFileInfo::exists(mainScriptPath())) {
        *error = QStringLiteral("%1 has no %2").arg(dir, mainScript);
        return false;
    }
    return true;
}

QString
findTheme(const QString &nameOrPath, const QStringList &dirs, QString *error)
{
    if (nameOrPath.contains(QLatin1Char('/'))) {
        QFileInfo info(nameOrPath);
        if (info.isDir())
            return info.absoluteFilePath();
        *error = QStringLiteral("theme folder %1 does not exist").arg(nameOrPath);
        return QString();
    }
    for (const QString &d : dirs) {
        const QString candidate = d + QLatin1Char('/') + nameOrPath;
        if (QFileInfo(candidate).isDir())
            return QFileInfo(candidate).absoluteFilePath();
    }
    *error = QStringLiteral("theme \"%1\" not found in %2")
                 .arg(nameOrPath, dirs.join(QStringLiteral(", ")));
    return QString();
}

// --- KDE Plasma / Frameworks modules ------------------------------------------------------
// A theme that imports Plasma's or KDE Frameworks' QML modules (Breeze and the themes built
// from it) runs only where those are installed; they are a Suggests of the greeter's package,
// never a hard dependency. Where one is missing the refusal names the Debian package that
// ships it for this greeter's Qt. Checked against the file lists of Debian 12's .debs
// (plasma-framework, plasma-workspace, qml-module-org-kde-kirigami2, -kcoreaddons) and of a
// Debian 13 root with sddm-theme-breeze installed (plasma-desktoptheme, plasma-workspace,
// qml6-module-org-kde-kirigami, -ksvg, -coreaddons).
struct KdeModule {
    const char *prefix;   // the module, or a prefix of it ending in '.'
    const char *qt5;      // Debian 12 (Qt 5, KF5 / Plasma 5.27); nullptr: no Qt 5 module
    const char *qt6;      // Debian 13 (Qt 6, KF6 / Plasma 6.3)
};
static const KdeModule kKdeModules[] = {
    {"org.kde.kirigami", "qml-module-org-kde-kirigami2", "qml6-module-org-kde-kirigami"},
    {"org.kde.ksvg", nullptr, "qml6-module-org-kde-ksvg"},
    {"org.kde.breeze.components", nullptr, "plasma-workspace"},
    {"org.kde.plasma.workspace.", "plasma-workspace", "plasma-workspace"},
    {"org.kde.plasma.private.sessions", "plasma-workspace", "plasma-workspace"},
    {"org.kde.plasma.private.keyboardindicator", nullptr, "plasma-workspace"},
    {"org.kde.plasma.core", "plasma-framework", "plasma-desktoptheme"},
    {"org.kde.plasma.components", "plasma-framework", "plasma-desktoptheme"},
    {"org.kde.plasma.extras", "plasma-framework", "plasma-desktoptheme"},
    {"org.kde.coreaddons", nullptr, "qml6-module-org-kde-coreaddons"}, // KF5's is kcoreaddons
    {"org.kde.kcoreaddons", "qml-module-org-kde-kcoreaddons", nullptr},
};

// Is the QML module found on one of the engine's import paths (Qt's own, QML_IMPORT_PATH,
// QML2_IMPORT_PATH)? Qt 5's versioned folders (org/kde/kirigami.2) count too.
static bool
qmlModuleInstalled(const QString &module, const QString &version)
{
    QStringList paths{qtDir(QtDir::QmlImports)};
    for (const char *var : {"QML_IMPORT_PATH", "QML2_IMPORT_PATH"})
        paths << QString::fromLocal8Bit(qgetenv(var)).split(QLatin1Char(':'), Qt::SkipEmptyParts);
    QString rel = module;
    rel.replace(QLatin1Char('.'), QLatin1Char('/'));
    QStringList candidates{rel};
    if (!version.isEmpty()) {
        candidates << rel + QLatin1Char('.') + version.section(QLatin1Char('.'), 0, 0);
        candidates << rel + QLatin1Char('.') + version;
    }
    for (const QString &p : std::as_const(paths))
        for (const QString &c : std::as_const(candidates))
            if (QFileInfo::exists(p + QLatin1Char('/') + c + QStringLiteral("/qmldir")))
                return true;
    return false;
}

QString
kdeModulePackage(const QString &module, int qtMajor)
{
    for (const KdeModule &k : kKdeModules) {
        const QLatin1String prefix(k.prefix);
        const bool match = prefix.endsWith(QLatin1Char('.'))
                               ? module.startsWith(prefix)
                               : (module == prefix || module.startsWith(prefix + QLatin1Char('.')));
        if (match) {
            const char *pkg = qtMajor >= 6 ? k.qt6 : k.qt5;
            return pkg ? QString::fromLatin1(pkg) : QString();
        }
    }
    return QString();
}

static QString
kdeModuleProblem(const QString &file, const QString &module, const QString &version,
                 const ThemeMetadata &theme)
{
    const QString import = version.isEmpty() ? module : module + QLatin1Char(' ') + version;
    const QString pkg = kdeModulePackage(module, QT_VERSION_MAJOR);
    QString problem;
    if (pkg.isEmpty())
        problem = QStringLiteral("%1 imports %2, a KDE QML module that is not installed and that "
                                 "no Debian package ships for Qt %3 (look for the folder %4 "
                                 "under qt%3/qml with apt-file)")
                      .arg(file, import)
                      .arg(QT_VERSION_MAJOR)
                      .arg(QString(module).replace(QLatin1Char('.'), QLatin1Char('/')));
    else
#if QT_VERSION_MAJOR >= 6
        problem = QStringLiteral("%1 imports %2, a KDE QML module that is not installed: install "
                                 "the Debian package %3 (Debian 13; Debian 12 has no Qt 6 "
                                 "build of Plasma's QML modules)")
                      .arg(file, import, pkg);
#else
        problem = QStringLiteral("%1 imports %2, a KDE QML module that is not installed: install "
                                 "the Debian package %3 (Debian 12)")
                      .arg(file, import, pkg);
#endif
    if (QT_VERSION_MAJOR >= 6 && theme.qtVersion < 6)
        problem += QStringLiteral("; this is a Qt 5 (Plasma 5) theme: its modules are Qt 5 ones "
                                  "(%1 on Debian 12), which only a Qt 5 greeter loads")
                       .arg(kdeModulePackage(module, 5).isEmpty()
                                ? QStringLiteral("none")
                                : kdeModulePackage(module, 5));
    return problem;
}

QStringList
scanThemeForUnsupported(const ThemeMetadata &theme)
{
    QStringList problems;
    if (theme.qtVersion > QT_VERSION_MAJOR)
        problems << QStringLiteral("the theme is written for Qt %1 (QtVersion=%1 in "
                                   "metadata.desktop); this greeter runs Qt %2")
                        .arg(theme.qtVersion)
                        .arg(QLatin1String(qVersion()));

    static const QRegularExpression importRe(
        QStringLiteral("^\\s*import\\s+([A-Za-z_][A-Za-z0-9_.]*)\\s*([0-9]+(?:\\.[0-9]+)?)?"),
        QRegularExpression::MultilineOption);
    QDirIterator it(theme.dir, {QStringLiteral("*.qml"), QStringLiteral("*.js")}, QDir::Files,
                    QDirIterator::Subdirectories);
    int files = 0;
    QSet<QString> reported;
    while (it.hasNext() && files < 500) {
        const QString path = it.next();
        files++;
        QFile f(path);
        if (f.size() > 4 * 1024 * 1024 || !f.open(QIODevice::ReadOnly))
            continue;
        const QString text = QString::fromUtf8(f.readAll());
        const QString rel = path; // the full path: the message names the theme
        auto m = importRe.globalMatch(text);
        while (m.hasNext()) {
            const auto match = m.next();
            QString module = match.captured(1);
            const QString version = match.captured(2);
            QString problem;
            if (module == QLatin1String("QtQuick.Effects") && QT_VERSION < QT_VERSION_CHECK(6, 5, 0)) {
                problem = QStringLiteral("%1 imports QtQuick.Effects (MultiEffect), which needs "
                                         "Qt 6.5 or later; this greeter runs Qt %2")
                              .arg(rel, QLatin1String(qVersion()));
            } else if (QT_VERSION_MAJOR >= 6 && (module == QLatin1String("QtQuick.Controls")
                        || module == QLatin1String("QtQuick.Controls.Styles"))
                       && version.startsWith(QLatin1String("1."))) {
                problem = QStringLiteral("%1 imports %2 %3 (Qt Quick Controls 1), which Qt 6 "
                                         "removed").arg(rel, module, version);
            } else if (QT_VERSION_MAJOR >= 6 && module == QLatin1String("QtQuick.Controls.Styles")) {
                problem = QStringLiteral("%1 imports QtQuick.Controls.Styles (Qt Quick Controls 1), "
                                         "which Qt 6 removed").arg(rel);
            } else if (QT_VERSION_MAJOR < 6
                       && (module.startsWith(QLatin1String("Qt5Compat."))
                           || (module.startsWith(QLatin1String("QtQuick"))
                               && (version.isEmpty() || version.startsWith(QLatin1String("6.")))))) {
                // A Qt 6 port that did not say so: the Qt 5 greeter got it for the lack of
                // QtVersion=6 (issue 16). The reason names the fix.
                problem = QStringLiteral("%1 imports %2%3, which needs Qt 6; this greeter runs "
                                         "Qt %4: the theme's metadata.desktop should say "
                                         "QtVersion=6")
                              .arg(rel, module,
                                   version.isEmpty() ? QStringLiteral(" without a version")
                                                     : QLatin1Char(' ') + version,
                                   QLatin1String(qVersion()));
                module = QStringLiteral("qt6-only"); // one such sentence per theme
            } else if ((module == QLatin1String("org.kde") || module.startsWith(QLatin1String("org.kde.")))
                       && !qmlModuleInstalled(module, version)) {
                problem = kdeModuleProblem(rel, module, version, theme);
            }
            if (!problem.isEmpty() && !reported.contains(module)) {
                reported.insert(module);
                problems << problem;
            }
        }
    }
    problems << scanThemeForNativePlugins(theme.dir);
    return problems;
}

QStringList
scanThemeForNativePlugins(const QString &dir)
{
    // Review H2: a qmldir that names a plugin makes "import \"components\"" load and run a
    // shared library from the theme folder inside the greeter, which sees the password. SDDM
    // themes are QML, images and translations only: such a theme is refused (and the embedded
    // theme shown), never loaded without its plugin.
    QStringList problems;
    static const QRegularExpression pluginRe(
        QStringLiteral("^\\s*(?:optional\\s+)?plugin\\s+(\\S+)"),
        QRegularExpression::MultilineOption);
    if (dir.isEmpty())
        return problems;
    QDirIterator it(dir, {QStringLiteral("qmldir")}, QDir::Files | QDir::Hidden,
                    QDirIterator::Subdirectories);
    int files = 0;
    while (it.hasNext() && files < 500) {
        const QString path = it.next();
        files++;
        QFile f(path);
        if (!f.open(QIODevice::ReadOnly)) {
            problems << QStringLiteral("%1 cannot be read (%2); a theme's qmldir must be "
                                       "readable so the greeter can check it names no native "
                                       "plugin").arg(path, f.errorString());
            continue;
        }
        const QString text = QString::fromUtf8(f.read(1024 * 1024));
        const auto match = pluginRe.match(text);
        if (match.hasMatch())
            problems << QStringLiteral("%1 declares a native plugin (\"plugin %2\"): SDDM "
                                       "themes never need one, and the greeter runs no theme's "
                                       "native code (it could read the password)")
                            .arg(path, match.captured(1));
    }
    return problems;
}

// --- ThemeConfig --------------------------------------------------------------------------

ThemeConfig::ThemeConfig(QObject *parent) : QQmlPropertyMap(this, parent) {}

static QString
asString(const QVariant &v)
{
    if (v.userType() == QMetaType::QStringList)
        return v.toStringList().join(QLatin1Char(','));
    return v.toString();
}

void
ThemeConfig::load(const QString &configFile)
{
    if (configFile.isEmpty() || !QFileInfo::exists(configFile))
        return;
    {
        QSettings base(configFile, QSettings::IniFormat);
        for (const QString &key : base.allKeys())
            insert(key, asString(base.value(key)));
        if (contains(QStringLiteral("background")))
            insert(QStringLiteral("defaultBackground"), value(QStringLiteral("background")));
    }
    const QString userFile = configFile + QStringLiteral(".user");
    if (QFileInfo::exists(userFile)) {
        QSettings user(userFile, QSettings::IniFormat);
        for (const QString &key : user.allKeys()) {
            const QString v = asString(user.value(key));
            if (!v.isEmpty())
                insert(key, v);
        }
    }
}

bool
ThemeConfig::boolValue(const QString &key) const
{
    const QString v = value(key).toString().trimmed().toLower();
    if (v == QLatin1String("true") || v == QLatin1String("1") || v == QLatin1String("yes")
        || v == QLatin1String("on"))
        return true;
    if (!v.isEmpty() && v != QLatin1String("false") && v != QLatin1String("0")
        && v != QLatin1String("no") && v != QLatin1String("off"))
        qCWarning(lcTheme, "config.boolValue(\"%s\"): \"%s\" is not a boolean",
                  qPrintable(key), qPrintable(v));
    return false;
}

int
ThemeConfig::intValue(const QString &key) const
{
    bool ok = false;
    const QString v = value(key).toString().trimmed();
    int r = v.toInt(&ok);
    if (!ok && !v.isEmpty())
        qCWarning(lcTheme, "config.intValue(\"%s\"): \"%s\" is not an integer",
                  qPrintable(key), qPrintable(v));
    return ok ? r : 0;
}

qreal
ThemeConfig::realValue(const QString &key) const
{
    bool ok = false;
    const QString v = value(key).toString().trimmed();
    qreal r = v.toDouble(&ok);
    if (!ok && !v.isEmpty())
        qCWarning(lcTheme, "config.realValue(\"%s\"): \"%s\" is not a number",
                  qPrintable(key), qPrintable(v));
    return ok ? r : 0.0;
}

QString
ThemeConfig::stringValue(const QString &key) const
{
    return value(key).toString();
}

} // namespace sdvm
