#!/bin/sh
# Install the built .deb files into a throwaway root of the Debian release they were built on
# (DEBS_DIR/release, written by build-debs), made with debootstrap, and check that the files,
# units and users land and that sdvm-admin runs there.
#   install-test.sh DEBS_DIR WORK_DIR
# The base system comes from tests/fresh/minbase.sh's cache, and downloaded packages are kept in
# ${SDVM_TEST_CACHE:-/var/cache/sdvm-test}/packaging/apt-SUITE, so a rerun downloads nothing.
# Needs root and Debian's archive (deb.debian.org). Exit 77 when it cannot run here.
set -eu

debs=${1:?usage: install-test.sh DEBS_DIR WORK_DIR}
work=${2:?usage: install-test.sh DEBS_DIR WORK_DIR}
here=$(cd "$(dirname "$0")" && pwd)
mirror=${SDVM_DEBIAN_MIRROR:-http://deb.debian.org/debian}
security=${SDVM_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
apt_cache=${SDVM_TEST_CACHE:-/var/cache/sdvm-test}/packaging

skip() { printf 'install-test: SKIP: %s\n' "$*" >&2; exit 77; }
fail() { printf 'install-test: FAIL: %s\n' "$*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || skip "needs root (debootstrap, chroot)"
command -v debootstrap > /dev/null || skip "debootstrap is not installed"
ls "$debs"/*.deb > /dev/null 2>&1 || fail "no .deb files in $debs (run build-debs first)"
suite=$(cat "$debs/release" 2> /dev/null) || fail "$debs/release is missing (build-debs writes it)"
[ -n "$suite" ] || fail "$debs/release is empty"
# Where the release keeps units (its debhelper and lintian agree on it).
case $suite in
bookworm) unitdir=/lib/systemd/system ;;
*) unitdir=/usr/lib/systemd/system ;;
esac
echo "install-test: packages built on $suite"

mkdir -p "$work" "$apt_cache/apt-$suite"
work=$(cd "$work" && pwd)
root=$work/root
rm -rf "$root"
trap 'rm -rf "$root"' EXIT INT TERM

tarball=$("$here/../fresh/minbase.sh" "$suite") || exit $?
debootstrap --variant=minbase --unpack-tarball="$tarball" "$suite" "$root" "$mirror" \
    > "$work/debootstrap.log" 2>&1 || { tail -n 20 "$work/debootstrap.log" >&2; fail "debootstrap"; }
# As the Debian installer sets it up: the release, its updates and its security archive.
printf 'deb %s %s main\ndeb %s %s-updates main\ndeb %s %s-security main\n' \
    "$mirror" "$suite" "$mirror" "$suite" "$security" "$suite" > "$root/etc/apt/sources.list"
# Nothing installed in the root may start a service on this machine.
printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"
chmod 755 "$root/usr/sbin/policy-rc.d"
mkdir -p "$root/tmp/debs"
cp "$debs"/*.deb "$root/tmp/debs/"

# Every command in the root runs in a private mount and PID namespace: its /proc, /dev and the
# package cache are unmounted, and its processes gone, when it ends.
in_root() {
    # shellcheck disable=SC2016 # the script expands its own arguments
    unshare --mount --pid --fork --kill-child --propagation private sh -c '
        r=$1 cache=$2
        shift 2
        [ -n "$r" ] && [ -d "$r/var/cache/apt/archives" ] || exit 1
        mount -t proc proc "$r/proc" && mount --rbind /dev "$r/dev" &&
            mount --bind "$cache" "$r/var/cache/apt/archives" || exit 1
        exec chroot "$r" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
            DEBIAN_FRONTEND=noninteractive "$@"' sh "$root" "$apt_cache/apt-$suite" "$@"
}
in_root apt-get update -q > "$work/apt.log" 2>&1 ||
    { tail -n 20 "$work/apt.log" >&2; skip "apt-get update in the root failed (no archive?)"; }
# shellcheck disable=SC2046 # one argument per package file
in_root apt-get install -y -q --no-install-recommends $(cd "$root" && find tmp/debs -name '*.deb' | sed 's|^|/|') \
    >> "$work/apt.log" 2>&1 || { tail -n 40 "$work/apt.log" >&2; fail "installing the packages"; }
in_root apt-get -q autoclean >> "$work/apt.log" 2>&1 || true

problems=0
expect() {
    if [ -e "$root$1" ]; then
        printf 'ok - %s\n' "$1"
    else
        printf 'not ok - %s is missing\n' "$1"
        problems=$((problems + 1))
    fi
}
for f in /usr/sbin/sdvmd /usr/sbin/sdvm-admin /usr/bin/sdvm-cat /usr/bin/sdvm-greeter \
    /usr/bin/sdvm-greeter-qt5 /usr/share/man/man1/sdvm-greeter-qt5.1.gz \
    /usr/libexec/sdvm/run-guest /usr/libexec/sdvm/sdvm-devices \
    /usr/share/sdvm/machines.d/generic.conf /etc/sdvm/sdvm.conf /etc/sdvm/realms.d \
    "$unitdir/sdvmd.service" /usr/lib/tmpfiles.d/sdvm.conf \
    /usr/lib/sysusers.d/sdvm.conf /usr/share/man/man8/sdvmd.8.gz \
    /usr/share/man/man5/sdvm.conf.5.gz /usr/share/man/man7/sdvm-ipc.7.gz \
    /usr/share/man/man8/run-guest.8.gz /usr/share/man/man8/sdvm-admin.8.gz \
    /usr/share/man/man1/sdvm-cat.1.gz /usr/share/man/man1/sdvm-greeter.1.gz \
    /usr/include/sdvm/sdvm.h /usr/include/sdvm/sdvm-types.h \
    /usr/lib/x86_64-linux-gnu/pkgconfig/sdvm.pc \
    /usr/share/sdvm/themes/sdvm/Main.qml; do
    expect "$f"
done
if ls "$root"/usr/lib/x86_64-linux-gnu/libsdvm.so.0* > /dev/null 2>&1; then
    echo "ok - libsdvm.so.0"
else
    echo "not ok - libsdvm.so.0 is missing"
    problems=$((problems + 1))
fi

if grep -q '^sdvm-greeter:' "$root/etc/passwd"; then
    echo "ok - the sdvm-greeter user exists"
else
    echo "not ok - the sdvm-greeter user was not created"
    problems=$((problems + 1))
fi
# run-guest refuses to start QEMU without its own user (run-guest(8)).
if grep -q '^sdvm-qemu:' "$root/etc/passwd" && ! grep -q '^sdvm-qemu:x:0:' "$root/etc/passwd"; then
    echo "ok - the sdvm-qemu user exists"
else
    echo "not ok - the sdvm-qemu user was not created"
    problems=$((problems + 1))
fi
if version=$(in_root sdvm-admin --version 2>&1); then
    printf 'ok - sdvm-admin --version: %s\n' "$version"
else
    printf 'not ok - sdvm-admin --version failed: %s\n' "$version"
    problems=$((problems + 1))
fi
if out=$(in_root sdvmd --version 2>&1); then
    printf 'ok - sdvmd --version: %s\n' "$out"
else
    printf 'not ok - sdvmd --version failed: %s\n' "$out"
    problems=$((problems + 1))
fi
# The unit is packaged where the release keeps units (not an aliased location of merged /usr).
if in_root dpkg -L sdvm | grep -qx "$unitdir/sdvmd.service"; then
    echo "ok - sdvmd.service is packaged in $unitdir"
else
    printf 'not ok - sdvmd.service is not packaged in %s: %s\n' "$unitdir" \
        "$(in_root dpkg -L sdvm | grep sdvmd.service)"
    problems=$((problems + 1))
fi
# The unit is valid for the systemd in the root (it has one: network-manager needs it).
if out=$(in_root systemd-analyze verify --man=no "$unitdir/sdvmd.service" 2>&1); then
    echo "ok - systemd-analyze verify sdvmd.service"
else
    printf 'not ok - systemd-analyze verify sdvmd.service: %s\n' "$out"
    problems=$((problems + 1))
fi
# The greeter draws SVG images: Qt's SVG image plugin came with sdvm-greeter's dependencies.
if ls "$root"/usr/lib/x86_64-linux-gnu/qt6/plugins/imageformats/libqsvg.so > /dev/null 2>&1; then
    echo "ok - Qt's SVG image plugin came with sdvm-greeter"
else
    echo "not ok - Qt's SVG image plugin (libqsvg.so) is missing: sdvm-greeter would draw no SVG"
    problems=$((problems + 1))
fi
# Installing a display manager must not enable it.
if [ -e "$root/etc/systemd/system/display-manager.service" ]; then
    echo "not ok - installing enabled sdvmd as the display manager"
    problems=$((problems + 1))
else
    echo "ok - sdvmd.service is not enabled by installing"
fi
[ "$problems" = 0 ] || fail "$problems problem(s)"
echo "install-test: all checks passed on $suite"
