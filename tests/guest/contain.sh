#!/bin/sh
# Containment of the guest (guest tier, a real TCG boot; issue 14, review H3): QEMU runs as
# its own unprivileged user with no capabilities, no_new_privs and a seccomp sandbox; that
# user cannot open another person's disk; and the guest's connection through slirp to
# 10.0.2.2 (the host's loopback) never reaches a listener the test opens on 127.0.0.1.
# run-guest runs in a network namespace of its own, so its nftables table is the namespace's.
set -eu
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
command -v nft > /dev/null 2>&1 || skip_all "nft missing (nftables, packaging/deps/guest.list)"

store_setup
ov=$(make_overlay testguest hold)
port=4711
printf 'PROBE %s;' "$port" > "$tmp/probe"
qemu-io -f qcow2 -c "write -s $tmp/probe 60M 512" "$ov" > /dev/null
# Another person's disk in the same store.
other_id=tdV33JzllyXimIZjLmns3ztspJwKFPQxWiQE_BUIZy0 # SHA3-256 of "bob"
other=$("$SDVM_STORE_TOOL" prepare "$tmp/store/users" "$other_id" testguest "$BASE")
guest_env "$ov" "$tmp/serial.log"

# The host's service on loopback, in run-guest's namespace: whatever connects is recorded.
cat > "$tmp/session.sh" << EOF
ip link set lo up
socat -u TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr OPEN:$tmp/listener.got,creat,append &
echo \$! > $tmp/listener.pid
exec "$RUN_GUEST"
EOF
unshare -n sh "$tmp/session.sh" > "$tmp/run-guest.out" 2>&1 &
pid=$!

held=0
wait_for "$tmp/serial.log" "SDVM-GUEST: holding" 120 && held=1
check "the guest booted and holds" [ "$held" = 1 ]
qpid=$(cut -d" " -f1 "$SDVM_RUN_DIR/qemu.pid" 2> /dev/null || true)
cp "/proc/${qpid:-none}/status" "$tmp/status" 2> /dev/null || : > "$tmp/status"
grep -E '^(Name|Uid|Gid|Groups|Cap...|NoNewPrivs|Seccomp):' "$tmp/status" | sed 's/^/# qemu: /' || true
want_uid=$(id -u "$SDVM_QEMU_USER")
want_gid=$(id -g "$SDVM_QEMU_USER")
field() { awk -v k="$1:" '$1 == k { print $2 }' "$tmp/status"; }
check "QEMU runs as $SDVM_QEMU_USER (uid $want_uid), not root" [ "$(field Uid)" = "$want_uid" ]
check "QEMU is in no supplementary group" [ -z "$(field Groups)" ]
for c in CapInh CapPrm CapEff CapBnd CapAmb; do
    check "QEMU's $c is empty" [ "$(field "$c")" = 0000000000000000 ]
done
check "QEMU has no_new_privs" [ "$(field NoNewPrivs)" = 1 ]
check "QEMU is under a seccomp filter (-sandbox)" [ "$(field Seccomp)" = 2 ]
tr '\0' '\n' < "/proc/${qpid:-none}/cmdline" > "$tmp/cmdline" 2> /dev/null || : > "$tmp/cmdline"
check "QEMU's command line has the full -sandbox" \
    grep -qx 'on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny' "$tmp/cmdline"
# What QEMU's user can open: its base (read), never another person's disk.
as_qemu() { setpriv --reuid="$want_uid" --regid="$want_gid" --clear-groups "$@"; }
check "QEMU's user can read the base image" quiet as_qemu qemu-img info -U "$BASE"
rc=0
as_qemu qemu-img info -U "$other" > "$tmp/other.out" 2>&1 || rc=$?
check "QEMU's user cannot open another person's disk (qemu-img rc $rc)" [ "$rc" != 0 ]
check "... because it may not (permission denied)" contains "$tmp/other.out" "Permission denied"

check "the guest tried the host through slirp" contains "$tmp/serial.log" "SDVM-GUEST: probe 10.0.2.2:$port"
check "the guest could not connect to the host's 127.0.0.1:$port" \
    contains "$tmp/serial.log" "SDVM-GUEST: probe 10.0.2.2:$port failed"
check "the host's listener received nothing" [ ! -s "$tmp/listener.got" ]

kill -TERM "$pid" 2> /dev/null || true
rc=0
wait "$pid" || rc=$?
lpid=$(cat "$tmp/listener.pid" 2> /dev/null || true)
[ -z "$lpid" ] || kill "$lpid" 2> /dev/null || true
sed 's/^/# run-guest: /' "$tmp/run-guest.out"
check "run-guest stopped the guest on SIGTERM (rc $rc)" [ "$rc" = 0 ]
check "no QEMU left" [ ! -d "/proc/${qpid:-none}" ]
finish
