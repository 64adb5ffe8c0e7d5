#!/bin/sh
# Print the path of a cached minimal Debian root of SUITE in which packaging/deps/install has
# installed this tree's dependency lists and nothing else, making it first when missing.
#   make-root.sh SUITE LOG_DIR
#   make-root.sh SUITE --key       print the root's path, make nothing
# The root lives in ${SDVM_TEST_CACHE:-/var/cache/sdvm-test}/fresh/SUITE-KEY, KEY a hash of what
# it is made from (the lists, the install script, this recipe), so a rerun with the same lists
# downloads nothing and a changed list makes a new root. Users hold a shared lock on
# SUITE-KEY.lock while they use the root; only unlocked old roots are pruned.
# This is the one step that reaches the network (Debian's archive, for debootstrap and apt).
# Needs root. Exit 77 when the archive cannot be reached.
set -eu
suite=${1:?usage: make-root.sh SUITE LOG_DIR}
logs=${2:?usage: make-root.sh SUITE LOG_DIR}
here=$(cd "$(dirname "$0")" && pwd)
deps=$(cd "$here/../../packaging/deps" && pwd)
mirror=${SDVM_DEBIAN_MIRROR:-http://deb.debian.org/debian}
security=${SDVM_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
cache=${SDVM_TEST_CACHE:-/var/cache/sdvm-test}/fresh

[ -d "$deps/$suite" ] || { echo "make-root: no dependency lists for $suite in $deps" >&2; exit 1; }
# What the root is made from: the common and the suite's lists, the installer, this recipe and
# the base tarball's recipe, and the mirrors.
key=$( (printf '%s %s %s\n' "$suite" "$mirror" "$security"
        cat "$deps/install" "$here/make-root.sh" "$here/minbase.sh"
        find "$deps" "$deps/$suite" -maxdepth 1 -name '*.list' -type f | LC_ALL=C sort |
            while read -r f; do printf '%s\n' "${f#"$deps"/}"; cat "$f"; done) |
       sha256sum | cut -c1-16)
root=$cache/$suite-$key
[ "$logs" != --key ] || { printf '%s\n' "$root"; exit 0; }

mkdir -p "$cache" "$logs"
exec 8> "$cache/.$suite.lock"
flock 8
if [ ! -f "$root/.complete" ]; then
    start=$(date +%s)
    tarball=$("$here/minbase.sh" "$suite") || exit $?
    tmp=$cache/.$suite-$key.tmp
    rm -rf "$tmp"
    mkdir -p "$tmp"
    echo "make-root: $suite: unpacking the base system" >&2
    debootstrap --variant=minbase --unpack-tarball="$tarball" "$suite" "$tmp/root" "$mirror" \
        > "$logs/debootstrap-$suite.log" 2>&1 ||
        { tail -n 20 "$logs/debootstrap-$suite.log" >&2; echo "make-root: debootstrap failed" >&2; exit 1; }
    # As the Debian installer sets it up: the release, its updates and its security archive.
    cat > "$tmp/root/etc/apt/sources.list" << EOF
deb $mirror $suite main
deb $mirror $suite-updates main
deb $security $suite-security main
EOF
    cp -r "$deps" "$tmp/root/tmp/sdvm-deps"
    # Downloaded packages are kept per suite, so a changed list fetches only what is new.
    mkdir -p "$cache/apt-$suite"
    echo "make-root: $suite: packaging/deps/install" >&2
    # Private mounts (gone with the namespace), the machine's network for apt.
    # shellcheck disable=SC2016 # the script expands its own arguments
    if ! unshare --mount --pid --fork --propagation private sh -c '
        set -e
        r=$1
        mount -t proc proc "$r/proc"
        mount --rbind /dev "$r/dev"
        mount --bind "$2" "$r/var/cache/apt/archives"
        chroot "$r" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
            DEBIAN_FRONTEND=noninteractive /tmp/sdvm-deps/install
        chroot "$r" apt-get -q autoclean' sh "$tmp/root" "$cache/apt-$suite" \
        > "$logs/deps-install-$suite.log" 2>&1; then
        tail -n 30 "$logs/deps-install-$suite.log" >&2
        if grep -q -E "^(Err|W): .*(Could not resolve|Failed to fetch|Unable to connect)" \
            "$logs/deps-install-$suite.log"; then
            rm -rf "$tmp"
            echo "make-root: cannot reach Debian's archive" >&2
            exit 77
        fi
        echo "make-root: packaging/deps/install failed in a bare $suite (log: $logs/deps-install-$suite.log)" >&2
        rm -rf "$tmp"
        exit 1
    fi
    rm -rf "$tmp/root/tmp/sdvm-deps"
    touch "$tmp/root/.complete"
    rm -rf "$root"
    mv "$tmp/root" "$root"
    rmdir "$tmp"
    echo "make-root: $suite: made $root in $(($(date +%s) - start)) s" >&2
fi
touch "$root.used"

# Keep the two most recently used roots of this suite; skip any root in use.
# shellcheck disable=SC2012 # our own names, no blanks
for used in $(ls -t "$cache/$suite"-*.used 2> /dev/null | tail -n +3); do
    old=${used%.used}
    [ "$old" != "$root" ] || continue
    if flock -n -x "$old.lock" rm -rf "$old"; then
        rm -f "$used" "$old.lock"
    fi
done
printf '%s\n' "$root"
