// SPDX-License-Identifier: GPL-2.0-or-later
// The on-screen keyboard ([Greeter] VirtualKeyboard=true): it appears for the focused field and
// never covers it; the theme slides up and comes back down when the keyboard goes.
#include <gtest/gtest.h>

#include <QGuiApplication>
#include <QInputMethod>
#include <QLocale>

#include "greeter_test.h"

using namespace sdvm;
using namespace sdvm::test;

namespace {
QQuickItem *
inputIn(QQuickItem *field)
{
    QQuickItem *input = nullptr;
    walk(field, [&](QQuickItem *i) {
        if (!input && i->inherits("QQuickTextInput"))
            input = i;
    });
    return input;
}
} // namespace

TEST(VirtualKeyboard, NeverCoversTheFocusedField)
{
    // A wide, low screen: the keyboard (its height follows the width) reaches the password field.
    Harness h(QStringLiteral("sdvm"), QSize(1280, 720));
    h.settings.virtualKeyboard = true;
    h.app = std::make_unique<GreeterApp>(h.settings, h.options);
    ASSERT_TRUE(h.start());
    QQuickItem *overlay = h.app->primaryView()->overlay;
    ASSERT_NE(overlay, nullptr);

    QQuickItem *password = inputIn(findByObjectName(h.themeRoot(), QStringLiteral("passwordField")));
    ASSERT_NE(password, nullptr);
    const qreal fieldBottomBefore =
        password->mapRectToScene(QRectF(0, 0, password->width(), password->height())).bottom();
    password->forceActiveFocus();
    QGuiApplication::inputMethod()->show();
    QQuickItem *panel = nullptr;
    ASSERT_TRUE(QTest::qWaitFor([&]() {
        panel = findByObjectName(overlay, QStringLiteral("sdvmVirtualKeyboard"));
        return panel && panel->property("active").toBool() && panel->isVisible();
    }, 5000)) << "the on-screen keyboard did not appear";
    // Wait for the slide-in, then: the field lies wholly above the keyboard.
    ASSERT_TRUE(QTest::qWaitFor([&]() {
        const qreal keyboardTop = panel->mapToScene(QPointF(0, 0)).y();
        const QRectF field = password->mapRectToScene(QRectF(0, 0, password->width(), password->height()));
        return keyboardTop < h.window()->height() - 50 && field.bottom() <= keyboardTop && field.top() >= 0;
    }, 5000)) << "field bottom " << password->mapRectToScene(QRectF(0, 0, password->width(), password->height())).bottom()
              << ", keyboard top " << panel->mapToScene(QPointF(0, 0)).y()
              << ", theme y " << h.themeRoot()->y();
    const qreal keyboardTop = panel->mapToScene(QPointF(0, 0)).y();
    ASSERT_GT(fieldBottomBefore, keyboardTop) << "this screen size does not put the field under the keyboard";
    EXPECT_LT(h.themeRoot()->y(), 0.0) << "the theme did not slide up";

    // Keyboard away: the theme comes back.
    QGuiApplication::inputMethod()->hide();
    EXPECT_TRUE(QTest::qWaitFor([&]() { return qFuzzyIsNull(h.themeRoot()->y()); }, 5000))
        << "theme y " << h.themeRoot()->y();
}

int
main(int argc, char **argv)
{
    qputenv("QT_QPA_PLATFORM", "offscreen");
    qputenv("QT_IM_MODULE", "qtvirtualkeyboard"); // what the greeter sets with VirtualKeyboard=true
    qputenv("SDVM_BACKEND", "fake");
    QLocale::setDefault(QLocale(QLocale::English, QLocale::UnitedStates));
    QGuiApplication app(argc, argv);
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
