// SPDX-License-Identifier: GPL-2.0-or-later
#include "keyboard.h"

#include <QCoreApplication>
#include <QDBusConnection>
#include <QDBusInterface>
#include <QDBusReply>
#include <QDBusVariant>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QKeyEvent>
#include <QLoggingCategory>
#include <QMutex>
#include <QRegularExpression>
#include <QWindow>
#include <QXmlStreamReader>

#include <xkbcommon/xkbcommon-compose.h>
#include <xkbcommon/xkbcommon.h>

#include <cstdlib>

Q_LOGGING_CATEGORY(lcKeyboard, "sdvm.greeter.keyboard", QtInfoMsg)

namespace sdvm {

// --- layout names -------------------------------------------------------------------------

static void
splitLayout(const QString &spec, QString *layout, QString *variant)
{
    static const QRegularExpression re(QStringLiteral("^([^()]+)(?:\\(([^()]*)\\))?$"));
    const auto m = re.match(spec.trimmed());
    *layout = m.hasMatch() ? m.captured(1).trimmed() : spec.trimmed();
    *variant = m.hasMatch() ? m.captured(2).trimmed() : QString();
}

// xkeyboard-config's descriptions, read once on first use (the file is ~1 MiB).
static QString
describeLayout(const QString &layout, const QString &variant)
{
    static QMutex mutex;
    static QHash<QString, QString> names;
    static bool loaded = false;
    QMutexLocker lock(&mutex);
    if (!loaded) {
        loaded = true;
        QFile f(QStringLiteral("/usr/share/X11/xkb/rules/evdev.xml"));
        if (f.open(QIODevice::ReadOnly)) {
            QXmlStreamReader xml(&f);
            QString currentLayout;
            QStringList stack;
            QString name;
            while (!xml.atEnd()) {
                xml.readNext();
                if (xml.isStartElement()) {
                    stack << xml.name().toString();
                    if (xml.name() == QLatin1String("name"))
                        name = xml.readElementText(), stack.removeLast();
                    else if (xml.name() == QLatin1String("description")) {
                        const QString text = xml.readElementText();
                        stack.removeLast();
                        const bool inVariant = stack.contains(QLatin1String("variant"));
                        if (!inVariant && stack.contains(QLatin1String("layout"))) {
                            currentLayout = name;
                            names.insert(name, text);
                        } else if (inVariant) {
                            names.insert(currentLayout + QLatin1Char('(') + name
                                             + QLatin1Char(')'), text);
                        }
                    }
                } else if (xml.isEndElement() && !stack.isEmpty()) {
                    stack.removeLast();
                }
            }
        }
    }
    const QString key = variant.isEmpty() ? layout : layout + QLatin1Char('(') + variant + QLatin1Char(')');
    return names.value(key, names.value(layout, key));
}

KeyboardLayout::KeyboardLayout(const QString &layout, const QString &variant, QObject *parent)
    : QObject(parent), m_layout(layout), m_variant(variant)
{
}

QString
KeyboardLayout::shortName() const
{
    return m_variant.isEmpty() ? m_layout : m_layout + QLatin1Char('(') + m_variant + QLatin1Char(')');
}

QString
KeyboardLayout::longName() const
{
    return describeLayout(m_layout, m_variant);
}

// --- where the layouts come from ----------------------------------------------------------

static QStringList
zipLayouts(const QString &layouts, const QString &variants)
{
    QStringList out;
    const QStringList l = layouts.split(QLatin1Char(','));
    const QStringList v = variants.split(QLatin1Char(','));
    for (int i = 0; i < l.size(); i++) {
        const QString layout = l.at(i).trimmed();
        if (layout.isEmpty())
            continue;
        const QString variant = i < v.size() ? v.at(i).trimmed() : QString();
        out << (variant.isEmpty() ? layout : layout + QLatin1Char('(') + variant + QLatin1Char(')'));
    }
    return out;
}

QStringList
KeyboardModel::systemLayouts(bool askLocaled)
{
    if (askLocaled && QFileInfo::exists(QStringLiteral("/run/dbus/system_bus_socket"))) {
        QDBusConnection bus = QDBusConnection::systemBus();
        if (bus.isConnected()) {
            QDBusInterface props(QStringLiteral("org.freedesktop.locale1"),
                                 QStringLiteral("/org/freedesktop/locale1"),
                                 QStringLiteral("org.freedesktop.DBus.Properties"), bus);
            props.setTimeout(1000);
            QDBusReply<QDBusVariant> layout = props.call(
                QStringLiteral("Get"), QStringLiteral("org.freedesktop.locale1"),
                QStringLiteral("X11Layout"));
            QDBusReply<QDBusVariant> variant = props.call(
                QStringLiteral("Get"), QStringLiteral("org.freedesktop.locale1"),
                QStringLiteral("X11Variant"));
            if (layout.isValid()) {
                const QStringList l = zipLayouts(layout.value().variant().toString(),
                                                 variant.isValid() ? variant.value().variant().toString()
                                                                   : QString());
                if (!l.isEmpty())
                    return l;
            } else {
                qCInfo(lcKeyboard, "systemd-localed: %s", qPrintable(layout.error().message()));
            }
        }
    }
    QFile deflt(QStringLiteral("/etc/default/keyboard"));
    if (deflt.open(QIODevice::ReadOnly)) {
        QString layouts, variants;
        for (const QByteArray &raw : deflt.readAll().split('\n')) {
            const QString line = QString::fromUtf8(raw).trimmed();
            auto value = [&line](const char *key) {
                QString v = line.mid(static_cast<int>(strlen(key)) + 1).trimmed();
                if (v.size() >= 2 && (v.startsWith(QLatin1Char('"')) || v.startsWith(QLatin1Char('\''))))
                    v = v.mid(1, v.size() - 2);
                return v;
            };
            if (line.startsWith(QLatin1String("XKBLAYOUT=")))
                layouts = value("XKBLAYOUT");
            else if (line.startsWith(QLatin1String("XKBVARIANT=")))
                variants = value("XKBVARIANT");
        }
        const QStringList l = zipLayouts(layouts, variants);
        if (!l.isEmpty())
            return l;
    }
    const QString env = qEnvironmentVariable("XKB_DEFAULT_LAYOUT");
    if (!env.isEmpty())
        return zipLayouts(env, qEnvironmentVariable("XKB_DEFAULT_VARIANT"));
    return {QStringLiteral("us")};
}

void
KeyboardModel::preparePlatformEnvironment(const QStringList &layouts)
{
    if (layouts.isEmpty())
        return;
    QString layout, variant;
    splitLayout(layouts.first(), &layout, &variant);
    qputenv("XKB_DEFAULT_LAYOUT", layout.toUtf8());
    qputenv("XKB_DEFAULT_VARIANT", variant.toUtf8());
}

// --- the model ----------------------------------------------------------------------------

KeyboardModel::KeyboardModel(const QStringList &layouts, QObject *parent) : QObject(parent)
{
    QStringList specs = layouts;
    if (specs.isEmpty())
        specs << QStringLiteral("us");
    for (const QString &spec : specs) {
        QString layout, variant;
        splitLayout(spec, &layout, &variant);
        m_layouts.append(new KeyboardLayout(layout, variant, this));
    }
    readLocks();
}

KeyboardModel::~KeyboardModel()
{
    if (m_compose)
        xkb_compose_state_unref(m_compose);
    if (m_composeTable)
        xkb_compose_table_unref(m_composeTable);
    if (m_state)
        xkb_state_unref(m_state);
    for (xkb_keymap *k : std::as_const(m_keymaps))
        xkb_keymap_unref(k);
    if (m_ctx)
        xkb_context_unref(m_ctx);
}

void
KeyboardModel::readLocks()
{
    // The LEDs tell the state the console left (a terminal: the kernel's keyboard LEDs).
    QDir leds(QStringLiteral("/sys/class/leds"));
    for (const QString &name : leds.entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        QFile f(leds.filePath(name) + QStringLiteral("/brightness"));
        if (!f.open(QIODevice::ReadOnly))
            continue;
        const bool on = f.readAll().trimmed().toInt() > 0;
        if (name.endsWith(QLatin1String("::capslock")))
            m_capsLock = m_capsLock || on;
        else if (name.endsWith(QLatin1String("::numlock")))
            m_numLock = m_numLock || on;
    }
}

xkb_keymap *
KeyboardModel::keymapFor(int index)
{
    if (m_keymaps.contains(index))
        return m_keymaps.value(index);
    auto *l = static_cast<KeyboardLayout *>(m_layouts.value(index));
    if (!l || !m_ctx)
        return nullptr;
    const QByteArray layout = l->layout().toUtf8();
    const QByteArray variant = l->variant().toUtf8();
    struct xkb_rule_names names = {};
    names.rules = "evdev";
    names.model = "pc105";
    names.layout = layout.constData();
    names.variant = variant.isEmpty() ? nullptr : variant.constData();
    xkb_keymap *keymap = xkb_keymap_new_from_names(m_ctx, &names, XKB_KEYMAP_COMPILE_NO_FLAGS);
    if (!keymap)
        qCWarning(lcKeyboard, "cannot compile keyboard layout %s", qPrintable(l->shortName()));
    m_keymaps.insert(index, keymap);
    return keymap;
}

bool
KeyboardModel::ensureState()
{
    if (!m_ctx) {
        m_ctx = xkb_context_new(XKB_CONTEXT_NO_FLAGS);
        if (!m_ctx)
            return false;
        QByteArray locale = qgetenv("LC_ALL");
        if (locale.isEmpty())
            locale = qgetenv("LC_CTYPE");
        if (locale.isEmpty())
            locale = qgetenv("LANG");
        if (locale.isEmpty())
            locale = "C";
        m_composeTable = xkb_compose_table_new_from_locale(m_ctx, locale.constData(),
                                                           XKB_COMPOSE_COMPILE_NO_FLAGS);
        if (!m_composeTable)
            m_composeTable = xkb_compose_table_new_from_locale(m_ctx, "C",
                                                               XKB_COMPOSE_COMPILE_NO_FLAGS);
        if (m_composeTable)
            m_compose = xkb_compose_state_new(m_composeTable, XKB_COMPOSE_STATE_NO_FLAGS);
    }
    if (m_state && m_stateLayout == m_current)
        return true;
    xkb_keymap *keymap = keymapFor(m_current);
    if (!keymap)
        return false;
    if (m_state)
        xkb_state_unref(m_state);
    m_state = xkb_state_new(keymap);
    m_stateLayout = m_current;
    applyLocks();
    return m_state != nullptr;
}

void
KeyboardModel::applyLocks()
{
    if (!m_state)
        return;
    xkb_keymap *keymap = xkb_state_get_keymap(m_state);
    xkb_mod_mask_t locked = 0;
    const xkb_mod_index_t caps = xkb_keymap_mod_get_index(keymap, XKB_MOD_NAME_CAPS);
    const xkb_mod_index_t num = xkb_keymap_mod_get_index(keymap, XKB_MOD_NAME_NUM);
    if (m_capsLock && caps != XKB_MOD_INVALID)
        locked |= 1u << caps;
    if (m_numLock && num != XKB_MOD_INVALID)
        locked |= 1u << num;
    const xkb_mod_mask_t depressed = xkb_state_serialize_mods(m_state, XKB_STATE_MODS_DEPRESSED);
    const xkb_mod_mask_t latched = xkb_state_serialize_mods(m_state, XKB_STATE_MODS_LATCHED);
    xkb_state_update_mask(m_state, depressed, latched, locked, 0, 0, 0);
}

void
KeyboardModel::setNumLockState(bool on)
{
    if (on == m_numLock)
        return;
    m_numLock = on;
    applyLocks();
    Q_EMIT numLockStateChanged();
}

void
KeyboardModel::setCapsLockState(bool on)
{
    if (on == m_capsLock)
        return;
    m_capsLock = on;
    applyLocks();
    Q_EMIT capsLockStateChanged();
}

void
KeyboardModel::setCurrentLayout(int index)
{
    if (index < 0 || index >= m_layouts.size() || index == m_current)
        return;
    m_current = index;
    m_pressed.clear();
    if (m_compose)
        xkb_compose_state_reset(m_compose);
    qCInfo(lcKeyboard, "keyboard layout: %s",
           qPrintable(static_cast<KeyboardLayout *>(m_layouts.at(index))->shortName()));
    Q_EMIT currentLayoutChanged();
}

static int
qtKeyForText(const QString &text, int fallback)
{
    if (text.isEmpty())
        return fallback;
    const uint cp = text.toUcs4().value(0);
    if (cp < 0x20 || cp == 0x7f)
        return fallback;
    // Qt::Key values of printable keys are the upper-case code point (Key_A == 'A').
    return static_cast<int>(QChar::toUpper(cp));
}

bool
KeyboardModel::eventFilter(QObject *watched, QEvent *event)
{
    const QEvent::Type type = event->type();
    if ((type != QEvent::KeyPress && type != QEvent::KeyRelease) || m_sending
        || !watched->isWindowType())
        return false;
    auto *key = static_cast<QKeyEvent *>(event);
    const quint32 code = key->nativeScanCode();
    if (code == 0 || !ensureState())
        return false; // synthetic (tests, input methods): nothing to translate

    const bool press = type == QEvent::KeyPress;
    const xkb_keysym_t sym = xkb_state_key_get_one_sym(m_state, code);
    QString text;
    if (press) {
        char buf[64];
        int n = xkb_state_key_get_utf8(m_state, code, buf, sizeof(buf));
        if (n > 0 && n < static_cast<int>(sizeof(buf)))
            text = QString::fromUtf8(buf, n);
    }
    if (!key->isAutoRepeat()) {
        const enum xkb_state_component changed =
            xkb_state_update_key(m_state, code, press ? XKB_KEY_DOWN : XKB_KEY_UP);
        if (changed & XKB_STATE_MODS_LOCKED) {
            const bool caps = xkb_state_mod_name_is_active(m_state, XKB_MOD_NAME_CAPS,
                                                           XKB_STATE_MODS_LOCKED) > 0;
            const bool num = xkb_state_mod_name_is_active(m_state, XKB_MOD_NAME_NUM,
                                                          XKB_STATE_MODS_LOCKED) > 0;
            if (caps != m_capsLock) {
                m_capsLock = caps;
                Q_EMIT capsLockStateChanged();
            }
            if (num != m_numLock) {
                m_numLock = num;
                Q_EMIT numLockStateChanged();
            }
        }
    }

    const bool translate = m_translate == Translate::Always
                           || (m_translate == Translate::WhenSwitched && m_current != 0);
    if (!translate)
        return false;

    int qtKey = key->key();
    if (press) {
        if (m_compose && sym != XKB_KEY_NoSymbol) {
            xkb_compose_state_feed(m_compose, sym);
            switch (xkb_compose_state_get_status(m_compose)) {
            case XKB_COMPOSE_COMPOSING:
                return true; // a dead key: wait for the next one
            case XKB_COMPOSE_COMPOSED: {
                char buf[64];
                int n = xkb_compose_state_get_utf8(m_compose, buf, sizeof(buf));
                text = n > 0 && n < static_cast<int>(sizeof(buf)) ? QString::fromUtf8(buf, n) : QString();
                xkb_compose_state_reset(m_compose);
                break;
            }
            case XKB_COMPOSE_CANCELLED:
                xkb_compose_state_reset(m_compose);
                return true;
            case XKB_COMPOSE_NOTHING:
                break;
            }
        }
        if (text.isEmpty() || qtKeyForText(text, -1) < 0)
            return false; // not a character: the platform's key is right
        qtKey = qtKeyForText(text, key->key());
        m_pressed.insert(code, qMakePair(qtKey, text));
    } else {
        if (!m_pressed.contains(code))
            return false;
        const auto t = m_pressed.take(code);
        qtKey = t.first;
        text = t.second;
    }
    QKeyEvent replacement(type, qtKey, key->modifiers(), key->nativeScanCode(),
                          key->nativeVirtualKey(), key->nativeModifiers(), text,
                          key->isAutoRepeat(), static_cast<quint16>(key->count()));
    m_sending = true;
    QCoreApplication::sendEvent(watched, &replacement);
    m_sending = false;
    return true;
}

} // namespace sdvm
