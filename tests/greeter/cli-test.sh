#!/bin/sh
# sdvm-greeter's command line in test mode: screenshot, report, exit statuses, the embedded
# fallback theme, sdvm.conf's [Greeter] values as sdvmd passes them, one view per screen.
set -eu
greeter=$1
src=$2
out=$3
rm -rf "$out"
mkdir -p "$out"

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# run NAME EXPECTED-STATUS ARGS...
run() {
    name=$1
    want=$2
    shift 2
    set +e
    "$greeter" "$@" > "$out/$name.log" 2>&1
    got=$?
    set -e
    if [ "$got" != "$want" ]; then
        cat "$out/$name.log" >&2
        fail "$name: exit status $got, expected $want"
    fi
    echo "ok - $name (exit $got)"
}

# png_size FILE: "WIDTHxHEIGHT" from the IHDR chunk.
png_size() {
    od -An -tu1 -j16 -N8 "$1" | awk '{ printf "%dx%d\n", $1*16777216+$2*65536+$3*256+$4, $5*16777216+$6*65536+$7*256+$8 }'
}

expect_in() { # FILE TEXT
    grep -F -q -- "$2" "$1" || { cat "$1" >&2; fail "$1 lacks: $2"; }
}

# 1. Our theme at 1024x768: a PNG of that size, a report without fallback or QML warnings.
run default 0 --test-mode --theme "$src/themes/sdvm" --size 1024x768 \
    --screenshot "$out/default.png" --report "$out/default.json"
[ "$(png_size "$out/default.png")" = 1024x768 ] || fail "screenshot is $(png_size "$out/default.png")"
expect_in "$out/default.json" '"fallback": false'
expect_in "$out/default.json" '"qmlWarnings": [
    ]'
expect_in "$out/default.json" '"Windows 11 Education"'

# 2. A theme that does not exist: the fallback theme, exit status 3, the reason in the report.
run missing 3 --test-mode --theme "$out/no-such-theme" --size 800x600 \
    --screenshot "$out/missing.png" --report "$out/missing.json"
expect_in "$out/missing.json" '"fallback": true'
expect_in "$out/missing.json" 'does not exist'
[ -s "$out/missing.png" ] || fail "no screenshot of the fallback theme"

# 3. sdvmd's --fallback after repeated crashes.
run fallback 3 --test-mode --fallback --size 800x600 --screenshot "$out/fallback.png"

# 4. [Greeter] as sdvmd passes it (Theme, ThemeDirs, KeyboardLayouts): a theme by name.
run config 0 --test-mode --theme=maldives --theme-dirs="$out/nothing-here;/usr/share/sddm/themes" \
    --keyboard-layouts="br;us" --size 800x600 \
    --screenshot "$out/config.png" --report "$out/config.json"
expect_in "$out/config.json" '"theme": "Maldives"'

# 5. One view per screen: two offscreen screens, one report.
cat > "$out/screens.json" <<JSON
{ "screens": [
  { "name": "left", "x": 0, "y": 0, "width": 1024, "height": 768, "logicalDpi": 96 },
  { "name": "right", "x": 1024, "y": 0, "width": 1280, "height": 1024, "logicalDpi": 96 } ] }
JSON
QT_QPA_PLATFORM="offscreen:configfile=$out/screens.json" \
    run screens 0 --test-mode --theme "$src/themes/sdvm" --screenshot "$out/screens.png" \
    --report "$out/screens.json.out"
expect_in "$out/screens.json.out" '"views": 2'
[ "$(png_size "$out/screens.png")" = 1024x768 ] || fail "primary view is $(png_size "$out/screens.png")"

# 6. The on-screen keyboard loads (Qt Virtual Keyboard through its input method plugin).
run vk 0 --test-mode --virtual-keyboard true --theme "$src/themes/sdvm" --size 1024x768 \
    --screenshot "$out/vk.png" --report "$out/vk.json"
expect_in "$out/vk.json" '"qmlWarnings": [
    ]'

# 7. A theme on Plasma's QML modules, not installed here: refused, and the reason names the
# Debian package, in the report and in the log (issue 16, pattern 3). A QtVersion=6 theme gets
# Plasma 6's packages; a Qt 5-era one (the Qt 5 greeter's, where it is built) Plasma 5's.
if [ ! -e /usr/lib/x86_64-linux-gnu/qt6/qml/org/kde/plasma/core/qmldir ] &&
    [ ! -e /usr/lib/x86_64-linux-gnu/qt5/qml/org/kde/plasma/core/qmldir ]; then
    for kind in qt6 qt5; do
        mkdir -p "$out/kde-$kind"
        printf 'import QtQuick 2.15\nimport org.kde.plasma.core 2.0 as PlasmaCore\nimport org.kde.kirigami 2.20 as Kirigami\nItem {}\n' \
            > "$out/kde-$kind/Main.qml"
        printf '[SddmGreeterTheme]\nName=kde-%s\nMainScript=Main.qml\n' "$kind" > "$out/kde-$kind/metadata.desktop"
    done
    echo QtVersion=6 >> "$out/kde-qt6/metadata.desktop"
    run kde-qt6 3 --test-mode --theme "$out/kde-qt6" --size 800x600 \
        --screenshot "$out/kde-qt6.png" --report "$out/kde-qt6.json"
    expect_in "$out/kde-qt6.json" '"fallback": true'
    expect_in "$out/kde-qt6.json" 'install the Debian package plasma-desktoptheme'
    expect_in "$out/kde-qt6.json" 'qml6-module-org-kde-kirigami'
    expect_in "$out/kde-qt6.log" 'install the Debian package plasma-desktoptheme'
    run kde-qt5 3 --test-mode --theme "$out/kde-qt5" --size 800x600 \
        --screenshot "$out/kde-qt5.png" --report "$out/kde-qt5.json"
    expect_in "$out/kde-qt5.json" '"fallback": true'
    expect_in "$out/kde-qt5.json" 'plasma-framework'
    expect_in "$out/kde-qt5.json" 'qml-module-org-kde-kirigami2'
else
    echo "skip - kde: Plasma's QML modules are installed here"
fi

# 8. Usage errors.
run bad-size 1 --test-mode --size big
run screenshot-needs-test-mode 1 --screenshot "$out/x.png"
run unknown-option 1 --test-mode --no-such-option
# sdvmd passes the [Greeter] values: the greeter takes no sdvm.conf to read.
printf '[Greeter]\nTheme=maldives\n' > "$out/sdvm.conf"
run no-config-option 1 --test-mode --config "$out/sdvm.conf" --size 800x600 \
    --screenshot "$out/no-config.png"
expect_in "$out/no-config-option.log" "Unknown option 'config'"

echo "all passed"
