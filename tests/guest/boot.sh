#!/bin/sh
# A real boot (guest tier): run-guest, generic profile, QEMU TCG, the tiny Debian-kernel +
# busybox guest booting from the user's qcow2 overlay over virtio-scsi. The guest reads data
# only the base holds, writes a marker, and powers off. Asserts exit 0, the marker in the
# overlay and not in the base, and the base image unchanged.
set -eu
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

store_setup
base_sum=$(sha256sum "$BASE" | cut -d' ' -f1)
ov=$(make_overlay testguest)
guest_env "$ov" "$tmp/serial.log"

start=$(now_ms)
rc=0
unshare -n "$RUN_GUEST" > "$tmp/run-guest.out" 2>&1 &
pid=$!
# A guest that never powers off must not hang the suite: stop it through run-guest (by PID).
# The watchdog polls, so it ends with run-guest and holds no pipe of ctest's.
(
    i=0
    while kill -0 "$pid" 2> /dev/null; do
        i=$((i + 1))
        if [ "$i" -gt 1500 ]; then
            kill -TERM "$pid"
            break
        fi
        sleep 0.1
    done
) > /dev/null 2>&1 &
watchdog=$!
wait "$pid" || rc=$?
kill "$watchdog" 2> /dev/null || true
elapsed=$(($(now_ms) - start))
echo "# run-guest took ${elapsed} ms (boot to power-off under TCG)"
sed 's/^/# run-guest: /' "$tmp/run-guest.out"

check "run-guest exits 0 (got $rc)" [ "$rc" = 0 ]
check "the guest booted from the overlay and read the base's data" \
    contains "$tmp/serial.log" "SDVM-GUEST: base data: BASE-IMAGE-DATA"
check "the guest powered itself off" contains "$tmp/serial.log" "SDVM-GUEST: powering off"
boot_id=$(sed -n 's/.*SDVM-GUEST: wrote: SDVM-GUEST-MARK \([0-9a-f-]*\).*/\1/p' "$tmp/serial.log" | head -n 1)
check "the guest reported its marker" [ -n "$boot_id" ]
marker="SDVM-GUEST-MARK $boot_id"
got=$(disk_bytes "$ov" 48 ${#marker})
check "the marker is in the overlay at 48 MiB" [ "$got" = "$marker" ]
check "the marker is in the overlay file itself (not only through the chain)" grep -qaF "$marker" "$ov"
base_got=$(disk_bytes "$BASE" 48 ${#marker})
check "the marker is not in the base" [ "$base_got" != "$marker" ]
check "the base image's sha256 is unchanged" [ "$(sha256sum "$BASE" | cut -d' ' -f1)" = "$base_sum" ]
qemu-img info -U --output=json "$ov" > "$tmp/info.json"
check "the overlay still names the base as its backing file" \
    contains "$tmp/info.json" "\"backing-filename\": \"$BASE\""
check "qemu-img check: the overlay is clean" qemu-img check -q -f qcow2 "$ov"
check "no undo journal left" [ ! -e "$SDVM_RUN_DIR/undo" ]
check "no QEMU pid file left" [ ! -e "$SDVM_RUN_DIR/qemu.pid" ]
finish
