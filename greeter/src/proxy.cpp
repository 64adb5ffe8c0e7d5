// SPDX-License-Identifier: GPL-2.0-or-later
#include "proxy.h"

#include <QLoggingCategory>
#include <QSysInfo>

#include <cerrno>
#include <cstring>

#include "models.h"
#include "status.h"

Q_LOGGING_CATEGORY(lcProxy, "sdvm.greeter.login", QtInfoMsg)

namespace sdvm {

namespace {

// Review L4: what was typed in the user field reaches the journal only when it has the shape
// of a NAI (name@realm.tld: one '@', no spaces or control characters, a realm of two labels
// or more of letters, digits and '-'). A password typed there by mistake (common) does not.
bool
looksLikeNai(const QString &user)
{
    if (user.size() > 253)
        return false;
    const qsizetype at = user.indexOf(QLatin1Char('@'));
    if (at <= 0 || at != user.lastIndexOf(QLatin1Char('@')))
        return false;
    for (qsizetype i = 0; i < at; i++)
        if (user.at(i).isSpace() || user.at(i).category() == QChar::Other_Control)
            return false;
    const QStringList labels = user.mid(at + 1).split(QLatin1Char('.'));
    if (labels.size() < 2)
        return false;
    for (const QString &label : labels) {
        if (label.isEmpty() || label.startsWith(QLatin1Char('-')) || label.endsWith(QLatin1Char('-')))
            return false;
        for (QChar c : label)
            if (c.unicode() > 0x7f || !(c.isLetterOrNumber() || c == QLatin1Char('-')))
                return false;
    }
    return true;
}

} // namespace

GreeterProxy::GreeterProxy(SdvmBridge *bridge, SessionModel *sessions, StatusController *status,
                           QObject *parent)
    : QObject(parent), m_bridge(bridge), m_sessions(sessions), m_status(status)
{
    connect(bridge, &SdvmBridge::connectedChanged, this, [this](bool connected) {
        refresh();
        Q_EMIT connectedChanged();
        m_status->setConnected(connected);
    });
    connect(bridge, &SdvmBridge::disconnected, this, &GreeterProxy::socketDisconnected);
    connect(bridge, &SdvmBridge::progress, this, [this](int stage) {
        m_status->setStage(stage);
        Q_EMIT informationMessage(m_status->stageText());
    });
    connect(bridge, &SdvmBridge::message, this, [this](bool isError, const QString &text) {
        qCInfo(lcProxy, "%s from the login service: %s", isError ? "error" : "message",
               qPrintable(text));
        m_status->setMessage(text);
        Q_EMIT informationMessage(text);
    });
    connect(bridge, &SdvmBridge::finished, this, &GreeterProxy::onFinished);
    connect(bridge, &SdvmBridge::launching, this, [this]() {
        qCInfo(lcProxy, "login accepted; the system starts");
        m_status->setSuccess();
        Q_EMIT loginSucceeded();
    });
    refresh();
}

void
GreeterProxy::refresh()
{
    const QString oldHost = m_hostName;
    const unsigned oldPower = m_power;
    m_hostName = m_bridge->hostName();
    if (m_hostName.isEmpty())
        m_hostName = QSysInfo::machineHostName();
    m_power = m_bridge->powerAvailable();
    if (m_hostName != oldHost)
        Q_EMIT hostNameChanged(m_hostName);
    const unsigned diff = m_power ^ oldPower;
    if (diff & SDVM_POWER_OFF)
        Q_EMIT canPowerOffChanged(canPowerOff());
    if (diff & SDVM_POWER_REBOOT)
        Q_EMIT canRebootChanged(canReboot());
    if (diff & SDVM_POWER_SUSPEND)
        Q_EMIT canSuspendChanged(canSuspend());
    if (diff & SDVM_POWER_HIBERNATE)
        Q_EMIT canHibernateChanged(canHibernate());
    if (diff & SDVM_POWER_HYBRID_SLEEP)
        Q_EMIT canHybridSleepChanged(canHybridSleep());
}

QString
GreeterProxy::hostName() const
{
    return m_hostName;
}

bool
GreeterProxy::isConnected() const
{
    return m_bridge->isConnected();
}

void
GreeterProxy::fail(const QString &reason, const QString &hint)
{
    m_status->setLocalProblem(reason, hint);
    Q_EMIT informationMessage(reason);
    Q_EMIT loginFailed();
}

void
GreeterProxy::login(const QString &userIn, const QString &password, const int sessionIndex)
{
    if (m_bridge->loginInProgress()) {
        qCInfo(lcProxy, "login() while a login is in progress: ignored");
        return;
    }
    if (m_status->retrySeconds() > 0) {
        // The daemon would refuse as well; do not send the password for nothing.
        Outcome o;
        o.failure = SDVM_FAILURE_THROTTLED;
        o.retryAfterSeconds = static_cast<unsigned>(m_status->retrySeconds());
        m_status->setFailure(o, QString());
        Q_EMIT informationMessage(m_status->reason());
        Q_EMIT loginFailed();
        return;
    }
    // The network account: the user model's placeholder means "no name"; when the greeter
    // shows its own user field, what was typed there wins over whatever the theme passes (a
    // theme's "|| 'fallback'" idiom, a hidden field of its own).
    QString user = userIn.trimmed();
    if (user == UserModel::placeholderName())
        user.clear();
    const QString typed = m_status->userName().trimmed();
    if (!typed.isEmpty() && (m_status->needsUserName() || user.isEmpty()))
        user = typed;
    if (user.isEmpty()) {
        fail(StatusController::tr("Type your user name first."),
             StatusController::tr("Your user name looks like name@institution."));
        Q_EMIT m_status->userNameWanted();
        return;
    }
    if (password.isEmpty()) {
        fail(StatusController::tr("Type your password."), QString());
        return;
    }
    int row = sessionIndex;
    QString image = m_sessions->imageId(row);
    if (image.isEmpty()) {
        row = m_sessions->lastIndex();
        image = m_sessions->imageId(row);
        if (!image.isEmpty())
            qCInfo(lcProxy, "login(): session index %d does not exist; using the default image",
                   sessionIndex);
    }
    if (image.isEmpty()) {
        Outcome o;
        o.failure = SDVM_FAILURE_IMAGE_UNKNOWN;
        m_status->setFailure(o, user);
        Q_EMIT informationMessage(m_status->reason());
        Q_EMIT loginFailed();
        return;
    }

    QByteArray secret = password.toUtf8();
    m_user = user;
    m_status->setBusy(m_sessions->imageName(row));
    if (looksLikeNai(user))
        qCInfo(lcProxy, "login for %s with image %s", qPrintable(user), qPrintable(image));
    else
        qCInfo(lcProxy, "login with image %s; the user field is not a user@realm name (not"
               " logged: it may be a password)", qPrintable(image));
    const int r = m_bridge->login(user, secret, image); // wipes secret
    if (r < 0) {
        Outcome o;
        switch (-r) {
        case ENOTCONN:
        case EPIPE:
        case ECONNREFUSED:
            o.failure = SDVM_FAILURE_DAEMON_UNAVAILABLE;
            break;
        case EBUSY:
            o.failure = SDVM_FAILURE_BUSY;
            break;
        case EINVAL:
            o.failure = SDVM_FAILURE_INVALID_NAI;
            break;
        default:
            o.failure = SDVM_FAILURE_INTERNAL;
            o.detail = QString::fromLocal8Bit(strerror(-r));
            break;
        }
        qCWarning(lcProxy, "cannot start the login: %s", strerror(-r));
        onFinished(o);
    }
}

void
GreeterProxy::onFinished(const Outcome &o)
{
    qCInfo(lcProxy, "login failed: %s%s%s", sdvm_failure_to_string(static_cast<sdvm_failure>(o.failure)),
           o.detail.isEmpty() ? "" : ": ", qPrintable(o.detail));
    m_status->setFailure(o, m_user);
    m_user.clear();
    Q_EMIT informationMessage(m_status->reason());
    Q_EMIT loginFailed();
}

void
GreeterProxy::cancel()
{
    m_bridge->cancel();
}

void
GreeterProxy::power(enum sdvm_power_action action)
{
    if (!(m_power & action)) {
        qCInfo(lcProxy, "power action %u is not offered here", static_cast<unsigned>(action));
        return;
    }
    int r = m_bridge->power(action);
    if (r < 0) {
        qCWarning(lcProxy, "power action failed: %s", strerror(-r));
        m_status->setLocalProblem(StatusController::tr("The terminal refused the power action."),
                                  QString::fromLocal8Bit(strerror(-r)));
    }
}

void GreeterProxy::powerOff() { power(SDVM_POWER_OFF); }
void GreeterProxy::reboot() { power(SDVM_POWER_REBOOT); }
void GreeterProxy::suspend() { power(SDVM_POWER_SUSPEND); }
void GreeterProxy::hibernate() { power(SDVM_POWER_HIBERNATE); }
void GreeterProxy::hybridSleep() { power(SDVM_POWER_HYBRID_SLEEP); }

} // namespace sdvm
