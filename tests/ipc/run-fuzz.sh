#!/bin/sh
# A bounded libFuzzer run over the sdvm-ipc decoder, from the generated seed corpus.
# Usage: run-fuzz.sh <fuzz-ipc> <fuzz-seeds> <workdir> [seconds]
set -eu
fuzzer=$1
seeds=$2
work=$3
seconds=${4:-10}
rm -rf "$work"
mkdir -p "$work/seeds" "$work/corpus" "$work/artifacts"
"$seeds" "$work/seeds"
# A crash, a leak, UB or an abort() (decoder/encoder disagreement) fails the test; the
# reproducer is left in $work/artifacts.
exec "$fuzzer" -max_total_time="$seconds" -seed=1 -max_len=4096 -timeout=10 \
    -artifact_prefix="$work/artifacts/" -print_final_stats=1 \
    "$work/corpus" "$work/seeds"
