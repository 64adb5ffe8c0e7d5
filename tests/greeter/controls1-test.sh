#!/bin/sh
# Issue 16, pattern 2: a Qt 5-era theme of ours that imports Qt Quick Controls 1 (no
# QtVersion). THEME (tests/data/greeter/THEME, default controls1) is one of
#   controls1       its fields are Controls 1 TextFields styled with TextFieldStyle;
#   controls1-dead  its fields are Controls 2; a helper (components/Fader.qml) imports
#                   Controls 1 and its styles and uses neither (the Breeze leftover).
# The Qt 6 greeter alone refuses it (its fallback theme, with the reason, naming the file that
# imports Controls 1); sdvm-greeter --test-mode runs it in sdvm-greeter-qt5, where it is shown
# as itself; on an X server (Xvfb, xcb) a person types a NAI into the theme's own field, Tab,
# a password and Return with xdotool, and the fake backend gets the login with that NAI.
# controls1-test.sh GREETER SRC OUT [THEME]
set -eu
greeter=$1
src=$2
out=$3
name=${4:-controls1}
theme=$src/tests/data/greeter/$name
case $name in
controls1) importer=$theme/Main.qml ;;
controls1-dead) importer=$theme/components/Fader.qml ;;
*) echo "controls1-test.sh: unknown theme $name" >&2; exit 2 ;;
esac
rm -rf "$out"
mkdir -p "$out"

# shellcheck source=lib-x.sh
. "$(dirname "$0")/lib-x.sh"

trap x_cleanup EXIT INT TERM

fail() {
    echo "FAIL: $*" >&2
    for f in "$out"/*.log "$out"/*.json; do [ -e "$f" ] && { echo "--- $f" >&2; cat "$f" >&2; }; done
    exit 1
}

# 1. The Qt 6 greeter by itself: the fallback theme, and why.
set +e
QT_QPA_PLATFORM=offscreen "$greeter" --test-mode --same-greeter --theme "$theme" --size 1280x800 \
    --screenshot "$out/qt6.png" --report "$out/qt6.json" > "$out/qt6.log" 2>&1
got=$?
set -e
[ "$got" = 3 ] || fail "the Qt 6 greeter: exit status $got, expected 3 (fallback)"
expect_in "$out/qt6.json" '"fallback": true'
expect_in "$out/qt6.json" "$importer imports QtQuick.Controls 1.4 (Qt Quick Controls 1)"
echo "ok - the Qt 6 greeter alone shows its fallback theme, naming Controls 1 and $importer"

# 2. A Qt 6 port that forgot QtVersion=6 goes to the Qt 5 greeter (as under SDDM 0.21), which
# refuses it saying what to add (once, with the first theme).
if [ "$name" = controls1 ]; then
    set +e
    QT_QPA_PLATFORM=offscreen "$greeter" --test-mode --theme "$src/tests/data/greeter/qt6-port" \
        --size 800x600 --screenshot "$out/port.png" --report "$out/port.json" > "$out/port.log" 2>&1
    got=$?
    set -e
    [ "$got" = 3 ] || fail "the Qt 6 port: exit status $got, expected 3 (fallback)"
    expect_in "$out/port.json" '"qt": "5.'
    expect_in "$out/port.json" 'should say QtVersion=6'
    echo "ok - a Qt 6 theme without QtVersion=6 is refused by the Qt 5 greeter, naming the fix"
fi

# 3. A person's login on an X server, the greeter chosen by the theme.
x_start 91 1280x800x24 "$out/xvfb.log"

user=ana@example.edu
password=pw-4-$name
greeter_start_on_x "$greeter" "$out/fake.log" "$out/greeter.log" "$name" \
    --theme "$theme" --report "$out/xcb.json"
greeter_type_login "$user" "$password" 30
greeter_submit_and_wait
expect_in "$out/xcb.json" '"fallback": false'
expect_in "$out/xcb.json" '"qt": "5.'
echo "ok - sdvm-greeter --test-mode ran the theme as itself in the Qt 5 greeter"
greeter_expect_login "$out/fake.log" "$user" "$password" "the theme's own field" "$out/greeter.log" "$out/xcb.json"
