#!/bin/sh
# A person's test: the greeter on an X server (Xvfb, the xcb platform), a user name and a
# password typed with xdotool, Return pressed; the screen must then show the status layer's
# progress card, the fake backend must have the login, and the greeter must end with success.
set -eu
greeter=$1
probe=$2
src=$3
out=$4
rm -rf "$out"
mkdir -p "$out"

# shellcheck source=lib-x.sh
. "$(dirname "$0")/lib-x.sh"

trap x_cleanup EXIT INT TERM

fail() {
    echo "FAIL: $*" >&2
    for f in "$out"/*.log; do echo "--- $f" >&2; cat "$f" >&2; done
    exit 1
}

x_start 91 1280x800x24 "$out/xvfb.log"

user=ana@example.edu
password=pw-4-xdotool

for theme in sdvm maldives; do
    case $theme in
    sdvm) dir="$src/themes/sdvm" ;;
    *) dir="/usr/share/sddm/themes/$theme" ;;
    esac
    SDVM_FAKE_LOG="$out/$theme-fake.log" SDVM_FAKE_DELAY_MS=1200 QT_QPA_PLATFORM=xcb \
        "$greeter" --test-mode --theme "$dir" > "$out/$theme-greeter.log" 2>&1 &
    greeter_pid=$!
    greeter_wait_first_frame "$out/$theme-greeter.log" "$greeter_pid" "$theme"
    greeter_type_login "$user" "$password" 30
    sleep 0.3
    before=$("$probe" "$out/$theme-before.png") || fail "$theme: cannot grab the screen"
    xdotool key Return
    sleep 0.8
    during=$("$probe" "$out/$theme-progress.png") || fail "$theme: cannot grab the screen"
    echo "$theme: accent pixels before Return $before, during the login $during"
    # The card's border, spinner and progress bar: thousands of accent pixels more than before.
    [ $((during - before)) -gt 1500 ] || fail "$theme: no progress layer on screen ($before -> $during)"
    set +e
    wait "$greeter_pid"
    status=$?
    set -e
    greeter_pid=""
    [ "$status" = 0 ] || fail "$theme: greeter exited with $status, expected 0 after the login"
    grep -F -q "LOGIN nai=$user image=windows-11 password-length=${#password}" "$out/$theme-fake.log" ||
        fail "$theme: the fake backend did not get the login"
    if grep -F -q "$password" "$out/$theme-fake.log" "$out/$theme-greeter.log"; then
        fail "$theme: the password is in a log"
    fi
    echo "ok - $theme"
done
