#!/bin/sh
# Install the built .deb files into a throwaway Debian 12 root made with debootstrap and check
# that the files, units and users land and that sdvm-admin runs there.
#   install-test.sh DEBS_DIR WORK_DIR
# Needs root and Debian's archive (deb.debian.org). Exit 77 when it cannot run here.
set -eu

debs=${1:?usage: install-test.sh DEBS_DIR WORK_DIR}
work=${2:?usage: install-test.sh DEBS_DIR WORK_DIR}
mirror=${SDVM_DEBIAN_MIRROR:-http://deb.debian.org/debian}
suite=bookworm

skip() { printf 'install-test: SKIP: %s\n' "$*" >&2; exit 77; }
fail() { printf 'install-test: FAIL: %s\n' "$*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || skip "needs root (debootstrap, chroot)"
command -v debootstrap > /dev/null || skip "debootstrap is not installed"
ls "$debs"/*.deb > /dev/null 2>&1 || fail "no .deb files in $debs (run build-debs first)"

mkdir -p "$work"
work=$(cd "$work" && pwd)
root=$work/root
mounted=""
cleanup() {
    for m in $mounted; do
        umount -l "$m" 2> /dev/null || true
    done
    rm -rf "$root"
}
trap cleanup EXIT INT TERM

# A minimal Debian 12; the base tarball is cached in WORK_DIR for the next run.
tarball=$work/$suite-minbase.tgz
rm -rf "$root"
if [ ! -f "$tarball" ]; then
    debootstrap --variant=minbase --make-tarball="$tarball.tmp" "$suite" "$work/tarball-root" \
        "$mirror" > "$work/debootstrap-tarball.log" 2>&1 ||
        { tail -n 20 "$work/debootstrap-tarball.log" >&2; skip "cannot reach $mirror"; }
    mv "$tarball.tmp" "$tarball"
    rm -rf "$work/tarball-root"
fi
debootstrap --variant=minbase --unpack-tarball="$tarball" "$suite" "$root" "$mirror" \
    > "$work/debootstrap.log" 2>&1 || { tail -n 20 "$work/debootstrap.log" >&2; fail "debootstrap"; }

for fs in proc sys dev; do
    mount --rbind "/$fs" "$root/$fs"
    mount --make-rslave "$root/$fs"
    mounted="$root/$fs $mounted"
done
# Nothing installed in the root may start a service on this machine.
printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"
chmod 755 "$root/usr/sbin/policy-rc.d"
mkdir -p "$root/tmp/debs"
cp "$debs"/*.deb "$root/tmp/debs/"

in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive "$@"; }
in_root apt-get update -q > "$work/apt.log" 2>&1 || { tail -n 20 "$work/apt.log" >&2; fail "apt-get update in the root"; }
# shellcheck disable=SC2046 # one argument per package file
in_root apt-get install -y -q --no-install-recommends $(cd "$root" && find tmp/debs -name '*.deb' | sed 's|^|/|') \
    >> "$work/apt.log" 2>&1 || { tail -n 40 "$work/apt.log" >&2; fail "installing the packages"; }

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
    /usr/libexec/sdvm/run-guest /usr/libexec/sdvm/sdvm-devices \
    /usr/share/sdvm/machines.d/generic.conf /etc/sdvm/sdvm.conf /etc/sdvm/realms.d \
    /lib/systemd/system/sdvmd.service /usr/lib/tmpfiles.d/sdvm.conf \
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
# The unit is valid for the systemd in the root (it has one: network-manager needs it).
if in_root sh -c 'command -v systemd-analyze' > /dev/null 2>&1; then
    if out=$(in_root systemd-analyze verify --man=no /lib/systemd/system/sdvmd.service 2>&1); then
        echo "ok - systemd-analyze verify sdvmd.service"
    else
        printf 'not ok - systemd-analyze verify sdvmd.service: %s\n' "$out"
        problems=$((problems + 1))
    fi
fi
# Installing a display manager must not enable it.
if [ -e "$root/etc/systemd/system/display-manager.service" ]; then
    echo "not ok - installing enabled sdvmd as the display manager"
    problems=$((problems + 1))
else
    echo "ok - sdvmd.service is not enabled by installing"
fi
[ "$problems" = 0 ] || fail "$problems problem(s)"
echo "install-test: all checks passed"
