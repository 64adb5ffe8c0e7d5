// SPDX-License-Identifier: GPL-2.0-or-later
// `keyboard`: the layouts configured on the terminal, switchable from themes, and the Caps
// Lock / Num Lock state. Qt has no public API to switch layouts on eglfs/linuxfb (libinput),
// so the greeter translates key events itself with xkbcommon (with compose for dead keys).
#pragma once

#include <QHash>
#include <QList>
#include <QObject>
#include <QString>
#include <QStringList>

struct xkb_context;
struct xkb_keymap;
struct xkb_state;
struct xkb_compose_table;
struct xkb_compose_state;

namespace sdvm {

class KeyboardLayout : public QObject
{
    Q_OBJECT
    Q_PROPERTY(QString shortName READ shortName CONSTANT)
    Q_PROPERTY(QString longName READ longName CONSTANT)
public:
    KeyboardLayout(const QString &layout, const QString &variant, QObject *parent = nullptr);
    QString shortName() const;  // "br", "us(intl)"
    QString longName() const;   // "Portuguese (Brazil)", from xkeyboard-config
    QString layout() const { return m_layout; }
    QString variant() const { return m_variant; }

private:
    QString m_layout;
    QString m_variant;
};

class KeyboardModel : public QObject
{
    Q_OBJECT
    Q_PROPERTY(bool numLock READ numLockState WRITE setNumLockState NOTIFY numLockStateChanged)
    Q_PROPERTY(bool capsLock READ capsLockState WRITE setCapsLockState NOTIFY capsLockStateChanged)
    Q_PROPERTY(int currentLayout READ currentLayout WRITE setCurrentLayout NOTIFY currentLayoutChanged)
    Q_PROPERTY(QList<QObject *> layouts READ layouts NOTIFY layoutsChanged)
    Q_PROPERTY(bool enabled READ enabled CONSTANT)
public:
    // When key events are translated with our own keymaps.
    enum class Translate {
        Never,         // the platform's layout only (no layout switching)
        WhenSwitched,  // layouts other than the first (xcb: the X server does the first)
        Always,        // eglfs/linuxfb: the greeter owns the keyboard
    };

    // layouts: XKB "layout" or "layout(variant)"; an empty list means "us".
    explicit KeyboardModel(const QStringList &layouts, QObject *parent = nullptr);
    ~KeyboardModel() override;

    // The terminal's layouts: systemd-localed (X11Layout/X11Variant over the system bus),
    // else /etc/default/keyboard, else XKB_DEFAULT_LAYOUT, else "us".
    static QStringList systemLayouts(bool askLocaled);
    // Make the platform's own keymap (eglfs/linuxfb with libinput) the first layout.
    static void preparePlatformEnvironment(const QStringList &layouts);

    void setTranslate(Translate mode) { m_translate = mode; }
    Translate translate() const { return m_translate; }

    bool enabled() const { return true; }
    QList<QObject *> layouts() const { return m_layouts; }

public Q_SLOTS:
    bool numLockState() const { return m_numLock; }
    void setNumLockState(bool on);
    bool capsLockState() const { return m_capsLock; }
    void setCapsLockState(bool on);
    int currentLayout() const { return m_current; }
    void setCurrentLayout(int index);

Q_SIGNALS:
    void numLockStateChanged();
    void capsLockStateChanged();
    void currentLayoutChanged();
    void layoutsChanged();

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    bool ensureState();
    void applyLocks();
    void readLocks();
    xkb_keymap *keymapFor(int index);

    QList<QObject *> m_layouts;
    int m_current = 0;
    bool m_capsLock = false;
    bool m_numLock = false;
    Translate m_translate = Translate::Never;
    bool m_sending = false;

    xkb_context *m_ctx = nullptr;
    QHash<int, xkb_keymap *> m_keymaps;
    xkb_state *m_state = nullptr;
    int m_stateLayout = -1;
    xkb_compose_table *m_composeTable = nullptr;
    xkb_compose_state *m_compose = nullptr;
    QHash<quint32, QPair<int, QString>> m_pressed; // keycode -> translated key and text
};

} // namespace sdvm
