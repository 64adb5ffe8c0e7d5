// SPDX-License-Identifier: GPL-2.0-or-later
// greeter-screen-probe OUT.png: grab the whole X screen (as a person would see it), save it,
// and print how many pixels have the status layer's accent colour (#ffd23f).
#include <QGuiApplication>
#include <QImage>
#include <QPixmap>
#include <QScreen>
#include <cstdio>
#include <cstdlib>

int
main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: greeter-screen-probe OUT.png\n");
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
    const QColor accent(0xff, 0xd2, 0x3f);
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
    printf("%ld\n", hits);
    return 0;
}
