#!/bin/sh
# Issue 16, pattern 4: themes whose own login logic ignores the network account. On an X
# server (Xvfb, the xcb platform) a person types a NAI, Tab, a password and Return with xdotool;
# the fake backend must get the login with the NAI typed, whatever the theme passes to login():
#   fallback-name      login(userModel's name || "123test", ...)
#   hidden-user-field  an opacity-0 user field of its own (empty) passed to login()
#   focus-password     a focus: true password field that takes the keyboard at start-up
set -eu
greeter=$1
src=$2
out=$3
rm -rf "$out"
mkdir -p "$out"

# shellcheck source=lib-x.sh
. "$(dirname "$0")/lib-x.sh"

trap x_cleanup EXIT INT TERM

failed=""
show_logs() {
    for f in "$out"/*.log; do echo "--- $f" >&2; cat "$f" >&2; done
}
fail() {
    echo "FAIL: $*" >&2
    show_logs
    exit 1
}

x_start 91 1280x800x24 "$out/xvfb.log"

user=ana@example.edu
password=pw-4-network

for theme in fallback-name hidden-user-field focus-password; do
    greeter_start_on_x "$greeter" "$out/$theme-fake.log" "$out/$theme-greeter.log" "$theme" \
        --theme "$src/tests/data/greeter/$theme"
    greeter_type_login "$user" "$password" 30
    greeter_submit_and_wait
    if grep -F -q "LOGIN nai=$user " "$out/$theme-fake.log" 2> /dev/null; then
        echo "ok - $theme: the fake backend got the login of $user"
    else
        echo "not ok - $theme: the fake backend did not get the login of $user:" \
            "$(grep -F LOGIN "$out/$theme-fake.log" 2> /dev/null || echo 'no login at all')" >&2
        failed="$failed $theme"
    fi
    if grep -F -q "$password" "$out/$theme-fake.log" "$out/$theme-greeter.log" 2> /dev/null; then
        echo "not ok - $theme: the password is in a log" >&2
        failed="$failed $theme"
    fi
done
if [ -n "$failed" ]; then
    show_logs
    fail "themes:$failed"
fi
