#!/bin/sh
# Issue 16: one installed theme under both greeters. Each of sdvm-greeter (Qt 6) and
# sdvm-greeter-qt5 shows it as itself (no fallback, no theme error, a screenshot), and
# sdvm-greeter --test-mode without --same-greeter runs it in the greeter its QtVersion asks for
# (the Qt 5 one for a theme without QtVersion=6, as SDDM 0.21 and sdvmd do).
set -eu
qt6=$1
qt5=$2
theme=$3
out=$4
rm -rf "$out"
mkdir -p "$out"

fail() {
    echo "FAIL: $*" >&2
    exit 1
}
expect_in() { # FILE TEXT
    grep -F -q -- "$2" "$1" || { cat "$1" >&2; fail "$1 lacks: $2"; }
}

# run NAME GREETER ARGS...: exit 0, the theme itself, a PNG; prints the report's Qt version.
run() {
    name=$1
    greeter=$2
    shift 2
    set +e
    "$greeter" --test-mode --theme "$theme" --size 1024x768 --screenshot "$out/$name.png" \
        --report "$out/$name.json" "$@" > "$out/$name.log" 2>&1
    got=$?
    set -e
    [ "$got" = 0 ] || { cat "$out/$name.log" >&2; fail "$name: exit status $got, expected 0"; }
    expect_in "$out/$name.json" '"fallback": false'
    expect_in "$out/$name.json" '"themeErrors": [
    ]'
    [ -s "$out/$name.png" ] || fail "$name: no screenshot"
    sed -n 's/^ *"qt": "\([0-9.]*\)",*$/\1/p' "$out/$name.json"
}

# The theme's own QtVersion (absent = 5). Debian 12's themes have none; Debian 13's say 6.
want=5
if grep -q '^[[:space:]]*QtVersion[[:space:]]*=[[:space:]]*"*6' "$theme/metadata.desktop" 2> /dev/null; then
    want=6
fi

v=$(run qt6 "$qt6" --same-greeter)
case $v in 6.*) echo "ok - $theme shown as itself by the Qt 6 greeter (Qt $v)" ;;
    *) fail "sdvm-greeter ran Qt $v" ;; esac
if [ "$want" = 5 ]; then
    v=$(run qt5 "$qt5" --same-greeter)
    case $v in 5.*) echo "ok - $theme shown as itself by the Qt 5 greeter (Qt $v)" ;;
        *) fail "sdvm-greeter-qt5 ran Qt $v" ;; esac
else
    # A QtVersion=6 theme in the Qt 5 greeter: its fallback theme, saying why (exit 3).
    set +e
    "$qt5" --test-mode --same-greeter --theme "$theme" --size 1024x768 \
        --screenshot "$out/qt5.png" --report "$out/qt5.json" > "$out/qt5.log" 2>&1
    got=$?
    set -e
    [ "$got" = 3 ] || { cat "$out/qt5.log" >&2; fail "qt5: exit status $got, expected 3"; }
    expect_in "$out/qt5.json" '"fallback": true'
    expect_in "$out/qt5.json" 'QtVersion=6 in metadata.desktop'
    echo "ok - $theme (QtVersion=6) is refused by the Qt 5 greeter, saying why"
fi

# The choice: each greeter's --test-mode hands the theme to the one its QtVersion asks for.
for g in "$qt6" "$qt5"; do
    v=$(run chosen "$g")
    case $v in "$want".*) echo "ok - $(basename "$g") --test-mode runs $theme on Qt $v" ;;
        *) fail "$(basename "$g") --test-mode ran $theme on Qt $v, expected Qt $want" ;; esac
done
