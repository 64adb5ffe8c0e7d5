#!/bin/sh
# sdvmd.service's place in the boot (issue 17): after NetworkManager.service, which it wants,
# and after nothing that waits for the network, so a terminal without a cable (or on a closed
# 802.1X port) shows its greeter without waiting for NetworkManager's startup to finish.
# Usage: unit-order.sh path/to/sdvmd.service
set -eu
unit=${1:?usage: unit-order.sh UNIT}
[ -r "$unit" ] || { echo "not ok - cannot read $unit"; exit 1; }

# Every value of KEY= in [Unit], one name a line.
values() {
    awk -v key="$1" '
        /^\[/ { in_unit = ($0 == "[Unit]") }
        in_unit && index($0, key "=") == 1 {
            n = split(substr($0, length(key) + 2), names, /[ \t]+/)
            for (i = 1; i <= n; i++) if (names[i] != "") print names[i]
        }' "$unit"
}

problems=0
check() { # check DESCRIPTION COMMAND...
    what=$1
    shift
    if "$@"; then
        echo "ok - $what"
    else
        echo "not ok - $what"
        problems=$((problems + 1))
    fi
}
has() { values "$1" | grep -qx "$2"; }
lacks() { ! values "$1" | grep -qx "$2"; }

check "After=NetworkManager.service" has After NetworkManager.service
check "Wants=NetworkManager.service" has Wants NetworkManager.service
for key in After Wants Requires BindsTo; do
    for target in NetworkManager-wait-online.service network-online.target; do
        check "no $key=$target (the greeter must not wait for the network)" lacks "$key" "$target"
    done
done
[ "$problems" = 0 ] || { echo "unit-order: $problems problem(s) in $unit"; exit 1; }
echo "unit-order: $unit is ordered as it should be"
