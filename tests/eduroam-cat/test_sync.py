#!/usr/bin/env python3
"""sdvm-cat sync against a local HTTPS server that plays eduroam CAT's API.

The server listens on 127.0.0.1 only, with a test CA and server certificate made for this run;
no outside host is ever contacted. Covers: the full download and build, the eap-generic
fallback on 404, a transient HTTP 500 that is retried, a permanent 500, resuming after the
time limit and after SIGKILL, TLS verification, and http:// refused. Nightly runs (issue 15):
run 2 sees a changed profile and a new institution, bad 200 bodies never replace a good copy,
a failed profile keeps its last good copy up to --max-age, --max-failed, and SIGKILL at random
points leaves the old database or the complete new one, never half.

usage: test_sync.py SDVM_CAT_BINARY FIXTURE_DIR
"""
import http.server
import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse

SDVM_CAT = None
FIXTURES = None

# Profile id -> how the fake CAT answers for it.
#   file:    the fixture served for device=eap-config
#   generic: the fixture served only for device=eap-generic (eap-config gives 404)
#   fail500: this many HTTP 500 answers before it works
PROFILES = {
    "101": {"file": "ttls-pap.eap-config"},
    "102": {"generic": "ttls-eap-mschapv2.eap-config"},
    "103": {"file": "peap.eap-config", "fail500": 1},
    "104": {},  # 404 for both devices
    "107": {"file": "two-providers.eap-config"},
    "108": {"file": "ttls-mschapv2.eap-config"},
    "109": {"file": "eap-tls-only.eap-config"},
    "110": {"file": "pwd.eap-config"},
}

INSTITUTIONS = {
    "1": {"country": "ZZ", "names": [{"lang": "en", "value": "University A"}],
          "profiles": [{"id": "101", "redirect": "", "openroaming": 0},
                       {"id": "105", "redirect": "https://lw.example.invalid/#letswifi",
                        "openroaming": 0}]},
    "2": {"country": "ZZ", "names": [{"lang": "any", "value": "University C"}],
          "profiles": [{"id": 102, "redirect": ""}]},
    "3": {"country": "ZZ", "names": [{"lang": "de", "value": "Universität D"},
                                     {"lang": "en", "value": "University D"}],
          "profiles": [{"id": "103", "redirect": ""}, {"id": "104", "redirect": ""},
                       {"id": "106", "redirect": "https://www.example.invalid/wifi"}]},
    "4": {"country": "ZZ", "names": [{"lang": "en", "value": "University E"}],
          "profiles": [{"id": "107", "redirect": ""}, {"id": "108", "redirect": ""},
                       {"id": "../../etc", "redirect": ""}]},
    "5": {"country": "ZZ", "names": [{"lang": "en", "value": "Certificates Only"}],
          "profiles": [{"id": "109", "redirect": ""}, {"id": "110", "redirect": ""}]},
    "6": {"country": "ZZ", "names": [{"lang": "en", "value": "No profiles yet"}],
          "profiles": []},
}


class FakeCat:
    def __init__(self, certdir):
        self.lock = threading.Lock()
        self.requests = []   # (action, device, profile)
        self.failures_left = {}
        self.delay = 0.0
        self.always_500 = set()
        self.reset()
        handler = self._handler()
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(os.path.join(certdir, "server.pem"),
                            os.path.join(certdir, "server.key"))
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def reset(self):
        with self.lock:
            self.institutions = json.loads(json.dumps(INSTITUTIONS))
            self.profiles = json.loads(json.dumps(PROFILES))
            self.bodies = {}
            self.user_agents = set()
            self.in_flight = 0
            self.max_in_flight = 0
            self.retry_after = {}   # profile -> answers 429 with Retry-After: 1 this many times
            self.times = {}         # profile -> monotonic times of its requests     # profile -> bytes served with 200 instead of the fixture
            self.requests = []
            self.failures_left = {k: v.get("fail500", 0) for k, v in PROFILES.items()}

    def url(self):
        return "https://127.0.0.1:%d/user/API.php" % self.port

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def profile_requests(self):
        with self.lock:
            return [r for r in self.requests if r[0] == "downloadInstaller"]

    def _handler(self):
        cat = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, fmt, *args):
                pass

            def send(self, code, body, ctype):
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                u = urllib.parse.urlparse(self.path)
                q = urllib.parse.parse_qs(u.query)
                action = q.get("action", [""])[0]
                device = q.get("device", [""])[0]
                profile = q.get("profile", [""])[0]
                with cat.lock:
                    cat.requests.append((action, device, profile))
                    cat.user_agents.add(self.headers.get("User-Agent", ""))
                if u.path != "/user/API.php":
                    return self.send(404, b"not here", "text/plain")
                if action == "listIdentityProvidersWithProfiles":
                    body = json.dumps({"status": 1, "data": cat.institutions, "tou": "test"})
                    # CAT has served JSON as text/html: parse by body, not by header.
                    return self.send(200, body.encode(), "text/html")
                if action != "downloadInstaller":
                    return self.send(400, b"bad action", "text/plain")
                with cat.lock:
                    cat.times.setdefault(profile, []).append(time.monotonic())
                    if cat.retry_after.get(profile, 0) > 0:
                        cat.retry_after[profile] -= 1
                        limited = True
                    else:
                        limited = False
                if limited:
                    self.send_response(429)
                    self.send_header("Retry-After", "1")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                with cat.lock:
                    cat.in_flight += 1
                    cat.max_in_flight = max(cat.max_in_flight, cat.in_flight)
                try:
                    if cat.delay:
                        time.sleep(cat.delay)
                finally:
                    with cat.lock:
                        cat.in_flight -= 1
                spec = cat.profiles.get(profile)
                if spec is None:
                    return self.send(404, b"no such profile", "text/plain")
                if profile in cat.always_500:
                    return self.send(500, b"broken", "text/plain")
                if profile in cat.bodies:
                    return self.send(200, cat.bodies[profile], "text/html")
                with cat.lock:
                    if cat.failures_left.get(profile, 0) > 0:
                        cat.failures_left[profile] -= 1
                        fail = True
                    else:
                        fail = False
                if fail or (spec.get("cfg500") and device == "eap-config"):
                    return self.send(500, b"try again", "text/plain")
                if spec.get("xml") is not None:
                    if device != "eap-config":
                        return self.send(404, b"no installer", "text/plain")
                    return self.send(200, spec["xml"].encode(), "application/eap-config")
                name = spec.get("file") if device == "eap-config" else \
                    spec.get("generic") if device == "eap-generic" else None
                if name is None:
                    return self.send(404, b"no installer", "text/plain")
                with open(os.path.join(FIXTURES, name), "rb") as f:
                    return self.send(200, f.read(), "application/eap-config")

        return Handler


def make_certs(d):
    """A test CA and a server certificate for 127.0.0.1, made fresh for this run."""
    def run(*args):
        subprocess.run(args, check=True, cwd=d, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    run("openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ca.key")
    run("openssl", "req", "-x509", "-new", "-key", "ca.key", "-subj",
        "/CN=SDVM TEST sync CA (this run only)", "-days", "1", "-out", "ca.pem",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign")
    run("openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "server.key")
    run("openssl", "req", "-new", "-key", "server.key", "-subj", "/CN=127.0.0.1",
        "-out", "server.csr")
    with open(os.path.join(d, "ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
                "extendedKeyUsage=serverAuth\n")
    run("openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-days", "1", "-extfile", "ext", "-out", "server.pem")


def make_ca(d, name, days):
    """A CA certificate made for this run (openssl), valid for days days: its DER in base64."""
    import base64
    key, pem = os.path.join(d, name + ".key"), os.path.join(d, name + ".pem")
    subprocess.run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out",
                    key], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.run(["openssl", "req", "-x509", "-new", "-key", key, "-subj",
                    "/CN=SDVM TEST %s CA" % name, "-days", str(days), "-out", pem,
                    "-addext", "basicConstraints=critical,CA:TRUE",
                    "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    der = subprocess.run(["openssl", "x509", "-in", pem, "-outform", "DER"], check=True,
                         capture_output=True).stdout
    return base64.b64encode(der).decode()


def eap_config(realm, ca, servers, name):
    """A TTLS-PAP eap-config written for the test; realm None: ID "undefined" (no realm)."""
    cas = "".join('<CA format="X.509" encoding="base64">%s</CA>' % c for c in ca)
    sids = "".join("<ServerID>%s</ServerID>" % s for s in servers)
    client = ("<ClientSideCredential><OuterIdentity>anonymous@%s</OuterIdentity>"
              "<InnerIdentitySuffix>%s</InnerIdentitySuffix></ClientSideCredential>"
              % (realm, realm)) if realm else ""
    return ('<?xml version="1.0" encoding="utf-8"?>\n<EAPIdentityProviderList>'
            '<EAPIdentityProvider ID="%s" namespace="urn:RFC4282:realm" version="1">'
            "<AuthenticationMethods><AuthenticationMethod><EAPMethod><Type>21</Type>"
            "</EAPMethod><ServerSideCredential>%s%s</ServerSideCredential>%s"
            "<InnerAuthenticationMethod><NonEAPAuthMethod><Type>1</Type></NonEAPAuthMethod>"
            "</InnerAuthenticationMethod></AuthenticationMethod></AuthenticationMethods>"
            '<ProviderInfo><DisplayName lang="en">%s</DisplayName></ProviderInfo>'
            "</EAPIdentityProvider></EAPIdentityProviderList>\n"
            % (realm or "undefined", cas, sids, client, name))


def institution(name, *profiles):
    return {"country": "ZZ", "names": [{"lang": "en", "value": name}],
            "profiles": [{"id": int(p), "redirect": "", "openroaming": "none"}
                         for p in profiles]}


class Sync(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.certdir = tempfile.mkdtemp(prefix="sdvm-sync-certs.")
        make_certs(cls.certdir)
        cls.cat = FakeCat(cls.certdir)
        # CAs for the report tests: two for one institution's rotation, one that expires in
        # 10 days, one long-lived.
        cls.ca = {n: make_ca(cls.certdir, n, days)
                  for n, days in (("A", 365), ("A2", 365), ("B", 365), ("SOON", 10))}

    @classmethod
    def tearDownClass(cls):
        cls.cat.stop()
        shutil.rmtree(cls.certdir, ignore_errors=True)

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="sdvm-sync.")
        self.out = os.path.join(self.tmp, "realms.db")
        self.work = os.path.join(self.tmp, "work")
        self.cat.reset()
        self.cat.delay = 0.0
        self.cat.always_500 = set()

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def sync(self, *extra, cacert=True, url=None):
        args = [SDVM_CAT, "sync", "--from", url or self.cat.url(), "--work-dir", self.work,
                "--retries", "2", "--backoff-ms", "50", "--timeout", "10"]
        if cacert:
            args += ["--cacert", os.path.join(self.certdir, "ca.pem")]
        args += list(extra) + [self.out]
        return subprocess.run(args, capture_output=True, text=True, timeout=120)

    def lookup(self, realm):
        return subprocess.run([SDVM_CAT, "lookup", "--db", self.out, realm],
                              capture_output=True, text=True, timeout=30)

    def cached(self):
        d = os.path.join(self.work, "run")
        return sorted(f for f in os.listdir(d) if f.endswith((".eap-config", ".missing")))

    def test_full_sync(self):
        r = self.sync()
        self.assertEqual(0, r.returncode, r.stderr)
        self.assertTrue(os.path.exists(self.out))
        # Progress and per-profile report.
        self.assertIn("6 institutions, 8 profiles with an eap-config", r.stderr)
        self.assertIn("cat profile 102 (University C): eap-generic", r.stderr)
        self.assertIn("HTTP 500; retrying", r.stderr)
        self.assertIn("cat profile 104 (University D): no eap-config (404)", r.stderr)
        self.assertIn("cat profile 105 (University A): letswifi", r.stderr)
        self.assertIn("cat profile 106 (University D): redirects", r.stderr)
        self.assertIn("its id is not a number", r.stderr)
        # 102: eap-config first, then the eap-generic fallback.
        reqs = self.cat.profile_requests()
        self.assertEqual(["eap-config", "eap-generic"],
                         [d for (_, d, p) in reqs if p == "102"])
        # 103: the 500 was retried, once.
        self.assertEqual(2, len([1 for (_, d, p) in reqs if p == "103"]))
        # Never asked for redirected profiles or the bogus id.
        self.assertFalse([p for (_, _, p) in reqs if p in ("105", "106") or "/" in p])
        # The database answers.
        a = self.lookup("cs.UNI-A.test")
        self.assertEqual(0, a.returncode, a.stdout + a.stderr)
        self.assertIn("cat-db:cat profile 101", a.stdout)
        c = self.lookup("uni-c.test")
        self.assertEqual(0, c.returncode, c.stdout)
        self.assertIn("CAT compat", c.stdout)
        self.assertEqual(0, self.lookup("uni-d.test").returncode)
        self.assertEqual(0, self.lookup("partner-e.test").returncode)
        tls = self.lookup("tls.uni-g.test")
        self.assertEqual(1, tls.returncode)
        self.assertIn("REALM_UNSUPPORTED", tls.stdout)

        # CAT's operators can see who calls (terms of use): SDVM and its version.
        self.assertEqual(1, len(self.cat.user_agents), self.cat.user_agents)
        self.assertRegex(self.cat.user_agents.pop(), r"^SDVM/\d+\.\d+")
        # A finished run leaves no run/ behind: the next one fetches everything again.
        self.assertFalse(os.path.exists(os.path.join(self.work, "run")))
        self.cat.reset()
        r2 = self.sync()
        self.assertEqual(0, r2.returncode, r2.stderr)
        self.assertEqual({p for p in PROFILES},
                         {p for (_, _, p) in self.cat.profile_requests()})
        self.assertIn("institution list: fetching", r2.stderr)

    def test_resume_after_time_limit(self):
        self.cat.delay = 0.6
        r = self.sync("--time-limit", "2", "--connections", "1")
        self.assertEqual(3, r.returncode, r.stderr)
        self.assertIn("time limit reached", r.stderr)
        self.assertIn("run again to resume", r.stderr)
        self.assertFalse(os.path.exists(self.out))
        first = self.cached()
        self.assertGreater(len(first), 0)
        self.assertLess(len(first), 8)
        fetched_first = {p for (_, _, p) in self.cat.profile_requests()}

        self.cat.reset()
        self.cat.delay = 0.0
        r2 = self.sync()
        self.assertEqual(0, r2.returncode, r2.stderr)
        again = {p for (_, _, p) in self.cat.profile_requests()}
        done_first = {f.split(".")[0] for f in first}
        self.assertFalse(again & done_first, "cached profiles were downloaded again")
        self.assertTrue(fetched_first | again >= set(p for p in PROFILES))
        self.assertFalse(os.path.exists(os.path.join(self.work, "run")))
        good = os.listdir(os.path.join(self.work, "profiles"))
        self.assertEqual(7, len([f for f in good if f.endswith(".eap-config")]))   # 104: 404
        self.assertEqual(0, self.lookup("uni-a.test").returncode)

    def test_resume_after_kill(self):
        self.cat.delay = 0.4
        args = [SDVM_CAT, "sync", "--from", self.cat.url(), "--work-dir", self.work,
                "--cacert", os.path.join(self.certdir, "ca.pem"), "--quiet", "--connections", "1",
                self.out]
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        profiles = os.path.join(self.work, "run")
        while time.monotonic() < deadline:
            if os.path.isdir(profiles) and len(self.cached()) >= 2:
                break
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)   # our own child, by PID
        proc.wait()
        first = self.cached()
        self.assertGreaterEqual(len(first), 2)
        self.assertLess(len(first), 8)
        # Every cached file is complete (atomic writes): each one parses or is a marker.
        for f in first:
            if f.endswith(".eap-config"):
                chk = subprocess.run([SDVM_CAT, "check", os.path.join(profiles, f)],
                                     capture_output=True, text=True)
                self.assertEqual(0, chk.returncode, chk.stdout)
        self.cat.reset()
        self.cat.delay = 0.0
        r = self.sync()
        self.assertEqual(0, r.returncode, r.stderr)
        again = {p for (_, _, p) in self.cat.profile_requests()}
        self.assertFalse(again & {f.split(".")[0] for f in first})
        good = os.path.join(self.work, "profiles")
        self.assertFalse(os.path.exists(profiles))
        self.assertFalse([f for f in os.listdir(good) if ".tmp-" in f or ".tmp." in f],
                         "temporary files left behind")

    def test_permanent_failure_keeps_old_database(self):
        with open(self.out, "wb") as f:
            f.write(b"the previous database")
        self.cat.always_500 = {"108"}
        r = self.sync()
        self.assertEqual(3, r.returncode, r.stderr)
        self.assertIn("cat profile 108 (University E): failed: HTTP 500", r.stderr)
        self.assertIn("1 of 8 profiles failed (more than 5 %)", r.stderr)
        with open(self.out, "rb") as f:
            self.assertEqual(b"the previous database", f.read())
        # 1 try + 2 retries for eap-config, then the same for the eap-generic fallback.
        reqs = [d for (_, d, p) in self.cat.profile_requests() if p == "108"]
        self.assertEqual(["eap-config"] * 3 + ["eap-generic"] * 3, reqs)
        # The run is over all the same: nothing is left to resume.
        self.assertFalse(os.path.exists(os.path.join(self.work, "run")))

    # ----- nightly runs (issue 15) -----

    def good_copy(self, profile):
        return os.path.join(self.work, "profiles", profile + ".eap-config")

    def test_nightly_run_sees_changes(self):
        r = self.sync()
        self.assertEqual(0, r.returncode, r.stderr)
        self.assertIn("radius.uni-e.test", self.lookup("uni-e.test").stdout)
        # Between the runs: profile 101 changes its server, institution 4 (107, 108) goes,
        # institution 7 (profile 111) appears.
        self.cat.reset()
        self.cat.profiles["101"] = {"file": "uni-a-second-profile.eap-config"}
        self.cat.profiles["111"] = {"file": "ttls-mschapv2.eap-config"}
        del self.cat.institutions["4"]
        self.cat.institutions["7"] = {"country": "ZZ", "names": [{"lang": "C", "value": "New U"}],
                                      "profiles": [{"id": 111, "redirect": "",
                                                    "openroaming": "none"}]}
        r2 = self.sync()
        self.assertEqual(0, r2.returncode, r2.stderr)
        self.assertNotIn("institution list: resuming", r2.stderr)
        asked = {p for (_, _, p) in self.cat.profile_requests()}
        self.assertEqual({"101", "102", "103", "104", "109", "110", "111"}, asked)
        self.assertIn("other.uni-a.test", self.lookup("uni-a.test").stdout)
        b = self.lookup("uni-b.test")
        self.assertEqual(0, b.returncode, b.stdout)
        self.assertIn("cat profile 111", b.stdout)
        self.assertNotEqual(0, self.lookup("uni-e.test").returncode)

    def test_bad_200_never_replaces_a_good_copy(self):
        self.assertEqual(0, self.sync().returncode)
        with open(self.good_copy("101"), "rb") as f:
            before = f.read()
        for body in (b"", b"<html><body>Schema validation failed</body></html>"):
            self.cat.reset()
            self.cat.bodies = {"101": body}
            r = self.sync("--max-failed", "20")
            self.assertEqual(0, r.returncode, r.stderr)
            self.assertIn("cat profile 101 (University A): failed: not an eap-config", r.stderr)
            self.assertIn("cat profile 101: kept its last good copy", r.stderr)
            with open(self.good_copy("101"), "rb") as f:
                self.assertEqual(before, f.read())
            self.assertEqual(0, self.lookup("uni-a.test").returncode)

    def test_failed_profile_kept_then_dropped(self):
        self.assertEqual(0, self.sync().returncode)
        self.cat.reset()
        self.cat.always_500 = {"101"}
        r = self.sync("--max-failed", "20")
        self.assertEqual(0, r.returncode, r.stderr)
        self.assertIn("1 kept from an older run", r.stderr)
        self.assertEqual(0, self.lookup("uni-a.test").returncode)
        # Its copy grows old: past --max-age it is dropped, the rest is built.
        old = time.time() - 3 * 86400
        os.utime(self.good_copy("101"), (old, old))
        self.cat.reset()
        r = self.sync("--max-failed", "20", "--max-age", str(2 * 86400))
        self.assertEqual(0, r.returncode, r.stderr)
        self.assertIn("cat profile 101: dropped", r.stderr)
        self.assertNotEqual(0, self.lookup("uni-a.test").returncode)
        self.assertEqual(0, self.lookup("uni-d.test").returncode)

    def test_generic_fallback_on_500(self):
        self.cat.profiles["102"] = {"generic": "ttls-eap-mschapv2.eap-config", "cfg500": True}
        self.assertEqual(0, self.sync().returncode)
        reqs = [d for (_, d, p) in self.cat.profile_requests() if p == "102"]
        self.assertEqual(["eap-config"] * 3 + ["eap-generic"], reqs)
        self.assertEqual(0, self.lookup("uni-c.test").returncode)

    def test_json_summary_and_checksum(self):
        import hashlib
        r = self.sync("--json", "--quiet")
        self.assertEqual(0, r.returncode, r.stderr)
        j = json.loads(r.stdout)
        with open(self.out, "rb") as f:
            sha = hashlib.sha256(f.read()).hexdigest()
        self.assertEqual(sha, j["sha256"])
        self.assertEqual((6, 8, 7, 7, 0, 1, 0, True),
                         (j["institutions"], j["profiles"], j["fetched"], j["changed"],
                          j["unchanged"], j["without_eap_config"], j["failed"], j["replaced"]))
        self.cat.reset()
        self.cat.always_500 = {"101"}
        r = self.sync("--json", "--max-failed", "20")
        self.assertEqual(0, r.returncode, r.stderr)
        self.assertIn("sha256 " + json.loads(r.stdout)["sha256"], r.stderr)
        j = json.loads(r.stdout)
        self.assertEqual((6, 0, 1, 1, 0), (j["fetched"], j["changed"], j["failed"],
                                           j["kept_from_older_run"], j["dropped"]))

    # ----- the report (issue 15 §3) and coverage (§4) -----

    def serve(self, profiles, institutions):
        """The fake CAT serves exactly these: {id: eap-config text}, {inst id: institution}."""
        self.cat.reset()
        self.cat.profiles = {p: {"xml": x} for p, x in profiles.items()}
        self.cat.institutions = institutions

    def test_report_against_previous_database(self):
        ca = self.ca
        profiles = {
            "201": eap_config("alpha.test", [ca["A"]], ["radius.alpha.test"], "Alpha"),
            "202": eap_config("beta.test", [ca["B"]], ["radius.beta.test"], "Beta"),
            "203": eap_config("gone.test", [ca["B"]], ["radius.gone.test"], "Gone"),
            "204": eap_config("soon.test", [ca["SOON"]], ["radius.soon.test"], "Soon"),
            "205": eap_config("shared.test", [ca["A"]], ["radius.shared.test"], "Shared 1"),
        }
        insts = {"11": institution("Alpha", 201), "12": institution("Beta", 202),
                 "13": institution("Gone", 203), "14": institution("Soon", 204),
                 "15": institution("Shared 1", 205)}
        self.serve(profiles, insts)
        r = self.sync("--json")
        self.assertEqual(0, r.returncode, r.stderr)
        j = json.loads(r.stdout)
        self.assertFalse(j["previous_database"])
        self.assertEqual(["alpha.test", "beta.test", "gone.test", "shared.test", "soon.test"],
                         j["realms_added"])
        self.assertEqual(([], []), (j["realms_removed"], j["realms_changed"]))
        self.assertIn("realms: 5, all new (no previous database", r.stderr)

        # Between the runs: Alpha's CA rotates, Beta renames its server, Gone leaves, New
        # joins, and a second institution claims shared.test.
        profiles["201"] = eap_config("alpha.test", [ca["A2"]], ["radius.alpha.test"], "Alpha")
        profiles["202"] = eap_config("beta.test", [ca["B"]], ["radius2.beta.test"], "Beta")
        del profiles["203"], insts["13"]
        profiles["206"] = eap_config("new.test", [ca["B"]], ["radius.new.test"], "New")
        profiles["207"] = eap_config("shared.test", [ca["B"]], ["evil.shared.test"], "Shared 2")
        insts["16"] = institution("New", 206)
        insts["17"] = institution("Shared 2", 207)
        self.serve(profiles, insts)
        r = self.sync("--json")
        self.assertEqual(0, r.returncode, r.stderr)
        j = json.loads(r.stdout)
        self.assertTrue(j["previous_database"])
        self.assertEqual(["new.test"], j["realms_added"])
        self.assertEqual(["gone.test"], j["realms_removed"])
        self.assertEqual([{"realm": "alpha.test", "ca": True, "server_names": False,
                           "usable": True},
                          {"realm": "beta.test", "ca": False, "server_names": True,
                           "usable": True}], j["realms_changed"])
        self.assertEqual([{"realm": "shared.test", "used": "205", "institutions": 2,
                           "profiles": [{"profile": "205", "institution": "Shared 1",
                                         "institution_id": "15"},
                                        {"profile": "207", "institution": "Shared 2",
                                         "institution_id": "17"}]}], j["conflicts"])
        self.assertEqual(["soon.test"], [e["realm"] for e in j["ca_expiring"]])
        soon = j["ca_expiring"][0]
        self.assertIn(soon["days_left"], (9, 10))
        self.assertIn("SOON", soon["subject"])
        self.assertEqual("cat profile 204", soon["source"])
        # The same in the text report.
        self.assertIn("realms since the previous database: 1 added, 1 removed, 2 changed",
                      r.stderr)
        self.assertIn("added:   new.test", r.stderr)
        self.assertIn("removed: gone.test", r.stderr)
        self.assertIn("changed: alpha.test: CA\n", r.stderr)
        self.assertIn("changed: beta.test: server names\n", r.stderr)
        self.assertIn("conflicts: 1 realms", r.stderr)
        self.assertIn("conflict: shared.test: CAT profiles 205 (Shared 1), 207 (Shared 2) of 2"
                      " institution(s); cat profile 205 is used", r.stderr)
        self.assertIn("CA certificates expiring within 30 days: 1", r.stderr)
        self.assertRegex(r.stderr, r"expiring: soon.test: CA .*SOON.* expires 20\d\d-")
        self.assertIn("radius.shared.test", self.lookup("shared.test").stdout)

    def test_no_realm_and_cat_profile(self):
        ca = self.ca
        self.serve({
            "301": eap_config(None, [ca["A"]], ["radius.norealm.test"], "No Realm U"),
            "302": eap_config("two.test", [ca["A"]], ["staff.two.test"], "Two U staff"),
            "303": eap_config("two.test", [ca["B"]], ["students.two.test"], "Two U students"),
        }, {"21": institution("No Realm U", 301), "22": institution("Two U", 303, 302)})
        r = self.sync("--json")
        self.assertEqual(0, r.returncode, r.stderr)
        j = json.loads(r.stdout)
        self.assertEqual(1, j["without_realm"])
        self.assertEqual([{"profile": "301", "institution": "No Realm U",
                           "institution_id": "21"}], j["no_realm"])
        self.assertIn("profiles without a realm: 1", r.stderr)
        self.assertIn("no realm: cat profile 301 (No Realm U)", r.stderr)
        self.assertRegex(r.stderr, r"wrote .*: 1 realms,")   # the profile keys are no realms
        # Staff and students: one institution, two profiles for one realm. The rule: the
        # lowest profile id.
        self.assertEqual([{"realm": "two.test", "used": "302", "institutions": 1,
                           "profiles": [{"profile": "302", "institution": "Two U",
                                         "institution_id": "22"},
                                        {"profile": "303", "institution": "Two U",
                                         "institution_id": "22"}]}], j["conflicts"])
        self.assertEqual(["two.test"], j["realms_added"])   # "cat profile N" is no realm
        self.assertIn("staff.two.test", self.lookup("two.test").stdout)
        self.assertEqual(1, self.lookup("norealm.test").returncode)

        # realms.d: CatProfile= maps a realm to a profile without one, and chooses the
        # students' profile for two.test.
        d = os.path.join(self.tmp, "realms.d")
        os.mkdir(d)

        def lookup(realm, conf):
            with open(os.path.join(d, "50-lab.conf"), "w") as f:
                f.write(conf)
            return subprocess.run([SDVM_CAT, "lookup", "--db", self.out, "--realms-dir", d,
                                   realm], capture_output=True, text=True, timeout=30)
        conf = ("[Realm norealm]\nName=norealm.test\nCatProfile=301\n\n"
                "[Realm two]\nName=two.test\nCatProfile=303\n")
        n = lookup("norealm.test", conf)
        self.assertEqual(0, n.returncode, n.stdout + n.stderr)
        self.assertIn("realms.d/50-lab.conf over cat-db:cat profile 301", n.stdout)
        self.assertIn("radius.norealm.test", n.stdout)
        t = lookup("two.test", conf)
        self.assertEqual(0, t.returncode, t.stdout + t.stderr)
        self.assertIn("students.two.test", t.stdout)
        self.assertIn("cat profile 303", t.stdout)
        m = lookup("norealm.test", "[Realm]\nName=norealm.test\nCatProfile=999\n")
        self.assertEqual(1, m.returncode)
        self.assertIn("UNKNOWN_REALM", m.stdout)
        self.assertIn("CAT profile 999", m.stdout)
        bad = lookup("norealm.test", "[Realm]\nName=norealm.test\nCatProfile=abc\n")
        self.assertEqual(1, bad.returncode)
        self.assertIn("CatProfile=abc: expected a CAT profile id", bad.stderr)

    def test_parallel_and_bounded(self):
        self.cat.delay = 0.3
        r = self.sync("--connections", "3", "--quiet")
        self.assertEqual(0, r.returncode, r.stderr)
        self.assertEqual(3, self.cat.max_in_flight)
        self.cat.reset()
        self.cat.delay = 0.3
        r = self.sync("--connections", "1", "--quiet")
        self.assertEqual(0, r.returncode, r.stderr)
        self.assertEqual(1, self.cat.max_in_flight)

    def test_retry_after_is_honoured(self):
        self.cat.retry_after = {"101": 1}
        r = self.sync("--backoff-ms", "10")
        self.assertEqual(0, r.returncode, r.stderr)
        self.assertIn("HTTP 429; retrying in 1000 ms", r.stderr)
        t = self.cat.times["101"]
        self.assertEqual(2, len(t))
        self.assertGreaterEqual(t[1] - t[0], 0.9)

    def test_stale_run_is_not_resumed(self):
        self.cat.delay = 0.6
        self.assertEqual(3, self.sync("--time-limit", "2", "--connections", "1").returncode)
        old = time.time() - 7200
        os.utime(os.path.join(self.work, "run", "institutions.json"), (old, old))
        self.cat.reset()
        self.cat.delay = 0.0
        r = self.sync("--resume-max", "3600")
        self.assertEqual(0, r.returncode, r.stderr)
        self.assertEqual(8, len({p for (_, _, p) in self.cat.profile_requests()}))

    def test_sigkill_never_leaves_half_a_database(self):
        """SIGKILL at random points (several seeds): the database is the old one or the
        complete new one; a rerun gives exactly the uninterrupted run's bytes."""
        import random
        env = dict(os.environ, SOURCE_DATE_EPOCH="1700000000")
        ref_dir = tempfile.mkdtemp(dir=self.tmp)
        ref = os.path.join(ref_dir, "ref.db")
        args = [SDVM_CAT, "sync", "--from", self.cat.url(), "--cacert",
                os.path.join(self.certdir, "ca.pem"), "--quiet", "--max-failed", "20"]
        r = subprocess.run(args + ["--work-dir", os.path.join(ref_dir, "w"), ref], env=env,
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(0, r.returncode, r.stderr)
        with open(ref, "rb") as f:
            ref_bytes = f.read()
        # The database an older run left (a different epoch: different bytes).
        r = subprocess.run(args + ["--work-dir", os.path.join(ref_dir, "w0"), self.out],
                           env=dict(env, SOURCE_DATE_EPOCH="1600000000"),
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(0, r.returncode, r.stderr)
        with open(self.out, "rb") as f:
            old_bytes = f.read()
        self.assertNotEqual(old_bytes, ref_bytes)
        outcomes = set()
        for seed in range(8):
            rnd = random.Random(seed)
            shutil.rmtree(self.work, ignore_errors=True)
            with open(self.out, "wb") as f:
                f.write(old_bytes)
            self.cat.reset()
            self.cat.delay = 0.02
            for _ in range(3):
                proc = subprocess.Popen(args + ["--work-dir", self.work, self.out], env=env,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                time.sleep(rnd.uniform(0.0, 0.6))
                os.kill(proc.pid, signal.SIGKILL)   # our own child, by PID
                proc.wait()
                with open(self.out, "rb") as f:
                    now = f.read()
                self.assertIn(now, (old_bytes, ref_bytes),
                              "seed %d: the database is neither the old nor the new one" % seed)
                outcomes.add(now == ref_bytes)
            self.cat.delay = 0.0
            r = subprocess.run(args + ["--work-dir", self.work, self.out], env=env,
                               capture_output=True, text=True, timeout=120)
            self.assertEqual(0, r.returncode, r.stderr)
            with open(self.out, "rb") as f:
                self.assertEqual(ref_bytes, f.read(), "seed %d: rerun differs" % seed)
            self.assertFalse(os.path.exists(os.path.join(self.work, "run")))
        # The kills landed both before and after the database was replaced.
        self.assertEqual({False, True}, outcomes)

    def test_tls_is_verified(self):
        r = self.sync("--retries", "5", cacert=False)
        self.assertEqual(1, r.returncode, r.stderr)
        self.assertRegex(r.stderr, "(?i)certificate|SSL")
        self.assertNotIn("retrying", r.stderr)   # not a transient failure
        self.assertFalse(os.path.exists(self.out))

    def test_from_is_required(self):
        r = subprocess.run([SDVM_CAT, "sync", "--work-dir", self.work, self.out],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(2, r.returncode)
        self.assertFalse(os.path.exists(self.work))

    def test_only_https(self):
        r = self.sync(url="http://127.0.0.1:%d/user/API.php" % self.cat.port)
        self.assertEqual(1, r.returncode)
        self.assertIn("only https://", r.stderr)
        self.assertEqual([], self.cat.requests)


if __name__ == "__main__":
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    SDVM_CAT = os.path.abspath(sys.argv[1])
    FIXTURES = os.path.abspath(sys.argv[2])
    unittest.main(argv=[sys.argv[0], "-v"])
