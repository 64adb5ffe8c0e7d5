# lib-x.sh: what the greeter tests that type on an X server share (sourced, POSIX sh).
#   x_start FIRST GEOMETRY LOG    Xvfb on the first free display from :FIRST, DISPLAY exported,
#                                 its PID in $x_server (stopped by x_stop), waits until it answers
#   x_stop                        stops that Xvfb by its PID
#   x_cleanup                     stops the greeter in $greeter_pid (with $greeter_stop_signal,
#                                 default TERM), then Xvfb: for the caller's trap
#   greeter_wait_first_frame LOG PID WHAT
#                                 waits for the greeter's "first frame" line (60 s), fails if it dies
#   greeter_type_login USER PASSWORD DELAY_MS
#                                 gives the greeter's window the keyboard, types USER, Tab, PASSWORD
#   greeter_start_on_x GREETER FAKE_LOG LOG WHAT ARG...
#                                 starts GREETER --test-mode ARG... on the X server (xcb) with the
#                                 fake backend logging to FAKE_LOG (its answer after 300 ms),
#                                 output to LOG, PID in $greeter_pid; waits for its first frame
#   greeter_wait_exit             waits (10 s) for the greeter in $greeter_pid to end (a login
#                                 that reaches the fake backend ends it), then stops it if it
#                                 still runs
#   greeter_submit_and_wait       presses Return, then greeter_wait_exit
#   greeter_expect_login FAKE_LOG USER PASSWORD WHERE FILE...
#                                 fails unless FAKE_LOG has USER's login; fails if PASSWORD is in
#                                 FAKE_LOG or any FILE
#   expect_in FILE TEXT           fails unless FILE holds TEXT
# The caller defines fail() (message, logs, exit 1). Return is left to the caller: some tests
# look at the screen before it.

x_server=""
greeter_pid=""
greeter_stop_signal=TERM

x_start() {
    for tool in Xvfb xdotool; do
        command -v "$tool" > /dev/null || fail "$tool is missing (packaging/deps/greeter.list)"
    done
    x_display=$1
    while [ -e "/tmp/.X11-unix/X$x_display" ] || [ -e "/tmp/.X$x_display-lock" ]; do
        x_display=$((x_display + 1))
    done
    Xvfb ":$x_display" -screen 0 "$2" -nolisten tcp > "$3" 2>&1 &
    x_server=$!
    DISPLAY=":$x_display"
    export DISPLAY
    x_tries=0
    until xdotool getdisplaygeometry > /dev/null 2>&1; do
        x_tries=$((x_tries + 1))
        [ $x_tries -lt 100 ] || fail "Xvfb did not start"
        sleep 0.1
    done
}

x_stop() {
    if [ -n "$x_server" ]; then
        kill "$x_server" 2> /dev/null || true
        wait "$x_server" 2> /dev/null || true
        x_server=""
    fi
}

x_cleanup() {
    if [ -n "$greeter_pid" ]; then kill -"$greeter_stop_signal" "$greeter_pid" 2> /dev/null || true; fi
    x_stop
}

greeter_wait_first_frame() {
    x_tries=0
    until grep -q 'first frame' "$1"; do
        x_tries=$((x_tries + 1))
        [ $x_tries -lt 600 ] || fail "$3: no first frame"
        kill -0 "$2" 2> /dev/null || fail "$3: the greeter died"
        sleep 0.1
    done
}

greeter_type_login() {
    x_window=$(timeout 30 xdotool search --sync --onlyvisible --name '^SDVM$' | head -n 1) ||
        fail "no greeter window"
    xdotool windowfocus --sync "$x_window"
    sleep 0.5
    xdotool type --delay "$3" "$1"
    xdotool key Tab
    xdotool type --delay "$3" "$2"
}

greeter_start_on_x() {
    x_greeter=$1 x_fake=$2 x_log=$3 x_what=$4
    shift 4
    SDVM_FAKE_LOG="$x_fake" SDVM_FAKE_DELAY_MS=300 QT_QPA_PLATFORM=xcb \
        "$x_greeter" --test-mode "$@" > "$x_log" 2>&1 &
    greeter_pid=$!
    greeter_wait_first_frame "$x_log" "$greeter_pid" "$x_what"
}

greeter_submit_and_wait() {
    sleep 0.3
    xdotool key Return
    greeter_wait_exit
}

greeter_wait_exit() {
    x_tries=0
    while kill -0 "$greeter_pid" 2> /dev/null && [ $x_tries -lt 100 ]; do
        x_tries=$((x_tries + 1))
        sleep 0.1
    done
    kill "$greeter_pid" 2> /dev/null || true
    wait "$greeter_pid" 2> /dev/null || true
    greeter_pid=""
}

greeter_expect_login() {
    x_fake=$1 x_user=$2 x_password=$3 x_where=$4
    shift 4
    grep -F -q "LOGIN nai=$x_user " "$x_fake" 2> /dev/null ||
        fail "the fake backend did not get the login of $x_user: $(grep -F LOGIN "$x_fake" 2> /dev/null || echo 'no login at all')"
    echo "ok - the fake backend got the login of $x_user typed into $x_where"
    if grep -F -q -- "$x_password" "$x_fake" "$@" 2> /dev/null; then
        fail "the password is in a log"
    fi
}

expect_in() {
    grep -F -q -- "$2" "$1" || fail "$1 lacks: $2"
}
