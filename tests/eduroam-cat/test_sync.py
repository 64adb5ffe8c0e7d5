#!/usr/bin/env python3
"""sdvm-cat sync against a local HTTPS server that plays eduroam CAT's API.

The server listens on 127.0.0.1 only, with a test CA and server certificate made for this run;
no outside host is ever contacted. Covers: the full download and build, the eap-generic
fallback on 404, a transient HTTP 500 that is retried, a permanent 500, resuming after the
time limit and after SIGKILL, TLS verification, and http:// refused.

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
                if u.path != "/user/API.php":
                    return self.send(404, b"not here", "text/plain")
                if action == "listIdentityProvidersWithProfiles":
                    body = json.dumps({"status": 1, "data": INSTITUTIONS, "tou": "test"})
                    # CAT has served JSON as text/html: parse by body, not by header.
                    return self.send(200, body.encode(), "text/html")
                if action != "downloadInstaller":
                    return self.send(400, b"bad action", "text/plain")
                if cat.delay:
                    time.sleep(cat.delay)
                spec = PROFILES.get(profile)
                if spec is None:
                    return self.send(404, b"no such profile", "text/plain")
                if profile in cat.always_500:
                    return self.send(500, b"broken", "text/plain")
                with cat.lock:
                    if cat.failures_left.get(profile, 0) > 0:
                        cat.failures_left[profile] -= 1
                        fail = True
                    else:
                        fail = False
                if fail:
                    return self.send(500, b"try again", "text/plain")
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


class Sync(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.certdir = tempfile.mkdtemp(prefix="sdvm-sync-certs.")
        make_certs(cls.certdir)
        cls.cat = FakeCat(cls.certdir)

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
        d = os.path.join(self.work, "profiles")
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

        # A second run fetches nothing again (everything cached), and rebuilds.
        self.cat.reset()
        r2 = self.sync()
        self.assertEqual(0, r2.returncode, r2.stderr)
        self.assertEqual([], self.cat.profile_requests())
        self.assertIn("institution list: cached", r2.stderr)
        # --refresh fetches everything again.
        self.cat.reset()
        r3 = self.sync("--refresh", "--quiet")
        self.assertEqual(0, r3.returncode, r3.stderr)
        self.assertGreaterEqual(len(self.cat.profile_requests()), 8)

    def test_resume_after_time_limit(self):
        self.cat.delay = 0.6
        r = self.sync("--time-limit", "2")
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
        self.assertEqual(8, len(self.cached()))
        self.assertEqual(0, self.lookup("uni-a.test").returncode)

    def test_resume_after_kill(self):
        self.cat.delay = 0.4
        args = [SDVM_CAT, "sync", "--from", self.cat.url(), "--work-dir", self.work,
                "--cacert", os.path.join(self.certdir, "ca.pem"), "--quiet", self.out]
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        profiles = os.path.join(self.work, "profiles")
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
        self.assertFalse([f for f in os.listdir(profiles) if ".tmp-" in f or ".tmp." in f],
                         "temporary files left behind")

    def test_permanent_failure_keeps_old_database(self):
        with open(self.out, "wb") as f:
            f.write(b"the previous database")
        self.cat.always_500 = {"108"}
        r = self.sync()
        self.assertEqual(3, r.returncode, r.stderr)
        self.assertIn("cat profile 108 (University E): failed: HTTP 500", r.stderr)
        self.assertIn("1 profiles could not be fetched", r.stderr)
        with open(self.out, "rb") as f:
            self.assertEqual(b"the previous database", f.read())
        # 1 try + 2 retries.
        self.assertEqual(3, len([1 for (_, _, p) in self.cat.profile_requests() if p == "108"]))

    def test_tls_is_verified(self):
        r = self.sync("--retries", "5", cacert=False)
        self.assertEqual(1, r.returncode, r.stderr)
        self.assertRegex(r.stderr, "(?i)certificate|SSL")
        self.assertNotIn("retrying", r.stderr)   # not a transient failure
        self.assertFalse(os.path.exists(self.out))

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
