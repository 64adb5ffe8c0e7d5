#!/bin/sh
# Issue 14 §1: a hostile theme against the real sdvm-greeter as sdvmd starts it (greeter-box:
# the greeter user, its network namespace, seccomp, the Landlock file-system view) on Xvfb.
# A password typed with xdotool, the theme tries FolderListModel over /etc and over a secret
# dir of the test's, XMLHttpRequest to http (a listener on the host's loopback) and to file:
# (GET and PUT), a Loader from an http URL, QtQuick.LocalStorage and a plugin module through
# Qt.createQmlObject, Qt.openUrlExternally (a fake xdg-open first in PATH); then it logs in,
# spelling what it saw into the user name. Each must fail, the password must reach no file,
# socket or program, and the login must still reach the (fake) backend. Needs root.
set -eu
greeter=$1
box=$2
src=$3
out=$4

if [ "$(id -u)" != 0 ]; then
    echo "SKIP: needs root (sdvmd's greeter code switches to the greeter user)"
    exit 77
fi
command -v python3 > /dev/null || { echo "FAIL: python3 is missing (packaging/deps)" >&2; exit 1; }
# shellcheck source=lib-x.sh
. "$(dirname "$0")/lib-x.sh"
rm -rf "$out"
mkdir -p "$out/bin" "$out/state"
chmod 0755 "$out" "$out/state"

listener=""
secret_dir=""
cleanup() {
    if [ -n "$listener" ]; then kill "$listener" 2> /dev/null || true; fi
    x_stop
    if [ -n "$secret_dir" ]; then rm -rf "$secret_dir"; fi
}
trap cleanup EXIT INT TERM
fail() {
    echo "FAIL: $*" >&2
    for f in "$out"/*.log "$out"/state/home/fake.log; do
        [ -e "$f" ] && { echo "--- $f" >&2; cat "$f" >&2; }
    done
    exit 1
}

password=pw-probe-4711
# Outside every tree the greeter may read, readable and writable by anyone but for the wall.
secret_dir=$(mktemp -d /var/tmp/sdvm-contain-XXXXXX)
chmod 1777 "$secret_dir"
echo "topsecret" > "$secret_dir/secret"
chmod 0644 "$secret_dir/secret"
# A module with a native plugin, outside the theme (a theme naming one is refused at load).
mkdir -p "$out/evil"
printf 'module evil\nplugin evil\nEvil 1.0 Evil.qml\n' > "$out/evil/qmldir"
printf 'import QtQuick 2.0\nItem {}\n' > "$out/evil/Evil.qml"

# Everything that connects to the host's loopback is written down.
cat > "$out/listen.py" <<'EOS'
import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(8)
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
import os
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
while True:
    c, a = s.accept()
    with open(sys.argv[2], "a") as f:
        f.write("connection from %s: %r\n" % (a, c.recv(4096)))
    c.close()
EOS
python3 "$out/listen.py" "$out/port" "$out/connections.log" &
listener=$!
i=0
until [ -s "$out/port" ]; do
    i=$((i + 1)); [ $i -lt 100 ] || fail "no listener"; sleep 0.1
done
port=$(cat "$out/port")

mkdir -p "$out/theme"
sed -e "s|@PORT@|$port|g" -e "s|@SECRET_DIR@|$secret_dir|g" -e "s|@EVIL@|$out/evil|g" \
    "$src/tests/data/greeter/contain-probes/Main.qml" > "$out/theme/Main.qml"
cp "$src/tests/data/greeter/contain-probes/metadata.desktop" "$out/theme/"

cat > "$out/bin/xdg-open" <<EOS
#!/bin/sh
echo "\$0 \$*" >> "$out/xdg-open.log"
EOS
chmod 0755 "$out/bin/xdg-open"

x_start 95 1280x800x24 "$out/xvfb.log"

home="$out/state/home"
# LeakSanitizer is off, as in the other xcb tests (Mesa's drivers are unloaded before it runs).
"$box" --home "$home" --run "$out/state/run" \
    --env "DISPLAY=$DISPLAY" --env QT_QPA_PLATFORM=xcb --env SDVM_BACKEND=fake \
    --env "SDVM_FAKE_LOG=$home/fake.log" --env SDVM_FAKE_DELAY_MS=300 \
    --env "PATH=$out/bin:/usr/bin:/bin" \
    --env "ASAN_OPTIONS=detect_leaks=0:abort_on_error=0:detect_container_overflow=0" \
    -- "$greeter" --test-mode "--theme=$out/theme" > "$out/greeter.log" 2>&1 &
box_pid=$!
greeter_wait_first_frame "$out/greeter.log" "$box_pid" "the boxed greeter"
wid=$(timeout 30 xdotool search --sync --onlyvisible --name '^SDVM$' | head -n 1) || fail "no window"
xdotool windowfocus --sync "$wid"
sleep 0.5
# Past the greeter's own user field (the theme has none; left empty, the theme's user name is
# the one used) to the theme's password field.
xdotool key Tab
xdotool type --delay 30 "$password"
sleep 0.3
xdotool key Return
# The theme probes for 2.5 s, then logs in; the fake backend's yes ends the greeter.
i=0
while kill -0 "$box_pid" 2> /dev/null && [ $i -lt 300 ]; do
    i=$((i + 1)); sleep 0.1
done
if kill -0 "$box_pid" 2> /dev/null; then
    kill "$box_pid"
    wait "$box_pid" 2> /dev/null || true
    fail "the greeter did not end with a login"
fi
wait "$box_pid" 2> /dev/null || true

login=$(grep -F "LOGIN nai=" "$home/fake.log" 2> /dev/null | head -n 1) || true
[ -n "$login" ] || fail "the login did not reach the fake backend"
echo "ok - the greeter is still usable: $login"
seen=$(echo "$login" | sed -n 's/.*LOGIN nai=\([^ ]*\)@probe.example.*/\1/p')
# e0 s0: no listing of /etc or of the secret dir; h0: no http answer; f, w: the XHR to file:
# never completes (-1) or fails (-2), nothing read or written; l3: the Loader's URL is an
# error; d0: no LocalStorage; p0: no plugin module. o is what Qt.openUrlExternally returned
# (true once a handler took the URL: the greeter's refusing one), checked below by the fake
# xdg-open and the refusals in the log.
status=0
case "$seen" in
    e0s0h0f-[12]w-[12]l3d0p0o[0-2])
        echo "ok - every probe of the theme failed ($seen)" ;;
    *)
        echo "not ok - the theme saw $seen, expected e0s0h0f-1w-1l3d0p0 (see Main.qml)" >&2
        status=1 ;;
esac
# Refused where Qt.openUrlExternally gets it, or before (issue 16: the URL interceptor refuses
# a network URL string wherever it goes).
for scheme in https file; do
    grep -E -q "refused to open a $scheme: URL|refused a $scheme: URL from the theme" "$out/greeter.log" || {
        echo "not ok - no refusal of the $scheme: URL in the log" >&2
        status=1
    }
done
if [ -s "$out/connections.log" ]; then
    echo "not ok - the listener on the host's loopback got a connection:" >&2
    cat "$out/connections.log" >&2
    status=1
else
    echo "ok - no connection to the host's loopback"
fi
if [ -e "$out/xdg-open.log" ]; then
    echo "not ok - a program was started: $(cat "$out/xdg-open.log")" >&2
    status=1
else
    echo "ok - no program started"
fi
# The password: in no file the greeter could write (its home and runtime dir, the secret dir,
# /tmp, /var/tmp), nor in its log.
if { find "$home" "$out/state/run" "$secret_dir" -type f
       find /tmp /var/tmp -xdev -type f -newer "$out/port" -size -20M 2> /dev/null
       echo "$out/greeter.log"; } | tr '\n' '\0' | xargs -0 grep -l -F "$password" 2> /dev/null; then
    echo "not ok - the password is in the files above" >&2
    status=1
else
    echo "ok - the password is in no file"
fi
[ "$status" = 0 ] || fail "the theme got through"
