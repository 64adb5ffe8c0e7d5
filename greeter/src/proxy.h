// SPDX-License-Identifier: GPL-2.0-or-later
// `sddm`: SDDM's GreeterProxy contract, answered by libsdvm. login(user, password, index)
// starts an 802.1X login for the VM image in sessionModel's row `index`.
#pragma once

#include <QObject>
#include <QString>

#include "bridge.h"

namespace sdvm {

class SessionModel;
class StatusController;

class GreeterProxy : public QObject
{
    Q_OBJECT
    Q_PROPERTY(QString hostName READ hostName NOTIFY hostNameChanged)
    Q_PROPERTY(bool canPowerOff READ canPowerOff NOTIFY canPowerOffChanged)
    Q_PROPERTY(bool canReboot READ canReboot NOTIFY canRebootChanged)
    Q_PROPERTY(bool canSuspend READ canSuspend NOTIFY canSuspendChanged)
    Q_PROPERTY(bool canHibernate READ canHibernate NOTIFY canHibernateChanged)
    Q_PROPERTY(bool canHybridSleep READ canHybridSleep NOTIFY canHybridSleepChanged)
    Q_PROPERTY(bool isConnected READ isConnected NOTIFY connectedChanged)
public:
    // The power actions offered are the login service's mask: sdvmd has already applied
    // sdvm.conf [Greeter] PowerActions to what logind allows.
    GreeterProxy(SdvmBridge *bridge, SessionModel *sessions, StatusController *status,
                 QObject *parent = nullptr);

    QString hostName() const;
    bool canPowerOff() const { return m_power & SDVM_POWER_OFF; }
    bool canReboot() const { return m_power & SDVM_POWER_REBOOT; }
    bool canSuspend() const { return m_power & SDVM_POWER_SUSPEND; }
    bool canHibernate() const { return m_power & SDVM_POWER_HIBERNATE; }
    bool canHybridSleep() const { return m_power & SDVM_POWER_HYBRID_SLEEP; }
    bool isConnected() const;

    // The user name of the login in progress (for the status layer); never the password.
    QString pendingUser() const { return m_user; }

public Q_SLOTS:
    void powerOff();
    void reboot();
    void suspend();
    void hibernate();
    void hybridSleep();
    void login(const QString &user, const QString &password, const int sessionIndex);
    void cancel();

Q_SIGNALS:
    void hostNameChanged(const QString &hostName);
    void canPowerOffChanged(bool canPowerOff);
    void canRebootChanged(bool canReboot);
    void canSuspendChanged(bool canSuspend);
    void canHibernateChanged(bool canHibernate);
    void canHybridSleepChanged(bool canHybridSleep);
    void connectedChanged();

    void socketDisconnected();
    void loginFailed();
    void loginSucceeded();
    void informationMessage(const QString &message);

private:
    void refresh();
    void fail(const QString &reason, const QString &hint);
    void power(enum sdvm_power_action action);
    void onFinished(const Outcome &outcome);

    SdvmBridge *m_bridge;
    SessionModel *m_sessions;
    StatusController *m_status;
    unsigned m_power = 0;
    QString m_hostName;
    QString m_user;
};

} // namespace sdvm
