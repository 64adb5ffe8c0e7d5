#!/bin/sh
# Issue 16, pattern 1: a theme for Qt >= 6.5 (tests/data/greeter/effects-login). On an X
# server (Xvfb, xcb) a person types a NAI, Tab, a password and Return with xdotool. On Qt 6.4
# the theme is refused naming QtQuick.Effects and the fallback theme takes the login; on a newer
# Qt (Debian 13) the theme is shown and takes it. Either way the fake backend gets the NAI.
# effects-login-test.sh GREETER SRC OUT
set -eu
greeter=$1
src=$2
out=$3
theme=$src/tests/data/greeter/effects-login
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

x_start 91 1280x800x24 "$out/xvfb.log"
user=ana@example.edu
password=pw-4-effects
greeter_start_on_x "$greeter" "$out/fake.log" "$out/greeter.log" effects-login \
    --theme "$theme" --report "$out/xcb.json"
greeter_type_login "$user" "$password" 30
greeter_submit_and_wait

qt=$(sed -n 's/.*"qt": "\([0-9.]*\)".*/\1/p' "$out/xcb.json")
[ -n "$qt" ] || fail "the report names no Qt version"
case $qt in
6.[0-4].*)
    expect_in "$out/xcb.json" '"fallback": true'
    expect_in "$out/xcb.json" 'QtQuick.Effects'
    echo "ok - Qt $qt refuses the Qt 6.5 theme, naming QtQuick.Effects"
    where="the fallback theme" ;;
*)
    expect_in "$out/xcb.json" '"fallback": false'
    echo "ok - Qt $qt shows the Qt 6.5 theme as itself"
    where="the theme's password field" ;;
esac
greeter_expect_login "$out/fake.log" "$user" "$password" "$where" "$out/greeter.log" "$out/xcb.json"
