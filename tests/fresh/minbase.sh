#!/bin/sh
# Print the path of a cached minimal Debian root tarball for SUITE (debootstrap --variant=minbase
# --make-tarball), making it first when missing. Shared by the fresh tier and the packaging
# install test, so a machine downloads each release's base system once.
#   minbase.sh SUITE
# The tarball lives in ${SDVM_TEST_CACHE:-/var/cache/sdvm-test}/debootstrap/, keyed by the suite,
# the variant and the mirror. Needs root and Debian's archive the first time. Exit 77 when the
# archive cannot be reached (the caller's test is skipped, not failed).
set -eu
suite=${1:?usage: minbase.sh SUITE}
mirror=${SDVM_DEBIAN_MIRROR:-http://deb.debian.org/debian}
cache=${SDVM_TEST_CACHE:-/var/cache/sdvm-test}/debootstrap
key=$(printf '%s minbase %s\n' "$suite" "$mirror" | sha256sum | cut -c1-12)
tarball=$cache/$suite-minbase-$key.tgz

mkdir -p "$cache"
# One maker at a time; the others wait for its tarball.
exec 9> "$cache/.$suite.lock"
flock 9
if [ ! -s "$tarball" ]; then
    tmp=$(mktemp -d "$cache/.$suite-XXXXXX")
    log=$cache/$suite-minbase.log
    if ! debootstrap --variant=minbase --make-tarball="$tmp/base.tgz" "$suite" "$tmp/root" \
        "$mirror" > "$log" 2>&1; then
        tail -n 20 "$log" >&2
        rm -rf "$tmp"
        echo "minbase: debootstrap $suite from $mirror failed (log: $log)" >&2
        exit 77
    fi
    mv "$tmp/base.tgz" "$tarball"
    rm -rf "$tmp"
fi
printf '%s\n' "$tarball"
