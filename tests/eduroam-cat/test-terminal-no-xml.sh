#!/bin/sh
# The terminal's programs link no XML parser. sdvmd (root) and sdvm-admin only read the realm
# database that `sdvm-cat build` compiled offline (eduroam-cat's sdvm-realms library); the
# eap-config parser is in sdvm-cat-build, which only the sdvm-cat tool links. So neither
# binary may need an XML library (readelf -d: NEEDED) nor call into one (nm -D: undefined
# xml*/html*/XML_* symbols, libxml2's and expat's).
# usage: test-terminal-no-xml.sh BINARY...
set -eu
for tool in readelf nm; do
    command -v "$tool" > /dev/null || { echo "SKIP: $tool (binutils) is not installed"; exit 77; }
done
[ $# -gt 0 ] || { echo "usage: $0 BINARY..." >&2; exit 2; }
# One line of words from a newline-separated list.
words() { printf '%s\n' "$1" | head -n "${2:-1000}" | tr '\n' ' ' | sed 's/ $//'; }
status=0
for bin in "$@"; do
    needed=$(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p')
    [ -n "$needed" ] || { echo "FAIL: $bin: readelf -d shows no NEEDED entry" >&2; exit 1; }
    xml_libs=$(printf '%s\n' "$needed" | grep -iE 'xml|expat' || true)
    xml_syms=$(nm -D --undefined-only "$bin" | awk '{print $NF}' | grep -iE '^(xml|html)' || true)
    if [ -n "$xml_libs" ]; then
        echo "FAIL: $bin needs an XML library: $(words "$xml_libs")" >&2
        status=1
    fi
    if [ -n "$xml_syms" ]; then
        echo "FAIL: $bin calls $(printf '%s\n' "$xml_syms" | wc -l) XML parser symbols:" \
             "$(words "$xml_syms" 5) ..." >&2
        status=1
    fi
    [ -n "$xml_libs$xml_syms" ] || echo "ok: $bin: no XML parser (needs: $(words "$needed"))"
done
exit $status
