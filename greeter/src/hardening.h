// SPDX-License-Identifier: GPL-2.0-or-later
// What keeps other people's QML in its box, and what makes Qt 5-era themes find their files:
// a network access manager that refuses everything, the theme URL interceptor, and the
// privilege check at start.
#pragma once

#include <QMutex>
#include <QNetworkAccessManager>
#include <QQmlAbstractUrlInterceptor>
#include <QQmlNetworkAccessManagerFactory>
#include <QStringList>
#include <atomic>

namespace sdvm {

// The QML engine's only network access manager: every request fails with
// ContentAccessDenied, before any connection is made (remote images, remote QML imports,
// XMLHttpRequest to any URL, including file: ones).
class RefusingNetworkAccessManager : public QNetworkAccessManager
{
    Q_OBJECT
public:
    using QNetworkAccessManager::QNetworkAccessManager;
    static int refusedCount() { return s_refused.load(); }
    // One more refused (by ThemeUrlInterceptor, before any request is made).
    static void
    countRefused()
    {
        s_refused++;
    }

protected:
    QNetworkReply *createRequest(Operation op, const QNetworkRequest &request,
                                 QIODevice *outgoingData) override;

private:
    static std::atomic<int> s_refused;
};

class RefusingNetworkFactory : public QQmlNetworkAccessManagerFactory
{
public:
    QNetworkAccessManager *create(QObject *parent) override;
};

// Qt 5 resolved a relative URL string where it was written (the theme's file); Qt 6 resolves
// it where it is used (e.g. inside our SddmComponents, or a theme's components/ folder), so
// "background.jpg" no longer finds the file. For URL strings whose file does not exist, this
// retries the same relative path from the theme's root; it also maps qrc:/theme/ (SDDM's
// embedded theme prefix, used by maui) to the theme folder. It only acts on misses, so
// themes that resolve correctly are never changed.
// It is also the network wall for what does not fetch through the engine's network access
// manager (issue 16): Qt 5's MediaPlayer/Video hand their source to GStreamer, which opens
// http:, rtsp:, udp: ... itself. A URL string of any scheme but the local ones (file, qrc,
// data, image, none) is refused (counted with the manager's) and replaced by an empty data:
// URL.
class ThemeUrlInterceptor : public QQmlAbstractUrlInterceptor
{
public:
    // componentsPrefix: the qrc path of our component modules ("/sdvm/imports/").
    ThemeUrlInterceptor(const QString &themeDir, const QString &componentsPrefix);
    QUrl intercept(const QUrl &url, DataType type) override;
    QStringList redirects() const;

private:
    QString findInTheme(const QString &relative) const;

    const QString m_themeDir;
    const QString m_componentsPrefix;
    mutable QMutex m_mutex;
    QStringList m_redirects;
};

// Review H2: Qt.openUrlExternally() (QDesktopServices::openUrl) runs xdg-open or a browser
// with the theme's URL on every platform with platform services (eglfs, linuxfb, vnc, xcb).
// install() routes every scheme in urlSchemes() to refuse(), which logs the scheme only (the
// URL may carry the password) and opens nothing. sdvmd's no-exec seccomp filter is the wall
// behind it for schemes not in the list.
class RefusingUrlHandler : public QObject
{
    Q_OBJECT
public:
    using QObject::QObject;
    static const QStringList &urlSchemes();
    void install();
    void uninstall();
    static int refusedCount() { return s_refused.load(); }

public Q_SLOTS:
    void refuse(const QUrl &url);

private:
    static std::atomic<int> s_refused;
};

// Review H2: the theme's console.log/print after the first frame (when a password can have
// been typed) reaches the log only as "a message from the theme". install() once in main().
void installThemeMessageFilter();
void muteThemeMessages();

// True when a qmldir file outside Qt's own QML modules names a native plugin.
bool qmldirNamesPlugin(const QString &path);

// Refuse to run themes as root. Outside test mode a greeter started as root drops to the
// configured user (sdvmd normally starts it as that user already). Returns 0, or -errno with
// *error set.
int dropPrivileges(const QString &user, bool testMode, QString *error);

// Remove environment switches that would widen what QML may do (XHR file access; outside
// test mode also extra QML import paths).
void scrubEnvironment(bool testMode);

} // namespace sdvm
