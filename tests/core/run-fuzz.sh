#!/bin/sh
# Bounded libFuzzer run of the core parsers: run-fuzz.sh FUZZER CORPUS WORKDIR SECONDS
# New inputs go to WORKDIR/corpus (the committed corpus is only read). Exit 0 = no finding.
set -eu
fuzzer=$1 corpus=$2 work=$3 seconds=$4
[ -x "$fuzzer" ] || { echo "fuzzer $fuzzer not built" >&2; exit 1; }
rm -rf "$work"
mkdir -p "$work/corpus"
cd "$work"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
unset LSAN_OPTIONS
status=0
"$fuzzer" -max_total_time="$seconds" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$work/" "$work/corpus" "$corpus" >fuzz.log 2>&1 ||
    status=$?
tail -n 15 fuzz.log
if [ "$status" -ne 0 ]; then
    echo "fuzz-core: finding (exit $status); input saved as:" >&2
    ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-* 2>/dev/null >&2 || true
    exit 1
fi
echo "fuzz-core: no finding in ${seconds}s"
