#!/bin/sh
# Compare the dynamic symbols libsdvm exports with the committed list (libsdvm.symbols).
# Usage: check-symbols.sh <libsdvm.so> <libsdvm.symbols>
set -eu
lib=$1
list=$2
actual=$(nm -D --defined-only "$lib" | awk '{ print $2, $3 }' | LC_ALL=C sort)
if ! printf '%s\n' "$actual" | diff -u "$list" -; then
    echo "libsdvm exports differ from $list (lines with + are exported but not listed)." >&2
    echo "A new function needs a new version node in libsdvm.map and a line in the list." >&2
    exit 1
fi
# Every exported function carries the prefix and a version node.
if printf '%s\n' "$actual" | grep -v '^A ' | grep -v ' sdvm_[a-z_]*@@SDVM_[0-9]*$'; then
    echo "an exported symbol lacks the sdvm_ prefix or a version node" >&2
    exit 1
fi
soname=$(objdump -p "$lib" | awk '$1 == "SONAME" { print $2 }')
if [ "$soname" != "libsdvm.so.0" ]; then
    echo "SONAME is '$soname', expected libsdvm.so.0" >&2
    exit 1
fi
echo "libsdvm exports $(printf '%s\n' "$actual" | grep -c ' sdvm_') functions, as listed"
