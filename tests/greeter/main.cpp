// SPDX-License-Identifier: GPL-2.0-or-later
// One QGuiApplication (offscreen, fake backend) for all greeter tests in a binary.
#include <gtest/gtest.h>

#include <QGuiApplication>
#include <QLocale>

int
main(int argc, char **argv)
{
    qputenv("QT_QPA_PLATFORM", "offscreen");
    qputenv("SDVM_BACKEND", "fake");
    qunsetenv("QML_XHR_ALLOW_FILE_READ");
    QLocale::setDefault(QLocale(QLocale::English, QLocale::UnitedStates));
    QGuiApplication app(argc, argv);
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
