// SPDX-License-Identifier: GPL-2.0-or-later
// The list models SDDM themes use: sessionModel (= VM images), userModel, screenModel.
// Role names, role order and properties are SDDM's; roles of our own come after SDDM's.
#pragma once

#include <QAbstractListModel>
#include <QPointer>
#include <QRect>
#include <QUrl>

#include "bridge.h"

#include <QScreen>

namespace sdvm {

// Rows are the image catalog: name = display name, file = image id (what login() sends).
class SessionModel : public QAbstractListModel
{
    Q_OBJECT
    Q_PROPERTY(int lastIndex READ lastIndex NOTIFY lastIndexChanged)
    Q_PROPERTY(int count READ rowCount NOTIFY countChanged)
public:
    enum Role {
        DirectoryRole = Qt::UserRole + 1,
        FileRole,
        TypeRole,
        NameRole,
        ExecRole,
        CommentRole,
        // SDVM's own, after SDDM's:
        OsTypeRole,
        AvailableRole,
        DefaultRole,
        UnavailableReasonRole,
        UnavailableDetailRole,
    };
    Q_ENUM(Role)

    explicit SessionModel(QObject *parent = nullptr);

    void setImages(const QVector<ImageInfo> &images);
    const QVector<ImageInfo> &images() const { return m_images; }
    int lastIndex() const;
    // The image id of a row, or "" when the row does not exist.
    QString imageId(int row) const;
    QString imageName(int row) const;
    // Why an image cannot be started, in the person's language (by its number; sdvmd's text,
    // which may name files, only for numbers this greeter does not know).
    static QString unavailableText(const ImageInfo &image);

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

Q_SIGNALS:
    void lastIndexChanged();
    void countChanged();

private:
    QVector<ImageInfo> m_images;
};

// Network accounts have no local list, and earlier users are never shown (privacy). The model
// holds one row, the network account: its name is empty, and themes that show only a user
// list (maui) log in with it; the greeter's status layer then asks for the user name.
class UserModel : public QAbstractListModel
{
    Q_OBJECT
    Q_PROPERTY(int lastIndex READ lastIndex CONSTANT)
    Q_PROPERTY(QString lastUser READ lastUser CONSTANT)
    Q_PROPERTY(int count READ count CONSTANT)
    Q_PROPERTY(int disableAvatarsThreshold READ disableAvatarsThreshold CONSTANT)
    Q_PROPERTY(bool containsAllUsers READ containsAllUsers CONSTANT)
public:
    enum Role {
        NameRole = Qt::UserRole + 1,
        RealNameRole,
        HomeDirRole,
        IconRole,
        NeedsPasswordRole,
    };
    Q_ENUM(Role)

    explicit UserModel(QObject *parent = nullptr);

    // The single row's name: not a user, a harmless placeholder, so a theme's
    // `userModel.data(...name...) || "fallback"` keeps it and login() knows it means "no name"
    // (the name typed in the greeter's own field is used).
    static QString placeholderName() { return QStringLiteral("network-account"); }

    int lastIndex() const { return 0; }
    QString lastUser() const { return QString(); }
    int count() const { return 1; }
    int disableAvatarsThreshold() const { return 7; }
    bool containsAllUsers() const { return false; }

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;
};

// One row: the screen of the view this model belongs to (geometry at 0,0).
class ScreenModel : public QAbstractListModel
{
    Q_OBJECT
    Q_PROPERTY(int primary READ primary NOTIFY primaryChanged)
public:
    enum Role { NameRole = Qt::UserRole + 1, GeometryRole };
    Q_ENUM(Role)

    // fixedSize: the test-mode --size (overrides the screen's size) or an invalid size.
    ScreenModel(QScreen *screen, QSize fixedSize, QObject *parent = nullptr);

    int primary() const;
    Q_INVOKABLE QRect geometry(int index = -1) const;
    QScreen *screen() const { return m_screen; }

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

Q_SIGNALS:
    void primaryChanged();

private:
    void screenChanged();

    QPointer<QScreen> m_screen;
    QSize m_fixedSize;
    bool m_wasPrimary = false;
};

} // namespace sdvm
