// SPDX-License-Identifier: GPL-2.0-or-later
// The greeter's own status layer, drawn above every theme: progress stages, the failure
// reason in plain words (themes only know "Login failed"), the institution's helpdesk, the
// wait after repeated failures, and a user-name field for themes that have none.
#pragma once

#include <QObject>
#include <QPointF>
#include <QPointer>
#include <QRectF>
#include <QTimer>

#include "bridge.h"

#include <QQuickItem>

namespace sdvm {

// Plain words for a failure (translated): what happened, and what the person can do.
QString failureReason(int failure, const QString &realm = QString());
QString failureHint(int failure);
QString stageText(int stage, const QString &imageName = QString());

class StatusController : public QObject
{
    Q_OBJECT
    Q_PROPERTY(QString phase READ phase NOTIFY changed)
    Q_PROPERTY(int stage READ stage NOTIFY changed)
    Q_PROPERTY(QString stageText READ stageText NOTIFY changed)
    Q_PROPERTY(qreal progress READ progress NOTIFY changed)
    Q_PROPERTY(int failure READ failure NOTIFY changed)
    Q_PROPERTY(QString reason READ reason NOTIFY changed)
    Q_PROPERTY(QString hint READ hint NOTIFY changed)
    Q_PROPERTY(QString helpdesk READ helpdesk NOTIFY changed)
    Q_PROPERTY(QString message READ message NOTIFY changed)
    Q_PROPERTY(int retrySeconds READ retrySeconds NOTIFY retrySecondsChanged)
    Q_PROPERTY(QString retryText READ retryText NOTIFY retrySecondsChanged)
    Q_PROPERTY(bool connected READ connected NOTIFY changed)
    Q_PROPERTY(bool needsUserName READ needsUserName NOTIFY needsUserNameChanged)
    Q_PROPERTY(QString userName READ userName WRITE setUserName NOTIFY userNameChanged)
    Q_PROPERTY(bool virtualKeyboard READ virtualKeyboard CONSTANT)
    Q_PROPERTY(QString userNameLabel READ userNameLabel CONSTANT)
    Q_PROPERTY(QString userNameHint READ userNameHint CONSTANT)
    // Until the person moves the keyboard focus (a mouse press or touch anywhere, Tab or
    // Return in the greeter's user field), the status layer keeps it in its user field: a
    // theme's `focus: true` password field must not take the first keystrokes at start-up.
    Q_PROPERTY(bool focusMovedByPerson READ focusMovedByPerson WRITE setFocusMovedByPerson
                   NOTIFY focusMovedByPersonChanged)
public:
    explicit StatusController(bool virtualKeyboard, QObject *parent = nullptr);

    QString phase() const { return m_phase; }
    int stage() const { return m_stage; }
    QString stageText() const { return m_stageText; }
    qreal progress() const;
    int failure() const { return m_failure; }
    QString reason() const { return m_reason; }
    QString hint() const { return m_hint; }
    QString helpdesk() const { return m_helpdesk; }
    QString message() const { return m_message; }
    int retrySeconds() const { return m_retry; }
    QString retryText() const;
    bool connected() const { return m_connected; }
    bool needsUserName() const { return m_needsUserName; }
    QString userName() const { return m_userName; }
    void setUserName(const QString &name);
    bool virtualKeyboard() const { return m_virtualKeyboard; }
    QString userNameLabel() const;
    QString userNameHint() const;
    bool focusMovedByPerson() const { return m_focusMoved; }
    void setFocusMovedByPerson(bool moved);
    // Installed on the application: notes the person's first mouse press or touch.
    bool eventFilter(QObject *watched, QEvent *event) override;

    void setNeedsUserName(bool needs);
    void setConnected(bool connected);
    void setBusy(const QString &imageName);
    void setStage(int stage);
    void setMessage(const QString &text);
    // A failure: from the daemon's outcome, or found by the greeter before sending anything.
    void setFailure(const Outcome &outcome, const QString &user);
    void setLocalProblem(const QString &reason, const QString &hint);
    void setSuccess();
    void startRetryCountdown(unsigned seconds);

Q_SIGNALS:
    void changed();
    void retrySecondsChanged();
    void needsUserNameChanged();
    void userNameChanged();
    void focusMovedByPersonChanged();
    // The layer should move the keyboard focus to its user-name field.
    void userNameWanted();

private:
    void tick();

    QString m_phase = QStringLiteral("idle");
    int m_stage = 0;
    QString m_stageText;
    QString m_imageName;
    int m_failure = 0;
    QString m_reason, m_hint, m_helpdesk, m_message;
    int m_retry = 0;
    QTimer m_retryTimer;
    bool m_connected = true;
    bool m_needsUserName = false;
    QString m_userName;
    bool m_virtualKeyboard = false;
    bool m_focusMoved = false;
};

// Per view: where the status card may sit without covering anything of the theme that takes
// input (fields, buttons, lists), and whether the theme has a user-name field at all.
class OverlayPlacer : public QObject
{
    Q_OBJECT
    Q_PROPERTY(QQuickItem *themeRoot READ themeRoot NOTIFY themeRootChanged)
public:
    explicit OverlayPlacer(QObject *parent = nullptr);

    void setThemeRoot(QQuickItem *root);
    QQuickItem *themeRoot() const { return m_root; }

    // Rectangles (window coordinates) of the theme's interactive items (and with withText its
    // texts), large ones excluded.
    QList<QRectF> keepClear(bool withText = false) const;
    // Top-left for a card of w x h clear of keepClear(clearOfText), or (-1, -1) if none is.
    Q_INVOKABLE QPointF placeClear(qreal w, qreal h, qreal margin, bool clearOfText) const;
    // Top-left for a card of w x h: clear of texts and controls, else of controls, else at the
    // bottom centre.
    Q_INVOKABLE QPointF place(qreal w, qreal h, qreal margin) const;
    // True when the theme shows a visible, editable, non-password text field.
    bool themeHasUserField() const;
    // The theme's first visible password field, or null.
    Q_INVOKABLE QQuickItem *passwordField() const;

Q_SIGNALS:
    void themeRootChanged();

private:
    QPointer<QQuickItem> m_root;
};

} // namespace sdvm
