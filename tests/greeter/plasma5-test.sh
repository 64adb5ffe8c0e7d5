#!/bin/sh
# Issue 16, pattern 3: a Qt 5-era theme of ours on KDE Plasma 5's QML modules
# (tests/data/greeter/plasma5: org.kde.plasma.core, .components 3.0, .extras, org.kde.kirigami
# 2.20), which sdvm-greeter --test-mode runs in sdvm-greeter-qt5 (no QtVersion).
#   refused  where the modules are not installed: the Qt 5 greeter refuses it, each reason
#            naming the file, the module and the Debian 12 package (plasma-framework,
#            qml-module-org-kde-kirigami2), and its fallback theme still lets a person log in;
#   shown    where they are installed: the theme is shown as itself and a person logs in
#            through its own fields; Debian 12's Breeze, where installed, is shown as itself.
# The mode that does not fit this machine is skipped (77), saying why. Logins: Xvfb + xcb, a
# NAI, Tab, a password and Return typed with xdotool; the fake backend must get that NAI.
# plasma5-test.sh GREETER SRC OUT MODE
set -eu
greeter=$1
src=$2
out=$3
mode=$4
theme=$src/tests/data/greeter/plasma5
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

# The modules the theme imports, in Qt 5's QML folder (/usr/lib/<multiarch>/qt5/qml) or on
# QML2_IMPORT_PATH (which test mode honours), where the greeter looks for them.
installed=yes
for module in org/kde/plasma/core org/kde/plasma/components.3 org/kde/plasma/extras org/kde/kirigami.2; do
    found=no
    for dir in /usr/lib/*/qt5/qml $(echo "${QML2_IMPORT_PATH:-}" | tr ':' ' '); do
        [ -e "$dir/$module/qmldir" ] && found=yes
    done
    [ $found = yes ] || installed=no
done
case $mode in
refused)
    if [ $installed = yes ]; then
        echo "skip - Plasma 5's QML modules are installed here: greeter-qt5-plasma5-shown tests the theme"
        exit 77
    fi ;;
shown)
    if [ $installed = no ]; then
        echo "skip - Plasma 5's QML modules (plasma-framework, qml-module-org-kde-kirigami2) are not installed here: greeter-qt5-plasma5-refused tests the refusal"
        exit 77
    fi ;;
*) echo "plasma5-test.sh: MODE is refused or shown" >&2; exit 2 ;;
esac

# offscreen_shot THEME NAME STATUS MESSAGE: the greeter draws THEME offscreen into
# $out/NAME.{png,json,log}; fails with MESSAGE (%s: the exit status) unless it exits with STATUS.
offscreen_shot() {
    set +e
    QT_QPA_PLATFORM=offscreen "$greeter" --test-mode --theme "$1" --size 1280x800 \
        --screenshot "$out/$2.png" --report "$out/$2.json" > "$out/$2.log" 2>&1
    got=$?
    set -e
    # shellcheck disable=SC2059 # the message is this script's own format
    [ "$got" = "$3" ] || fail "$(printf "$4" "$got")"
}

if [ "$mode" = refused ]; then
    offscreen_shot "$theme" shot 3 "exit status %s, expected 3 (fallback)"
    expect_in "$out/shot.json" '"fallback": true'
    expect_in "$out/shot.json" '"qt": "5.'
    for reason in \
        "plasma5/Main.qml imports org.kde.plasma.core 2.0, a KDE QML module that is not installed: install the Debian package plasma-framework (Debian 12)" \
        "plasma5/Main.qml imports org.kde.plasma.extras 2.0, a KDE QML module that is not installed: install the Debian package plasma-framework (Debian 12)" \
        "plasma5/components/Field.qml imports org.kde.plasma.components 3.0, a KDE QML module that is not installed: install the Debian package plasma-framework (Debian 12)" \
        "plasma5/components/Field.qml imports org.kde.kirigami 2.20, a KDE QML module that is not installed: install the Debian package qml-module-org-kde-kirigami2 (Debian 12)"; do
        expect_in "$out/shot.json" "$reason"
    done
    expect_in "$out/shot.log" "install the Debian package plasma-framework"
    echo "ok - the Qt 5 greeter refuses the theme, naming each module and its Debian 12 package"
fi

# Where Debian 12's own Breeze (sddm-theme-breeze, Plasma 5.27) is installed too, the real theme
# on the same modules: shown as itself by the Qt 5 greeter, with no theme error.
breeze=/usr/share/sddm/themes/breeze
if [ "$mode" = shown ] && [ -f "$breeze/Main.qml" ] &&
    ! grep -q '^[[:space:]]*QtVersion[[:space:]]*=[[:space:]]*"*6' "$breeze/metadata.desktop" 2> /dev/null; then
    offscreen_shot "$breeze" breeze 0 "Breeze: exit status %s, expected 0"
    expect_in "$out/breeze.json" '"fallback": false'
    expect_in "$out/breeze.json" '"qt": "5.'
    expect_in "$out/breeze.json" '"themeErrors": [
    ]'
    echo "ok - Debian's Breeze (Plasma 5) is shown as itself by the Qt 5 greeter"
fi

x_start 91 1280x800x24 "$out/xvfb.log"
user=ana@example.edu
password=pw-4-plasma5
greeter_start_on_x "$greeter" "$out/fake.log" "$out/greeter.log" plasma5 \
    --theme "$theme" --report "$out/xcb.json"
greeter_type_login "$user" "$password" 30
greeter_submit_and_wait
expect_in "$out/xcb.json" '"qt": "5.'
if [ "$mode" = refused ]; then
    expect_in "$out/xcb.json" '"fallback": true'
    where="the fallback theme"
else
    expect_in "$out/xcb.json" '"fallback": false'
    echo "ok - the Qt 5 greeter shows the theme as itself"
    where="the theme's own fields"
fi
greeter_expect_login "$out/fake.log" "$user" "$password" "$where" "$out/greeter.log" "$out/xcb.json"
