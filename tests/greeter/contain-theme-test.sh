#!/bin/sh
# Review H2: the real sdvm-greeter on a platform with platform services (vnc, like eglfs and
# linuxfb, has QGenericUnixServices) with a fake xdg-open first in PATH: a theme calling
# Qt.openUrlExternally with the password must start nothing; a theme whose qmldir names a
# native plugin is refused with a reason that says so. vnc runs in its own network namespace
# when we may make one.
set -eu
greeter=$1
src=$2
out=$3
rm -rf "$out"
mkdir -p "$out/bin"

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

cat > "$out/bin/xdg-open" <<EOS
#!/bin/sh
echo "\$0 \$*" >> "$out/xdg-open.log"
EOS
cp "$out/bin/xdg-open" "$out/bin/x-www-browser"
cp "$out/bin/xdg-open" "$out/bin/firefox"
chmod +x "$out/bin/"*

netns=
if [ "$(id -u)" = 0 ] && unshare -n true 2>/dev/null; then
    netns="unshare -n"
fi
port=$(( 20000 + $$ % 20000 ))

# run NAME THEME
run() {
    set +e
    # Qt's vnc platform leaks its screen at exit (LeakSanitizer would fail every run).
    ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" PATH="$out/bin:$PATH" QT_QPA_PLATFORM="vnc:size=640x480:port=$port" \
        $netns "$greeter" --test-mode --theme "$2" --size 640x480 \
        --screenshot "$out/$1.png" --report "$out/$1.json" > "$out/$1.log" 2>&1
    echo $? > "$out/$1.status"
    set -e
}

run url "$src/tests/data/greeter/contain-url"
if [ -e "$out/xdg-open.log" ]; then
    cat "$out/xdg-open.log" >&2
    fail "the theme's Qt.openUrlExternally started a program"
fi
grep -q "the theme asked to open 3 URLs" "$out/url.log" || { cat "$out/url.log" >&2; fail "the theme did not run"; }
# Refused where Qt.openUrlExternally gets it, or before (issue 16: the URL interceptor refuses
# a network URL string wherever it goes).
grep -E -q "refused to open a https: URL|refused a https: URL from the theme" "$out/url.log" ||
    { cat "$out/url.log" >&2; fail "no refusal logged"; }
if grep -F -q "hunter2" "$out/url.log"; then
    fail "the URL (and the password in it) reached the log"
fi
echo "ok - Qt.openUrlExternally starts nothing (vnc, fake xdg-open in PATH)"

# The theme's console.log after the first frame: only "a message from the theme" in the log.
set +e
# shellcheck disable=SC2086 # netns is empty or "unshare -n"
ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" PATH="$out/bin:$PATH" \
    QT_QPA_PLATFORM="vnc:size=640x480:port=$port" \
    timeout -s TERM 6 $netns "$greeter" --test-mode --theme "$src/tests/data/greeter/contain-url" \
    --size 640x480 > "$out/console.log" 2>&1
set -e
grep -F -q "a message from the theme" "$out/console.log" || { cat "$out/console.log" >&2; fail "the theme's late message was not logged as such"; }
if grep -F -q "hunter2" "$out/console.log"; then
    fail "the theme's console.log carried the password into the log"
fi
echo "ok - the theme's messages after the first frame do not reach the log"

run plugin "$src/tests/data/greeter/contain-plugin"
[ "$(cat "$out/plugin.status")" = 3 ] || { cat "$out/plugin.log" >&2; fail "plugin theme: exit $(cat "$out/plugin.status"), expected 3 (fallback)"; }
grep -F -q 'declares a native plugin (\"plugin probe\")' "$out/plugin.json" \
    || { cat "$out/plugin.json" >&2; fail "the report does not say the theme names a native plugin"; }
echo "ok - a theme with a native plugin falls back, and says why"
