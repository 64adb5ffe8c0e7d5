# Shared helpers for the guest-tier shell tests (sourced). TAP output, a trap-cleaned temp dir,
# shellcheck disable=SC2034 # variables used by the scripts that source this file
# the build tree's run-guest and sdvm-devices, and umockdev device trees.
: "${SDVM_SOURCE_DIR:?run through ctest}"
: "${SDVM_BUILD_DIR:?run through ctest}"
RUN_GUEST=$SDVM_BUILD_DIR/session-scripts/run-guest
DEVICES=$SDVM_BUILD_DIR/session-scripts/sdvm-devices
TREES=$SDVM_SOURCE_DIR/tests/data/machines
TABLES=$SDVM_SOURCE_DIR/session-scripts/machines.d
# A Base64Url user id (SHA3-256 of "alice", see notes/guest.md) and an image id.
USER_ID=p9zvmu8mIC_OgqfH1mcq-zoUnbIH2QoH5DfVq8f8me0
# The umockdev preload comes before the ASan runtime in the library list: allow that.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
export ASAN_OPTIONS

tap_n=0
tap_failed=0
ok() {
    tap_n=$((tap_n + 1))
    echo "ok $tap_n - $*"
}
not_ok() {
    tap_n=$((tap_n + 1))
    tap_failed=$((tap_failed + 1))
    echo "not ok $tap_n - $*"
}
# check DESCRIPTION COMMAND...: one TAP line from the command's status.
check() {
    desc=$1
    shift
    if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}
finish() {
    echo "1..$tap_n"
    [ "$tap_failed" = 0 ] || { echo "# $tap_failed failed"; exit 1; }
    exit 0
}
skip_all() {
    echo "1..0 # SKIP $*"
    exit 77
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sdvm-guest-test.XXXXXX")
cleanup() { rm -rf "$tmp"; }
trap cleanup EXIT

# quiet COMMAND...: run it without output (for check).
quiet() { "$@" > /dev/null 2>&1; }

# contains FILE TEXT: fixed-string search, showing the file when it fails.
contains() {
    if grep -qF -- "$2" "$1"; then return 0; fi
    echo "# '$2' not in $1:"
    sed 's/^/#   /' "$1"
    return 1
}
lacks() {
    if ! grep -qF -- "$2" "$1"; then return 0; fi
    echo "# '$2' unexpectedly in $1"
    return 1
}

# without_device TREE ADDR: the tree minus one PCI device (umockdev files are blank-line
# separated records).
without_device() {
    awk -v p="P: /devices/pci0000:00/$2" 'BEGIN { RS = ""; ORS = "\n\n" } $1 " " $2 != p' "$1"
}

# pci_record ADDR VENDOR DEVICE CLASS DRIVER GROUP: one umockdev record (DRIVER/GROUP "-" = none).
pci_record() {
    echo "P: /devices/pci0000:00/$1"
    echo "E: SUBSYSTEM=pci"
    echo "E: PCI_SLOT_NAME=$1"
    echo "A: vendor=$2"
    echo "A: device=$3"
    echo "A: class=$4"
    echo "A: driver_override=(null)"
    [ "$5" = - ] || echo "L: driver=../../../bus/pci/drivers/$5"
    [ "$6" = - ] || echo "L: iommu_group=../../../kernel/iommu_groups/$6"
    echo
}

# The session environment run-guest gets from sdvmd, pointed at the source tree's tables.
session_env() {
    export SDVM_DEVICES="$DEVICES"
    export SDVM_MACHINES_DIR="$tmp/etc-machines.d"
    export SDVM_DATA_MACHINES_DIR="$TABLES"
    export SDVM_RUN_DIR="$tmp/run"
    export SDVM_IMAGE_ID=win10
    export SDVM_USER_ID="$USER_ID"
    export SDVM_OS_TYPE=windows
    export SDVM_DISK="$tmp/disk.qcow2"
    mkdir -p "$SDVM_MACHINES_DIR"
    [ -f "$SDVM_DISK" ] || : > "$SDVM_DISK"
}

# A fake /proc for guest memory sizing: 7934 MiB like an 8 GB OptiPlex.
fake_proc() {
    mkdir -p "$tmp/proc/sys/vm"
    printf 'MemTotal:        8124416 kB\nMemFree:         4000000 kB\n' > "$tmp/proc/meminfo"
    : > "$tmp/proc/sys/vm/drop_caches"
    : > "$tmp/proc/sys/vm/compact_memory"
    export SDVM_PROC_ROOT="$tmp/proc"
}

# argv_of OUTPUT: the QEMU argv section of a dry run, one element per line.
argv_of() {
    sed -n '/^== qemu argv$/,$p' "$1" | sed 1d
}

# --- the tiny guest (built once by build-guest.sh into the build dir) ------------------------
GUEST_IMAGE_DIR=$SDVM_BUILD_DIR/guest-image

# store_setup: a disk store laid out as sdvmd's (images/<id>.qcow2 + .ini, users/<uid>/),
# holding a copy of the cached base image.
store_setup() {
    [ -f "$GUEST_IMAGE_DIR/base.qcow2" ] || {
        echo "# $GUEST_IMAGE_DIR/base.qcow2 missing: the guest-image fixture did not run"
        exit 1
    }
    mkdir -p "$tmp/store/images" "$tmp/store/users/$USER_ID"
    # As packaging/systemd/sdvm.tmpfiles: QEMU's user reads the bases, never the users' disks.
    chmod 0711 "$tmp"
    chmod 0755 "$tmp/store" "$tmp/store/images"
    chmod 0700 "$tmp/store/users"
    cp "$GUEST_IMAGE_DIR/base.qcow2" "$tmp/store/images/testguest.qcow2"
    chmod 0644 "$tmp/store/images/testguest.qcow2"
    cp "$GUEST_IMAGE_DIR/base.ini" "$tmp/store/images/testguest.ini"
    BASE=$tmp/store/images/testguest.qcow2
}

# make_overlay IMAGE_ID [hold]: the user's disk, created by core's disk store (as sdvmd does:
# temporary name, fsync, rename) over the base. With "hold", the guest stays up after writing
# its marker.
make_overlay() {
    ov=$("${SDVM_STORE_TOOL:?run through ctest}" prepare "$tmp/store/users" "$USER_ID" "$1" "$BASE")
    if [ "${2:-}" = hold ]; then
        qemu-io -f qcow2 -c 'write -P 0x48 56M 4k' "$ov" > /dev/null
    fi
    echo "$ov"
}

# admin_disks: core's view of the users' disks (sdvm-admin disks --parsable) of this store.
admin_disks() {
    printf '[Paths]\nStateDir=%s\n' "$tmp/store" > "$tmp/sdvm.conf"
    "${SDVM_ADMIN:?run through ctest}" --config "$tmp/sdvm.conf" disks --parsable
}

# guest_env OVERLAY SERIAL: run-guest's environment for the generic profile under TCG.
guest_env() {
    export SDVM_DEVICES="${SDVM_DEVICES:-$DEVICES}"
    export SDVM_MACHINES_DIR="$tmp/etc-machines.d"
    export SDVM_DATA_MACHINES_DIR="$TABLES"
    export SDVM_RUN_DIR="$tmp/run"
    export SDVM_MACHINE=generic
    export SDVM_ACCEL=tcg
    export SDVM_GUEST_MEMORY_MIB=256
    export SDVM_IMAGE_ID=testguest
    export SDVM_USER_ID="$USER_ID"
    export SDVM_OS_TYPE=linux
    export SDVM_DISK="$1"
    export SDVM_GUEST_SERIAL="$2"
    # QEMU's own user (packaging/systemd/sdvm.sysusers) if installed, else nobody.
    if id sdvm-qemu > /dev/null 2>&1; then
        export SDVM_QEMU_USER=sdvm-qemu
    else
        export SDVM_QEMU_USER=nobody
    fi
    mkdir -p "$SDVM_MACHINES_DIR"
}

# wait_for FILE TEXT SECONDS: poll until the file holds the text.
wait_for() {
    i=0
    while [ "$i" -lt $(($3 * 10)) ]; do
        if [ -f "$1" ] && grep -qaF -- "$2" "$1"; then return 0; fi
        sleep 0.1
        i=$((i + 1))
    done
    return 1
}

# disk_bytes QCOW2 OFFSET_MIB LEN: bytes the guest sees at that offset (through the backing
# chain), read from a raw conversion so the host proves what the guest wrote.
disk_bytes() {
    qemu-img convert -U -f qcow2 -O raw "$1" "$tmp/disk.raw"
    dd if="$tmp/disk.raw" bs=1M skip="$2" count=1 2> /dev/null | head -c "$3"
    rm -f "$tmp/disk.raw"
}

now_ms() { date +%s%3N; }

# Tests run run-guest as "unshare -n $RUN_GUEST" (unshare execs: the PID is run-guest's), so
# its nftables table and the tests' listeners never touch the machine's network.
