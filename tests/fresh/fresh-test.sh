#!/bin/sh
# The fresh tier: run STEPs in a throwaway copy of a bare Debian SUITE root that has only what
# packaging/deps/install put there (make-root.sh, cached), with this source tree read-only at
# /src and WORK_DIR/out at /out.
#   fresh-test.sh SUITE WORK_DIR STEP...
#   fresh-test.sh SUITE WORK_DIR --root-only    make (or find) the cached root and stop
# STEPs (in-root.sh): build, asan, test:<ctest label regex>, debs.
# The steps run in private mount, PID and network namespaces: no network but loopback, every
# mount and process gone when they end. The copy is an overlay on the cached root, its upper
# layer in WORK_DIR/upper (kept after a failure for a look, removed at the next run).
# Needs root. Exit 77 (skip) when not root, or when Debian's archive cannot be reached to make
# a missing root.
set -eu
suite=${1:?usage: fresh-test.sh SUITE WORK_DIR STEP...}
work=${2:?usage: fresh-test.sh SUITE WORK_DIR STEP...}
shift 2
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)

skip() { printf 'fresh: SKIP: %s\n' "$*" >&2; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root (debootstrap, chroot, namespaces)"
for tool in debootstrap unshare chroot flock; do
    command -v "$tool" > /dev/null || skip "$tool is not installed"
done
grep -qw overlay /proc/filesystems || modprobe overlay 2> /dev/null || skip "no overlayfs"

mkdir -p "$work"
work=$(cd "$work" && pwd)
start=$(date +%s)
root=$("$here/make-root.sh" "$suite" "$work/logs") || exit $?
echo "fresh: $suite root $root ready after $(($(date +%s) - start)) s"
[ "${1:-}" != --root-only ] || exit 0

# Hold the root while it is the overlay's lower layer (make-root.sh prunes only unheld roots).
exec 7> "$root.lock"
flock -s 7

rm -rf "${work:?}/upper" "${work:?}/ovl" "${work:?}/mnt"
mkdir -p "$work/upper" "$work/ovl" "$work/mnt" "$work/out"
# --kill-child: if this script is killed (a ctest timeout), the namespace's first process dies
# with it, and with that every process and mount inside.
status=0
# shellcheck disable=SC2016 # the script expands its own arguments
unshare --mount --pid --net --fork --kill-child --propagation private sh -c '
    set -eu
    root=$1 work=$2 src=$3
    shift 3
    m=$work/mnt
    ip link set lo up
    mount -t overlay overlay -o "lowerdir=$root,upperdir=$work/upper,workdir=$work/ovl" "$m"
    mount -t proc proc "$m/proc"
    mount -t sysfs sysfs "$m/sys"
    mount --rbind /dev "$m/dev"
    mount -t tmpfs -o mode=1777 tmpfs "$m/dev/shm"
    mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts "$m/dev/pts"
    mount --bind "$m/dev/pts/ptmx" "$m/dev/ptmx"
    mount -t tmpfs -o mode=1777 tmpfs "$m/tmp"
    mount -t tmpfs -o mode=0755 tmpfs "$m/run"
    mkdir -p "$m/src" "$m/out"
    mount --bind "$src" "$m/src"
    mount -o remount,bind,ro "$m/src"
    mount --bind "$work/out" "$m/out"
    exec chroot "$m" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
        LANG=C.UTF-8 TERM=dumb sh /src/tests/fresh/in-root.sh "$@"
' sh "$root" "$work" "$src" "$@" || status=$?

echo "fresh: $suite: $* finished with status $status after $(($(date +%s) - start)) s"
if [ "$status" = 0 ]; then
    rm -rf "$work/upper" "$work/ovl"
else
    echo "fresh: the root's changes are kept in $work/upper" >&2
fi
exit "$status"
