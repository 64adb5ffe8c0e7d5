#!/usr/bin/env python3
"""sdvm-cat sync against a local fake CAT that answers every profile request after 50 ms.

usage: sync-bench.py SDVM_CAT FIXTURE.eap-config [PROFILES] [RUNS] [ONE_PROFILES]

Serves PROFILES (default 5000) profiles over HTTPS on 127.0.0.1 (a test CA made for this run;
nothing outside is contacted) and reports the median wall time of RUNS (default 3) full runs
at the default --connections (8), and the median of RUNS runs with --connections 1 on
ONE_PROFILES profiles (default a tenth: 500), scaled to PROFILES, for the ratio (one at a time
the time is linear in the number of profiles: 50 ms and a round trip each). Goal (issue 15
§2): <= 60 s for 5,000 profiles at 50 ms.
"""
import http.server
import json
import os
import shutil
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

LATENCY = 0.050


def make_certs(d):
    def run(*args):
        subprocess.run(args, check=True, cwd=d, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    run("openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ca.key")
    run("openssl", "req", "-x509", "-new", "-key", "ca.key", "-subj", "/CN=SDVM bench CA",
        "-days", "1", "-out", "ca.pem", "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign")
    run("openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "server.key")
    run("openssl", "req", "-new", "-key", "server.key", "-subj", "/CN=127.0.0.1",
        "-out", "server.csr")
    with open(os.path.join(d, "ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n")
    run("openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-days", "1", "-extfile", "ext", "-out", "server.pem")


def serve(certdir, fixture, n):
    with open(fixture, "rb") as f:
        body = f.read()
    data = {str(i): {"country": "ZZ", "names": [{"lang": "C", "value": "Inst %d" % i}],
                     "profiles": [{"id": i, "redirect": "", "openroaming": "none"}]}
            for i in range(1, n + 1)}
    listing = json.dumps({"status": 1, "data": data}).encode()

    class H(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two writes: without TCP_NODELAY, Nagle and the client's
        # delayed ACK add ~40 ms to every answer, which is the fake's cost, not the sync's.
        disable_nagle_algorithm = True

        def log_message(self, *a):
            pass

        def do_GET(self):
            q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
            if q.get("action", [""])[0] == "listIdentityProvidersWithProfiles":
                out = listing
            else:
                time.sleep(LATENCY)
                out = body
            self.send_response(200)
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(certdir, "server.pem"), os.path.join(certdir, "server.key"))
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


def run(tool, certdir, port, tmp, *extra):
    shutil.rmtree(os.path.join(tmp, "w"), ignore_errors=True)
    t = time.monotonic()
    r = subprocess.run([tool, "sync", "--from", "https://127.0.0.1:%d/user/API.php" % port,
                        "--cacert", os.path.join(certdir, "ca.pem"), "--quiet",
                        "--work-dir", os.path.join(tmp, "w"), *extra,
                        os.path.join(tmp, "realms.db")], capture_output=True, text=True)
    dt = time.monotonic() - t
    if r.returncode:
        sys.exit("sync failed: %s" % r.stderr[-2000:])
    return dt


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    tool, fixture = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 5000
    runs = int(sys.argv[4]) if len(sys.argv) > 4 else 3
    tmp = tempfile.mkdtemp(prefix="sdvm-sync-bench.")
    try:
        make_certs(tmp)
        httpd = serve(tmp, fixture, n)
        port = httpd.server_address[1]
        times = [run(tool, tmp, port, tmp) for _ in range(runs)]
        med = statistics.median(times)
        httpd.shutdown()
        httpd.server_close()
        small = int(sys.argv[5]) if len(sys.argv) > 5 else max(n // 10, 1)
        httpd = serve(tmp, fixture, small)
        ones = [run(tool, tmp, httpd.server_address[1], tmp, "--connections", "1")
                for _ in range(runs)]
        httpd.shutdown()
        httpd.server_close()
        one = statistics.median(ones)
        one_full = one * n / small
        print("profiles: %d, latency %d ms per profile request" % (n, LATENCY * 1000))
        print("--connections 8 (default), median of %d: %.1f s (runs: %s); goal <= 60 s"
              % (runs, med, ", ".join("%.1f" % t for t in times)))
        print("--connections 1, median of %d: %d profiles %.1f s (runs: %s) -> scaled to %d:"
              " %.0f s" % (runs, small, one, ", ".join("%.1f" % t for t in ones), n, one_full))
        print("ratio (medians): %.1fx" % (one_full / med))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
