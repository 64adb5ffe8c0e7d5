#!/bin/sh
# Build (once, cached) the tiny guest the guest tier boots under QEMU TCG:
#   - the Debian kernel linux-image-amd64 depends on, fetched with apt-get download and
#     unpacked with dpkg-deb -x (never installed), modules indexed with depmod -b;
#   - a busybox-static initramfs with the virtio/SCSI modules and an /init that checks the
#     base image's data, writes a marker to the disk, and powers off;
#   - a bootable disk: a FAT file system with SYSLINUX (SeaBIOS boots it from the
#     virtio-scsi disk), kernel and initramfs, plus BASE-IMAGE-DATA at 40 MiB;
#   - base.qcow2 and base.ini (the image catalog entry).
# Usage: build-guest.sh OUTDIR    Prints nothing on a cache hit.
#
# Disk layout the guest and the tests agree on (1 MiB units):
#   0-32  FAT16 with ldlinux.sys, vmlinuz, initrd.img, syslinux.cfg
#   40    BASE-IMAGE-DATA (written into the base only)
#   48    the guest writes "SDVM-GUEST-MARK <boot_id>" here
#   56    when it starts with "HHHH" the guest holds (does not power off) after writing
#   60    when it starts with "PROBE <port>;" the guest first tries a TCP connection to the
#         host through slirp (10.0.2.2:<port>, which slirp maps to the host's loopback)
set -eu

out=${1:?usage: build-guest.sh OUTDIR}
# Bump when the recipe changes so cached images are rebuilt.
recipe=6
mkdir -p "$out"
out=$(cd "$out" && pwd)
if [ -f "$out/base.qcow2" ] && [ "$(cat "$out/recipe" 2> /dev/null)" = "$recipe" ]; then
    exit 0
fi
rm -f "$out/base.qcow2" "$out/recipe"

need() {
    for c in "$@"; do
        command -v "$c" > /dev/null 2>&1 || {
            echo "build-guest: $c is missing (packaging/deps/guest.list)" >&2
            exit 1
        }
    done
}
need apt-get apt-cache dpkg-deb depmod modprobe cpio gzip xz mkfs.vfat syslinux mcopy qemu-img
busybox=/bin/busybox
[ -x "$busybox" ] || { echo "build-guest: $busybox missing (busybox-static)" >&2; exit 1; }

work=$(mktemp -d "$out/work.XXXXXX")
trap 'rm -rf "$work"' EXIT

# --- the kernel ---------------------------------------------------------------------------
kernel_package() {
    apt-cache depends linux-image-amd64 2> /dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }'
}
pkg=$(kernel_package)
if [ -z "$pkg" ] && [ "$(id -u)" = 0 ]; then
    # A fresh machine may have no package lists yet.
    apt-get update -q > /dev/null || true
    pkg=$(kernel_package)
fi
if [ -z "$pkg" ]; then
    echo "build-guest: apt-cache knows no linux-image-amd64 (run apt-get update)" >&2
    exit 1
fi
kver=${pkg#linux-image-}
debs=$out/debs
mkdir -p "$debs"
deb=$(find "$debs" -name "${pkg}_*.deb" | head -n 1)
if [ -z "$deb" ]; then
    # As root, apt would hand the download to the _apt user, who cannot write here.
    (cd "$debs" && apt-get download -q -o APT::Sandbox::User=root "$pkg") || {
        echo "build-guest: apt-get download $pkg failed" >&2
        exit 1
    }
    deb=$(find "$debs" -name "${pkg}_*.deb" | head -n 1)
fi
kroot=$work/kernel
dpkg-deb -x "$deb" "$kroot"
depmod -b "$kroot" "$kver"

# --- the initramfs ------------------------------------------------------------------------
ir=$work/initramfs
mkdir -p "$ir/bin" "$ir/dev" "$ir/proc" "$ir/sys" "$ir/modules"
cp "$busybox" "$ir/bin/busybox"
for applet in sh mount insmod sleep dd sync echo cat poweroff head grep printf ifconfig nc; do
    ln -s busybox "$ir/bin/$applet"
done
# Load order from modprobe's own dependency resolution; modules are xz-compressed in the
# package, busybox insmod wants them plain.
for m in virtio_pci virtio_scsi sd_mod virtio_net; do
    modprobe -d "$kroot" -S "$kver" --show-depends "$m"
done | awk '$1 == "insmod" { print $2 }' | awk '!seen[$0]++' > "$work/modules"
[ -s "$work/modules" ] || { echo "build-guest: no modules resolved for $kver" >&2; exit 1; }
: > "$ir/modules/order"
while IFS= read -r ko; do
    name=$(basename "$ko")
    case $name in
    *.xz) xz -dc "$ko" > "$ir/modules/${name%.xz}"; name=${name%.xz} ;;
    *) cp "$ko" "$ir/modules/$name" ;;
    esac
    echo "$name" >> "$ir/modules/order"
done < "$work/modules"

cat > "$ir/init" << 'EOF'
#!/bin/sh
# The test guest: prove the disk is the user's overlay on the base, then power off.
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
while read -r m; do insmod "/modules/$m" 2> /dev/null; done < /modules/order
i=0
while [ ! -b /dev/sda ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
if [ ! -b /dev/sda ]; then
    echo "SDVM-GUEST: no disk"
    poweroff -f
fi
# The PCI devices this guest sees (vendor:device class), e.g. one passed through with vfio-pci.
for d in /sys/bus/pci/devices/*; do
    [ -e "$d/vendor" ] && echo "SDVM-GUEST: pci ${d##*/} $(cat "$d/vendor"):$(cat "$d/device") $(cat "$d/class")"
done
base=$(dd if=/dev/sda bs=1M skip=40 count=1 2> /dev/null | head -c 15)
echo "SDVM-GUEST: base data: $base"
boot_id=$(cat /proc/sys/kernel/random/boot_id)
printf 'SDVM-GUEST-MARK %s\n' "$boot_id" | dd of=/dev/sda bs=1M seek=48 conv=notrunc,fsync 2> /dev/null
sync
echo 3 > /proc/sys/vm/drop_caches
back=$(dd if=/dev/sda bs=1M skip=48 count=1 2> /dev/null | head -c 52)
echo "SDVM-GUEST: wrote: $back"
probe=$(dd if=/dev/sda bs=1M skip=60 count=1 2> /dev/null | head -c 12)
case $probe in
"PROBE "*";"*)
    port=${probe#PROBE }
    port=${port%%;*}
    ifconfig eth0 10.0.2.15 netmask 255.255.255.0 up
    if echo SDVM-GUEST-PROBE | nc -w 5 10.0.2.2 "$port" > /dev/null 2>&1; then
        echo "SDVM-GUEST: probe 10.0.2.2:$port connected"
    else
        echo "SDVM-GUEST: probe 10.0.2.2:$port failed"
    fi
    ;;
esac
hold=$(dd if=/dev/sda bs=1M skip=56 count=1 2> /dev/null | head -c 4)
if [ "$hold" = HHHH ]; then
    echo "SDVM-GUEST: holding"
    while :; do sleep 1; done
fi
echo "SDVM-GUEST: powering off"
poweroff -f
EOF
chmod 755 "$ir/init"
(cd "$ir" && find . | cpio -o -H newc --quiet | gzip -9) > "$work/initrd.img"

# --- the bootable disk --------------------------------------------------------------------
fs=$work/fs.img
mkfs.vfat -C -n SDVMGUEST "$fs" 32768 > /dev/null
syslinux --install "$fs"
cat > "$work/syslinux.cfg" << 'EOF'
DEFAULT linux
PROMPT 0
TIMEOUT 0
LABEL linux
  KERNEL vmlinuz
  APPEND initrd=initrd.img console=ttyS0 quiet panic=-1
EOF
mcopy -i "$fs" "$kroot/boot/vmlinuz-$kver" ::/vmlinuz
mcopy -i "$fs" "$work/initrd.img" ::/initrd.img
mcopy -i "$fs" "$work/syslinux.cfg" ::/syslinux.cfg
truncate -s 64M "$fs"
printf 'BASE-IMAGE-DATA' | dd of="$fs" bs=1M seek=40 conv=notrunc 2> /dev/null
qemu-img convert -q -f raw -O qcow2 "$fs" "$work/base.qcow2"
cat > "$work/base.ini" << EOF
[Image]
Name=SDVM test guest (Debian $kver, busybox)
OsType=linux
EOF
mv "$work/base.ini" "$out/base.ini"
mv "$work/base.qcow2" "$out/base.qcow2"
echo "$kver" > "$out/kernel-version"
echo "$recipe" > "$out/recipe"
