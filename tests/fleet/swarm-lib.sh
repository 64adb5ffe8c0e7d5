# shellcheck shell=sh
# A lab campus in network namespaces, for the swarm test and bench/fleet (sourced):
#
#   srv (image server)  10.18.0.1 --- core (router) ---+--- ua: building A, 10.18.1.0/24
#     busybox httpd :8080 (web seed)        |            |      bridge in "ba" (10.18.1.2:
#     sdvm-image seed (aria2c)              |            |      its tracker), terminals a01..
#                                           |            +--- ub: building B, 10.18.2.0/24
#                                           |                   the same, "bb", b01..
#   Each building's uplink (core:ua/ub <-> ba/bb:wan) is rate limited both ways (tc tbf under a
#   netem delay); the server's link (srv:eth0) too. Terminals reach their building's peers
#   at full speed through the bridge. Multicast (local peer discovery) stays in a building:
#   the router does not forward it.
#
# Namespace names carry a tag derived from the state dir (several build dirs can run at once);
# interfaces are created inside their namespaces, so nothing appears on the machine's own
# network. Processes are started with swarm_spawn and stopped by their PID only.
# Needs: $tmp (state dir), fail/say from lib.sh.
# shellcheck disable=SC2154 # tmp is set by the test that sources this

swarm_init() { # STATE_DIR
    swarm_dir=$1
    mkdir -p "$swarm_dir/pids"
    swarm_tag=$(printf '%s' "$swarm_dir" | sha256sum | cut -c1-6)
    swarm_prefix=sdvmfl-$swarm_tag
}

ns() { # NAME: the namespace's full name
    echo "$swarm_prefix-$1"
}

in_ns() { # NAME CMD...
    _ns=$1
    shift
    ip netns exec "$(ns "$_ns")" "$@"
}

swarm_addns() { # NAME
    ip netns add "$(ns "$1")"
    echo "$1" >>"$swarm_dir/namespaces"
    in_ns "$1" ip link set lo up
}

# veth A:IFA <-> B:IFB, created inside the two namespaces.
swarm_veth() { # A IFA B IFB
    ip link add name "$2" netns "$(ns "$1")" type veth peer name "$4" netns "$(ns "$3")"
    in_ns "$1" ip link set "$2" up
    in_ns "$3" ip link set "$4" up
}

# Rate limit what leaves NAME:IF with tbf, under a netem delay of 1 ms where the kernel has
# netem (this machine's kernel has tbf and htb but no netem: then tbf alone).
swarm_limit() { # NAME IF MBIT
    if in_ns "$1" tc qdisc add dev "$2" root handle 1: netem delay 1ms limit 10000 2>/dev/null
    then
        in_ns "$1" tc qdisc add dev "$2" parent 1:1 handle 10: tbf rate "${3}mbit" \
            burst 256kb latency 100ms
    else
        in_ns "$1" tc qdisc add dev "$2" root handle 10: tbf rate "${3}mbit" burst 256kb \
            latency 100ms
    fi
}

# swarm_up TERMINALS_PER_BUILDING UPLINK_MBIT SERVER_MBIT
swarm_up() {
    per=$1 uplink=$2 server=$3
    : >"$swarm_dir/namespaces"
    : >"$swarm_dir/terminals"
    swarm_addns srv
    swarm_addns core
    in_ns core sysctl -qw net.ipv4.ip_forward=1
    swarm_veth srv eth0 core s0
    in_ns srv ip addr add 10.18.0.1/24 dev eth0
    in_ns srv ip route add default via 10.18.0.254
    in_ns core ip addr add 10.18.0.254/24 dev s0
    swarm_limit srv eth0 "$server"
    for b in a b; do
        case $b in a) net=10.18.1 ;; *) net=10.18.2 ;; esac
        swarm_addns "b$b"
        in_ns "b$b" ip link add br0 type bridge
        in_ns "b$b" ip link set br0 up
        swarm_veth core "u$b" "b$b" wan
        in_ns "b$b" ip link set wan master br0
        in_ns core ip addr add "$net.254/24" dev "u$b"
        in_ns "b$b" ip addr add "$net.2/24" dev br0
        in_ns "b$b" ip route add default via "$net.254"
        swarm_limit core "u$b" "$uplink"
        swarm_limit "b$b" wan "$uplink"
        i=1
        while [ "$i" -le "$per" ]; do
            t=$(printf '%s%02d' "$b" "$i")
            swarm_add_terminal "$t" "$b" "$net.$((10 + i))"
            i=$((i + 1))
        done
    done
}

swarm_add_terminal() { # NAME BUILDING ADDRESS
    swarm_addns "$1"
    swarm_veth "$1" eth0 "b$2" "p$1"
    in_ns "b$2" ip link set "p$1" master br0
    case $2 in a) gw=10.18.1.254 ;; *) gw=10.18.2.254 ;; esac
    in_ns "$1" ip addr add "$3/24" dev eth0
    in_ns "$1" ip route add default via "$gw"
    echo "$1" >>"$swarm_dir/terminals"
}

# Start CMD in namespace NAME, detached, output to LOG; the PID goes to pids/TAG.
swarm_spawn() { # NAME TAG LOG CMD...
    _ns=$1 _tag=$2 _log=$3
    shift 3
    ip netns exec "$(ns "$_ns")" "$@" >"$_log" 2>&1 </dev/null &
    echo $! >"$swarm_dir/pids/$_tag"
}

swarm_pid() { # TAG
    cat "$swarm_dir/pids/$1" 2>/dev/null || true
}

# Running, and not a zombie waiting for us.
swarm_alive() { # PID
    [ -r "/proc/$1/stat" ] || return 1
    ! grep -q '^[0-9]* (.*) Z ' "/proc/$1/stat" 2>/dev/null
}

swarm_stop() { # TAG [SIGNAL]: that process only, by its PID; waits up to 10 s
    _p=$(swarm_pid "$1")
    [ -n "$_p" ] || return 0
    kill "-${2:-TERM}" "$_p" 2>/dev/null || true
    _i=0
    while swarm_alive "$_p" && [ $_i -lt 200 ]; do
        sleep 0.05
        _i=$((_i + 1))
    done
    kill -KILL "$_p" 2>/dev/null || true
    wait "$_p" 2>/dev/null || true
    rm -f "$swarm_dir/pids/$1"
}

swarm_down() {
    [ -n "${swarm_dir:-}" ] || return 0
    for f in "$swarm_dir"/pids/*; do
        [ -e "$f" ] || continue
        swarm_stop "$(basename "$f")" KILL
    done
    if [ -f "$swarm_dir/namespaces" ]; then
        while read -r n; do
            ip netns del "$(ns "$n")" 2>/dev/null || true
        done <"$swarm_dir/namespaces"
        : >"$swarm_dir/namespaces"
    fi
}

# Bytes that crossed building B's uplink toward it (from the router's side), or away from it.
swarm_bytes_in() { # BUILDING
    in_ns core cat "/sys/class/net/u$1/statistics/tx_bytes"
}
swarm_bytes_out() { # BUILDING
    in_ns core cat "/sys/class/net/u$1/statistics/rx_bytes"
}

# A terminal's sdvm.conf: StateDir under the state dir, the server as Source, the building's
# tracker, local peer discovery.
swarm_terminal_conf() { # NAME [EXTRA-INI-LINES]
    t=$1
    d=$swarm_dir/t/$t
    case $t in a*) net=10.18.1 ;; *) net=10.18.2 ;; esac
    mkdir -p "$d/images" "$d/users"
    {
        printf '[Paths]\nStateDir=%s\n' "$d"
        printf '[Images]\nSource=http://10.18.0.1:8080/\nTrustedKey=%s\n' "$tmp/sign.pub"
        printf 'Trackers=http://%s.2:6969/announce\nLocalPeerDiscovery=true\n' "$net"
        printf 'SeedTime=3600\nWebSeedFallback=30\n%s' "${2:-}"
    } >"$d/sdvm.conf"
}

# The server's part: web seed and seeder; each building's tracker (opentracker, whitelisted
# to what was published).
swarm_start_server() { # PUBDIR
    # opentracker drops to "nobody" and reads its whitelist as nobody: a readable copy.
    mkdir -p "$swarm_dir/tracker"
    chmod 0755 "$swarm_dir" "$swarm_dir/tracker"
    cp "$1/tracker-whitelist" "$swarm_dir/tracker/whitelist"
    chmod 0644 "$swarm_dir/tracker/whitelist"
    swarm_spawn srv httpd "$swarm_dir/httpd.log" busybox httpd -f -p 10.18.0.1:8080 -h "$1"
    for b in a b; do
        case $b in a) net=10.18.1 ;; *) net=10.18.2 ;; esac
        (cd / && swarm_spawn "b$b" "tracker-$b" "$swarm_dir/tracker-$b.log" \
            opentracker -i "$net.2" -p 6969 -P 6969 -w "$swarm_dir/tracker/whitelist" -u nobody)
    done
    swarm_spawn srv seed "$swarm_dir/seed.log" env SDVM_IMAGE_ARIA2_LOG="$swarm_dir/seed-aria2.log" \
        "$SDVM_IMAGE" seed --dir "$1" --peers "${SDVM_FLEET_SEED_PEERS:-1}" \
        --tracker http://10.18.1.2:6969/announce --tracker http://10.18.2.2:6969/announce
    _i=0
    until grep -q '^seeding [1-9]' "$swarm_dir/seed.log" 2>/dev/null; do
        _i=$((_i + 1))
        [ $_i -lt 400 ] || fail "the server did not start seeding: $(cat "$swarm_dir/seed.log")"
        sleep 0.05
    done
}

# The value of KEY in [Image ID] of terminal T's fetch state ("" when absent).
swarm_state() { # T ID KEY
    f=$swarm_dir/t/$1/image-fetch.state
    [ -f "$f" ] || return 0
    awk -v g="[Image $2]" -v k="$3" '
        $0 == g { on = 1; next }
        /^\[/ { on = 0 }
        on && index($0, k "=") == 1 { print substr($0, length(k) + 2); exit }' "$f"
}
