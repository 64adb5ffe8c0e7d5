// SPDX-License-Identifier: GPL-2.0-or-later
//
// libsdvm calls back only inside sdvm_dispatch(), on this thread. The trampolines copy what
// the callback hands over (strings are valid only during the call) and queue the Qt signal,
// so that slots run after sdvm_dispatch() has returned: a slot may then start a new login or
// free the context without re-entering the library.
#include "bridge.h"

#include <cstddef>

#include <QLoggingCategory>
#include <QMetaObject>
#include <QSocketNotifier>

#include <cerrno>
#include <cstring>
#include <strings.h>

Q_LOGGING_CATEGORY(lcBridge, "sdvm.greeter.bridge", QtInfoMsg)

namespace sdvm {

static QString
str(const char *s)
{
    return s ? QString::fromUtf8(s) : QString();
}

SdvmBridge::SdvmBridge(QObject *parent) : QObject(parent)
{
    qRegisterMetaType<sdvm::Outcome>();
}

SdvmBridge::~SdvmBridge()
{
    delete m_notifier;
    sdvm_ctx_free(m_ctx);
}

int
SdvmBridge::connectBackend()
{
    if (m_ctx)
        return 0;
    static const struct sdvm_listener listener = {
        sizeof(struct sdvm_listener), &SdvmBridge::onProgress, &SdvmBridge::onMessage,
        &SdvmBridge::onFinished,      &SdvmBridge::onLaunching, &SdvmBridge::onImagesChanged,
        &SdvmBridge::onDisconnected,
    };
    sdvm_ctx *ctx = nullptr;
    int r = sdvm_ctx_new(&listener, this, &ctx);
    if (r < 0) {
        qCWarning(lcBridge, "cannot reach the login service: %s", strerror(-r));
        return r;
    }
    m_ctx = ctx;
    sdvm_set_log_handler(m_ctx, SDVM_LOG_INFO, &SdvmBridge::onLog, this);
    int fd = sdvm_get_fd(m_ctx);
    if (fd < 0) {
        qCWarning(lcBridge, "login service gave no file descriptor: %s", strerror(-fd));
        sdvm_ctx_free(m_ctx);
        m_ctx = nullptr;
        return fd;
    }
    m_notifier = new QSocketNotifier(fd, QSocketNotifier::Read, this);
    connect(m_notifier, &QSocketNotifier::activated, this, &SdvmBridge::dispatch);
    m_lostConnection = false;
    reloadImages();
    Q_EMIT connectedChanged(true);
    Q_EMIT imagesChanged();
    return 0;
}

void
SdvmBridge::dispatch()
{
    if (!m_ctx)
        return;
    int r = sdvm_dispatch(m_ctx, 0);
    if (r < 0 && r != -EAGAIN && r != -EINTR) {
        qCWarning(lcBridge, "login service connection lost: %s", strerror(-r));
        drop();
    }
}

void
SdvmBridge::drop()
{
    if (!m_ctx)
        return;
    delete m_notifier;
    m_notifier = nullptr;
    // Freed from the event loop, never from inside sdvm_dispatch().
    sdvm_ctx *ctx = m_ctx;
    m_ctx = nullptr;
    QMetaObject::invokeMethod(this, [ctx]() { sdvm_ctx_free(ctx); }, Qt::QueuedConnection);
    bool hadLogin = m_op != 0;
    m_op = 0;
    if (hadLogin) {
        Outcome o;
        o.failure = SDVM_FAILURE_DAEMON_UNAVAILABLE;
        Q_EMIT finished(o);
    }
    Q_EMIT connectedChanged(false);
    Q_EMIT disconnected();
}

void
SdvmBridge::reloadImages()
{
    m_images.clear();
    if (!m_ctx)
        return;
    const struct sdvm_image *const *images = nullptr;
    size_t count = 0;
    int r = sdvm_images(m_ctx, &images, &count);
    if (r < 0) {
        qCWarning(lcBridge, "cannot read the image catalog: %s", strerror(-r));
        return;
    }
    m_images.reserve(static_cast<int>(count));
    for (size_t i = 0; i < count; i++) {
        const struct sdvm_image *im = images[i];
        ImageInfo info;
        info.id = str(im->id);
        info.name = str(im->name);
        info.osType = str(im->os_type);
        info.comment = str(im->comment);
        info.isDefault = im->is_default != 0;
        info.available = im->available != 0;
        info.unavailableReason = str(im->unavailable_reason);
        // Appended to struct sdvm_image: read only when the library's struct has it.
        if (offsetof(struct sdvm_image, unavailable_status) < im->size && !info.available)
            info.unavailableStatus = static_cast<int>(im->unavailable_status);
        m_images.append(info);
    }
}

QString
SdvmBridge::hostName() const
{
    return m_ctx ? str(sdvm_hostname(m_ctx)) : QString();
}

unsigned
SdvmBridge::powerAvailable() const
{
    return m_ctx ? sdvm_power_available(m_ctx) : 0u;
}

int
SdvmBridge::login(const QString &user, QByteArray &password, const QString &imageId)
{
    int r;
    if (!m_ctx) {
        r = -ENOTCONN;
    } else {
        const QByteArray nai = user.toUtf8();
        const QByteArray image = imageId.toUtf8();
        uint64_t op = 0;
        r = sdvm_login_start(m_ctx, nai.constData(), password.constData(), image.constData(), &op);
        if (r == 0)
            m_op = op;
    }
    // QByteArray::data() detaches first if shared, so wipe through it and then drop it.
    if (!password.isEmpty())
        explicit_bzero(password.data(), static_cast<size_t>(password.size()));
    password.clear();
    return r;
}

int
SdvmBridge::cancel()
{
    if (!m_ctx || !m_op)
        return 0;
    return sdvm_login_cancel(m_ctx, m_op);
}

int
SdvmBridge::power(enum sdvm_power_action action)
{
    return m_ctx ? sdvm_power(m_ctx, action) : -ENOTCONN;
}

// --- trampolines ------------------------------------------------------------------------

void
SdvmBridge::onProgress(sdvm_ctx *, uint64_t op, enum sdvm_stage stage, void *userdata)
{
    auto *self = static_cast<SdvmBridge *>(userdata);
    const int s = static_cast<int>(stage);
    QMetaObject::invokeMethod(self, [self, op, s]() {
        if (op == self->m_op)
            Q_EMIT self->progress(s);
    }, Qt::QueuedConnection);
}

void
SdvmBridge::onMessage(sdvm_ctx *, uint64_t op, int is_error, const char *text, void *userdata)
{
    auto *self = static_cast<SdvmBridge *>(userdata);
    const QString t = str(text);
    const bool err = is_error != 0;
    QMetaObject::invokeMethod(self, [self, op, err, t]() {
        if (op == self->m_op)
            Q_EMIT self->message(err, t);
    }, Qt::QueuedConnection);
}

void
SdvmBridge::onFinished(sdvm_ctx *, uint64_t op, const struct sdvm_outcome *outcome,
                       void *userdata)
{
    auto *self = static_cast<SdvmBridge *>(userdata);
    Outcome o;
    if (outcome) {
        o.failure = static_cast<int>(outcome->failure);
        o.detail = str(outcome->detail);
        // Fields past the size the library reports did not exist in its version.
        auto has = [outcome](size_t end) { return outcome->size >= end; };
        if (has(offsetof(struct sdvm_outcome, retry_after_s) + sizeof(uint32_t)))
            o.retryAfterSeconds = outcome->retry_after_s;
        if (has(offsetof(struct sdvm_outcome, institution) + sizeof(char *)))
            o.institution = str(outcome->institution);
        if (has(offsetof(struct sdvm_outcome, helpdesk_email) + sizeof(char *)))
            o.helpdeskEmail = str(outcome->helpdesk_email);
        if (has(offsetof(struct sdvm_outcome, helpdesk_phone) + sizeof(char *)))
            o.helpdeskPhone = str(outcome->helpdesk_phone);
        if (has(offsetof(struct sdvm_outcome, helpdesk_url) + sizeof(char *)))
            o.helpdeskUrl = str(outcome->helpdesk_url);
    }
    QMetaObject::invokeMethod(self, [self, op, o]() {
        if (op != self->m_op)
            return;
        self->m_op = 0;
        Q_EMIT self->finished(o);
    }, Qt::QueuedConnection);
}

void
SdvmBridge::onLaunching(sdvm_ctx *, uint64_t op, void *userdata)
{
    auto *self = static_cast<SdvmBridge *>(userdata);
    QMetaObject::invokeMethod(self, [self, op]() {
        if (op != self->m_op)
            return;
        self->m_op = 0;
        Q_EMIT self->launching();
    }, Qt::QueuedConnection);
}

void
SdvmBridge::onImagesChanged(sdvm_ctx *, void *userdata)
{
    auto *self = static_cast<SdvmBridge *>(userdata);
    // Our copy holds no pointer into the library's array; read the new one after dispatch.
    QMetaObject::invokeMethod(self, [self]() {
        self->reloadImages();
        Q_EMIT self->imagesChanged();
    }, Qt::QueuedConnection);
}

void
SdvmBridge::onDisconnected(sdvm_ctx *, void *userdata)
{
    auto *self = static_cast<SdvmBridge *>(userdata);
    QMetaObject::invokeMethod(self, [self]() { self->drop(); }, Qt::QueuedConnection);
}

void
SdvmBridge::onLog(enum sdvm_log_level level, const char *msg, void *)
{
    switch (level) {
    case SDVM_LOG_ERROR:
        qCCritical(lcBridge, "libsdvm: %s", msg);
        break;
    case SDVM_LOG_WARNING:
        qCWarning(lcBridge, "libsdvm: %s", msg);
        break;
    case SDVM_LOG_INFO:
        qCInfo(lcBridge, "libsdvm: %s", msg);
        break;
    case SDVM_LOG_DEBUG:
    case SDVM_LOG_SILENT:
        qCDebug(lcBridge, "libsdvm: %s", msg);
        break;
    }
}

} // namespace sdvm
