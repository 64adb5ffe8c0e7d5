#!/bin/sh
# Guest tier: the ways a session ends other than a clean power-off.
#  1. QEMU killed (SIGKILL) mid-run: run-guest still runs its undo step and exits 61
#     (GUEST_CRASHED); the overlay held while the guest ran is seen as in use.
#  2. run-guest itself is asked to stop (SIGTERM): it stops QEMU, undoes, exits 0.
#  3. run-guest killed (SIGKILL) while its guest runs: the next run-guest stops the orphaned
#     QEMU (by its recorded PID and process name) before starting.
set -eu
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

store_setup
# Record every sdvm-devices call, to see the undo step happen after QEMU died.
cat > "$tmp/devices-wrapper" << WRAP
#!/bin/sh
echo "\$1" >> "$tmp/devices.log"
exec "$DEVICES" "\$@"
WRAP
chmod +x "$tmp/devices-wrapper"
export SDVM_DEVICES="$tmp/devices-wrapper"
qemus=''

# start_held NAME: run-guest on a holding guest in the background; sets rg_pid and qemu_pid.
start_held() {
    ov=$(make_overlay "$1" hold)
    guest_env "$ov" "$tmp/$1.serial"
    : > "$tmp/devices.log"
    unshare -n "$RUN_GUEST" > "$tmp/$1.out" 2>&1 &
    rg_pid=$!
    qemu_pid=''
    if wait_for "$tmp/$1.serial" "SDVM-GUEST: holding" 150; then
        qemu_pid=$(cut -d" " -f1 "$SDVM_RUN_DIR/qemu.pid" 2> /dev/null || true)
        qemus="$qemus $qemu_pid"
    fi
}

# shellcheck disable=SC2317 # called from the EXIT trap
# Never leave a QEMU of ours behind, whatever failed (by PID, checked by process name).
stop_ours() {
    for p in $qemus; do
        if [ "$(cat "/proc/$p/comm" 2> /dev/null)" = sdvm-guest ]; then
            kill -KILL "$p" 2> /dev/null || true
        fi
    done
    rm -rf "$tmp"
}
trap stop_ours EXIT

# --- 1. QEMU killed ------------------------------------------------------------------------
start_held killed
check "the guest came up and holds" [ -n "$qemu_pid" ]
if [ -n "$qemu_pid" ]; then
    check "qemu.pid names the guest's QEMU (process name sdvm-guest)" \
        [ "$(cat "/proc/$qemu_pid/comm" 2> /dev/null)" = sdvm-guest ]
    # The overlay is held by the running QEMU: the store's eviction must skip it.
    check "while the guest runs, core's in-use check says its disk is in use" \
        [ "$("$SDVM_STORE_TOOL" in-use "$ov")" = 1 ]
    admin_disks > "$tmp/disks.out" 2>&1 || true
    check "  ... and sdvm-admin disks lists it as in use" \
        contains "$tmp/disks.out" "$(printf '%s\tkilled\t' "$USER_ID")"
    awk -F'\t' '$2 == "killed" { print $7 }' "$tmp/disks.out" > "$tmp/disks.inuse"
    check "  ... IN-USE yes" [ "$(cat "$tmp/disks.inuse")" = yes ]
    printf '[Paths]\nStateDir=%s\n[Store]\nReserveMiB=%s\n' "$tmp/store" 100000000 > "$tmp/evict.conf"
    "$SDVM_ADMIN" --config "$tmp/evict.conf" evict --dry-run --image testguest > "$tmp/evict.out" 2>&1 || true
    sed 's/^/# evict: /' "$tmp/evict.out"
    check "  ... and eviction does not plan to delete it" lacks "$tmp/evict.out" "would evict"
    "$SDVM_ADMIN" --config "$tmp/evict.conf" evict --image testguest > "$tmp/evict2.out" 2>&1 || true
    sed 's/^/# evict: /' "$tmp/evict2.out"
    check "  ... nor deletes it when asked to make room" [ -f "$ov" ]
    kill -KILL "$qemu_pid"
fi
rc=0
wait "$rg_pid" || rc=$?
sed 's/^/# run-guest: /' "$tmp/killed.out"
check "QEMU killed: run-guest exits 61 GUEST_CRASHED (got $rc)" [ "$rc" = 61 ]
check "QEMU killed: run-guest says so" contains "$tmp/killed.out" "QEMU was killed by signal 9"
check "QEMU killed: the undo step ran after QEMU died" \
    [ "$(tr '\n' ' ' < "$tmp/devices.log")" = "prepare undo " ]
check "QEMU killed: no journal left" [ ! -e "$SDVM_RUN_DIR/undo" ]
check "QEMU killed: no pid file left" [ ! -e "$SDVM_RUN_DIR/qemu.pid" ]
check "QEMU killed: the guest's flushed marker survived in the overlay" \
    grep -qaF "SDVM-GUEST-MARK" "$ov"
rc=0
qemu-img check -q -f qcow2 "$ov" > /dev/null 2>&1 || rc=$?
check "QEMU killed: overlay not corrupt (qemu-img check rc $rc: 0 clean, 3 leaks only)" \
    [ "$rc" = 0 ] || [ "$rc" = 3 ]
check "QEMU killed: core's in-use check says the disk is free again" \
    [ "$("$SDVM_STORE_TOOL" in-use "$ov")" = 0 ]

# --- 2. run-guest asked to stop --------------------------------------------------------------
start_held stopped
check "second guest came up" [ -n "$qemu_pid" ]
kill -TERM "$rg_pid"
rc=0
wait "$rg_pid" || rc=$?
sed 's/^/# run-guest: /' "$tmp/stopped.out"
check "SIGTERM: run-guest stops the guest and exits 0 (got $rc)" [ "$rc" = 0 ]
check "SIGTERM: run-guest forwarded it to QEMU" \
    contains "$tmp/stopped.out" "received SIGTERM: stopping the guest"
check "SIGTERM: QEMU is gone" sh -c "! kill -0 $qemu_pid 2> /dev/null"
check "SIGTERM: undo ran" [ "$(tr '\n' ' ' < "$tmp/devices.log")" = "prepare undo " ]

# --- 3. run-guest itself killed ------------------------------------------------------------
start_held orphan
orphan=$qemu_pid
check "third guest came up" [ -n "$orphan" ]
kill -KILL "$rg_pid"
wait "$rg_pid" 2> /dev/null || true
check "run-guest killed: its QEMU is still running (orphaned)" kill -0 "$orphan"
ov=$(make_overlay next)
guest_env "$ov" "$tmp/next.serial"
rc=0
unshare -n "$RUN_GUEST" > "$tmp/next.out" 2>&1 || rc=$?
sed 's/^/# run-guest: /' "$tmp/next.out"
check "next run-guest stops the orphaned QEMU first" \
    contains "$tmp/next.out" "stopping the guest left by an earlier session (pid $orphan)"
check "the orphan is gone" sh -c "! kill -0 $orphan 2> /dev/null"
check "next run-guest then boots its own guest (exit $rc)" [ "$rc" = 0 ]
finish
