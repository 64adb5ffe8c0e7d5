// SPDX-License-Identifier: GPL-2.0-or-later
#include "status.h"

#include <QCoreApplication>
#include <QQuickItem>
#include <QQuickWindow>

#include <sdvm-failure.h>
#include <sdvm.h>

namespace sdvm {

QString
failureReason(int failure, const QString &realm)
{
    switch (static_cast<enum sdvm_failure>(failure)) {
    case SDVM_FAILURE_NONE:
        return QString();
    case SDVM_FAILURE_BAD_CREDENTIALS:
        return StatusController::tr("Your institution did not accept this user name and password.");
    case SDVM_FAILURE_INVALID_NAI:
        return StatusController::tr("The user name must include your institution, like name@university.edu.");
    case SDVM_FAILURE_UNKNOWN_REALM:
        return realm.isEmpty() ? StatusController::tr("Your institution is not known here.")
                               : StatusController::tr("The institution \"%1\" is not known here.").arg(realm);
    case SDVM_FAILURE_REALM_UNSUPPORTED:
        return StatusController::tr("Your institution does not allow password logins on this network.");
    case SDVM_FAILURE_INSECURE_PROFILE:
        return StatusController::tr("This terminal cannot verify your institution's login server, so your "
                  "password was not sent.");
    case SDVM_FAILURE_THROTTLED:
        return StatusController::tr("Too many failed logins on this terminal.");
    case SDVM_FAILURE_PROFILE_EXPIRED:
        return StatusController::tr("This terminal's settings for your institution have expired.");
    case SDVM_FAILURE_SERVER_CERT_UNTRUSTED:
        return StatusController::tr("Your institution's login server showed a certificate this terminal does not "
                  "trust, so your password was not sent.");
    case SDVM_FAILURE_SERVER_NAME_MISMATCH:
        return StatusController::tr("Your institution's login server answered with an unexpected name, so your "
                  "password was not sent.");
    case SDVM_FAILURE_NO_NETWORK:
        return StatusController::tr("This terminal has no network: no cable is connected and no Wi-Fi is "
                  "available.");
    case SDVM_FAILURE_AUTH_TIMEOUT:
        return StatusController::tr("The network did not answer in time.");
    case SDVM_FAILURE_NM_UNAVAILABLE:
        return StatusController::tr("The network service of this terminal is not running.");
    case SDVM_FAILURE_NETWORK_ERROR:
        return StatusController::tr("The network connection failed.");
    case SDVM_FAILURE_UNPROTECTED_RESULT:
        return StatusController::tr("Your institution's login method cannot be checked safely on this "
                  "terminal's network cable, so your password was not sent.");
    case SDVM_FAILURE_HOME_SERVER_TIMEOUT:
        return StatusController::tr("Your institution is slow to answer: its login server did not decide in "
                  "time. The network here works.");
    case SDVM_FAILURE_IMAGE_UNKNOWN:
        return StatusController::tr("The chosen system is not offered on this terminal.");
    case SDVM_FAILURE_IMAGE_UNAVAILABLE:
        return StatusController::tr("The chosen system cannot be started right now.");
    case SDVM_FAILURE_DISK_FULL:
        return StatusController::tr("This terminal does not have enough disk space for your system.");
    case SDVM_FAILURE_DISK_ERROR:
        return StatusController::tr("Your disk could not be prepared.");
    case SDVM_FAILURE_DISK_IN_USE:
        return StatusController::tr("Your disk is still in use by a system that is running.");
    case SDVM_FAILURE_GUEST_START:
        return StatusController::tr("The system could not be started.");
    case SDVM_FAILURE_GUEST_CRASHED:
        return StatusController::tr("The system stopped unexpectedly.");
    case SDVM_FAILURE_DEVICE_MISMATCH:
        return StatusController::tr("This terminal's hardware does not match its configuration.");
    case SDVM_FAILURE_HUGEPAGES:
        return StatusController::tr("This terminal does not have enough reserved memory to start the system.");
    case SDVM_FAILURE_REBOOT_NEEDED:
        return StatusController::tr("This terminal must restart before the next login.");
    case SDVM_FAILURE_MACHINE_UNKNOWN:
        return StatusController::tr("This terminal's model is not set up to start systems.");
    case SDVM_FAILURE_CANCELLED:
        return StatusController::tr("The login was cancelled.");
    case SDVM_FAILURE_BUSY:
        return StatusController::tr("Another login is in progress on this terminal.");
    case SDVM_FAILURE_DAEMON_UNAVAILABLE:
        return StatusController::tr("The login service of this terminal is not running.");
    case SDVM_FAILURE_PROTOCOL:
        return StatusController::tr("The login service sent an answer the login screen does not understand.");
    case SDVM_FAILURE_CONFIG:
        return StatusController::tr("This terminal's configuration is broken.");
    case SDVM_FAILURE_INTERNAL:
        return StatusController::tr("Something went wrong on this terminal.");
    }
    return StatusController::tr("The login failed (reason %1).").arg(failure);
}

QString
failureHint(int failure)
{
    const QString staff = StatusController::tr("Please tell the lab staff (reason %1).").arg(failure);
    switch (static_cast<enum sdvm_failure>(failure)) {
    case SDVM_FAILURE_NONE:
    case SDVM_FAILURE_CANCELLED:
        return QString();
    case SDVM_FAILURE_BAD_CREDENTIALS:
        return StatusController::tr("Check both and try again. Mind Caps Lock and the keyboard layout.");
    case SDVM_FAILURE_INVALID_NAI:
        return StatusController::tr("Type your full user name and try again.");
    case SDVM_FAILURE_UNKNOWN_REALM:
        return StatusController::tr("Check the part after @. If it is right, your institution may not take part "
                  "in eduroam, or may not publish its realm in eduroam CAT: tell the lab staff.");
    case SDVM_FAILURE_PROFILE_EXPIRED:
        return StatusController::tr("Tell the lab staff: the eduroam CAT database needs an update.");
    case SDVM_FAILURE_REALM_UNSUPPORTED:
        return StatusController::tr("Ask your institution's helpdesk how to log in with a password.");
    case SDVM_FAILURE_THROTTLED:
        return StatusController::tr("Wait a little, then try again.");
    case SDVM_FAILURE_UNPROTECTED_RESULT:
        return StatusController::tr("Use a terminal on Wi-Fi, or tell the lab staff (reason %1).").arg(failure);
    case SDVM_FAILURE_HOME_SERVER_TIMEOUT:
        return StatusController::tr("Wait a few minutes and try again; if it keeps happening, tell the lab "
                  "staff (reason %1).").arg(failure);
    case SDVM_FAILURE_AUTH_TIMEOUT:
    case SDVM_FAILURE_NETWORK_ERROR:
    case SDVM_FAILURE_BUSY:
    case SDVM_FAILURE_DISK_IN_USE:
    case SDVM_FAILURE_DAEMON_UNAVAILABLE:
        return StatusController::tr("Wait a moment and try again.");
    case SDVM_FAILURE_NO_NETWORK:
        return StatusController::tr("Check the network cable, or tell the lab staff.");
    case SDVM_FAILURE_IMAGE_UNKNOWN:
    case SDVM_FAILURE_IMAGE_UNAVAILABLE:
        return StatusController::tr("Choose another system, or tell the lab staff (reason %1).").arg(failure);
    case SDVM_FAILURE_REBOOT_NEEDED:
        return StatusController::tr("Restart the terminal from the power menu.");
    case SDVM_FAILURE_INSECURE_PROFILE:
    case SDVM_FAILURE_SERVER_CERT_UNTRUSTED:
    case SDVM_FAILURE_SERVER_NAME_MISMATCH:
    case SDVM_FAILURE_NM_UNAVAILABLE:
    case SDVM_FAILURE_DISK_FULL:
    case SDVM_FAILURE_DISK_ERROR:
    case SDVM_FAILURE_GUEST_START:
    case SDVM_FAILURE_GUEST_CRASHED:
    case SDVM_FAILURE_DEVICE_MISMATCH:
    case SDVM_FAILURE_HUGEPAGES:
    case SDVM_FAILURE_MACHINE_UNKNOWN:
    case SDVM_FAILURE_PROTOCOL:
    case SDVM_FAILURE_CONFIG:
    case SDVM_FAILURE_INTERNAL:
        return staff;
    }
    return staff;
}

QString
stageText(int stage, const QString &imageName)
{
    switch (static_cast<enum sdvm_stage>(stage)) {
    case SDVM_STAGE_CHECKING_REALM:
        return StatusController::tr("Looking up your institution…");
    case SDVM_STAGE_CONNECTING_WIRED:
        return StatusController::tr("Connecting to the network (cable)…");
    case SDVM_STAGE_CONNECTING_WIFI:
        return StatusController::tr("Connecting to the network (Wi-Fi)…");
    case SDVM_STAGE_AUTHENTICATING:
        return StatusController::tr("Checking your password with your institution…");
    case SDVM_STAGE_PREPARING_DISK:
        return StatusController::tr("Preparing your disk…");
    case SDVM_STAGE_STARTING:
        return imageName.isEmpty() ? StatusController::tr("Starting the system…") : StatusController::tr("Starting %1…").arg(imageName);
    case SDVM_STAGE_HOME_SERVER_SLOW:
        return StatusController::tr("Your institution is slow to answer… still waiting.");
    case SDVM_STAGE_DISK_RENEWED:
        return StatusController::tr("Your disk of this system was made on an older version of it and cannot be used any more: it is kept aside (the lab staff can recover your files from it) and you start on a new disk.");
    }
    return StatusController::tr("Logging in…");
}

// --- StatusController ---------------------------------------------------------------------

StatusController::StatusController(bool virtualKeyboard, QObject *parent)
    : QObject(parent), m_virtualKeyboard(virtualKeyboard)
{
    m_retryTimer.setInterval(1000);
    connect(&m_retryTimer, &QTimer::timeout, this, &StatusController::tick);
}

qreal
StatusController::progress() const
{
    if (m_phase == QLatin1String("success"))
        return 1.0;
    if (m_phase != QLatin1String("busy"))
        return 0.0;
    // HOME_SERVER_SLOW and DISK_RENEWED are no steps forward: the bar stays where it was.
    const int step = m_stage == SDVM_STAGE_HOME_SERVER_SLOW ? SDVM_STAGE_AUTHENTICATING
                     : m_stage == SDVM_STAGE_DISK_RENEWED   ? SDVM_STAGE_PREPARING_DISK
                                                            : m_stage;
    return qBound(0.05, step / 6.0, 1.0);
}

QString
StatusController::retryText() const
{
    if (m_retry <= 0)
        return QString();
    return tr("You can try again in %n second(s).", nullptr, m_retry);
}

QString
StatusController::userNameLabel() const
{
    return tr("User name");
}

QString
StatusController::userNameHint() const
{
    return tr("name@institution");
}

void
StatusController::setUserName(const QString &name)
{
    if (name == m_userName)
        return;
    m_userName = name;
    Q_EMIT userNameChanged();
}

void
StatusController::setFocusMovedByPerson(bool moved)
{
    if (moved == m_focusMoved)
        return;
    m_focusMoved = moved;
    Q_EMIT focusMovedByPersonChanged();
}

bool
StatusController::eventFilter(QObject *watched, QEvent *event)
{
    if (!m_focusMoved && watched->isWindowType()
        && (event->type() == QEvent::MouseButtonPress || event->type() == QEvent::TouchBegin
            || event->type() == QEvent::TabletPress))
        setFocusMovedByPerson(true);
    return false;
}

void
StatusController::setNeedsUserName(bool needs)
{
    if (needs == m_needsUserName)
        return;
    m_needsUserName = needs;
    Q_EMIT needsUserNameChanged();
}

void
StatusController::setConnected(bool connected)
{
    if (connected == m_connected)
        return;
    m_connected = connected;
    if (!connected && m_phase == QLatin1String("idle")) {
        m_phase = QStringLiteral("offline");
        m_reason = failureReason(SDVM_FAILURE_DAEMON_UNAVAILABLE);
        m_hint = tr("It restarts by itself; this screen connects again when it is back.");
        m_failure = SDVM_FAILURE_DAEMON_UNAVAILABLE;
    } else if (connected && m_phase == QLatin1String("offline")) {
        m_phase = QStringLiteral("idle");
        m_reason.clear();
        m_hint.clear();
        m_failure = 0;
    }
    Q_EMIT changed();
}

void
StatusController::setBusy(const QString &imageName)
{
    m_phase = QStringLiteral("busy");
    m_stage = 0;
    m_imageName = imageName;
    m_stageText = sdvm::stageText(0);
    m_failure = 0;
    m_reason.clear();
    m_hint.clear();
    m_helpdesk.clear();
    m_message.clear();
    Q_EMIT changed();
}

void
StatusController::setStage(int stage)
{
    m_stage = stage;
    m_stageText = sdvm::stageText(stage, m_imageName);
    Q_EMIT changed();
}

void
StatusController::setMessage(const QString &text)
{
    m_message = text;
    Q_EMIT changed();
}

void
StatusController::setFailure(const Outcome &o, const QString &user)
{
    const qsizetype at = user.lastIndexOf(QLatin1Char('@'));
    const QString realm = at >= 0 ? user.mid(at + 1) : QString();
    m_phase = QStringLiteral("failed");
    m_failure = o.failure;
    m_reason = failureReason(o.failure, realm);
    m_hint = failureHint(o.failure);
    QStringList contacts;
    for (const QString &c : {o.helpdeskEmail, o.helpdeskPhone, o.helpdeskUrl})
        if (!c.isEmpty())
            contacts << c;
    if (!contacts.isEmpty()) {
        const QString who = o.institution.isEmpty() ? tr("your institution") : o.institution;
        m_helpdesk = tr("Help from %1: %2").arg(who, contacts.join(QStringLiteral("  ·  ")));
    } else {
        m_helpdesk.clear();
    }
    Q_EMIT changed();
    if (o.failure == SDVM_FAILURE_THROTTLED)
        startRetryCountdown(o.retryAfterSeconds > 0 ? o.retryAfterSeconds : 1);
}

void
StatusController::setLocalProblem(const QString &reason, const QString &hint)
{
    m_phase = QStringLiteral("failed");
    m_failure = 0;
    m_reason = reason;
    m_hint = hint;
    m_helpdesk.clear();
    Q_EMIT changed();
}

void
StatusController::setSuccess()
{
    m_phase = QStringLiteral("success");
    m_stageText = sdvm::stageText(SDVM_STAGE_STARTING, m_imageName);
    Q_EMIT changed();
}

void
StatusController::startRetryCountdown(unsigned seconds)
{
    m_retry = static_cast<int>(qMin(seconds, 24u * 3600u));
    m_retryTimer.start();
    Q_EMIT retrySecondsChanged();
}

void
StatusController::tick()
{
    if (m_retry > 0)
        m_retry--;
    if (m_retry == 0)
        m_retryTimer.stop();
    Q_EMIT retrySecondsChanged();
}

// --- OverlayPlacer ------------------------------------------------------------------------

OverlayPlacer::OverlayPlacer(QObject *parent) : QObject(parent) {}

void
OverlayPlacer::setThemeRoot(QQuickItem *root)
{
    m_root = root;
    Q_EMIT themeRootChanged();
}

static bool
isInteractive(const QQuickItem *item)
{
    return item->inherits("QQuickTextInput") || item->inherits("QQuickTextEdit")
           || item->inherits("QQuickMouseArea") || item->activeFocusOnTab();
}

static void
collect(const QQuickItem *item, qreal maxArea, bool withText, QList<QRectF> *out)
{
    if (!item->isVisible() || item->opacity() <= 0.0)
        return;
    const bool text = withText && item->inherits("QQuickText")
                      && !item->property("text").toString().trimmed().isEmpty();
    if ((isInteractive(item) || text) && item->width() > 0 && item->height() > 0) {
        const QRectF r = item->mapRectToScene(QRectF(0, 0, item->width(), item->height()));
        if (r.width() * r.height() <= maxArea)
            out->append(r);
    }
    for (const QQuickItem *child : item->childItems())
        collect(child, maxArea, withText, out);
}

QList<QRectF>
OverlayPlacer::keepClear(bool withText) const
{
    QList<QRectF> rects;
    if (!m_root)
        return rects;
    // Anything covering a quarter of the screen is a background catch-all, not a control.
    const qreal maxArea = m_root->width() * m_root->height() / 4.0;
    collect(m_root, maxArea, withText, &rects);
    return rects;
}

QPointF
OverlayPlacer::placeClear(qreal w, qreal h, qreal margin, bool clearOfText) const
{
    if (!m_root)
        return QPointF(-1, -1);
    const qreal W = m_root->width();
    const qreal H = m_root->height();
    const qreal step = qMax<qreal>(4.0, H / 200.0);
    const QList<QRectF> clear = keepClear(clearOfText);
    auto fits = [&](const QRectF &r) {
        const QRectF padded = r.adjusted(-margin / 2, -margin / 2, margin / 2, margin / 2);
        for (const QRectF &c : clear)
            if (c.intersects(padded))
                return false;
        return true;
    };
    for (qreal x : {(W - w) / 2, margin, W - w - margin}) {
        x = qMax<qreal>(0, x);
        // From the bottom up: the lower part of a login screen is usually free.
        for (qreal y = H - h - margin; y >= margin; y -= step) {
            if (fits(QRectF(x, y, w, h)))
                return QPointF(x, y);
        }
    }
    return QPointF(-1, -1);
}

QPointF
OverlayPlacer::place(qreal w, qreal h, qreal margin) const
{
    for (bool withText : {true, false}) {
        const QPointF p = placeClear(w, h, margin, withText);
        if (p.x() >= 0)
            return p;
    }
    if (!m_root)
        return QPointF(0, 0);
    return QPointF(qMax<qreal>(0, (m_root->width() - w) / 2),
                   qMax<qreal>(0, m_root->height() - h - margin));
}

// Only what a person can see and type in counts as the theme's user field: a TextInput at
// opacity 0 (a manual-login field kept for later), disabled, of zero size or off screen does
// not, else the greeter would hide its own field and leave nothing to type the name in.
static bool
hasUserField(const QQuickItem *item, qreal opacity, const QRectF &screen)
{
    opacity *= item->opacity();
    if (!item->isVisible() || !item->isEnabled() || opacity < 0.05)
        return false;
    if (item->inherits("QQuickTextInput")) {
        const int echo = item->property("echoMode").toInt();
        const bool readOnly = item->property("readOnly").toBool();
        const QRectF r = item->mapRectToScene(QRectF(0, 0, item->width(), item->height()));
        // Size and place count once the window is laid out.
        const bool shown = screen.isEmpty()
                           || (item->width() > 0 && item->height() > 0 && r.intersects(screen));
        if (echo == 0 /* Normal */ && !readOnly && shown)
            return true;
    }
    for (const QQuickItem *child : item->childItems())
        if (hasUserField(child, opacity, screen))
            return true;
    return false;
}

static QQuickItem *
findPasswordField(QQuickItem *item)
{
    if (!item->isVisible())
        return nullptr;
    if (item->inherits("QQuickTextInput")) {
        const int echo = item->property("echoMode").toInt();
        if ((echo == 2 /* Password */ || echo == 3 /* PasswordEchoOnEdit */) && item->isEnabled())
            return item;
    }
    for (QQuickItem *child : item->childItems())
        if (QQuickItem *found = findPasswordField(child))
            return found;
    return nullptr;
}

QQuickItem *
OverlayPlacer::passwordField() const
{
    return m_root ? findPasswordField(m_root) : nullptr;
}

bool
OverlayPlacer::themeHasUserField() const
{
    if (!m_root)
        return false;
    QRectF screen;
    if (const QQuickWindow *w = m_root->window())
        screen = QRectF(QPointF(0, 0), QSizeF(w->size()));
    qreal opacity = 1;
    for (const QQuickItem *p = m_root->parentItem(); p; p = p->parentItem())
        opacity *= p->opacity();
    return hasUserField(m_root, opacity, screen);
}

} // namespace sdvm
