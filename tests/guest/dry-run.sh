#!/bin/sh
# run-guest --dry-run against umockdev device trees of the three Dell models (unit tier):
# the argv for each model (the 7010's is the thesis's Figure 4 device list), and each way a
# table can disagree with the machine, refused with its reason. Nothing may be touched.
set -eu
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
command -v umockdev-run > /dev/null || { echo "umockdev-run missing (package umockdev)"; exit 1; }

session_env
fake_proc
unset QEMU SDVM_ACCEL SDVM_MACHINE SDVM_GUEST_MEMORY_MIB SDVM_HOST_RESERVE_MIB SDVM_QEMU_USER SDVM_VFIO_DIR 2> /dev/null || true

# dry TREE OUT [ENV=VALUE...]: run-guest --dry-run in the tree; prints the exit code.
dry() {
    tree=$1
    out=$2
    shift 2
    rc=0
    env "$@" umockdev-run -d "$tree" -- "$RUN_GUEST" --dry-run > "$out" 2> "$out.err" || rc=$?
    echo "$rc"
}

# --- the three models: golden argv ------------------------------------------------------------
for model in optiplex-7010 optiplex-9020 optiplex-7040; do
    out=$tmp/$model.out
    rc=$(dry "$TREES/$model.umockdev" "$out")
    check "$model: dry run exits 0" [ "$rc" = 0 ]
    [ "$rc" = 0 ] || sed 's/^/#   /' "$out.err"
    check "$model: chosen by DMI product_name" \
        contains "$out" "machine-reason DMI product_name \"OptiPlex ${model#optiplex-}\" is listed in ProductNames of $TABLES/$model.conf"
    argv_of "$out" > "$tmp/$model.argv"
    sed "s|@DISK@|$SDVM_DISK|" "$TREES/$model.argv" > "$tmp/$model.expected"
    if diff -u "$tmp/$model.expected" "$tmp/$model.argv" > "$tmp/$model.diff"; then
        ok "$model: QEMU argv matches $model.argv"
    else
        not_ok "$model: QEMU argv matches $model.argv"
        sed 's/^/#   /' "$tmp/$model.diff"
    fi
done

# QEMU itself accepts each model's argv (property names, slots, multifunction), with what
# this machine lacks swapped out: vfio devices become pci-testdev at the same guest slots,
# KVM/-cpu host become TCG/max, hugepages and 6910M become 256M. QMP quits at once.
qemu-img create -q -f qcow2 "$tmp/real.qcow2" 64M
for model in optiplex-7010 optiplex-9020 optiplex-7040; do
    sed -e "s|^vfio-pci-nohotplug,host=[^,]*,|pci-testdev,|" -e 's|^kvm$|tcg|' -e 's|^host$|max|' \
        -e 's|^[0-9]*M$|256M|' \
        -e '/^-mem-path$/,/^-mem-prealloc$/d' "$tmp/$model.argv" > "$tmp/$model.validate"
    set --
    while IFS= read -r a; do set -- "$@" "$a"; done < "$tmp/$model.validate"
    shift # the QEMU binary
    rc=0
    # shellcheck disable=SC2094 # QEMU's fds 3 (rw) and 4 (ro) on one disk, as run-guest hands them
    printf '%s\n' '{"execute":"qmp_capabilities"}' '{"execute":"quit"}' |
        timeout 60 qemu-system-x86_64 "$@" -S -qmp stdio > "$tmp/$model.qmp" 2>&1 \
            3<> "$tmp/real.qcow2" 4< "$tmp/real.qcow2" || rc=$?
    check "$model: QEMU accepts the argv (vfio swapped for pci-testdev; rc $rc)" [ "$rc" = 0 ]
    [ "$rc" = 0 ] || sed 's/^/#   /' "$tmp/$model.qmp"
done
set --

# The thesis (seed 002, Figure 4): iGPU, EHCI 1d.0, EHCI 1a.0, xHCI 14.0, audio 1b.0, in that
# order and at the same guest slots; KVM, -cpu host, pc machine, hugepages, 6910 MiB.
grep -A1 -x -- -device "$tmp/optiplex-7010.argv" | grep '^vfio-pci' > "$tmp/7010.vfio" || true
printf '%s\n' \
    vfio-pci-nohotplug,host=0000:00:02.0,bus=pci.0,addr=0x02 \
    vfio-pci-nohotplug,host=0000:00:1d.0,bus=pci.0,addr=0x1d \
    vfio-pci-nohotplug,host=0000:00:1a.0,bus=pci.0,addr=0x1a \
    vfio-pci-nohotplug,host=0000:00:14.0,bus=pci.0,addr=0x14 \
    vfio-pci-nohotplug,host=0000:00:1b.0,bus=pci.0,addr=0x1b > "$tmp/7010.thesis"
check "optiplex-7010: passthrough devices are the thesis's, in its order" \
    cmp -s "$tmp/7010.vfio" "$tmp/7010.thesis"
tr '\n' ' ' < "$tmp/optiplex-7010.argv" > "$tmp/7010.line"
check "optiplex-7010: -accel kvm -cpu host" contains "$tmp/7010.line" "-accel kvm -cpu host "
check "optiplex-7010: -machine pc -nodefaults" contains "$tmp/7010.line" "-machine pc -nodefaults "
check "optiplex-7010: hugepage-backed 6910 MiB (8 GB host keeps 1024 MiB)" \
    contains "$tmp/7010.line" "-mem-path /dev/hugepages/sdvm-qemu -mem-prealloc -m 6910M "
check "optiplex-7010: windows guest keeps local time" \
    contains "$tmp/7010.line" "-rtc base=localtime,clock=vm "
check "optiplex-7010: virtio-scsi disk on the overlay (fds 3 and 4), qcow2" \
    contains "$tmp/7010.line" "-add-fd fd=3,set=1 -add-fd fd=4,set=1 -device virtio-scsi-pci,id=scsi0 -drive if=none,id=disk0,file=/dev/fdset/1,format=qcow2,"
check "optiplex-7010: QEMU's seccomp sandbox, everything denied" \
    contains "$tmp/7010.line" "-sandbox on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny "
out=$tmp/optiplex-7010.out
check "optiplex-7010: QEMU runs unprivileged (host action)" \
    contains "$out" "action run QEMU as a child, as sdvm-qemu with no capabilities and no_new_privs"
check "optiplex-7010: the guest is walled off from the host (host action)" \
    contains "$out" "action reject packets from sdvm-qemu to this host's addresses"
check "optiplex-7010: QEMU gets the IOMMU groups of its devices (host action)" \
    contains "$out" "action chown /dev/vfio/1 to sdvm-qemu"
check "optiplex-7010: ... and gives them back first (undo step)" \
    contains "$out" "undo /dev/vfio/1: back to its old owner"
check "optiplex-7010: QEMU's hugepage memory in a directory of its own" \
    contains "$out" "action directory /dev/hugepages/sdvm-qemu (0700) for sdvm-qemu"
check "optiplex-7010: virtio-net with user networking" contains "$tmp/7010.line" "-netdev user,id=net0 -device virtio-net-pci,netdev=net0,mac=52:54:00:"
out=$tmp/optiplex-7010.out
check "dry run lists each host device read" \
    contains "$out" "device 0000:00:02.0 8086:0162 class=0x030000 driver=i915 iommu-group=1 table=igpu"
check "dry run plans the bind" \
    contains "$out" "action 0000:00:02.0: driver_override=vfio-pci; unbind i915; drivers_probe; wait for vfio-pci"
check "dry run plans the undo" \
    contains "$out" "undo 0000:00:02.0: driver_override=(cleared); unbind vfio-pci; drivers_probe; wait for i915"
check "dry run plans hugepages and their release" contains "$out" "undo hugepages:"
check "dry run frees the iGPU from the frame buffer console" \
    contains "$out" "action vtcon1: unbind the console from its frame buffer"
check "  ... and gives it back" contains "$out" "undo vtcon1: bind the console to its frame buffer"
# Undo mirrors do: the device actions' addresses, reversed.
sed -n 's/^action \(0000:[^:]*:[^:]*\): driver_override.*/\1/p' "$out" > "$tmp/do"
sed -n 's/^undo \(0000:[^:]*:[^:]*\): .*/\1/p' "$out" | tac > "$tmp/undo"
check "undo steps mirror the actions in reverse order" cmp -s "$tmp/do" "$tmp/undo"
check "dry run created no state directory" [ ! -e "$SDVM_RUN_DIR" ]

# Linux guest: UTC clock.
out=$tmp/linux.out
rc=$(dry "$TREES/optiplex-7010.umockdev" "$out" SDVM_OS_TYPE=linux)
check "linux ostype: exit 0" [ "$rc" = 0 ]
check "linux ostype: -rtc base=utc" contains "$out" "base=utc,clock=vm"
# The host keeps what sdvm.conf says.
rc=$(dry "$TREES/optiplex-7010.umockdev" "$out" SDVM_HOST_RESERVE_MIB=2000)
check "HostReserveMiB=2000: guest gets 5934 MiB rounded to hugepages" contains "$out" "memory-mib 5934"

# Nothing was written into the testbed: the devices' driver_override is untouched. (Read back
# through umockdev in a second run of the same tree would start fresh, so check in-run.)
rc=0
# shellcheck disable=SC2016 # expanded by the inner shell
umockdev-run -d "$TREES/optiplex-7010.umockdev" -- sh -c '
    "$1" --dry-run > /dev/null 2>&1 || exit 10
    [ "$(cat /sys/bus/pci/devices/0000:00:02.0/driver_override)" = "(null)" ] || exit 11
    [ "$(basename "$(readlink /sys/bus/pci/devices/0000:00:02.0/driver)")" = i915 ] || exit 12
    [ ! -e /sys/bus/pci/drivers_probe ] || exit 13' sh "$RUN_GUEST" || rc=$?
check "dry run leaves driver_override and the driver link alone (rc $rc)" [ "$rc" = 0 ]

# --- refusals -----------------------------------------------------------------------------------
# 00:02.0 is the root disk (virtio-blk, as on the VM this was written on): never touch it.
{
    without_device "$TREES/optiplex-7010.umockdev" 0000:00:02.0
    pci_record 0000:00:02.0 0x1af4 0x1042 0x010000 virtio-pci 1
} > "$tmp/wrong-class.umockdev"
out=$tmp/wrong-class.out
rc=$(dry "$tmp/wrong-class.umockdev" "$out")
check "wrong class at 00:02.0: DEVICE_MISMATCH (62), got $rc" [ "$rc" = 62 ]
check "wrong class: reason names the device and what was expected" contains "$out.err" \
    "0000:00:02.0 is 1af4:1042 class 0x010000, but the table expects vendor 0x8086 class 0x0300; refusing to touch it"
check "wrong class: no argv printed" lacks "$out" "== qemu argv"

# Right vendor, wrong class (an audio function where the table wants USB).
{
    without_device "$TREES/optiplex-7010.umockdev" 0000:00:14.0
    pci_record 0000:00:14.0 0x8086 0x1e20 0x040300 snd_hda_intel 2
} > "$tmp/wrong-class2.umockdev"
rc=$(dry "$tmp/wrong-class2.umockdev" "$out")
check "vendor right, class wrong: DEVICE_MISMATCH (62), got $rc" [ "$rc" = 62 ]
check "vendor right, class wrong: reason" contains "$out.err" "[Device xhci]: 0000:00:14.0 is 8086:1e20 class 0x040300"

# A 9020 without its audio controller (disabled in the BIOS).
without_device "$TREES/optiplex-9020.umockdev" 0000:00:1b.0 > "$tmp/missing.umockdev"
rc=$(dry "$tmp/missing.umockdev" "$out")
check "missing device: DEVICE_MISMATCH (62), got $rc" [ "$rc" = 62 ]
check "missing device: reason" contains "$out.err" "[Device audio]: no PCI device at 0000:00:1b.0"

# 7040: an admin adds the HD audio controller, whose IOMMU group also holds the LPC bridge,
# SMBus and the host's ethernet.
{
    cat "$TABLES/optiplex-7040.conf"
    printf '\n[Device audio]\nAddress=00:1f.3\nVendor=0x8086\nClass=0x0403\n'
} > "$SDVM_MACHINES_DIR/optiplex-7040.conf"
rc=$(dry "$TREES/optiplex-7040.umockdev" "$out")
check "IOMMU group with extra members: DEVICE_MISMATCH (62), got $rc" [ "$rc" = 62 ]
check "extra member: reason names the ethernet the host needs" contains "$out.err" \
    "IOMMU group 5 of 0000:00:1f.3 also holds 0000:00:1f.6 (8086:15b7 class 0x020000, driver e1000e), which the table does not list"
check "the admin's table was the one used" lacks "$out.err" "$TABLES/optiplex-7040.conf:"
rm -f "$SDVM_MACHINES_DIR/optiplex-7040.conf"

# A PCI bridge in the group is fine (vfio allows it on pcieport).
{
    without_device "$TREES/optiplex-7010.umockdev" 0000:00:1c.0
    pci_record 0000:00:1c.0 0x8086 0x1e10 0x060400 pcieport 5
} > "$tmp/bridge.umockdev"
rc=$(dry "$tmp/bridge.umockdev" "$out")
check "a bridge sharing the group is accepted, got $rc" [ "$rc" = 0 ]
check "the bridge is reported as such" contains "$out" "group-member 0000:00:1c.0 8086:1e10 class=0x060400 driver=pcieport iommu-group=5 bridge"

# No IOMMU (VT-d off): no group links at all.
grep -v '^L: iommu_group=' "$TREES/optiplex-7010.umockdev" > "$tmp/no-iommu.umockdev"
rc=$(dry "$tmp/no-iommu.umockdev" "$out")
check "no IOMMU groups: DEVICE_MISMATCH (62), got $rc" [ "$rc" = 62 ]
check "no IOMMU groups: says how to enable it" contains "$out.err" "has no IOMMU group; enable VT-d in the firmware and boot the host with intel_iommu=on"

# A model without a table, and a machine without DMI.
sed 's/^A: product_name=.*/A: product_name=OptiPlex 3020/' "$TREES/optiplex-7010.umockdev" > "$tmp/unknown.umockdev"
rc=$(dry "$tmp/unknown.umockdev" "$out")
check "unknown model: MACHINE_UNKNOWN (65), got $rc" [ "$rc" = 65 ]
check "unknown model: reason" contains "$out.err" "no machine table lists DMI product_name \"OptiPlex 3020\""
without_device "$TREES/optiplex-7010.umockdev" x | awk 'BEGIN { RS = ""; ORS = "\n\n" } !/dmi/' > "$tmp/no-dmi.umockdev"
rc=$(dry "$tmp/no-dmi.umockdev" "$out")
check "no DMI: MACHINE_UNKNOWN (65), got $rc" [ "$rc" = 65 ]
check "no DMI: reason" contains "$out.err" "this machine has no DMI information"
rc=$(dry "$TREES/optiplex-7010.umockdev" "$out" SDVM_MACHINE=optiplex-9999)
check "configured table missing: MACHINE_UNKNOWN (65), got $rc" [ "$rc" = 65 ]

# A table with a typo: CONFIG (84), naming file, section and key.
printf '[Machine]\nProductNames=OptiPlex 7010\nHugePages=required\n' > "$SDVM_MACHINES_DIR/broken.conf"
rc=$(dry "$TREES/optiplex-7010.umockdev" "$out")
check "malformed table: CONFIG (84), got $rc" [ "$rc" = 84 ]
check "malformed table: reason" contains "$out.err" "$SDVM_MACHINES_DIR/broken.conf: [Machine] HugePages: unknown key"
rm -f "$SDVM_MACHINES_DIR/broken.conf"

# The session environment.
rc=$(dry "$TREES/optiplex-7010.umockdev" "$out" SDVM_DISK="$tmp/nope.qcow2")
check "missing disk: DISK (43), got $rc" [ "$rc" = 43 ]
rc=$(dry "$TREES/optiplex-7010.umockdev" "$out" SDVM_USER_ID=)
check "no user id: CONFIG (84), got $rc" [ "$rc" = 84 ]
rc=$(dry "$TREES/optiplex-7010.umockdev" "$out" SDVM_USER_ID=../../etc)
check "user id with a path: CONFIG (84), got $rc" [ "$rc" = 84 ]

# A disk name that starts with '-' reaches QEMU as ./name.
(cd "$tmp" && : > ./-x.qcow2 && env SDVM_DISK=-x.qcow2 SDVM_MACHINE=generic SDVM_ACCEL=tcg \
    "$RUN_GUEST" --dry-run > "$tmp/dash.out" 2>&1) || true
check "disk name starting with '-' is opened as ./-x.qcow2" contains "$tmp/dash.out" "disk ./-x.qcow2"

# The generic profile: no passthrough, TCG override swaps -cpu host for max.
rc=0
env SDVM_MACHINE=generic SDVM_ACCEL=tcg "$RUN_GUEST" --dry-run > "$tmp/generic.out" 2>&1 || rc=$?
check "generic: exit 0, got $rc" [ "$rc" = 0 ]
check "generic: no vfio device" lacks "$tmp/generic.out" "vfio-pci"
argv_of "$tmp/generic.out" | tr '\n' ' ' > "$tmp/generic.line"
check "generic: -accel tcg -cpu max" contains "$tmp/generic.line" "-accel tcg -cpu max "
check "generic: no hugepages" lacks "$tmp/generic.line" "-mem-path"
check "generic: reason says it was configured" contains "$tmp/generic.out" "machine-reason configured: Machine=generic"
finish
