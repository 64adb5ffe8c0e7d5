#!/bin/sh
# A bounded libFuzzer run, the same for every fuzz target (label "fuzz"):
#   run-fuzz.sh NAME WORKDIR SECONDS FUZZER [--seeds PROGRAM] [LIBFUZZER-ARG | CORPUS]...
# New inputs go to WORKDIR/corpus (committed corpora are only read); --seeds PROGRAM first
# writes generated seeds into WORKDIR/seeds and adds them as a corpus. A crash, leak, UB,
# timeout or OOM fails the test and leaves the input in WORKDIR. Exit 0 = no finding.
set -eu
name=$1 work=$2 seconds=$3 fuzzer=$4
shift 4
[ -x "$fuzzer" ] || { echo "$name: fuzzer $fuzzer not built" >&2; exit 1; }
rm -rf "$work"
mkdir -p "$work/corpus"
if [ "${1:-}" = --seeds ]; then
    mkdir -p "$work/seeds"
    "$2" "$work/seeds"
    shift 2
    set -- "$@" "$work/seeds"
fi
cd "$work"
# The other tests' sanitizer options carry a suppression list meant for them; not here.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
unset LSAN_OPTIONS
status=0
# The first corpus directory libFuzzer is given is the one it writes to.
"$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$work/" "$work/corpus" "$@" > fuzz.log 2>&1 || status=$?
tail -n 15 fuzz.log
if [ "$status" -ne 0 ]; then
    echo "$name: finding (exit $status); input saved as:" >&2
    ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-* 2> /dev/null >&2 || true
    exit 1
fi
echo "$name: no finding in ${seconds}s"
