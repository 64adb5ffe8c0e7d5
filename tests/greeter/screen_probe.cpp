// SPDX-License-Identifier: GPL-2.0-or-later
// greeter-screen-probe OUT.png: grab the whole X screen (as a person would see it), save it,
// and print how many pixels have the status layer's accent colour (#ffd23f).
// greeter-screen-probe --count FILE.png RRGGBB: how many pixels of FILE have that colour.
#include <QGuiApplication>
#include <QImage>
#include <QPixmap>
#include <QScreen>
#include <cstdio>
#include <cstdlib>
#include <cstring>

static long
countColour(const QImage &image, const QColor &accent)
{
    long hits = 0;
    for (int y = 0; y < image.height(); y++) {
        const QRgb *line = reinterpret_cast<const QRgb *>(image.constScanLine(y));
        for (int x = 0; x < image.width(); x++) {
            const QRgb p = line[x];
            if (std::abs(qRed(p) - accent.red()) < 12 && std::abs(qGreen(p) - accent.green()) < 12
                && std::abs(qBlue(p) - accent.blue()) < 12)
                hits++;
        }
    }
    return hits;
}

int
main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "--count") == 0) {
        const QImage image = QImage(QString::fromLocal8Bit(argv[2])).convertToFormat(QImage::Format_RGB32);
        const QColor colour(QStringLiteral("#") + QString::fromLatin1(argv[3]));
        if (image.isNull() || !colour.isValid()) {
            fprintf(stderr, "greeter-screen-probe: cannot read %s or colour %s\n", argv[2], argv[3]);
            return 1;
        }
        printf("%ld\n", countColour(image, colour));
        return 0;
    }
    if (argc != 2) {
        fprintf(stderr, "usage: greeter-screen-probe OUT.png | --count FILE.png RRGGBB\n");
        return 2;
    }
    qputenv("QT_QPA_PLATFORM", "xcb");
    QGuiApplication app(argc, argv);
    QScreen *screen = QGuiApplication::primaryScreen();
    if (!screen) {
        fprintf(stderr, "greeter-screen-probe: no screen\n");
        return 1;
    }
    const QImage image = screen->grabWindow(0).toImage().convertToFormat(QImage::Format_RGB32);
    if (image.isNull() || !image.save(QString::fromLocal8Bit(argv[1]), "PNG")) {
        fprintf(stderr, "greeter-screen-probe: cannot grab or save the screen\n");
        return 1;
    }
    printf("%ld\n", countColour(image, QColor(0xff, 0xd2, 0x3f)));
    return 0;
}
