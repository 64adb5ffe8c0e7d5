#!/bin/sh
# The terminal VM's first boot (sdvm-terminal-setup.service runs this from the run disk):
# install this run's SDVM packages and lab files the way a lab administrator would, then
# power off. The result is the per-run layer every scenario boots from.
set -eu
src=/run/sdvm-run
say() { echo "SDVM-SETUP: $*"; }
up() { cut -d' ' -f1 /proc/uptime; }
t0=$(up)
# A failed setup powers off too: the host reads the reason on the serial console at once
# instead of waiting out its bound for a VM that sits at a login prompt.
off_on_failure() {
    [ "$1" = 0 ] && return
    say "powering off after a failure"
    systemctl --no-block poweroff
}
trap 'off_on_failure $?' EXIT

# The packages, with apt resolving their dependencies from what the image has (there is no
# network here: a dependency the base image lacks fails right here, named by apt).
mkdir -p /var/tmp/sdvm-debs
cp "$src"/debs/*.deb /var/tmp/sdvm-debs/
say "apt-get install $(cd /var/tmp/sdvm-debs && echo ./*.deb)"
(cd /var/tmp/sdvm-debs && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
    -o APT::Sandbox::User=root ./*.deb) || { say "FAILED: apt-get install"; exit 1; }
rm -rf /var/tmp/sdvm-debs
t1=$(up)

# What the greeter draws with on the bare screen must come with sdvm-greeter's own
# dependencies, not with whatever this image happens to hold: the Qt platform plugins eglfs
# and linuxfb, and Mesa's DRI drivers (EGL on GBM, llvmpipe/kms_swrast included).
closure=" $(apt-cache depends --recurse --installed --no-recommends --no-suggests \
    --no-conflicts --no-breaks --no-replaces --no-enhances sdvm-greeter 2> /dev/null |
    sed -n 's/^\([a-z0-9][^ :]*\).*/\1/p' | sort -u | tr '\n' ' ') "
for f in /usr/lib/x86_64-linux-gnu/qt6/plugins/platforms/libqeglfs.so \
    /usr/lib/x86_64-linux-gnu/qt6/plugins/platforms/libqlinuxfb.so \
    /usr/lib/x86_64-linux-gnu/dri/kms_swrast_dri.so; do
    owner=$(dpkg -S "$f" 2> /dev/null | cut -d: -f1 | head -n 1)
    case $closure in
    *" $owner "*) say "packaging: $f comes with sdvm-greeter's dependencies ($owner)" ;;
    *) say "FAILED: packaging: $f (${owner:-no package}) is not among sdvm-greeter's dependencies"
       exit 1 ;;
    esac
done

# The lab's configuration: sdvm.conf, the realms of the 802.1X bed with its CA, the machine
# tables of this "model", a small base image.
install -m 0644 "$src/lab/sdvm.conf" /etc/sdvm/sdvm.conf
install -d -m 0755 /etc/sdvm/ca
install -m 0644 "$src/lab/bed-ca.pem" /etc/sdvm/ca/bed-ca.pem
install -m 0644 "$src"/lab/realms.d/*.conf /etc/sdvm/realms.d/
install -m 0644 "$src"/lab/machines.d/*.conf /etc/sdvm/machines.d/
for f in "$src"/lab/images/*; do
    install -m 0644 "$f" /var/lib/sdvm/images/
done
# This terminal has no KVM (it is itself a TCG guest): run-guest runs its guest under TCG.
install -d /etc/systemd/system/sdvmd.service.d
install -m 0644 "$src/lab/sdvmd-tcg.conf" /etc/systemd/system/sdvmd.service.d/tcg.conf
sdvm-admin config > /dev/null || { say "FAILED: sdvm-admin config"; sdvm-admin config; exit 1; }
sdvm-admin images || true
systemctl enable sdvmd.service
systemctl set-default graphical.target
mkdir -p /var/lib/sdvm-terminal
t2=$(up)
printf 'started %s\ninstalled %s\nconfigured %s\n' "$t0" "$t1" "$t2" \
    > /var/lib/sdvm-terminal/installed
say "done: packages installed at uptime $t1 s (started $t0 s), configured at $t2 s"
systemctl --no-block poweroff
