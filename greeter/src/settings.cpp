// SPDX-License-Identifier: GPL-2.0-or-later
//
// QSettings cannot read sdvm.conf: in its INI format ';' starts a comment, so the list
// "ThemeDirs=/a;/b" would read as "/a". This is a small reader of GLib's key-file syntax for
// the one section the greeter needs.
#include "settings.h"

#include <QFile>
#include <QRegularExpression>
#include <QSet>

#include <dlfcn.h>
#include <glob.h>

#ifndef SDVM_DATADIR
#error "SDVM_DATADIR must be defined by the build"
#endif

namespace sdvm {

PlatformProbe
PlatformProbe::system()
{
    PlatformProbe p;
    p.environment = qEnvironmentVariable("QT_QPA_PLATFORM");
    p.hasDisplay = !qEnvironmentVariableIsEmpty("DISPLAY") || !qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY");
    glob_t g = {};
    p.hasDrm = glob("/dev/dri/card[0-9]*", 0, nullptr, &g) == 0 && g.gl_pathc > 0;
    globfree(&g);
    if (void *h = dlopen("libEGL.so.1", RTLD_LAZY | RTLD_LOCAL)) {
        p.hasEgl = true;
        dlclose(h);
    }
    return p;
}

PlatformChoice
choosePlatform(const PlatformProbe &p, const QString &configured)
{
    if (!p.option.isEmpty())
        return {p.option, false};
    if (!p.environment.isEmpty())
        return {p.environment, false};
    if (p.testMode) {
        if (!p.hasDisplay || p.screenshot)
            return {QStringLiteral("offscreen"), false};
        return {QString(), false};
    }
    if (configured != QLatin1String("auto") && !configured.isEmpty())
        return {configured, false};
    if (p.hasDrm && p.hasEgl)
        return {QStringLiteral("eglfs"), false};
    return {QStringLiteral("linuxfb"), p.hasDrm};
}

QStringList
defaultThemeDirs()
{
    return {QStringLiteral(SDVM_DATADIR "/themes"), QStringLiteral("/usr/share/sddm/themes")};
}

static QString
unescape(const QString &raw, bool list, QStringList *items)
{
    QString out;
    out.reserve(raw.size());
    for (qsizetype i = 0; i < raw.size(); i++) {
        QChar c = raw.at(i);
        if (c == QLatin1Char('\\') && i + 1 < raw.size()) {
            QChar n = raw.at(++i);
            switch (n.unicode()) {
            case 's': out += QLatin1Char(' '); break;
            case 'n': out += QLatin1Char('\n'); break;
            case 't': out += QLatin1Char('\t'); break;
            case 'r': out += QLatin1Char('\r'); break;
            case '\\': out += QLatin1Char('\\'); break;
            case ';': out += QLatin1Char(';'); break;
            default: out += QLatin1Char('\\'); out += n; break;
            }
        } else if (list && c == QLatin1Char(';')) {
            if (!out.trimmed().isEmpty())
                items->append(out.trimmed());
            out.clear();
        } else {
            out += c;
        }
    }
    if (list && !out.trimmed().isEmpty())
        items->append(out.trimmed());
    return out;
}

QString
unescapeKeyFileValue(const QString &raw)
{
    return unescape(raw, false, nullptr);
}

QStringList
splitKeyFileList(const QString &raw)
{
    QStringList items;
    unescape(raw, true, &items);
    return items;
}

static bool
parseBool(const QString &v, bool *out)
{
    if (v == QLatin1String("true") || v == QLatin1String("1")) {
        *out = true;
        return true;
    }
    if (v == QLatin1String("false") || v == QLatin1String("0")) {
        *out = false;
        return true;
    }
    return false;
}

static bool
isLayout(const QString &v)
{
    static const QRegularExpression re(
        QStringLiteral("^[A-Za-z0-9_-]{1,32}(\\([A-Za-z0-9_-]{1,64}\\))?$"));
    return re.match(v).hasMatch();
}

static bool
isSimpleName(const QString &v)
{
    static const QRegularExpression re(QStringLiteral("^[A-Za-z0-9._-]{1,64}$"));
    return re.match(v).hasMatch() && v != QLatin1String(".") && v != QLatin1String("..");
}

bool
loadGreeterSettings(const QString &path, GreeterSettings *s, QString *error)
{
    s->themeDirs = defaultThemeDirs();
    QFile file(path);
    if (!file.exists())
        return true;
    if (!file.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("%1: %2").arg(path, file.errorString());
        return false;
    }
    s->configPath = path;
    const QStringList lines = QString::fromUtf8(file.readAll()).split(QLatin1Char('\n'));
    QString section;
    QSet<QString> seen;
    auto warn = [&](int line, const QString &what) {
        s->warnings.append(QStringLiteral("%1:%2: %3").arg(path).arg(line).arg(what));
    };
    for (int n = 0; n < lines.size(); n++) {
        const int lineNo = n + 1;
        QString line = lines.at(n);
        if (line.endsWith(QLatin1Char('\r')))
            line.chop(1);
        const QString t = line.trimmed();
        if (t.isEmpty() || t.startsWith(QLatin1Char('#')))
            continue;
        if (t.startsWith(QLatin1Char('['))) {
            if (!t.endsWith(QLatin1Char(']')))
                warn(lineNo, QStringLiteral("malformed section header"));
            section = t.mid(1, t.size() - 2).trimmed();
            continue;
        }
        if (section != QLatin1String("Greeter"))
            continue;
        const qsizetype eq = line.indexOf(QLatin1Char('='));
        if (eq < 0) {
            warn(lineNo, QStringLiteral("expected key=value"));
            continue;
        }
        const QString key = line.left(eq).trimmed();
        QString raw = line.mid(eq + 1);
        while (!raw.isEmpty() && (raw.at(0) == QLatin1Char(' ') || raw.at(0) == QLatin1Char('\t')))
            raw.remove(0, 1);
        if (key.contains(QLatin1Char('[')))
            continue; // localized variant of a key: none of ours is translatable
        if (seen.contains(key))
            warn(lineNo, QStringLiteral("[Greeter] %1 is set twice; the last one wins").arg(key));
        seen.insert(key);
        const QString value = unescapeKeyFileValue(raw).trimmed();

        if (key == QLatin1String("User")) {
            s->user = value;
        } else if (key == QLatin1String("Command")) {
            // Read by sdvmd, which starts the greeter with it.
        } else if (key == QLatin1String("Theme")) {
            if (isSimpleName(value))
                s->theme = value;
            else
                warn(lineNo, QStringLiteral("[Greeter] Theme: \"%1\" is not a theme name").arg(value));
        } else if (key == QLatin1String("ThemeDirs")) {
            QStringList dirs = splitKeyFileList(raw);
            bool ok = !dirs.isEmpty();
            for (const QString &d : dirs)
                ok = ok && d.startsWith(QLatin1Char('/'));
            if (ok)
                s->themeDirs = dirs;
            else
                warn(lineNo, QStringLiteral("[Greeter] ThemeDirs: give absolute folders"));
        } else if (key == QLatin1String("Platform")) {
            if (isSimpleName(value))
                s->platform = value;
            else
                warn(lineNo, QStringLiteral("[Greeter] Platform: \"%1\" is not a name").arg(value));
        } else if (key == QLatin1String("VirtualKeyboard")) {
            if (!parseBool(value, &s->virtualKeyboard))
                warn(lineNo, QStringLiteral("[Greeter] VirtualKeyboard: expected true or false"));
        } else if (key == QLatin1String("KeyboardLayouts")) {
            QStringList layouts;
            for (const QString &l : splitKeyFileList(raw)) {
                if (isLayout(l))
                    layouts.append(l);
                else
                    warn(lineNo, QStringLiteral("[Greeter] KeyboardLayouts: \"%1\" is not a "
                                                "keyboard layout").arg(l));
            }
            s->keyboardLayouts = layouts;
        } else if (key == QLatin1String("PowerActions")) {
            static const QStringList known = {
                QStringLiteral("poweroff"), QStringLiteral("reboot"), QStringLiteral("suspend"),
                QStringLiteral("hibernate"), QStringLiteral("hybrid-sleep")};
            QStringList actions;
            for (const QString &a : splitKeyFileList(raw)) {
                if (known.contains(a))
                    actions.append(a);
                else
                    warn(lineNo, QStringLiteral("[Greeter] PowerActions: unknown action \"%1\"")
                                     .arg(a));
            }
            s->powerActions = actions;
        } else {
            warn(lineNo, QStringLiteral("[Greeter] has no key \"%1\"").arg(key));
        }
    }
    return true;
}

} // namespace sdvm
