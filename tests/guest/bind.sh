#!/bin/sh
# shellcheck disable=SC2317,SC2016 # helpers run through check; inner shells expand $1
# run-guest's host work for real (unit tier): an umockdev OptiPlex 7010 plus a small fake
# kernel (a polling loop that honours driver_override, unbind, drivers_probe and the hugepage
# pool in the testbed's sysfs) and a QEMU stub. Checks that devices are on vfio-pci while
# QEMU runs and back on their host drivers afterwards, however QEMU ends; that a host driver
# refusing the iGPU gives REBOOT_NEEDED; that the undo journal is replayed after a run-guest
# crash; the hugepage life cycle (reserve, refuse, fall back, release); that a process merely
# named like QEMU is never signalled (L9); and that the real sdvmd, started after a crash
# mid-session, replays the journal before its greeter starts (M7).
set -eu
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

if [ "${1:-}" != inner ]; then
    command -v umockdev-run > /dev/null || { echo "umockdev-run missing (package umockdev)"; exit 1; }
    # A real hugetlbfs mount (no pages are taken by mounting it) in a private mount
    # namespace, when we may; otherwise the hugepage cases that need one are skipped.
    rc=0
    mkdir -p "$tmp/huge"
    chmod 0711 "$tmp" # QEMU's user (the stub) reaches its directory in the mount
    if [ "$(id -u)" = 0 ] &&
        unshare -m mount -t hugetlbfs -o pagesize=2M sdvm-test "$tmp/huge" 2> /dev/null; then
        unshare -m -n sh -c '
            mount -t hugetlbfs -o pagesize=2M sdvm-test "$1/huge" &&
            exec umockdev-run -d "$2" -- sh "$3" inner "$1/huge"' \
            sh "$tmp" "$TREES/optiplex-7010.umockdev" "$0" || rc=$?
    else
        unshare -n umockdev-run -d "$TREES/optiplex-7010.umockdev" -- sh "$0" inner "" || rc=$?
    fi
    exit "$rc"
fi
huge=${2:-}
: "${UMOCKDEV_DIR:?not inside umockdev-run}"
S=$UMOCKDEV_DIR/sys
FK=$tmp/fk
mkdir -p "$FK"
# lib.sh made a fresh $tmp for this (inner) process; the outer one removes its own.
# The stub runs as QEMU's unprivileged user (run-guest(8)): it reads the device tree and
# writes what it saw to $Q; the fake kernel's $FK takes its "refuse" note.
command -v nft > /dev/null 2>&1 || { echo "nft missing (nftables, packaging/deps/guest.list)"; exit 1; }
Q=$tmp/q
mkdir -p "$Q"
chmod 1777 "$Q" "$FK"
chmod 0711 "$tmp"
chmod -R a+rX "$UMOCKDEV_DIR"
d=$UMOCKDEV_DIR
while [ "$d" != / ]; do d=$(dirname "$d"); chmod a+x "$d"; done
if id sdvm-qemu > /dev/null 2>&1; then export SDVM_QEMU_USER=sdvm-qemu; else export SDVM_QEMU_USER=nobody; fi
# /dev/vfio/<group> of the table's devices (the fake kernel's: root's until run-guest hands them over).
export SDVM_VFIO_DIR="$tmp/vfio"
mkdir -p "$SDVM_VFIO_DIR"
for a in 0000:00:02.0 0000:00:1d.0 0000:00:1a.0 0000:00:14.0 0000:00:1b.0; do
    : > "$SDVM_VFIO_DIR/$(basename "$(readlink "$UMOCKDEV_DIR/sys/bus/pci/devices/$a/iommu_group")")"
done

# --- the fake kernel ----------------------------------------------------------------------
ADDRS="0000:00:02.0 0000:00:1d.0 0000:00:1a.0 0000:00:14.0 0000:00:1b.0"
for drv in i915 ehci-pci xhci_hcd snd_hda_intel lpc_ich ahci i801_smbus e1000e mei_me pcieport vfio-pci; do
    mkdir -p "$S/bus/pci/drivers/$drv"
    : > "$S/bus/pci/drivers/$drv/unbind"
done
: > "$S/bus/pci/drivers_probe"
pool=$S/kernel/mm/hugepages/hugepages-2048kB
mkdir -p "$pool"
echo 0 > "$pool/nr_hugepages"
echo 0 > "$pool/free_hugepages"
echo 100000 > "$FK/max-pages"
# The host driver each device goes back to when probed without an override.
for a in $ADDRS; do
    basename "$(readlink "$S/bus/pci/devices/$a/driver")" > "$FK/$a.host"
done

driver_of() {
    l=$(readlink "$S/bus/pci/devices/$1/driver" 2> /dev/null || true)
    [ -z "$l" ] || basename "$l"
}

fake_kernel() {
    while [ ! -e "$FK/stop" ]; do
        for u in "$S"/bus/pci/drivers/*/unbind; do
            a=$(cat "$u")
            [ -n "$a" ] || continue
            : > "$u"
            drv=$(basename "$(dirname "$u")")
            if [ "$(driver_of "$a")" = "$drv" ]; then
                rm -f "$S/bus/pci/devices/$a/driver"
                echo "unbind $a $drv" >> "$FK/log"
            fi
        done
        a=$(cat "$S/bus/pci/drivers_probe")
        if [ -n "$a" ]; then
            : > "$S/bus/pci/drivers_probe"
            if [ -z "$(driver_of "$a")" ]; then
                ov=$(tr -d ' \n' < "$S/bus/pci/devices/$a/driver_override")
                [ "$ov" != "(null)" ] || ov=''
                drv=${ov:-$(cat "$FK/$a.host")}
                if [ -e "$FK/refuse-$drv" ]; then
                    echo "probe $a $drv REFUSED" >> "$FK/log"
                else
                    ln -s "../../../bus/pci/drivers/$drv" "$S/devices/pci0000:00/$a/driver"
                    echo "probe $a $drv" >> "$FK/log"
                fi
            fi
        fi
        sleep 0.01
    done
}
# The hugepage pool in a loop of its own: sdvm-devices gives the kernel 1.5 s to fill it, and
# one round of the device loop above can take longer than that on a loaded machine.
fake_pool() {
    while [ ! -e "$FK/stop" ]; do
        nr=$(cat "$pool/nr_hugepages")
        max=$(cat "$FK/max-pages")
        case $nr in '' | *[!0-9]*) nr=0 ;; esac
        [ "$nr" -le "$max" ] || { nr=$max; echo "$nr" > "$pool/nr_hugepages"; }
        [ "$(cat "$pool/free_hugepages")" = "$nr" ] || echo "$nr" > "$pool/free_hugepages"
        sleep 0.01
    done
}
fake_kernel &
fk_pid=$!
fake_pool &
fp_pid=$!
stop_all() {
    touch "$FK/stop"
    wait "$fk_pid" "$fp_pid" 2> /dev/null || true
    rm -rf "$tmp"
}
trap stop_all EXIT

# --- the QEMU stub: records argv and the drivers it sees, then ends as $STUB_MODE says ------
# Named sdvm-guest as QEMU names itself; run-guest never trusts that name (review L9).
mkdir -p "$tmp/bin"
cat > "$tmp/bin/sdvm-guest" << STUB
#!/bin/sh
printf '%s\n' "\$@" > "$Q/qemu.argv"
for a in $ADDRS; do
    l=\$(readlink "/sys/bus/pci/devices/\$a/driver" 2> /dev/null || true)
    echo "\$a \${l##*/}"
done > "$Q/qemu.drivers"
cat /sys/class/vtconsole/vtcon1/bind > "$Q/qemu.vtcon1"
id -u > "$Q/qemu.uid"
ulimit -l > "$Q/qemu.memlock"
stat -c '%n %u' "$SDVM_VFIO_DIR"/* > "$Q/qemu.vfio"
mp='' prev=''
for a in "\$@"; do [ "\$prev" != -mem-path ] || mp=\$a; prev=\$a; done
[ -z "\$mp" ] || stat -c '%u %a' "\$mp" > "$Q/qemu.hugedir"
case \${STUB_MODE:-exit0} in
exit0) exit 0 ;;
exit1) echo "stub: could not start" >&2; exit 1 ;;
kill9) kill -KILL \$\$ ;;
refuse) touch "$FK/refuse-i915"; exit 0 ;;
hold) trap 'exit 0' TERM; while :; do sleep 0.05; done ;;
esac
STUB
chmod +x "$tmp/bin/sdvm-guest"

session_env
fake_proc
export QEMU="$tmp/bin/sdvm-guest"
export SDVM_OS_TYPE=windows
unset SDVM_MACHINE SDVM_ACCEL 2> /dev/null || true
table=$SDVM_MACHINES_DIR/optiplex-7010.conf
# use_table HUGEPAGES PATH: the shipped 7010 table with another hugepage policy and mount.
use_table() {
    sed -e "s|^Hugepages=.*|Hugepages=$1|" -e "s|^HugepagesPath=.*|HugepagesPath=$2|" \
        "$TABLES/optiplex-7010.conf" > "$table"
}

all_on() {
    for a in $ADDRS; do
        [ "$(driver_of "$a")" = "$1" ] || { echo "# $a is on '$(driver_of "$a")', not $1"; return 1; }
    done
}
all_home() {
    for a in $ADDRS; do
        home=$(cat "$FK/$a.host")
        [ "$(driver_of "$a")" = "$home" ] || { echo "# $a is on '$(driver_of "$a")', not $home"; return 1; }
        ov=$(tr -d ' \n' < "$S/bus/pci/devices/$a/driver_override")
        [ -z "$ov" ] || [ "$ov" = "(null)" ] || { echo "# $a driver_override is '$ov'"; return 1; }
    done
}
seen_by_qemu_on() {
    for a in $ADDRS; do
        grep -qx "$a $1" "$Q/qemu.drivers" || { echo "# QEMU saw:"; sed 's/^/#   /' "$Q/qemu.drivers"; return 1; }
    done
}
pool_is() { [ "$(cat "$pool/nr_hugepages")" = "$1" ]; }

# holding_session NAME: run-guest in the background with a QEMU that stays up (output in
# $tmp/NAME.out); returns once QEMU runs: run-guest's pid in $rg, the stub QEMU's in $stub.
holding_session() {
    rm -f "$Q/qemu.argv"
    STUB_MODE=hold "$RUN_GUEST" > "$tmp/$1.out" 2>&1 &
    rg=$!
    i=0
    while { [ ! -s "$Q/qemu.argv" ] || [ ! -s "$SDVM_RUN_DIR/qemu.pid" ]; } && [ $i -lt 300 ]; do
        sleep 0.05
        i=$((i + 1))
    done
    stub=$(cut -d' ' -f1 "$SDVM_RUN_DIR/qemu.pid" 2> /dev/null || true)
}

# run NAME [ENV=VALUE...]: run-guest (not a dry run); the exit code goes to $rc.
run() {
    name=$1
    shift
    rm -f "$Q/qemu.argv" "$Q/qemu.drivers"
    : > "$FK/log"
    rc=0
    env "$@" "$RUN_GUEST" > "$tmp/$name.out" 2>&1 || rc=$?
    sed "s/^/# $name: /" "$tmp/$name.out"
}

# --- 1. a normal session ------------------------------------------------------------------
if [ -n "$huge" ]; then
    use_table required "$huge"
else
    use_table off /dev/hugepages
fi
run normal
check "normal: exit 0 (got $rc)" [ "$rc" = 0 ]
check "normal: QEMU ran with every table device on vfio-pci" seen_by_qemu_on vfio-pci
check "normal: QEMU ran as $SDVM_QEMU_USER" [ "$(cat "$Q/qemu.uid")" = "$(id -u "$SDVM_QEMU_USER")" ]
check "normal: QEMU owned the /dev/vfio groups of its devices" \
    [ "$(awk '{ print $2 }' "$Q/qemu.vfio" | sort -u)" = "$(id -u "$SDVM_QEMU_USER")" ]
check "normal: the groups are root's again afterwards" \
    [ "$(stat -c %u "$SDVM_VFIO_DIR"/* | sort -u)" = 0 ]
# VFIO pins all guest RAM (several GiB here): the limit is raised, and bounded.
memlock=$(cat "$Q/qemu.memlock")
if ! prlimit --memlock=8589934592 true 2> /dev/null; then
    ok "# SKIP normal: RLIMIT_MEMLOCK (this root has no CAP_SYS_RESOURCE to raise it)"
else check "normal: QEMU's RLIMIT_MEMLOCK covers the pinned guest RAM ($memlock KiB)" \
    test "$memlock" != unlimited -a "${memlock%%[!0-9]*}0" -gt 10485760
fi
check "normal: each device was unbound from its host driver first" \
    contains "$FK/log" "unbind 0000:00:02.0 i915"
check "normal: afterwards every device is back on its host driver, override cleared" all_home
check "normal: the undo journal is gone" [ ! -e "$SDVM_RUN_DIR/undo" ]
check "normal: the frame buffer console was unbound while QEMU ran" [ "$(cat "$Q/qemu.vtcon1")" = 0 ]
check "normal: ... and bound again afterwards" [ "$(cat "$S/class/vtconsole/vtcon1/bind")" = 1 ]
check "normal: the dummy console was left alone" [ "$(cat "$S/class/vtconsole/vtcon0/bind")" = 0 ]
check "normal: nothing else was unbound" \
    sh -c '! grep -v -e "0000:00:02.0" -e "0000:00:1d.0" -e "0000:00:1a.0" -e "0000:00:14.0" -e "0000:00:1b.0" "$1" | grep -q unbind' sh "$FK/log"
if [ -n "$huge" ]; then
    check "normal: QEMU got the hugetlbfs mount" contains "$Q/qemu.argv" "$huge"
    check "normal: hugepage pool released (back to 0)" pool_is 0
    check "normal: QEMU's hugetlbfs directory was its own, 0700" \
        [ "$(cat "$Q/qemu.hugedir")" = "$(id -u "$SDVM_QEMU_USER") 700" ]
    check "normal: ... and is gone afterwards" [ ! -e "$huge/sdvm-qemu" ]
else
    ok "normal: hugepages # SKIP needs root for a private hugetlbfs mount"
    ok "normal: hugepage pool released # SKIP needs root"
fi
use_table off /dev/hugepages

# --- 2. QEMU killed -------------------------------------------------------------------------
run killed STUB_MODE=kill9
check "QEMU killed: exit 61 GUEST_CRASHED (got $rc)" [ "$rc" = 61 ]
check "QEMU killed: devices were on vfio-pci while it ran" seen_by_qemu_on vfio-pci
check "QEMU killed: devices back on their host drivers" all_home

# --- 3. QEMU cannot start -------------------------------------------------------------------
run nostart STUB_MODE=exit1
check "QEMU exit 1: exit 60 GUEST_START (got $rc)" [ "$rc" = 60 ]
check "QEMU exit 1: devices back on their host drivers" all_home

# --- 4. the host driver refuses the iGPU: reboot needed; the next start tries again ------------
run refuse STUB_MODE=refuse
check "i915 refuses the iGPU: exit 64 REBOOT_NEEDED (got $rc)" [ "$rc" = 64 ]
check "i915 refuses: the other devices are back" \
    sh -c '[ "$(readlink "$1/bus/pci/devices/0000:00:14.0/driver")" != "" ]' sh "$S"
check "i915 refuses: the journal keeps the iGPU entry" contains "$SDVM_RUN_DIR/undo" "0000:00:02.0"
check "i915 refuses: the journal keeps only that" [ "$(wc -l < "$SDVM_RUN_DIR/undo")" = 1 ]
rm -f "$FK/refuse-i915"
run retry
check "next start replays the journal first" contains "$tmp/retry.out" "undoing the host changes of a previous run-guest"
check "next start: exit 0 (got $rc)" [ "$rc" = 0 ]
check "next start: all devices home" all_home

# --- 5. run-guest itself killed while QEMU runs ----------------------------------------------
holding_session crashed
run second
check "a second run-guest while one runs: exit 60 (got $rc)" [ "$rc" = 60 ]
check "  ... says why" contains "$tmp/second.out" "another run-guest (pid $rg) is running"
check "  ... and leaves the running session's devices alone" all_on vfio-pci
kill -KILL "$rg"
wait "$rg" 2> /dev/null || true
check "run-guest killed: devices still on vfio-pci" all_on vfio-pci
check "run-guest killed: console still unbound" [ "$(cat "$S/class/vtconsole/vtcon1/bind")" = 0 ]
check "run-guest killed: its journal lists all five devices" [ "$(grep -c '^device' "$SDVM_RUN_DIR/undo")" = 5 ]
check "run-guest killed: ... and the vfio groups' old owners" grep -q '^owner' "$SDVM_RUN_DIR/undo"
check "run-guest killed: the groups are still QEMU's user's" \
    [ "$(stat -c %u "$SDVM_VFIO_DIR"/* | sort -u)" = "$(id -u "$SDVM_QEMU_USER")" ]
run after
check "next run-guest stops the leftover guest" contains "$tmp/after.out" "stopping the guest left by an earlier session (pid $stub)"
check "  ... then gives the devices back from the journal" contains "$tmp/after.out" "undoing the host changes"
check "  ... then runs its own session (exit $rc)" [ "$rc" = 0 ]
check "  ... and ends with every device home" all_home
check "  ... and the console bound again" [ "$(cat "$S/class/vtconsole/vtcon1/bind")" = 1 ]
check "  ... and the vfio groups root's again" [ "$(stat -c %u "$SDVM_VFIO_DIR"/* | sort -u)" = 0 ]
[ -z "$stub" ] || kill -KILL "$stub" 2> /dev/null || true

# --- 6. hugepages ---------------------------------------------------------------------------
use_table required "$tmp"
run nothugetlbfs
check "hugepages on a non-hugetlbfs path: exit 63 HUGEPAGES (got $rc)" [ "$rc" = 63 ]
check "  ... says why (QEMU would silently use ordinary memory)" \
    contains "$tmp/nothugetlbfs.out" "is not a hugetlbfs mount"
check "  ... and touched no device" lacks "$FK/log" "unbind"
if [ -n "$huge" ]; then
    echo 100 > "$FK/max-pages"
    use_table required "$huge"
    run short
    check "pool too small, required: exit 63 HUGEPAGES (got $rc)" [ "$rc" = 63 ]
    check "  ... reason counts the pages" contains "$tmp/short.out" "only 100 of 3455 hugepages"
    check "  ... the compaction knobs were used" [ "$(cat "$SDVM_PROC_ROOT/sys/vm/compact_memory")" = 1 ]
    check "  ... pool put back to 0" pool_is 0
    check "  ... no device touched" lacks "$FK/log" "unbind"
    use_table preferred "$huge"
    run fallback
    check "pool too small, preferred: runs anyway (exit $rc)" [ "$rc" = 0 ]
    check "  ... loudly" contains "$tmp/fallback.out" "WARNING: running the guest on ordinary memory"
    check "  ... without -mem-path" lacks "$Q/qemu.argv" "-mem-path"
    check "  ... pool back to 0" pool_is 0
    echo 100000 > "$FK/max-pages"
else
    for t in short fallback; do ok "hugepage pool $t # SKIP needs root for a private hugetlbfs mount"; done
fi
# --- 7. a pid file names a process that only calls itself sdvm-guest (review L9) -----------
# Any user can name a process sdvm-guest; a stale pid file (an old format, a reused pid, a
# forged stamp) must not make run-guest signal it.
mkdir -p "$tmp/decoy"
chmod 1777 "$tmp/decoy"
cat > "$tmp/decoy/sdvm-guest" << 'DECOY'
#!/bin/sh
trap 'echo TERM >> "$0.signals"' TERM
while :; do sleep 0.05; done
DECOY
chmod 0755 "$tmp/decoy/sdvm-guest"
setpriv --reuid=65534 --regid=65534 --clear-groups "$tmp/decoy/sdvm-guest" &
decoy=$!
sleep 0.3
check "the decoy is named sdvm-guest" [ "$(cat "/proc/$decoy/comm")" = sdvm-guest ]
mkdir -p "$SDVM_RUN_DIR"
echo "$decoy" > "$SDVM_RUN_DIR/qemu.pid"
run decoy1 SDVM_STOP_TIMEOUT=2
check "a bare pid of a process named sdvm-guest: the session runs (exit $rc)" [ "$rc" = 0 ]
check "  ... and the process is not signalled" [ ! -e "$tmp/decoy/sdvm-guest.signals" ]
check "  ... and still runs" kill -0 "$decoy"
boot=$(cat /proc/sys/kernel/random/boot_id)
echo "$decoy 1 $boot" > "$SDVM_RUN_DIR/qemu.pid"
run decoy2 SDVM_STOP_TIMEOUT=2
check "a forged stamp (wrong start time): not signalled either" [ ! -e "$tmp/decoy/sdvm-guest.signals" ]
check "  ... still runs, and the session ran (exit $rc)" sh -c 'kill -0 "$1" && [ "$2" = 0 ]' sh "$decoy" "$rc"
kill -KILL "$decoy" 2> /dev/null || true
wait "$decoy" 2> /dev/null || true

# --- 8. sdvmd and its run-guest killed mid-session, then sdvmd started (review M7) -----------
# What a SIGKILL of the whole unit (or KillMode=mixed's after TimeoutStopSec) leaves: devices
# on vfio-pci, the undo journal, an orphaned QEMU. The real sdvmd's start runs run-guest
# --recover before its greeter: the journal is replayed first.
if [ -z "${SDVMD:-}" ]; then
    ok "sdvmd restarted after a crash # SKIP no sdvmd in this build"
    finish
fi
holding_session killed-session
kill -KILL "$rg"
wait "$rg" 2> /dev/null || true
check "crash mid-session: devices left on vfio-pci" all_on vfio-pci
check "crash mid-session: the journal is there" [ -s "$SDVM_RUN_DIR/undo" ]
D=$tmp/sdvmd
mkdir -p "$D/images" "$D/users" "$D/realms.d" "$D/ca" "$D/run"
qemu-img create -q -f qcow2 "$D/images/tiny.qcow2" 16M
printf '[Image]\nName=Tiny\nOsType=linux\n' > "$D/images/tiny.ini"
printf '[Realm]\nName=uni-a.test\nMethod=pwd\n' > "$D/realms.d/a.conf"
# The greeter (as nobody, sandboxed: no exec) only has to start: sdvmd logs when it does.
printf '#!/bin/sh\nexit 0\n' > "$D/greeter-stub"
chmod 0755 "$D/greeter-stub" "$D"
cat > "$D/sdvm.conf" << CONF
[Paths]
StateDir=$D
ImagesDir=$D/images
UsersDir=$D/users
RealmsDir=$D/realms.d
CatDatabase=$D/none.db
CaDir=$D/ca
Socket=$D/run/sdvmd.sock
RunGuest=$RUN_GUEST
[Greeter]
User=nobody
Command=$D/greeter-stub
CONF
# sdvmd gives run-guest a clean environment: the fake kernel's (umockdev's preload) and the
# test's paths go through --run-guest-env, as an administrator's options would.
DBUS_SYSTEM_BUS_ADDRESS=unix:path=$tmp/no-bus "$SDVMD" --config "$D/sdvm.conf" --vt 0 --stderr \
    --run-guest-env "LD_PRELOAD=${LD_PRELOAD:-}" --run-guest-env "UMOCKDEV_DIR=$UMOCKDEV_DIR" \
    --run-guest-env "ASAN_OPTIONS=$ASAN_OPTIONS" --run-guest-env "SDVM_RUN_DIR=$SDVM_RUN_DIR" \
    --run-guest-env "SDVM_DEVICES=$SDVM_DEVICES" --run-guest-env "SDVM_STOP_TIMEOUT=5" \
    > "$tmp/sdvmd.log" 2>&1 &
sdvmd=$!
wait_for "$tmp/sdvmd.log" "greeter started (pid" 60 || true
sed "s/^/# sdvmd: /" "$tmp/sdvmd.log"
# before LOG FIRST SECOND: FIRST is logged, and before SECOND.
before() {
    a=$(grep -nF -- "$2" "$1" | head -1 | cut -d: -f1)
    b=$(grep -nF -- "$3" "$1" | head -1 | cut -d: -f1)
    [ -n "$a" ] && [ -n "$b" ] && [ "$a" -lt "$b" ]
}
check "sdvmd's start: the leftover guest is stopped before the greeter starts" \
    before "$tmp/sdvmd.log" "stopping the guest left by an earlier session (pid $stub)" "greeter started (pid"
check "  ... and the journal replayed before the greeter starts" \
    before "$tmp/sdvmd.log" "undoing the host changes of a previous run-guest" "greeter started (pid"
check "  ... to the end (recovery ended normally) before the greeter starts" \
    before "$tmp/sdvmd.log" "recovery ended normally" "greeter started (pid"
check "  ... every device home" all_home
check "  ... the console bound again" [ "$(cat "$S/class/vtconsole/vtcon1/bind")" = 1 ]
check "  ... the vfio groups root's again" [ "$(stat -c %u "$SDVM_VFIO_DIR"/* | sort -u)" = 0 ]
check "  ... the journal gone" [ ! -e "$SDVM_RUN_DIR/undo" ]
# gone PID: no such process, or a zombie (its parent was killed; whoever adopted it reaps it).
gone() {
    st=$(sed 's/.*) //' "/proc/$1/stat" 2> /dev/null | cut -d' ' -f1)
    [ -z "$st" ] || [ "$st" = Z ] || { echo "# pid $1 is still there, state $st"; return 1; }
}
check "  ... no QEMU left" gone "$stub"
kill -TERM "$sdvmd"
status=0
wait "$sdvmd" || status=$?
check "sdvmd stops on SIGTERM with no session (exit $status)" [ "$status" = 0 ]
[ -z "$stub" ] || kill -KILL "$stub" 2> /dev/null || true
finish
