#!/bin/sh
# libsdvm/README.md quotes examples/login.c whole: check that the quote is the file.
# Usage: readme-example.sh README EXAMPLE
set -eu
readme=$1
example=$2
name=$(basename "$example")
# The fenced block right after the marker line that names the file.
quote=$(awk -v marker="<!-- quoted from examples/$name" '
    index($0, marker) == 1 { armed = 1; next }
    armed && /^```c$/ { inside = 1; next }
    inside && /^```$/ { exit }
    inside { print }' "$readme")
if [ -z "$quote" ]; then
    echo "$readme: no quote of examples/$name (marker \"<!-- quoted from examples/$name\")" >&2
    exit 1
fi
if ! printf '%s\n' "$quote" | diff -u "$example" -; then
    echo "$readme quotes an older examples/$name (lines with + are the README's): copy it again" >&2
    exit 1
fi
echo "$readme quotes examples/$name as it is ($(wc -l < "$example") lines)"
