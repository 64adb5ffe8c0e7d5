// SPDX-License-Identifier: GPL-2.0-or-later
#include "hardening.h"
#include "qtcompat.h"

#include <QDesktopServices>
#include <QDir>
#include <QLibraryInfo>
#include <QRegularExpression>
#include <QFileInfo>
#include <QLoggingCategory>
#include <QMetaObject>
#include <QMutexLocker>
#include <QNetworkReply>
#include <QTimer>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

Q_LOGGING_CATEGORY(lcHardening, "sdvm.greeter.hardening", QtInfoMsg)

namespace sdvm {

// --- network ------------------------------------------------------------------------------

std::atomic<int> RefusingNetworkAccessManager::s_refused{0};

namespace {
class RefusedReply : public QNetworkReply
{
public:
    RefusedReply(QNetworkAccessManager::Operation op, const QNetworkRequest &request,
                 QObject *parent)
        : QNetworkReply(parent)
    {
        setRequest(request);
        setUrl(request.url());
        setOperation(op);
        setError(ContentAccessDenied,
                 QStringLiteral("network access is disabled in the greeter"));
        QIODevice::open(QIODevice::ReadOnly);
        setFinished(true);
        QMetaObject::invokeMethod(this, [this]() {
            Q_EMIT errorOccurred(ContentAccessDenied);
            Q_EMIT finished();
        }, Qt::QueuedConnection);
    }
    void abort() override {}
    qint64 bytesAvailable() const override { return 0; }

protected:
    qint64 readData(char *, qint64) override { return -1; }
};
} // namespace

QNetworkReply *
RefusingNetworkAccessManager::createRequest(Operation op, const QNetworkRequest &request,
                                            QIODevice *)
{
    s_refused++;
    // Scheme, host and port only: the theme may put the password in the path as well.
    qCWarning(lcHardening, "refused network access from the theme: %s",
              qPrintable(request.url().toDisplayString(QUrl::RemoveUserInfo | QUrl::RemovePath |
                                                       QUrl::RemoveQuery | QUrl::RemoveFragment)));
    return new RefusedReply(op, request, this);
}

QNetworkAccessManager *
RefusingNetworkFactory::create(QObject *parent)
{
    return new RefusingNetworkAccessManager(parent);
}

// --- theme URLs ---------------------------------------------------------------------------

ThemeUrlInterceptor::ThemeUrlInterceptor(const QString &themeDir, const QString &componentsPrefix)
    : m_themeDir(QDir::cleanPath(themeDir)), m_componentsPrefix(componentsPrefix)
{
}

QString
ThemeUrlInterceptor::findInTheme(const QString &relative) const
{
    if (m_themeDir.isEmpty() || relative.isEmpty())
        return QString();
    // Try the path, then the path without its leading folders ("components/images/x.svg"
    // written in components/Foo.qml meant "images/x.svg" from the theme root, or the theme
    // wrote "images/x.svg" and it was resolved inside a subfolder).
    QStringList parts = QDir::cleanPath(relative).split(QLatin1Char('/'), Qt::SkipEmptyParts);
    if (parts.contains(QLatin1String("..")))
        return QString();
    while (!parts.isEmpty()) {
        const QString candidate = m_themeDir + QLatin1Char('/') + parts.join(QLatin1Char('/'));
        if (QFileInfo(candidate).isFile())
            return candidate;
        parts.removeFirst();
    }
    return QString();
}

bool
qmldirNamesPlugin(const QString &path)
{
    const QString qtModules = qtDir(QtDir::QmlImports);
    if (!qtModules.isEmpty() && QDir::cleanPath(path).startsWith(qtModules + QLatin1Char('/')))
        return false;
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return false;
    static const QRegularExpression pluginRe(
        QStringLiteral("^\\s*(?:optional\\s+)?plugin\\s+\\S"), QRegularExpression::MultilineOption);
    return pluginRe.match(QString::fromUtf8(f.read(1024 * 1024))).hasMatch();
}

QUrl
ThemeUrlInterceptor::intercept(const QUrl &url, DataType type)
{
    if (type == QmldirFile) {
        // Review H2: a directory import whose qmldir names a native plugin (in the theme, or a
        // folder the theme names by path) fails to import instead of loading the plugin.
        if (url.isLocalFile() && qmldirNamesPlugin(url.toLocalFile())) {
            qCWarning(lcHardening, "refused %s: it names a native plugin, and the greeter runs "
                                   "no theme's native code", qPrintable(url.toLocalFile()));
            return QUrl(QStringLiteral("qrc:/sdvm/refused-native-plugin/qmldir"));
        }
        return url;
    }
    if (type != UrlString)
        return url;
    static const QStringList localSchemes = {QString(), QStringLiteral("file"),
                                             QStringLiteral("qrc"), QStringLiteral("data"),
                                             QStringLiteral("image")};
    if (!localSchemes.contains(url.scheme())) {
        RefusingNetworkAccessManager::countRefused();
        // Scheme, host and port only: the rest may carry the password.
        qCWarning(lcHardening,
                  "refused a %s: URL from the theme (%s): the greeter reaches "
                  "nothing outside the theme folder",
                  qPrintable(url.scheme()),
                  qPrintable(url.toDisplayString(QUrl::RemoveUserInfo | QUrl::RemovePath |
                                                 QUrl::RemoveQuery | QUrl::RemoveFragment)));
        // Empty data: a picture that fails, a video GStreamer has no element for (dataurisrc
        // is not loaded), and a scheme RefusingUrlHandler refuses (Qt.openUrlExternally).
        return QUrl(QStringLiteral("data:,"));
    }
    QString found;
    if (url.scheme() == QLatin1String("qrc")) {
        const QString path = url.path();
        if (path.startsWith(QLatin1String("/theme/"))) {
            found = findInTheme(path.mid(7));
        } else if (!QFileInfo::exists(QLatin1Char(':') + path)
                   && path.startsWith(m_componentsPrefix)) {
            // "/sdvm/imports/SddmComponents/angle-down.png" -> "angle-down.png"
            QString rest = path.mid(m_componentsPrefix.size());
            const qsizetype slash = rest.indexOf(QLatin1Char('/'));
            found = findInTheme(slash >= 0 ? rest.mid(slash + 1) : rest);
        }
        // Qt 5 read an absolute path ("/usr/share/desktop-base/...") as a file; resolved
        // against our components it became qrc:/usr/share/...
        if (found.isEmpty() && !QFileInfo::exists(QLatin1Char(':') + path)
            && !path.startsWith(QLatin1String("/theme/")) && QFileInfo(path).isFile())
            found = path;
    } else if (url.isLocalFile()) {
        const QString path = QDir::cleanPath(url.toLocalFile());
        if (!m_themeDir.isEmpty() && path.startsWith(m_themeDir + QLatin1Char('/'))
            && !QFileInfo::exists(path)) {
            QString rel = path.mid(m_themeDir.size() + 1);
            const qsizetype slash = rel.indexOf(QLatin1Char('/'));
            if (slash >= 0) // a miss in a subfolder: retry from the root
                found = findInTheme(rel.mid(slash + 1));
        }
    }
    if (found.isEmpty())
        return url;
    QUrl redirected = QUrl::fromLocalFile(found);
    {
        QMutexLocker lock(&m_mutex);
        m_redirects.append(url.toString() + QStringLiteral(" -> ") + redirected.toString());
    }
    qCDebug(lcHardening, "theme URL %s -> %s", qPrintable(url.toString()),
            qPrintable(redirected.toString()));
    return redirected;
}

QStringList
ThemeUrlInterceptor::redirects() const
{
    QMutexLocker lock(&m_mutex);
    return m_redirects;
}

// --- external URLs ----------------------------------------------------------------------

std::atomic<int> RefusingUrlHandler::s_refused{0};

const QStringList &
RefusingUrlHandler::urlSchemes()
{
    // Every scheme xdg-open, a browser or a desktop's handlers are known to act on. A scheme
    // not listed here reaches the platform services, and its xdg-open fails to start under
    // sdvmd's seccomp filter.
    static const QStringList schemes = {
        QStringLiteral("http"),     QStringLiteral("https"),    QStringLiteral("ftp"),
        QStringLiteral("ftps"),     QStringLiteral("sftp"),     QStringLiteral("ws"),
        QStringLiteral("wss"),      QStringLiteral("file"),     QStringLiteral("data"),
        QStringLiteral("mailto"),   QStringLiteral("tel"),      QStringLiteral("sms"),
        QStringLiteral("callto"),   QStringLiteral("sip"),      QStringLiteral("sips"),
        QStringLiteral("xmpp"),     QStringLiteral("irc"),      QStringLiteral("ircs"),
        QStringLiteral("news"),     QStringLiteral("nntp"),     QStringLiteral("snews"),
        QStringLiteral("smb"),      QStringLiteral("nfs"),      QStringLiteral("afp"),
        QStringLiteral("webdav"),   QStringLiteral("webdavs"),  QStringLiteral("dav"),
        QStringLiteral("davs"),     QStringLiteral("ssh"),      QStringLiteral("telnet"),
        QStringLiteral("rtsp"),     QStringLiteral("rtmp"),     QStringLiteral("mms"),
        QStringLiteral("magnet"),   QStringLiteral("ed2k"),     QStringLiteral("git"),
        QStringLiteral("svn"),      QStringLiteral("ldap"),     QStringLiteral("ldaps"),
        QStringLiteral("vnc"),      QStringLiteral("rdp"),      QStringLiteral("spotify"),
        QStringLiteral("steam"),    QStringLiteral("zoommtg"),  QStringLiteral("msteams"),
        QStringLiteral("slack"),    QStringLiteral("tg"),       QStringLiteral("apt"),
        QStringLiteral("appstream"),QStringLiteral("help"),     QStringLiteral("ghelp"),
        QStringLiteral("man"),      QStringLiteral("info"),     QStringLiteral("trash"),
        QStringLiteral("recent"),   QStringLiteral("network"),  QStringLiteral("geo"),
        QStringLiteral("about"),    QStringLiteral("javascript"), QStringLiteral("blob"),
    };
    return schemes;
}

void
RefusingUrlHandler::install()
{
    for (const QString &scheme : urlSchemes())
        QDesktopServices::setUrlHandler(scheme, this, "refuse");
}

void
RefusingUrlHandler::uninstall()
{
    for (const QString &scheme : urlSchemes())
        QDesktopServices::unsetUrlHandler(scheme);
}

void
RefusingUrlHandler::refuse(const QUrl &url)
{
    s_refused++;
    // The scheme only: the rest of the URL is the theme's, and may carry the password.
    qCWarning(lcHardening, "refused to open a %s: URL outside the greeter (themes open nothing)",
              qPrintable(url.scheme()));
}

// --- theme messages ---------------------------------------------------------------------

namespace {
std::atomic<bool> s_themeMuted{false};
QtMessageHandler s_previousHandler = nullptr;

void
themeMessageFilter(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    const char *category = context.category ? context.category : "";
    // The engine's warnings too (sdvm.greeter.qml): a Loader's error names its URL, which a
    // theme can build from the password (issue 14 §1).
    if (s_themeMuted.load() && (strcmp(category, "js") == 0 || strcmp(category, "qml") == 0 ||
                                strcmp(category, "sdvm.greeter.qml") == 0)) {
        static const QString hidden =
            QStringLiteral("a message from the theme (not shown: it could carry the password)");
        if (s_previousHandler)
            s_previousHandler(type, context, hidden);
        return;
    }
    if (s_previousHandler)
        s_previousHandler(type, context, message);
}
} // namespace

void
installThemeMessageFilter()
{
    if (!s_previousHandler)
        s_previousHandler = qInstallMessageHandler(themeMessageFilter);
}

void
muteThemeMessages()
{
    s_themeMuted = true;
}

// --- process ------------------------------------------------------------------------------

int
dropPrivileges(const QString &user, bool testMode, QString *error)
{
    if (geteuid() != 0 && getuid() != 0)
        return 0;
    if (testMode) {
        qCWarning(lcHardening, "running as root in test mode: themes are trusted here; the "
                               "login screen itself always runs as [Greeter] User");
        return 0;
    }
    const QByteArray name = user.toLocal8Bit();
    errno = 0;
    struct passwd *pw = getpwnam(name.constData());
    if (!pw) {
        *error = QStringLiteral("refusing to run themes as root, and the greeter user \"%1\" "
                                "does not exist ([Greeter] User, passed as --user)").arg(user);
        return errno ? -errno : -ENOENT;
    }
    if (pw->pw_uid == 0) {
        *error = QStringLiteral("refusing to run themes as root: [Greeter] User is \"%1\", "
                                "uid 0").arg(user);
        return -EPERM;
    }
    const uid_t uid = pw->pw_uid;
    const gid_t gid = pw->pw_gid;
    if (initgroups(name.constData(), gid) != 0 || setgid(gid) != 0 || setuid(uid) != 0) {
        int e = errno;
        *error = QStringLiteral("cannot become the greeter user \"%1\": %2")
                     .arg(user, QString::fromLocal8Bit(strerror(e)));
        return -e;
    }
    if (setuid(0) == 0 || geteuid() == 0) {
        *error = QStringLiteral("could regain root after dropping privileges");
        return -EPERM;
    }
    qCInfo(lcHardening, "running as %s (uid %u)", name.constData(), static_cast<unsigned>(uid));
    return 0;
}

void
scrubEnvironment(bool testMode)
{
    // Qt 6 refuses XMLHttpRequest on local files unless these are set; make sure they are not.
    // (The refusing network access manager stops such requests as well.)
    for (const char *name : {"QML_XHR_ALLOW_FILE_READ", "QML_XHR_ALLOW_FILE_WRITE"}) {
        if (getenv(name)) {
            qCWarning(lcHardening, "ignoring %s from the environment", name);
            unsetenv(name);
        }
    }
    // Issue 16: Qt 5's MediaPlayer/Video (QtMultimedia) plays through GStreamer, whose source
    // elements open http:, rtsp:, udp:, tcp:, smb: (gio) ... themselves, past the refusing
    // network access manager, and whose sources also include cameras, microphones and the
    // screen. GStreamer loads only the plugins named here: reading a local file, demuxing and
    // decoding the usual video formats, converting. No network, no capture, no sound (a login
    // screen plays none). ThemeUrlInterceptor refuses network URLs written in the QML as well.
    static const char gstPlugins[] =
        "coreelements,playback,typefindfunctions,pbtypes,app,autodetect,videoconvertscale,"
        "videoconvert,videoscale," // GStreamer before 1.22 had them apart
        "videorate,videofilter,deinterlace,audioconvert,audioresample,volume,audioparsers,"
        "ogg,theora,vorbis,opus,matroska,vpx,isomp4,id3demux,wavparse,flac,"
        "videoparsersbad,libav,dav1d";
    const char *gstOld = getenv("GST_PLUGIN_LOADING_WHITELIST");
    if (gstOld && strcmp(gstOld, gstPlugins) != 0)
        qCWarning(lcHardening, "ignoring GST_PLUGIN_LOADING_WHITELIST from the environment");
    setenv("GST_PLUGIN_LOADING_WHITELIST", gstPlugins, 1);
    // sdvmd's seccomp filter refuses every exec: GStreamer scans its plugins in-process
    // instead of in its gst-plugin-scanner helper.
    setenv("GST_REGISTRY_FORK", "no", 1);
    // On a terminal, modules come only from the system and the greeter itself. Themers may
    // add import paths in test mode.
    if (!testMode) {
        for (const char *name : {"QML2_IMPORT_PATH", "QML_IMPORT_PATH"}) {
            if (getenv(name)) {
                qCWarning(lcHardening, "ignoring %s from the environment", name);
                unsetenv(name);
            }
        }
    }
}

} // namespace sdvm
