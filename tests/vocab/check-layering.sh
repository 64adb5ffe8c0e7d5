#!/bin/sh
# The house's arrows, checked on the source tree (vocab/README.md):
#  1. no C or C++ file includes another folder's file through "../" (a source file
#     compiled into two places, or a header reached around the include paths);
#  2. no part below libsdvm includes the client ABI header sdvm.h: they share the
#     vocabulary headers (sdvm-failure.h, sdvm-log.h, sdvm-types.h) instead.
# Usage: check-layering.sh SOURCE_DIR
set -eu
src=$1
cd "$src"
bad=0
# Every folder with code, tests and benchmarks included; build trees left out.
files=$(find . -path ./build -prune -o -path ./.git -prune -o \
    \( -name '*.c' -o -name '*.h' -o -name '*.cpp' -o -name '*.in' \) -type f -print)
# shellcheck disable=SC2086 # one word per file name (no spaces in the tree)
if grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"\.\./' $files; then
    echo 'the lines above include a file of another folder through "../"' >&2
    bad=1
fi
below="vocab core ipc nm-glue eduroam-cat session-scripts daemon"
for dir in $below; do
    [ -d "$dir" ] || continue
    if grep -rn --include='*.c' --include='*.h' --include='*.cpp' \
        '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]sdvm\.h[>"]' "$dir"; then
        echo "$dir/ sits below libsdvm: include sdvm-types.h or sdvm-failure.h, not sdvm.h" >&2
        bad=1
    fi
done
[ "$bad" -eq 0 ] || exit 1
echo "layering: no cross-folder source include; nothing below libsdvm includes sdvm.h"
