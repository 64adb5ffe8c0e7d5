// SPDX-License-Identifier: GPL-2.0-or-later
#include "models.h"

#include <QGuiApplication>
#include <QScreen>

namespace sdvm {

// --- SessionModel -------------------------------------------------------------------------

SessionModel::SessionModel(QObject *parent) : QAbstractListModel(parent) {}

void
SessionModel::setImages(const QVector<ImageInfo> &images)
{
    const int oldCount = m_images.size();
    const int oldLast = lastIndex();
    beginResetModel();
    m_images = images;
    endResetModel();
    if (oldCount != m_images.size())
        Q_EMIT countChanged();
    if (oldLast != lastIndex())
        Q_EMIT lastIndexChanged();
}

int
SessionModel::lastIndex() const
{
    for (int i = 0; i < m_images.size(); i++)
        if (m_images.at(i).isDefault)
            return i;
    return 0;
}

QString
SessionModel::imageId(int row) const
{
    return row >= 0 && row < m_images.size() ? m_images.at(row).id : QString();
}

QString
SessionModel::imageName(int row) const
{
    return row >= 0 && row < m_images.size() ? m_images.at(row).name : QString();
}

QString
SessionModel::unavailableText(const ImageInfo &image)
{
    switch (image.unavailableStatus) {
    case SDVM_IMAGE_QCOW2_MISSING:
        return tr("The image's disk file is missing on this terminal.");
    case SDVM_IMAGE_QCOW2_UNREADABLE:
        return tr("The image's disk file cannot be read on this terminal.");
    case SDVM_IMAGE_NOT_QCOW2:
        return tr("The image's disk file is not a disk image SDVM can start.");
    case SDVM_IMAGE_CORRUPT:
        return tr("The image's disk file is damaged.");
    case SDVM_IMAGE_UNSUPPORTED:
        return tr("The image's disk file uses features SDVM cannot start.");
    case SDVM_IMAGE_INI_MISSING:
        return tr("The image has no description on this terminal.");
    case SDVM_IMAGE_INI_BROKEN:
        return tr("The image's description on this terminal is invalid.");
    default:
        // A number this greeter does not know yet, or none: sdvmd's own words, else ours.
        return image.unavailableReason.isEmpty()
                   ? tr("This image cannot be started on this terminal.")
                   : image.unavailableReason;
    }
}

int
SessionModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : m_images.size();
}

QVariant
SessionModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() < 0 || index.row() >= m_images.size())
        return QVariant();
    const ImageInfo &image = m_images.at(index.row());
    switch (role) {
    case DirectoryRole:
        return QString();
    case FileRole:
        return image.id;
    case TypeRole:
        return 0; // SDDM: 0 unknown, 1 X11, 2 Wayland. A VM image is neither.
    case Qt::DisplayRole:
    case NameRole:
        return image.available ? image.name : tr("%1 (unavailable)").arg(image.name);
    case ExecRole:
        return image.id;
    case CommentRole:
        return image.available ? image.comment : unavailableText(image);
    case OsTypeRole:
        return image.osType;
    case AvailableRole:
        return image.available;
    case DefaultRole:
        return image.isDefault;
    case UnavailableReasonRole:
        return image.available ? QString() : unavailableText(image);
    case UnavailableDetailRole:
        return image.unavailableReason;
    default:
        return QVariant();
    }
}

QHash<int, QByteArray>
SessionModel::roleNames() const
{
    return {
        {DirectoryRole, "directory"}, {FileRole, "file"},   {TypeRole, "type"},
        {NameRole, "name"},           {ExecRole, "exec"},   {CommentRole, "comment"},
        {OsTypeRole, "osType"},       {AvailableRole, "available"},
        {DefaultRole, "isDefault"},   {UnavailableReasonRole, "unavailableReason"},
        {UnavailableDetailRole, "unavailableDetail"},
    };
}

// --- UserModel ----------------------------------------------------------------------------

UserModel::UserModel(QObject *parent) : QAbstractListModel(parent) {}

int
UserModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : 1;
}

QVariant
UserModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() != 0)
        return QVariant();
    switch (role) {
    case NameRole:
        return placeholderName(); // the status layer supplies the name typed there
    case Qt::DisplayRole:
    case RealNameRole:
        return tr("Network account");
    case HomeDirRole:
        return QString();
    case IconRole:
        return QUrl(QStringLiteral("qrc:/sdvm/images/avatar.svg"));
    case NeedsPasswordRole:
        return true;
    default:
        return QVariant();
    }
}

QHash<int, QByteArray>
UserModel::roleNames() const
{
    return {{NameRole, "name"},
            {RealNameRole, "realName"},
            {HomeDirRole, "homeDir"},
            {IconRole, "icon"},
            {NeedsPasswordRole, "needsPassword"}};
}

// --- ScreenModel --------------------------------------------------------------------------

ScreenModel::ScreenModel(QScreen *screen, QSize fixedSize, QObject *parent)
    : QAbstractListModel(parent), m_screen(screen), m_fixedSize(fixedSize)
{
    m_wasPrimary = primary() == 0;
    if (screen) {
        connect(screen, &QScreen::geometryChanged, this, &ScreenModel::screenChanged);
    }
    connect(qGuiApp, &QGuiApplication::primaryScreenChanged, this, &ScreenModel::screenChanged);
}

void
ScreenModel::screenChanged()
{
    if (!m_fixedSize.isValid())
        Q_EMIT dataChanged(index(0), index(0), {GeometryRole});
    const bool isPrimary = primary() == 0;
    if (isPrimary != m_wasPrimary) {
        m_wasPrimary = isPrimary;
        Q_EMIT primaryChanged();
    }
}

int
ScreenModel::primary() const
{
    return m_screen && m_screen == QGuiApplication::primaryScreen() ? 0 : -1;
}

QRect
ScreenModel::geometry(int) const
{
    if (m_fixedSize.isValid())
        return QRect(QPoint(0, 0), m_fixedSize);
    return m_screen ? QRect(QPoint(0, 0), m_screen->geometry().size()) : QRect();
}

int
ScreenModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : 1;
}

QVariant
ScreenModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() != 0)
        return QVariant();
    switch (role) {
    case Qt::DisplayRole:
    case NameRole:
        return m_screen ? m_screen->name() : QString();
    case GeometryRole:
        return geometry();
    default:
        return QVariant();
    }
}

QHash<int, QByteArray>
ScreenModel::roleNames() const
{
    return {{NameRole, "name"}, {GeometryRole, "geometry"}};
}

} // namespace sdvm
