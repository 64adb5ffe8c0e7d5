#!/bin/sh
# Issue 16, pattern 5: a Qt 5-era theme of ours with a video background (QtMultimedia 5's
# MediaPlayer + VideoOutput, a local file from the theme folder, looping). On an X server
# (Xvfb, xcb) sdvm-greeter --test-mode runs it in sdvm-greeter-qt5, shown as itself; the screen
# shows both colours of the video in turn (it plays, and loops); a NAI typed with xdotool
# reaches the fake backend. Its players that ask for http://127.0.0.1:PORT/ (written in the
# QML, from theme.conf, set from JavaScript) reach nothing: a listener of the test's own
# counts every connection, and must count none. With BOX (tests/daemon/greeter-box) and root,
# the video plays as well in the greeter as sdvmd starts it (the greeter user, its own network
# namespace, seccomp with no exec, Landlock).
# video5-test.sh GREETER PROBE SRC OUT [BOX]
set -eu
greeter=$1
probe=$2
src=$3
out=$4
box=${5:-}
rm -rf "$out"
mkdir -p "$out"

# shellcheck source=lib-x.sh
. "$(dirname "$0")/lib-x.sh"

listener=""
cleanup() {
    x_cleanup
    if [ -n "$listener" ]; then kill "$listener" 2> /dev/null || true; fi
}
trap cleanup EXIT INT TERM

fail() {
    echo "FAIL: $*" >&2
    for f in "$out"/*.log "$out"/*.json; do [ -e "$f" ] && { echo "--- $f" >&2; cat "$f" >&2; }; done
    exit 1
}
for tool in gst-launch-1.0 python3; do
    command -v "$tool" > /dev/null || fail "$tool is missing (packaging/deps/greeter.list)"
done

# The listener: accepts on 127.0.0.1, writes its port, one line per connection, closes it.
python3 -c '
import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(16)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("%d\n" % s.getsockname()[1])
import os
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
while True:
    c, _ = s.accept()
    with open(sys.argv[2], "a") as f:
        f.write("connection\n")
    c.close()
' "$out/port" "$out/connections" &
listener=$!
i=0
until [ -s "$out/port" ]; do
    i=$((i + 1))
    [ $i -lt 100 ] || fail "the listener did not start"
    sleep 0.1
done
port=$(cat "$out/port")

# The theme, with its video: 1 s of green, 1 s of blue (theora in ogg, 160x120, 10 fps).
theme=$out/theme
cp -R "$src/tests/data/greeter/video5" "$theme"
sed -i "s/@PORT@/$port/g" "$theme/Main.qml" "$theme/theme.conf"
green=20c040
blue=3050e0
caps=video/x-raw,width=160,height=120,framerate=10/1
gst-launch-1.0 -q concat name=c ! videoconvert ! theoraenc ! oggmux ! \
    filesink location="$theme/background.ogv" \
    videotestsrc num-buffers=10 pattern=solid-color foreground-color=0xff$green ! $caps ! c. \
    videotestsrc num-buffers=10 pattern=solid-color foreground-color=0xff$blue ! $caps ! c. \
    > "$out/gst-launch.log" 2>&1 || fail "gst-launch-1.0 could not make the video"

x_start 91 1280x800x24 "$out/xvfb.log"

user=ana@example.edu
password=pw-4-video5
greeter_start_on_x "$greeter" "$out/fake.log" "$out/greeter.log" video5 \
    --theme "$theme" --report "$out/xcb.json"

# wait_video WHAT: the video plays: the screen is mostly green, then mostly blue (a third of
# the screen each at least; the theme's box and the players' corner are the rest).
wait_video() {
    seen_green=0
    seen_blue=0
    i=0
    while [ $seen_green = 0 ] || [ $seen_blue = 0 ]; do
        i=$((i + 1))
        [ $i -lt 200 ] || fail "$1: the video did not play: green seen $seen_green, blue seen $seen_blue (screen in $out/screen.png)"
        kill -0 "$greeter_pid" 2> /dev/null || fail "$1: the greeter died"
        "$probe" "$out/screen.png" > /dev/null 2>&1 || fail "cannot grab the screen"
        [ "$("$probe" --count "$out/screen.png" $green)" -gt 340000 ] && seen_green=$i
        [ "$("$probe" --count "$out/screen.png" $blue)" -gt 340000 ] && seen_blue=$i
        sleep 0.1
    done
    echo "ok - $1: the video plays and loops: green at grab $seen_green, blue at grab $seen_blue"
}
wait_video "test mode"

greeter_type_login "$user" "$password" 30
greeter_submit_and_wait
expect_in "$out/xcb.json" '"fallback": false'
expect_in "$out/xcb.json" '"qt": "5.'
echo "ok - sdvm-greeter --test-mode ran the theme as itself in the Qt 5 greeter"
greeter_expect_login "$out/fake.log" "$user" "$password" "its field" "$out/greeter.log" "$out/xcb.json"

# The network: no connection at all; the two URLs written in the QML refused (logged by host).
[ ! -e "$out/connections" ] ||
    fail "the theme's players reached the listener ($(wc -l < "$out/connections") connections)"
refused=$(grep -c -F "refused a http: URL from the theme (http://127.0.0.1:$port)" "$out/greeter.log" || true)
[ "$refused" -ge 2 ] || fail "the URLs written in the QML: $refused refused in the log, expected 2"
echo "ok - no player reached the network (written, configured, scripted, Video)"

# As sdvmd starts it (root only: the box changes user and makes a namespace).
if [ -z "$box" ]; then
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "skip - the boxed run needs root (greeter-box)"
    exit 0
fi
"$box" --home "$out/box/home" --run "$out/box/run" \
    --env "DISPLAY=$DISPLAY" --env QT_QPA_PLATFORM=xcb --env SDVM_BACKEND=fake \
    --env "ASAN_OPTIONS=detect_leaks=0:abort_on_error=0:detect_container_overflow=0" \
    -- "$greeter" --test-mode "--theme=$theme" > "$out/box.log" 2>&1 &
greeter_pid=$!
greeter_wait_first_frame "$out/box.log" "$greeter_pid" "the boxed greeter"
wait_video "in sdvmd's box"
[ ! -e "$out/connections" ] || fail "the boxed greeter reached the listener"
