#!/bin/sh
# build-image.sh CACHE_DIR: the terminal VM's base image, built once and cached.
#
# A Debian 12 debootstrap with systemd, NetworkManager, the archive's kernel and every
# package of image.list, plus the files under rootfs/ (fstab, a lab NetworkManager setting,
# the first-boot unit that installs a run's .debs). No project file is in it: the .debs
# change with every commit and are installed per run, on a qcow2 overlay (prepare.sh).
#
# Output: CACHE_DIR/base-<key>/{base.img,vmlinuz,initrd.img,kernel-version,packages}
# where <key> is a hash of this recipe (this script, image.list, rootfs/), and
# CACHE_DIR/packages-<key>.tar, the Debian part alone. Prints the base directory. Needs root
# (debootstrap, chroot) and Debian's archive when image.list changed.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
cache=${1:?usage: build-image.sh CACHE_DIR}
mirror=${SDVM_DEBIAN_MIRROR:-http://deb.debian.org/debian}
security=${SDVM_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
suite=bookworm
size=6G

me=build-image
say() { printf '%s: %s\n' "$me" "$*" >&2; }
die() { printf '%s: error: %s\n' "$me" "$*" >&2; exit 1; }
skip() { printf '%s: SKIP: %s\n' "$me" "$*" >&2; exit 77; }

# Two cached stages, so that changing a file under rootfs/ costs a minute, not a debootstrap:
#   packages-<key1>.tar   debootstrap + image.list (key1: image.list and the stage's version)
#   base-<key2>/          that tree + rootfs/ as an ext4 image (key2: key1, this script, rootfs/)
stage1_version=1
key1=$( (echo "$suite $stage1_version"; cat "$here/image.list") | sha256sum | cut -c1-16)
key2=$( (
    echo "$key1"
    cd "$here"
    sha256sum build-image.sh
    find rootfs -type f -o -type l | LC_ALL=C sort | while IFS= read -r f; do
        if [ -L "$f" ]; then printf '%s -> %s\n' "$f" "$(readlink "$f")"; else sha256sum "$f"; fi
    done
) | sha256sum | cut -c1-16)
out=$cache/base-$key2
tarball=$cache/packages-$key1.tar
if [ -f "$out/done" ]; then
    printf '%s\n' "$out"
    exit 0
fi

[ "$(id -u)" = 0 ] || skip "needs root (debootstrap, chroot)"
for t in debootstrap mkfs.ext4 chroot; do
    command -v "$t" > /dev/null 2>&1 || skip "$t is missing (packaging/deps/terminal.list)"
done

mkdir -p "$cache"
work=$(mktemp -d "$cache/build.XXXXXX")
root=$work/root
mounted=""
cleanup() {
    for m in $mounted; do umount -l "$m" 2> /dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT INT TERM
t0=$(date +%s)

in_root() {
    chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
        DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 "$@"
}
mount_api() {
    for fs in proc sys dev; do
        mount --rbind "/$fs" "$root/$fs"
        mount --make-rslave "$root/$fs"
        mounted="$root/$fs $mounted"
    done
}
umount_api() {
    for m in $mounted; do umount -l "$m"; done
    mounted=""
}

# ---- stage 1: Debian's packages --------------------------------------------------------------
if [ ! -f "$tarball" ]; then
    say "debootstrap $suite (log: $work/debootstrap.log)"
    debootstrap --variant=minbase "$suite" "$root" "$mirror" > "$work/debootstrap.log" 2>&1 || {
        tail -n 20 "$work/debootstrap.log" >&2
        skip "debootstrap from $mirror failed (no access to Debian's archive?)"
    }
    cat > "$root/etc/apt/sources.list" << EOS
deb $mirror $suite main
deb $mirror $suite-updates main
deb $security $suite-security main
EOS
    mount_api
    # Nothing installed here may start a service on this machine.
    printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"
    chmod 755 "$root/usr/sbin/policy-rc.d"
    packages=$(sed -e 's/#.*//' "$here/image.list" | tr -s '[:space:]' ' ')
    say "installing $(echo "$packages" | wc -w) packages (log: $work/apt.log)"
    in_root apt-get update -q > "$work/apt.log" 2>&1 || {
        tail -n 20 "$work/apt.log" >&2
        die "apt-get update in the image"
    }
    # shellcheck disable=SC2086 # one word per package
    in_root apt-get install -y -q --no-install-recommends $packages >> "$work/apt.log" 2>&1 || {
        tail -n 40 "$work/apt.log" >&2
        die "installing the image's packages"
    }
    # Services a lab terminal does not run by itself (scenario 5 starts hostapd and
    # FreeRADIUS in a namespace of its own), and no apt timers.
    in_root systemctl disable hostapd.service freeradius.service apt-daily.timer \
        apt-daily-upgrade.timer > /dev/null 2>&1 || true
    rm -f "$root/usr/sbin/policy-rc.d"
    in_root apt-get clean
    rm -rf "$root"/var/lib/apt/lists/* "$root"/var/log/*.log "$root"/var/log/apt/*
    umount_api
    say "stage 1 done in $(($(date +%s) - t0)) s: $tarball"
    tar -C "$root" --numeric-owner --xattrs --xattrs-include='*' -cf "$tarball.tmp" .
    mv "$tarball.tmp" "$tarball"
else
    mkdir -p "$root"
    tar -C "$root" --numeric-owner --xattrs --xattrs-include='*' -xf "$tarball"
fi

# ---- stage 2: the recipe's own files ---------------------------------------------------------
cp -a "$here/rootfs/." "$root/"
in_root systemctl enable sdvm-terminal-setup.service > /dev/null
# A fixed machine id: an empty one would make systemd apply presets (enable everything) at
# the first boot.
printf '%s\n' 5d1e7a0c3b2f4e6a9c8d7b6a5f4e3d2c > "$root/etc/machine-id"
# shellcheck disable=SC2016 # dpkg-query's own format
in_root dpkg-query -W -f '${Package} ${Version}\n' > "$work/packages"
kver=$(find "$root/boot" -name 'vmlinuz-*' | sed 's|.*/vmlinuz-||' | sort -V | tail -n 1)
if [ -z "$kver" ] || [ ! -f "$root/boot/initrd.img-$kver" ]; then
    die "no kernel or initramfs in the image"
fi

say "mkfs.ext4 -d ($size)"
mkdir -p "$work/out"
cp "$root/boot/vmlinuz-$kver" "$work/out/vmlinuz"
cp "$root/boot/initrd.img-$kver" "$work/out/initrd.img"
echo "$kver" > "$work/out/kernel-version"
cp "$work/packages" "$work/out/packages"
truncate -s "$size" "$work/out/base.img"
mkfs.ext4 -q -F -L sdvm-terminal -d "$root" "$work/out/base.img"
date -u +%FT%TZ > "$work/out/done"
rm -rf "$out"
mv "$work/out" "$out"
say "built $out in $(($(date +%s) - t0)) s"
printf '%s\n' "$out"
