# SPDX-License-Identifier: LGPL-2.1-or-later
"""The terminal VM's driver: boot it, type on it, look at its screen, ask it things.

Python 3 standard library only (Debian's python3). The VM is driven through three QEMU
sockets: QMP (keys with send-key, screens with screendump, the power button, the cable),
the guest agent (guest-exec: read state inside the VM, as root), and the serial console (a
log file). Screens are recognised by content: the default theme `sdvm` and the greeter's
status layer draw known colours, so "the form is up" is "the panel, the fields and the
login button are there", never "N seconds have passed".
"""

import base64
import json
import os
import shlex
import signal
import socket
import struct
import subprocess
import sys
import time

# ---- small helpers -------------------------------------------------------------------------


def log(*parts):
    print("#", *parts, flush=True)


class Failure(Exception):
    """A check of a scenario failed (the test fails with this message)."""


class Skip(Exception):
    """The scenario cannot run here (exit 77)."""


def wait_until(what, timeout, probe, interval=0.25):
    """Poll probe() until it returns something true; that value, or Failure after timeout s."""
    end = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > end:
            raise Failure("timed out after %.0f s waiting for %s" % (timeout, what))
        time.sleep(interval)


# ---- QMP and the guest agent -------------------------------------------------------------


class JsonSocket:
    """A unix socket speaking newline-separated JSON (QMP, qemu-guest-agent)."""

    def __init__(self, path, timeout=30):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buf = b""

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def send(self, obj):
        self.sock.sendall(json.dumps(obj).encode() + b"\n")

    def recv(self, timeout):
        """The next JSON object, or None after timeout seconds."""
        end = time.monotonic() + timeout
        while True:
            # The agent answers guest-sync-delimited with 0xff before its reply.
            self.buf = self.buf.lstrip(b"\xff\r\n ")
            nl = self.buf.find(b"\n")
            if nl >= 0:
                line, self.buf = self.buf[:nl], self.buf[nl + 1:]
                line = line.strip(b"\xff\r ")
                if line:
                    return json.loads(line)
                continue
            left = end - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return None
            if not chunk:
                raise Failure("%s closed the connection" % self.path)
            self.buf += chunk


class Qmp(JsonSocket):
    def __init__(self, path):
        super().__init__(path)
        greeting = self.recv(30)
        if not greeting or "QMP" not in greeting:
            raise Failure("no QMP greeting on %s" % path)
        self.events = []
        self.cmd("qmp_capabilities")

    def cmd(self, command, timeout=60, **args):
        name = command  # "name" may be one of the command's own arguments (set_link)
        msg = {"execute": name}
        if args:
            msg["arguments"] = args
        self.send(msg)
        while True:
            r = self.recv(timeout)
            if r is None:
                raise Failure("QMP %s: no answer" % name)
            if "event" in r:
                self.events.append(r)
                continue
            if "error" in r:
                raise Failure("QMP %s: %s" % (name, r["error"].get("desc")))
            return r.get("return")


class Agent:
    """qemu-guest-agent over its virtio-serial port: run commands in the VM as root."""

    def __init__(self, path):
        self.path = path
        self.conn = None

    def _connect(self, timeout):
        if self.conn:
            return
        conn = JsonSocket(self.path)
        token = int.from_bytes(os.urandom(4), "little") & 0x7FFFFFFF
        # A freshly started agent may have stale input: sync, retrying until it answers.
        end = time.monotonic() + timeout
        while True:
            conn.send({"execute": "guest-sync-delimited", "arguments": {"id": token}})
            r = conn.recv(3)
            while r is not None and r.get("return") != token:
                r = conn.recv(1)
            if r is not None:
                self.conn = conn
                return
            if time.monotonic() > end:
                conn.close()
                raise Failure("the guest agent does not answer")

    def ping(self):
        try:
            self._connect(4)
            return True
        except (Failure, OSError):
            self.conn = None
            return False

    def cmd(self, command, timeout=60, **args):
        name = command  # "name" may be one of the command's own arguments (set_link)
        self._connect(timeout)
        msg = {"execute": name}
        if args:
            msg["arguments"] = args
        self.conn.send(msg)
        r = self.conn.recv(timeout)
        if r is None:
            self.conn.close()
            self.conn = None
            raise Failure("guest agent %s: no answer" % name)
        if "error" in r:
            raise Failure("guest agent %s: %s" % (name, r["error"].get("desc")))
        return r.get("return")

    def run(self, script, timeout=120, check=True, stdin=None):
        """Run a shell script in the VM; (exit code, stdout, stderr)."""
        args = {"path": "/bin/sh", "arg": ["-c", script], "capture-output": True}
        if stdin is not None:
            args["input-data"] = base64.b64encode(stdin.encode()).decode()
        pid = self.cmd("guest-exec", **args)["pid"]
        end = time.monotonic() + timeout
        while True:
            st = self.cmd("guest-exec-status", pid=pid)
            if st.get("exited"):
                break
            if time.monotonic() > end:
                raise Failure("in the VM, timed out after %d s: %s" % (timeout, script))
            time.sleep(0.1)
        out = base64.b64decode(st.get("out-data", "")).decode(errors="replace")
        err = base64.b64decode(st.get("err-data", "")).decode(errors="replace")
        rc = st.get("exitcode", -st.get("signal", 0) or 255)
        if check and rc != 0:
            raise Failure("in the VM, exit %s: %s\n%s%s" % (rc, script, out, err))
        return rc, out, err

    def out(self, script, timeout=120):
        return self.run(script, timeout)[1].strip()

    def ok(self, script, timeout=120):
        return self.run(script, timeout, check=False)[0] == 0


# ---- the screen ----------------------------------------------------------------------------


class Screen:
    """A screendump (PPM) with colour counts on a sampling grid."""

    def __init__(self, path):
        with open(path, "rb") as f:
            data = f.read()
        # P6\n<w> <h>\n255\n<rgb...>
        fields = []
        i = 0
        while len(fields) < 4:
            while data[i:i + 1].isspace():
                i += 1
            j = i
            while not data[j:j + 1].isspace():
                j += 1
            fields.append(data[i:j])
            i = j
        i += 1
        if fields[0] != b"P6" or fields[3] != b"255":
            raise Failure("%s is not a binary PPM" % path)
        self.width, self.height = int(fields[1]), int(fields[2])
        self.pixels = data[i:]

    def sample(self, step=4, region=None):
        """RGB tuples on a grid (every step-th pixel), optionally in (x0, y0, x1, y1)."""
        x0, y0, x1, y1 = region or (0, 0, self.width, self.height)
        px = self.pixels
        w3 = self.width * 3
        for y in range(y0, y1, step):
            row = y * w3
            for x in range(x0, x1, step):
                o = row + x * 3
                yield px[o], px[o + 1], px[o + 2]

    def fraction(self, colour, tolerance=6, step=8, region=None):
        """The share of sampled pixels within tolerance of colour ("#rrggbb")."""
        r0, g0, b0 = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
        n = hit = 0
        for r, g, b in self.sample(step, region):
            n += 1
            if abs(r - r0) <= tolerance and abs(g - g0) <= tolerance and abs(b - b0) <= tolerance:
                hit += 1
        return hit / n if n else 0.0

    def count(self, colour, tolerance=6, step=4, region=None):
        r0, g0, b0 = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
        return sum(1 for r, g, b in self.sample(step, region)
                   if abs(r - r0) <= tolerance and abs(g - g0) <= tolerance
                   and abs(b - b0) <= tolerance)

    def blank(self):
        """True when the screen is (almost) one colour: black, or a console's background."""
        first = self.pixels[0:3]
        r0, g0, b0 = first
        same = sum(1 for r, g, b in self.sample(8)
                   if abs(r - r0) < 8 and abs(g - g0) < 8 and abs(b - b0) < 8)
        return same / max(1, (self.width // 8) * (self.height // 8)) > 0.995

    def colours(self, n=6):
        """The n most common colours, for messages."""
        hist = {}
        for p in self.sample(8):
            hist[p] = hist.get(p, 0) + 1
        top = sorted(hist.items(), key=lambda kv: -kv[1])[:n]
        total = sum(hist.values()) or 1
        return ", ".join("#%02x%02x%02x %.0f%%" % (p + (100 * c / total,)) for p, c in top)


# The default theme `sdvm` (themes/sdvm/Main.qml) and the status layer
# (greeter/qml/StatusLayer.qml) draw these.
BACKGROUND = "#0e151c"
PANEL = "#17222d"
LOGIN_BUTTON = ("#2b6f96", "#3a87b3", "#1d5675")
FIELD = "#ffffff"
FAILURE_BORDER = "#ff8a80"
FAILURE_TEXT = "#ffb4ab"
BUSY_BORDER = "#ffd23f"
# The greeter's embedded fallback theme (greeter/qml/fallback/Fallback.qml).
FALLBACK = "#14202b"


def describe(screen):
    """What the screen shows: 'form', 'failure' (the default theme), 'fallback' (the
    greeter's embedded theme), 'blank' or 'other'."""
    if screen.blank():
        return "blank"
    if screen.fraction(FALLBACK, tolerance=2) > 0.5 and screen.fraction(FIELD) > 0.01:
        return "fallback"
    bg = screen.fraction(BACKGROUND)
    panel = screen.fraction(PANEL, tolerance=2)
    button = sum(screen.fraction(c) for c in LOGIN_BUTTON)
    field = screen.fraction(FIELD)
    if bg > 0.2 and panel > 0.1 and button > 0.005 and field > 0.01:
        # The accent yellow (#ffd23f) is also the focused field's border: only the failure
        # card's colour tells a state apart.
        if screen.count(FAILURE_BORDER, tolerance=10) > 10:
            return "failure"
        return "form"
    return "other"


# ---- keys ----------------------------------------------------------------------------------

_QCODES = {" ": "spc", ".": "dot", "-": "minus", ",": "comma", "/": "slash", "=": "equal",
           ";": "semicolon", "'": "apostrophe", "[": "bracket_left", "]": "bracket_right",
           "\\": "backslash", "`": "grave_accent", "\n": "ret", "\t": "tab"}
_SHIFTED = {"@": "2", "!": "1", "#": "3", "$": "4", "%": "5", "^": "6", "&": "7", "*": "8",
            "(": "9", ")": "0", "_": "minus", "+": "equal", ":": "semicolon", '"': "apostrophe",
            "{": "bracket_left", "}": "bracket_right", "|": "backslash", "~": "grave_accent",
            "<": "comma", ">": "dot", "?": "slash"}


def qcodes(ch):
    if ch.isascii() and ch.isalpha():
        return (["shift"] if ch.isupper() else []) + [ch.lower()]
    if ch.isdigit():
        return [ch]
    if ch in _QCODES:
        return [_QCODES[ch]]
    if ch in _SHIFTED:
        return ["shift", _SHIFTED[ch]]
    raise ValueError("no key for %r on a US keyboard" % ch)


# ---- the VM --------------------------------------------------------------------------------


class VM:
    """One boot of the terminal VM (QEMU TCG, q35), run in the bed's authenticator netns."""

    def __init__(self, workdir, disk, kernel, initrd, netns=None, tap=None, mac=None,
                 display="bochs-display", run_disk=None, extra_args=(), memory=2048,
                 append="", name="terminal", early_args=()):
        self.dir = workdir
        os.makedirs(workdir, exist_ok=True)
        self.qmp_path = os.path.join(workdir, "qmp.sock")
        self.qga_path = os.path.join(workdir, "qga.sock")
        self.serial = os.path.join(workdir, "serial.log")
        self.stderr = os.path.join(workdir, "qemu.log")
        for p in (self.qmp_path, self.qga_path):
            if os.path.exists(p):
                os.unlink(p)
        argv = ["qemu-system-x86_64", "-name", name, "-accel", "tcg,thread=multi", "-cpu", "max",
                "-machine", "q35", "-smp", "2", "-m", str(memory), "-nodefaults",
                "-no-user-config", "-display", "none", "-no-reboot",
                "-kernel", kernel, "-initrd", initrd,
                "-append", "root=/dev/vda rw console=ttyS0 quiet " + append] + list(early_args) + [
                "-drive", "file=%s,if=virtio,format=qcow2,cache=unsafe,discard=unmap" % disk,
                "-vga", "none", "-device", display,
                "-device", "qemu-xhci,id=xhci", "-device", "usb-kbd,bus=xhci.0",
                "-device", "usb-tablet,bus=xhci.0",
                "-serial", "file:" + self.serial,
                "-device", "virtio-serial-pci",
                "-chardev", "socket,id=qga0,path=%s,server=on,wait=off" % self.qga_path,
                "-device", "virtserialport,chardev=qga0,name=org.qemu.guest_agent.0",
                "-qmp", "unix:%s,server=on,wait=off" % self.qmp_path]
        if run_disk:
            argv += ["-drive", "file=%s,if=virtio,format=raw,readonly=on" % run_disk]
        if tap:
            argv += ["-netdev", "tap,id=lan,ifname=%s,script=no,downscript=no" % tap,
                     "-device", "virtio-net-pci,netdev=lan,id=lannic,mac=%s" % mac]
        else:
            argv += ["-nic", "none"]
        argv += list(extra_args)
        if netns:
            argv = ["ip", "netns", "exec", netns] + argv
        self.argv = argv
        self.proc = None
        self.qmp = None
        self.agent = Agent(self.qga_path)
        self.started = None

    def start(self):
        with open(os.path.join(self.dir, "qemu.argv"), "w") as f:
            f.write(" ".join(shlex.quote(a) for a in self.argv) + "\n")
        err = open(self.stderr, "w")
        self.started = time.monotonic()
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=err,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        wait_until("QEMU's QMP socket", 30, lambda: os.path.exists(self.qmp_path) or self._dead())
        self._check_alive()
        self.qmp = Qmp(self.qmp_path)
        return self

    def _dead(self):
        return self.proc.poll() is not None

    def _check_alive(self):
        if self.proc.poll() is not None:
            with open(self.stderr) as f:
                raise Failure("QEMU exited (%s): %s" % (self.proc.returncode, f.read()[-2000:]))

    def uptime(self):
        return time.monotonic() - self.started

    def wait_agent(self, timeout=300):
        def probe():
            self._check_alive()
            return self.agent.ping()
        wait_until("the guest agent (systemd up)", timeout, probe, interval=1)

    def serial_text(self):
        try:
            with open(self.serial, "rb") as f:
                return f.read().decode(errors="replace")
        except FileNotFoundError:
            return ""

    def wait_serial(self, text, timeout):
        def probe():
            self._check_alive()
            return text in self.serial_text()
        wait_until("%r on the serial console" % text, timeout, probe, interval=0.5)

    def screendump(self, path, fmt="ppm"):
        args = {"filename": path}
        if fmt != "ppm":
            args["format"] = fmt
        self.qmp.cmd("screendump", **args)
        return path

    def screen(self):
        p = os.path.join(self.dir, "screen.ppm")
        self.screendump(p)
        return Screen(p)

    def wait_screen(self, what, states, timeout, interval=1.5):
        """Wait until describe(screen) is one of states; returns (state, Screen)."""
        last = [None]

        def probe():
            self._check_alive()
            s = self.screen()
            d = describe(s)
            last[0] = (d, s)
            return d in states and last[0]
        try:
            return wait_until(what, timeout, probe, interval)
        except Failure:
            if last[0]:
                bad = os.path.join(self.dir, "timeout-screen.png")
                try:
                    self.screendump(bad, "png")
                except Failure:
                    pass
                raise Failure("timed out waiting for %s: the screen shows '%s' (%s); see %s"
                              % (what, last[0][0], last[0][1].colours(), bad))
            raise

    def key(self, *names):
        self.qmp.cmd("send-key", keys=[{"type": "qcode", "data": n} for n in names])
        time.sleep(0.12)  # the USB keyboard's report rate, not a wait for a result

    def _screen_digest(self):
        path = self.screendump(os.path.join(self.dir, "keys.ppm"))
        with open(path, "rb") as f:
            return hash(f.read())

    def key_seen(self, *names, timeout=5.0):
        """A key, then the screen's answer to it (a character, a bullet, the focus moving).
        Typed blind at 8 keys a second, the greeter on eglfs (llvmpipe, under TCG) kept only
        the last 6 of 36 keys: its GUI thread renders for seconds at a time, the kernel's evdev
        buffer fills and drops the older events (README, findings). Waiting for each key's
        answer is a person looking at the screen; a key with nothing to show (a Tab onto a
        control drawn the same) costs the timeout."""
        before = self._screen_digest()
        self.key(*names)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self._screen_digest() == before:
            time.sleep(0.1)

    def type(self, text):
        for ch in text:
            self.key_seen(*qcodes(ch))

    def set_link(self, nic, up):
        self.qmp.cmd("set_link", name=nic, up=up)

    def poweroff(self, timeout=120):
        """The ACPI power button; wait for QEMU to exit (it runs with -no-reboot)."""
        if self.proc.poll() is None:
            try:
                self.qmp.cmd("system_powerdown")
            except (Failure, OSError):
                pass
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            log("the VM did not power off in %d s; stopping QEMU" % timeout)
            self.kill()
            raise Failure("the terminal VM did not power off within %d s" % timeout)

    def wait_exit(self, timeout):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise Failure("QEMU did not exit within %d s" % timeout)

    def kill(self):
        if self.proc and self.proc.poll() is None:
            try:
                self.qmp.cmd("quit", timeout=10)
            except (Failure, OSError, AttributeError):
                pass
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if self.qmp:
            self.qmp.close()


# ---- the lab around the VM: paths, the bed, the switch port --------------------------------


def sh(*argv, check=True, capture=True, timeout=600):
    r = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=capture, text=True,
                       timeout=timeout)
    if check and r.returncode != 0:
        raise Failure("%s: exit %d\n%s%s" % (" ".join(argv), r.returncode,
                                              r.stdout or "", r.stderr or ""))
    return r.stdout if capture else ""


def bed_env(bed, state):
    """The bed's `env` output as a dict (Skip when the bed is not up)."""
    r = subprocess.run([bed, "--state", state, "env"], capture_output=True, text=True)
    if r.returncode == 77:
        raise Skip("the 802.1X bed: " + r.stderr.strip())
    if r.returncode != 0:
        raise Failure("bed env: " + r.stderr)
    env = {}
    for line in r.stdout.splitlines():
        k, _, v = line.partition("=")
        env[k] = " ".join(shlex.split(v))
    st = subprocess.run([bed, "--state", state, "status"], capture_output=True, text=True)
    if st.returncode == 3:
        raise Skip("the 802.1X bed in %s is not up (ctest fixture testbed)" % state)
    if st.returncode != 0:
        # Partly up: a daemon died, or another test has a fault on the bed (hostapd stop,
        # nm stop). A scenario on it would fail for a reason not its own, or skip and hide
        # that; ctest's RESOURCE_LOCK testbed keeps the bed's own tests away meanwhile.
        raise Failure("the 802.1X bed in %s is only partly up:\n%s" % (state, st.stdout))
    return env


class SwitchPort:
    """A tap in the bed's authenticator namespace: the terminal's wired port on the lab switch.

    hostapd (driver=wired, the bed's own RADIUS server and secret) authenticates it, busybox
    udhcpd hands out an address after 802.1X. Only that namespace is touched; its processes
    are stopped by PID.
    """

    def __init__(self, env, workdir, name="term0", net="10.78.0"):
        self.env = env
        self.ns = env["SDVM_BED_NETNS_AUTH"]
        self.name = name
        self.dir = os.path.join(workdir, "port-" + name)
        os.makedirs(self.dir, exist_ok=True)
        self.net = net
        self.procs = []
        self.mac = "52:54:00:5d:%02x:01" % (int(net.split(".")[-1]) & 0xff)

    def create(self):
        sh("ip", "-n", self.ns, "link", "del", self.name, check=False)
        sh("ip", "-n", self.ns, "tuntap", "add", "dev", self.name, "mode", "tap")
        sh("ip", "-n", self.ns, "link", "set", self.name, "up")
        sh("ip", "-n", self.ns, "addr", "add", self.net + ".1/24", "dev", self.name)
        return self

    def start_switch(self):
        """hostapd and udhcpd on the tap (QEMU holds it open by now)."""
        bed_conf = os.path.join(self.env["SDVM_BED_STATE"], "hostapd", "hostapd.conf")
        lines = []
        with open(bed_conf) as f:
            for line in f:
                if line.startswith("interface="):
                    line = "interface=%s\n" % self.name
                elif line.startswith("ctrl_interface="):
                    line = "ctrl_interface=%s\n" % os.path.join(self.dir, "ctrl")
                lines.append(line)
        conf = os.path.join(self.dir, "hostapd.conf")
        with open(os.open(conf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
            f.writelines(lines)
        dhcp = os.path.join(self.dir, "udhcpd.conf")
        with open(dhcp, "w") as f:
            f.write("start %s.10\nend %s.20\ninterface %s\nmax_leases 10\n"
                    "lease_file %s/leases\npidfile %s/udhcpd.pid\nopt subnet 255.255.255.0\n"
                    "opt lease 3600\n" % (self.net, self.net, self.name, self.dir, self.dir))
        open(os.path.join(self.dir, "leases"), "w").close()
        self._spawn("hostapd", ["hostapd", "-dd", "-t", conf])
        self._spawn("udhcpd", ["busybox", "udhcpd", "-f", dhcp])
        ctrl = os.path.join(self.dir, "ctrl")
        wait_until("hostapd on " + self.name, 20, lambda: "PONG" in sh(
            "ip", "netns", "exec", self.ns, "hostapd_cli", "-p", ctrl, "-i", self.name, "ping",
            check=False))

    def _spawn(self, what, argv):
        out = open(os.path.join(self.dir, what + ".log"), "w")
        p = subprocess.Popen(["ip", "netns", "exec", self.ns] + argv, stdin=subprocess.DEVNULL,
                             stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append(p)

    def log(self, what="hostapd"):
        with open(os.path.join(self.dir, what + ".log"), errors="replace") as f:
            return f.read()

    def destroy(self):
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        self.procs = []
        sh("ip", "-n", self.ns, "link", "del", self.name, check=False)
