#!/bin/sh
# Issue 16, pattern 6: the Sugar family's image selector (a ComboBox whose label is its
# contentItem, with no size of its own, in an Item shorter than it, at the bottom of a Column a
# layout makes too short, above a full-screen MouseArea) opens from its label, in the Qt 6
# greeter (--same-greeter) and in the Qt 5 one (the theme has no QtVersion). On an X server
# (Xvfb, xcb) a person types a NAI and a password, clicks the label, picks the second image in
# the list and clicks "Log in"; the fake backend must get the login with that image.
# And the look (--screenshot, counted by greeter-screen-probe): the Qt 6 greeter draws a Qt 5-era
# theme with Qt 5's Controls style (Basic): a disabled Button with palette.button "transparent"
# is not a black box, and a RoundButton's black icon takes palette.buttonText's colour.
set -eu
greeter=$1
probe=$2
src=$3
out=$4
theme=$src/tests/data/greeter/label-selector
rm -rf "$out"
mkdir -p "$out"

# shellcheck source=lib-x.sh
. "$(dirname "$0")/lib-x.sh"

trap x_cleanup EXIT INT TERM

fail() {
    echo "FAIL: $*" >&2
    for f in "$out"/*.log; do [ -e "$f" ] && { echo "--- $f" >&2; cat "$f" >&2; }; done
    exit 1
}

# 1. The look, in the Qt 6 greeter (offscreen, software: no effects are involved).
QT_QPA_PLATFORM=offscreen "$greeter" --test-mode --same-greeter --theme "$theme" --size 1280x800 \
    --settle 300 --screenshot "$out/look.png" > "$out/look.log" 2>&1 || fail "no screenshot"
black=$(QT_QPA_PLATFORM=offscreen "$probe" --count "$out/look.png" 000000)
tinted=$(QT_QPA_PLATFORM=offscreen "$probe" --count "$out/look.png" 40e0d0)
echo "# pure black pixels $black, icon-coloured pixels $tinted"
[ "$black" -lt 100 ] || fail "black boxes: $black pure black pixels (Buttons with palette.button transparent)"
echo "ok - qt6: no black box for a Button with palette.button \"transparent\""
[ "$tinted" -ge 500 ] || fail "the RoundButton's icon is not tinted by palette.buttonText ($tinted pixels)"
echo "ok - qt6: a Button's icon takes the colour of palette.buttonText"

# 2. The selector, on an X server, in both greeters.
x_start 91 1280x800x24 "$out/xvfb.log"

user=ana@example.edu
password=pw-4-selector
# Where the theme puts things (fixed pixels, see its Main.qml).
label_x=130
label_y=459
second_image_y=525
login_x=300
login_y=420

run() { # NAME [GREETER OPTIONS]
    name=$1
    shift
    greeter_start_on_x "$greeter" "$out/$name-fake.log" "$out/$name-greeter.log" "$name" \
        --theme "$theme" --size 1280x800 --report "$out/$name.json" "$@"
    greeter_type_login "$user" "$password" 30
    sleep 0.5
    xdotool mousemove "$label_x" "$label_y" click 1
    sleep 1
    xdotool mousemove "$label_x" "$second_image_y" click 1
    sleep 0.5
    xdotool mousemove "$login_x" "$login_y" click 1
    greeter_wait_exit
    grep -F -q '"fallback": false' "$out/$name.json" || fail "$name: the theme was not shown as itself"
    grep -F -q "LOGIN nai=$user image=debian-12 " "$out/$name-fake.log" 2> /dev/null ||
        fail "$name: no login with the second image (the list did not open from its label?): $(grep -F LOGIN "$out/$name-fake.log" 2> /dev/null || echo 'no login at all')"
    if grep -F -q "$password" "$out/$name-fake.log" "$out/$name-greeter.log" "$out/$name.json"; then
        fail "$name: the password is in a log"
    fi
    echo "ok - $name: the image list opened from its label; the login went with the image picked there"
}

run qt6 --same-greeter
grep -F -q '"qt": "6.' "$out/qt6.json" || fail "qt6: not the Qt 6 greeter"
if [ -x "$(dirname "$greeter")/$(basename "$greeter")-qt5" ]; then
    run qt5
    grep -F -q '"qt": "5.' "$out/qt5.json" || fail "qt5: not the Qt 5 greeter"
else
    echo "ok - qt5: skipped, no $(basename "$greeter")-qt5 next to $greeter"
fi
