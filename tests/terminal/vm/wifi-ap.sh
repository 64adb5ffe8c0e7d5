#!/bin/sh
# wifi-ap.sh: scenario 5's Wi-Fi, inside the terminal VM (run as root from the run disk).
# Two mac80211_hwsim radios: the last one moves into a network namespace "ap" with hostapd
# (WPA2-Enterprise, SSID eduroam), busybox udhcpd and a FreeRADIUS holding the 802.1X bed's
# configuration (NT hashes only); the first stays for NetworkManager: the terminal's Wi-Fi.
# Prints the terminal's Wi-Fi interface.
set -eu
run=$(cd "$(dirname "$0")/.." && pwd)
state=/var/lib/sdvm-terminal
say() { echo "wifi-ap: $*" >&2; }

modprobe mac80211_hwsim radios=2
i=0
while [ "$(find /sys/class/ieee80211 -mindepth 1 -maxdepth 1 | wc -l)" -lt 2 ]; do
    i=$((i + 1))
    [ $i -lt 100 ] || { say "mac80211_hwsim made no two radios"; exit 1; }
    sleep 0.1
done
phys=$(find /sys/class/ieee80211 -mindepth 1 -maxdepth 1 -printf '%f\n' | sort)
ap_phy=$(echo "$phys" | tail -n 1)
sta_phy=$(echo "$phys" | head -n 1)
sta_if=$(find "/sys/class/ieee80211/$sta_phy/device/net" -mindepth 1 -maxdepth 1 -printf '%f\n' | head -n 1)
ap_if=$(find "/sys/class/ieee80211/$ap_phy/device/net" -mindepth 1 -maxdepth 1 -printf '%f\n' | head -n 1)
say "radios: $sta_phy ($sta_if) for NetworkManager, $ap_phy ($ap_if) for the access point"

ip netns add ap
iw phy "$ap_phy" set netns name ap
ip -n ap link set lo up
ip -n ap link set "$ap_if" up
ip -n ap addr add 10.79.0.1/24 dev "$ap_if"

rm -rf "$state/radius"
mkdir -p "$state"
cp -a "$run/radius" "$state/radius"
mkdir -p "$state/radius/log" "$state/radius/run"
secret=$(cat "$state/radius/secret")
# No -X: FreeRADIUS's debug output would show the inner password.
# shellcheck disable=SC2016 # expanded by the inner shell
setsid -f sh -c 'echo $$ > "$1/radius/pid"; exec ip netns exec ap freeradius -f -d "$1/radius/raddb" \
    > "$1/radius/radius.log" 2>&1' sh "$state"

cat > "$state/hostapd-ap.conf" << EOC
interface=$ap_if
driver=nl80211
ctrl_interface=$state/hostapd-ctrl
ssid=eduroam
hw_mode=g
channel=6
auth_algs=1
wpa=2
wpa_key_mgmt=WPA-EAP
rsn_pairwise=CCMP
ieee8021x=1
eapol_version=2
own_ip_addr=127.0.0.1
nas_identifier=lab-ap
auth_server_addr=127.0.0.1
auth_server_port=1812
auth_server_shared_secret=$secret
EOC
chmod 600 "$state/hostapd-ap.conf"
cat > "$state/udhcpd-ap.conf" << EOC
start 10.79.0.10
end 10.79.0.20
interface $ap_if
lease_file $state/udhcpd-ap.leases
pidfile $state/udhcpd-ap.pid
opt subnet 255.255.255.0
opt lease 3600
EOC
: > "$state/udhcpd-ap.leases"
# FreeRADIUS takes a while under TCG (its configuration checked in a chroot of this image
# is fine): wait for its port, by the clock.
end=$(($(date +%s) + 300))
until ip netns exec ap ss -Huln 'sport = :1812' | grep -q 1812; do
    if [ "$(date +%s)" -gt "$end" ]; then
        say "FreeRADIUS did not open port 1812 in 300 s:"
        cat "$state/radius/radius.log" >&2
        exit 1
    fi
    sleep 1
done
ip netns exec ap hostapd -B -P "$state/hostapd-ap.pid" -f "$state/hostapd-ap.log" "$state/hostapd-ap.conf"
ip netns exec ap busybox udhcpd "$state/udhcpd-ap.conf"
say "access point eduroam up on $ap_if (namespace ap)"
echo "$sta_if"
