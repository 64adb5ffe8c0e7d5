#!/bin/sh
# Issue 16, the themers' tools: --screenshot on the offscreen platform says which effects it
# could not draw, and on an X server (Xvfb) draws them with GL; --settle lets animations run
# before the shot; a warning repeated by every delegate of a Repeater is reported once, counted.
# usage: themer-tools-test.sh SDVM_GREETER SCREEN_PROBE SOURCE_DIR OUT_DIR
set -eu
greeter=$1 probe=$2 src=$3 out=$4
theme=$src/tests/data/greeter/shot-effects
rm -rf "$out"
mkdir -p "$out"

fail() { echo "FAIL: $*" >&2; for f in "$out"/*.log; do echo "--- $f" >&2; cat "$f" >&2; done; exit 1; }
# shellcheck source=lib-x.sh
. "$(dirname "$0")/lib-x.sh"
trap x_cleanup EXIT INT TERM

expect_in() { # FILE TEXT
    grep -F -q -- "$2" "$1" || fail "$1 lacks: $2"
}
# pixels NAME RRGGBB: how many pixels of shot NAME have that colour
pixels() { "$probe" --count "$out/$1.png" "$2"; }

# shot NAME ARGS...: the theme at 800x600, a PNG and a report
shot() {
    name=$1
    shift
    "$greeter" --test-mode --theme "$theme" --size 800x600 --screenshot "$out/$name.png" \
        --report "$out/$name.json" "$@" > "$out/$name.log" 2>&1 || fail "$name: exit status $?"
}

# 1. Offscreen (no GL), the shot at the first frame: the effect is missing and the greeter
#    says so, in its log and in the report; the fading square is not there yet.
QT_QPA_PLATFORM=offscreen shot offscreen-now --settle 0
expect_in "$out/offscreen-now.json" '"renderer": "software"'
expect_in "$out/offscreen-now.json" '"layer.effect of Rectangle"'
expect_in "$out/offscreen-now.log" 'effect(s) could not be drawn'
[ "$(pixels offscreen-now 00ff00)" -lt 100 ] || fail "offscreen drew the effect?"
blue=$(pixels offscreen-now 0000ff)
[ "$blue" -lt 5000 ] || fail "the fading square is already there at the first frame ($blue px)"
echo "ok - offscreen, --settle 0: the effect is named as not drawn; the fade has not run ($blue px)"

# 2. The default settle (a second): the animation has run.
QT_QPA_PLATFORM=offscreen shot offscreen-settled
blue=$(pixels offscreen-settled 0000ff)
[ "$blue" -gt 9000 ] || fail "after the default settle the square is not drawn ($blue px)"
echo "ok - offscreen, default settle: the faded-in square is in the shot ($blue px)"

# 3. One warning per distinct text, with its count.
n=$(grep -c 'noSuchObject is not defined' "$out/offscreen-settled.log" || true)
[ "$n" = 1 ] || fail "the delegates' warning is in the log $n times, expected once"
python3 - "$out/offscreen-settled.json" << 'PY' || fail "the report does not count the repeated warning"
import json, sys
r = json.load(open(sys.argv[1]))
w = [x for x in r["qmlWarnings"] if "noSuchObject" in x]
assert len(w) == 1, w
assert r["qmlWarningRepeats"][w[0]] == 3, r["qmlWarningRepeats"]
PY
echo "ok - a warning repeated by three delegates: once in the log and the report, counted 3"

# 4. On an X server (Xvfb has GLX: Mesa's llvmpipe), no platform asked for: GL draws the effect.
x_start 81 1024x768x24 "$out/xvfb.log"
(unset QT_QPA_PLATFORM && shot xvfb)
expect_in "$out/xvfb.json" '"platform": "xcb"'
if grep -q '"renderer": "software"' "$out/xvfb.json"; then
    echo "SKIP: this Xvfb has no GLX (Mesa's swrast_dri.so, libgl1-mesa-dri): nothing to draw GL with"
    exit 77
fi
expect_in "$out/xvfb.json" '"renderer": "opengl"'
expect_in "$out/xvfb.json" '"undrawnEffects": [
    ]'
green=$(pixels xvfb 00ff00)
[ "$green" -gt 50000 ] || fail "under Xvfb the effect is not in the shot ($green px of 60000)"
echo "ok - under Xvfb the shot is drawn with GL: the effect is there ($green px)"
