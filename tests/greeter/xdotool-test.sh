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

for tool in Xvfb xdotool; do
    command -v "$tool" > /dev/null || { echo "FAIL: $tool is missing (packaging/deps/greeter.list)" >&2; exit 1; }
done

xvfb=""
greeter_pid=""
cleanup() {
    if [ -n "$greeter_pid" ]; then kill "$greeter_pid" 2> /dev/null || true; fi
    if [ -n "$xvfb" ]; then kill "$xvfb" 2> /dev/null || true; wait "$xvfb" 2> /dev/null || true; fi
}
trap cleanup EXIT INT TERM

fail() {
    echo "FAIL: $*" >&2
    for f in "$out"/*.log; do echo "--- $f" >&2; cat "$f" >&2; done
    exit 1
}

# A free display number; Xvfb started by us, stopped by its PID.
n=91
while [ -e "/tmp/.X11-unix/X$n" ] || [ -e "/tmp/.X$n-lock" ]; do n=$((n + 1)); done
Xvfb ":$n" -screen 0 1280x800x24 -nolisten tcp > "$out/xvfb.log" 2>&1 &
xvfb=$!
export DISPLAY=":$n"
i=0
until xdotool getdisplaygeometry > /dev/null 2>&1; do
    i=$((i + 1))
    [ $i -lt 100 ] || fail "Xvfb did not start"
    sleep 0.1
done

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
    # Wait for the first frame (the greeter logs it), then give its window the keyboard.
    i=0
    until grep -q 'first frame' "$out/$theme-greeter.log"; do
        i=$((i + 1))
        [ $i -lt 600 ] || fail "$theme: no first frame"
        kill -0 "$greeter_pid" 2> /dev/null || fail "$theme: the greeter died"
        sleep 0.1
    done
    wid=$(timeout 30 xdotool search --sync --onlyvisible --name '^SDVM$' | head -n 1) ||
        fail "$theme: no window"
    xdotool windowfocus --sync "$wid"
    sleep 0.5
    xdotool type --delay 30 "$user"
    xdotool key Tab
    xdotool type --delay 30 "$password"
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
