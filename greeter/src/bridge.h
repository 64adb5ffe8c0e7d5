// SPDX-License-Identifier: GPL-2.0-or-later
// SdvmBridge: the one place where libsdvm's C callbacks become Qt signals.
#pragma once

#include <QObject>
#include <QString>
#include <QVector>

#include <sdvm.h>

class QSocketNotifier;

namespace sdvm {

struct ImageInfo {
    QString id;
    QString name;
    QString osType;
    QString comment;
    bool isDefault = false;
    bool available = true;
    QString unavailableReason; // sdvmd's words (may name files): a detail for the admin
    int unavailableStatus = 0; // enum sdvm_image_status; 0 when available or not said
};

// How a login ended (a copy of struct sdvm_outcome, which lives only during the callback).
struct Outcome {
    int failure = SDVM_FAILURE_INTERNAL;
    QString detail;
    unsigned retryAfterSeconds = 0;
    QString institution;
    QString helpdeskEmail;
    QString helpdeskPhone;
    QString helpdeskUrl;
};

class SdvmBridge : public QObject
{
    Q_OBJECT
public:
    explicit SdvmBridge(QObject *parent = nullptr);
    ~SdvmBridge() override;

    // Connect the backend (the daemon socket, or the fake when SDVM_BACKEND=fake).
    // Returns 0 or -errno; on failure the bridge stays disconnected and may be retried.
    int connectBackend();
    bool isConnected() const { return m_ctx != nullptr; }

    const QVector<ImageInfo> &images() const { return m_images; }
    QString hostName() const;
    unsigned powerAvailable() const;

    // Start a login. The password buffer is wiped before returning, whatever the outcome.
    // Returns 0, or -errno as sdvm_login_start() does (-EBUSY, -EINVAL, -EPIPE, -ENOTCONN).
    int login(const QString &user, QByteArray &password, const QString &imageId);
    int cancel();
    bool loginInProgress() const { return m_op != 0; }
    int power(enum sdvm_power_action action);

Q_SIGNALS:
    void connectedChanged(bool connected);
    void imagesChanged();
    void progress(int stage);
    void message(bool isError, const QString &text);
    void finished(const sdvm::Outcome &outcome);
    void launching();
    void disconnected();

private:
    static void onProgress(sdvm_ctx *ctx, uint64_t op, enum sdvm_stage stage, void *userdata);
    static void onMessage(sdvm_ctx *ctx, uint64_t op, int is_error, const char *text,
                          void *userdata);
    static void onFinished(sdvm_ctx *ctx, uint64_t op, const struct sdvm_outcome *outcome,
                           void *userdata);
    static void onLaunching(sdvm_ctx *ctx, uint64_t op, void *userdata);
    static void onImagesChanged(sdvm_ctx *ctx, void *userdata);
    static void onDisconnected(sdvm_ctx *ctx, void *userdata);
    static void onLog(enum sdvm_log_level level, const char *msg, void *userdata);

    void dispatch();
    void reloadImages();
    void drop(); // forget the context (disconnected)

    sdvm_ctx *m_ctx = nullptr;
    QSocketNotifier *m_notifier = nullptr;
    uint64_t m_op = 0;
    bool m_lostConnection = false;
    QVector<ImageInfo> m_images;
};

} // namespace sdvm

Q_DECLARE_METATYPE(sdvm::Outcome)
