#!/usr/bin/env python3
"""HTTP-level tests of `crucible serve`, `crucible report` and `crucible plot`.

Usage: dashboard_http_test.py PATH_TO_CRUCIBLE PATH_TO_dashboard_synthetic_run [unittest args]

Every test starts its own server on 127.0.0.1 with an ephemeral port (--port 0)
and stops it with SIGTERM.
"""
import http.client
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import unittest

CRUCIBLE = None
SYNTH = None


def synth(run_dir, *args):
    subprocess.run([SYNTH, run_dir, *map(str, args)], check=True, timeout=120)


class Server:
    def __init__(self, *run_dirs, extra=()):
        self.p = subprocess.Popen([CRUCIBLE, "serve", *run_dirs, "--port", "0", *extra],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.p.stdout.readline()
        m = re.search(r"http://([^/]+):(\d+)/", line)
        if not m:
            self.p.kill()
            raise AssertionError(f"no address in {line!r}; stderr: {self.p.stderr.read()}")
        self.host, self.port = m.group(1).strip("[]"), int(m.group(2))
        self.banner = line

    def request(self, path, method="GET", headers=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        c.putrequest(method, path, skip_host=headers is not None and "Host" in headers, skip_accept_encoding=True)
        for k, v in (headers or {}).items():
            c.putheader(k, v)
        if method != "GET":
            c.putheader("Content-Length", "0")
        c.endheaders()
        r = c.getresponse()
        body = r.read()
        c.close()
        return r.status, r.getheader("Content-Type") or "", body

    def json(self, path, status=200):
        s, t, body = self.request(path)
        if s != status:
            raise AssertionError(f"{path}: HTTP {s}, expected {status}: {body[:300]!r}")
        return json.loads(body)

    def raw(self, data):
        """Sends raw bytes (paths a client library would normalise)."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=30) as s:
            s.sendall(data)
            chunks = []
            while True:
                b = s.recv(65536)
                if not b:
                    break
                chunks.append(b)
        return b"".join(chunks)

    def stop(self):
        self.p.send_signal(signal.SIGTERM)
        try:
            rc = self.p.wait(timeout=20)
        finally:
            if self.p.poll() is None:
                self.p.kill()
        self.p.stdout.close()
        self.p.stderr.close()
        return rc


class Base(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="crucible-dash-")
        self.dir = self.tmp.name
        self.run_dir = os.path.join(self.dir, "run")
        synth(self.run_dir, 500, "--llm", "--pending", "2")
        with open(os.path.join(self.dir, "secret.txt"), "w") as f:
            f.write("TOP SECRET outside the run\n")
        self.servers = []

    def serve(self, *dirs, extra=()):
        s = Server(*(dirs or (self.run_dir,)), extra=extra)
        self.servers.append(s)
        return s

    def tearDown(self):
        for s in self.servers:
            if s.p.poll() is None:
                s.stop()
        self.tmp.cleanup()

    def db_counts(self):
        db = sqlite3.connect(f"file:{self.run_dir}/run.db?mode=ro", uri=True)
        total = db.execute("SELECT count(*) FROM candidate_records").fetchone()[0]
        best = db.execute("SELECT id, score FROM candidate_records WHERE outcome = 'ok' "
                          "ORDER BY score DESC, id LIMIT 1").fetchone()
        db.close()
        return total, best


class EndpointTest(Base):
    def test_every_endpoint(self):
        s = self.serve()
        self.assertIn("127.0.0.1", s.banner)
        total, (best_id, best_score) = self.db_counts()
        st, ctype, body = s.request("/")
        self.assertEqual(st, 200)
        self.assertIn("text/html", ctype)
        self.assertNotIn(b"http://", body.replace(b"http://www.w3.org", b""))
        for asset, kind in (("/app.js", "javascript"), ("/style.css", "text/css")):
            st, ctype, body = s.request(asset)
            self.assertEqual(st, 200, asset)
            self.assertIn(kind, ctype)
            self.assertNotRegex(body.decode(), r"https?://(?!www\.w3\.org)")
        runs = s.json("/api/runs")
        self.assertEqual(len(runs), 1)
        summary = s.json("/api/runs/0/summary")
        self.assertEqual(summary["total"], total)
        self.assertEqual(summary["pending"], 2)
        self.assertEqual(summary["best"]["id"], best_id)
        self.assertAlmostEqual(summary["best"]["value"], best_score)
        self.assertIn("heldout", summary["best"])
        for svg in ("score.svg", "lineage.svg", "grid.svg"):
            st, ctype, body = s.request(f"/api/runs/0/{svg}")
            self.assertEqual(st, 200, svg)
            self.assertIn("image/svg+xml", ctype)
            self.assertTrue(body.startswith(b"<svg"), svg)
            self.assertNotIn(b"<script", body)
        st, _, body = s.request("/api/compare.svg")
        self.assertEqual(st, 200)
        # Table: pages, sorting, filtering.
        page = s.json("/api/runs/0/candidates?limit=20&offset=40&sort=id")
        self.assertEqual(page["total"], total)
        self.assertEqual([r["id"] for r in page["rows"]], list(range(40, 60)))
        top = s.json("/api/runs/0/candidates?sort=value&order=desc&limit=1")
        self.assertEqual(top["rows"][0]["id"], best_id)
        ok = s.json("/api/runs/0/candidates?outcome=ok&island=1&proposer=mutate&limit=500")
        self.assertTrue(all(r["outcome"] == "ok" and r["island"] == 1 and r["proposer"] == "mutate"
                            for r in ok["rows"]))
        self.assertGreater(ok["total"], 0)
        for bad in ("sort=program", "limit=0", "limit=9999", "offset=-1", "order=sideways", "island=x"):
            st, _, body = s.request(f"/api/runs/0/candidates?{bad}")
            self.assertEqual(st, 400, bad)
            self.assertIn("error", json.loads(body))
        # Candidate page: code, diff, metrics, LLM prompt and response, no key.
        c = s.json(f"/api/runs/0/candidates/{best_id}")
        self.assertEqual(c["id"], best_id)
        self.assertIn("+++ b/program.py", c["patch"])
        self.assertEqual(c["program"][0]["path"], "program.py")
        self.assertIn("rmse", c["metrics"])
        llm = s.json("/api/runs/0/candidates/3")
        self.assertEqual(llm["proposer"], "llm")
        self.assertEqual(len(llm["llm_calls"]), 1)
        self.assertEqual(llm["llm_calls"][0]["prompt"][0]["role"], "system")
        self.assertIn("REPLACE", llm["llm_calls"][0]["response"])
        st, _, body = s.request("/api/runs/0/candidates/3")
        self.assertNotIn(b"sk-abcdefghijklmnop", body)
        self.assertIn(b"[redacted]", body)
        s.json("/api/runs/0/candidates/999999", status=404)
        s.json("/api/runs/0/candidates/abc", status=400)
        s.json("/api/runs/7/summary", status=404)
        props = s.json("/api/runs/0/proposers")
        self.assertTrue(props["has_llm_calls"])
        self.assertEqual({m["model"] for m in props["models"]}, {"model-a", "model-b"})
        for m in props["models"]:
            self.assertGreater(m["prompt_tokens"], 0)
            self.assertGreater(m["cost"], 0)
            self.assertLessEqual(m["improved"], m["valid"])
        self.assertEqual(s.stop(), 0)

    def test_security(self):
        s = self.serve()
        secret = b"TOP SECRET"
        for path in ("/../secret.txt", "/..%2fsecret.txt", "/%2e%2e/secret.txt", "/api/runs/0/../../secret.txt",
                     "/api/runs/0/%2e%2e/%2e%2e/secret.txt", "/run/run.db", "/run.db", "/api/runs/0/run.db",
                     "/etc/passwd", "//etc/passwd", "/app.js/../../secret.txt", "/static/../../../../etc/passwd"):
            resp = s.raw(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{s.port}\r\nConnection: close\r\n\r\n".encode())
            status = int(resp.split(b" ", 2)[1])
            self.assertIn(status, (400, 404), path)
            self.assertNotIn(secret, resp, path)
            self.assertNotIn(b"SQLite format", resp, path)
            self.assertNotIn(b"root:", resp, path)
        for method in ("POST", "PUT", "DELETE", "PATCH"):
            st, _, _ = s.request("/api/runs", method=method)
            self.assertEqual(st, 405, method)
        # DNS rebinding: a foreign Host is refused on a loopback server.
        st, _, _ = s.request("/api/runs", headers={"Host": "evil.example:80"})
        self.assertEqual(st, 403)
        st, _, _ = s.request("/api/runs", headers={"Host": f"localhost:{s.port}"})
        self.assertEqual(st, 200)
        # The allow-list is exact: names that merely start like loopback ones
        # (DNS rebinding to 127.evil.com), userinfo tricks and a missing port
        # are refused; the four names with the port are served.
        for host in ("127.evil.com", f"127.evil.com:{s.port}", f"127.0.0.1.evil.com:{s.port}",
                     f"localhost:{s.port}@evil.com", "localhost", "127.0.0.1", f"127.0.0.2:{s.port}",
                     f"localhost:{s.port + 1}", ""):
            st, _, _ = s.request("/api/runs", headers={"Host": host})
            self.assertEqual(st, 403, host)
        for host in (f"127.0.0.1:{s.port}", f"LOCALHOST:{s.port}", f"[::1]:{s.port}"):
            st, _, _ = s.request("/api/runs", headers={"Host": host})
            self.assertEqual(st, 200, host)
        # Found by tests/security_battery.py: a second Host header (httplib
        # reads the first) and ten thousand headers were served.
        resp = s.raw(f"GET /api/runs HTTP/1.1\r\nHost: 127.0.0.1:{s.port}\r\nHost: evil.com\r\n"
                     "Connection: close\r\n\r\n".encode())
        self.assertEqual(int(resp.split(b" ", 2)[1]), 400)
        resp = s.raw(f"GET /api/runs HTTP/1.1\r\nHost: 127.0.0.1:{s.port}\r\n".encode() +
                     b"X: y\r\n" * 1000 + b"Connection: close\r\n\r\n")
        self.assertEqual(int(resp.split(b" ", 2)[1]), 431)
        st, _, _ = s.request("/")
        # The server never wrote into the run.
        self.assertEqual(sorted(os.listdir(self.dir)), ["run", "secret.txt"])
        self.assertEqual(s.stop(), 0)

    def test_wildcard_host(self):
        # --host 0.0.0.0 is reached through any address of the machine: an IP
        # literal with the port is served (it cannot be DNS-rebound), a name
        # other than localhost is still refused (it can), as is a wrong port.
        # Served on every interface for the test's few seconds; every request
        # goes to 127.0.0.1.
        s = self.serve(extra=("--host", "0.0.0.0"))
        for host in (f"127.0.0.1:{s.port}", f"localhost:{s.port}", f"192.0.2.7:{s.port}",
                     f"[2001:db8::1]:{s.port}", f"[::1]:{s.port}", f"0.0.0.0:{s.port}"):
            st, _, _ = s.request("/api/runs", headers={"Host": host})
            self.assertEqual(st, 200, host)
        for host in (f"evil.example:{s.port}", f"127.0.0.1.evil.com:{s.port}", "192.0.2.7",
                     f"192.0.2.7:{s.port + 1}", f"127.1:{s.port}", f"0x7f000001:{s.port}",
                     f"[::1:{s.port}", f"localhost:{s.port}@evil.com", ""):
            st, _, _ = s.request("/api/runs", headers={"Host": host})
            self.assertEqual(st, 403, host)
        self.assertEqual(s.stop(), 0)

    def test_slow_clients_and_bodiless_post(self):
        s = self.serve()
        # Slowloris: 40 connections that send half a request and stall do not
        # lock others out (one thread each, dropped after the read timeout).
        stalled = []
        for _ in range(40):
            c = socket.create_connection(("127.0.0.1", s.port), timeout=30)
            c.sendall(b"GET /api/runs HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            stalled.append(c)
        import time
        t0 = time.monotonic()
        st, _, _ = s.request("/api/runs", headers={"Host": f"127.0.0.1:{s.port}"})
        self.assertEqual(st, 200)
        self.assertLess(time.monotonic() - t0, 10)
        # A POST announcing a body it never sends is answered 405 at once.
        with socket.create_connection(("127.0.0.1", s.port), timeout=30) as c:
            t0 = time.monotonic()
            c.sendall(f"POST /api/runs HTTP/1.1\r\nHost: 127.0.0.1:{s.port}\r\n"
                      f"Content-Length: 1000\r\n\r\n".encode())
            resp = c.recv(4096)
            self.assertIn(b" 405 ", resp.split(b"\r\n", 1)[0] + b" ")
            self.assertLess(time.monotonic() - t0, 2)
        for c in stalled:
            c.close()
        self.assertEqual(s.stop(), 0)

    def test_trickling_slowloris_only_delays_others(self):
        # 40 clients (more than the 32 connection threads) each send one
        # header byte a second, never finishing: under the 3 s read timeout,
        # so only the guard (no answer within 8 s: dropped) frees their
        # threads. Another client is served within about that time, and
        # every trickler is cut off.
        import threading, time
        s = self.serve()
        request = b"GET /api/runs HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nX-Pad: " % s.port
        cut_after = []
        lock = threading.Lock()
        stop = threading.Event()

        def trickle():
            t0 = time.monotonic()
            try:
                c = socket.create_connection(("127.0.0.1", s.port), timeout=30)
                for i in range(25):
                    if stop.is_set():
                        break
                    c.sendall(request[i:i + 1] if i < len(request) else b"a")
                    time.sleep(1)
                    c.setblocking(False)
                    try:
                        if c.recv(1) == b"":
                            with lock:
                                cut_after.append(time.monotonic() - t0)
                            break
                    except BlockingIOError:
                        pass
                    finally:
                        c.setblocking(True)
                c.close()
            except OSError:
                with lock:
                    cut_after.append(time.monotonic() - t0)

        threads = [threading.Thread(target=trickle) for _ in range(40)]
        for t in threads:
            t.start()
        time.sleep(2)
        t0 = time.monotonic()
        st, _, _ = s.request("/api/runs", headers={"Host": f"127.0.0.1:{s.port}"})
        waited = time.monotonic() - t0
        self.assertEqual(st, 200)
        self.assertLess(waited, 13, "a client behind 40 tricklers waits at most ~8 s")
        for t in threads:
            t.join(timeout=40)
        stop.set()
        self.assertEqual(len(cut_after), 40, "every trickler is cut off")
        self.assertLess(max(cut_after), 20)
        print(f"\nslowloris: served after {waited:.1f} s; tricklers cut after "
              f"{min(cut_after):.1f}..{max(cut_after):.1f} s", file=sys.stderr)
        self.assertEqual(s.stop(), 0)

    def test_headers(self):
        s = self.serve()
        c = http.client.HTTPConnection("127.0.0.1", s.port, timeout=30)
        c.request("GET", "/")
        r = c.getresponse()
        r.read()
        self.assertIn("default-src 'self'", r.getheader("Content-Security-Policy"))
        self.assertEqual(r.getheader("X-Content-Type-Options"), "nosniff")
        c.close()


class LiveTest(Base):
    def test_reads_while_the_run_writes(self):
        s = self.serve()
        before = s.json("/api/runs/0/summary")["total"]
        writer = subprocess.Popen([SYNTH, self.run_dir, "--append", "400", "--seed", "9"])
        seen = []
        errors = []

        def reader():
            while writer.poll() is None or len(seen) < 5:
                try:
                    seen.append(s.json("/api/runs/0/summary")["total"])
                    s.json("/api/runs/0/candidates?sort=value&order=desc&limit=50")
                    st, _, body = s.request("/api/runs/0/score.svg")
                    if st != 200 or not body.startswith(b"<svg"):
                        errors.append(f"score.svg: {st}")
                except Exception as e:  # noqa: BLE001 - collected and reported below
                    errors.append(repr(e))
        threads = [threading.Thread(target=reader) for _ in range(2)]
        for t in threads:
            t.start()
        self.assertEqual(writer.wait(timeout=120), 0)
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        self.assertGreaterEqual(min(seen), before)
        self.assertEqual(s.json("/api/runs/0/summary")["total"], before + 400)


class BadInputTest(Base):
    def test_missing_directory_is_exit_2(self):
        p = subprocess.run([CRUCIBLE, "serve", os.path.join(self.dir, "nope"), "--port", "0"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 2)
        self.assertIn("does not exist", p.stderr)

    def test_missing_and_corrupt_run_db_are_reported(self):
        empty = os.path.join(self.dir, "empty")
        bad = os.path.join(self.dir, "bad")
        os.makedirs(empty)
        os.makedirs(bad)
        with open(os.path.join(bad, "run.db"), "wb") as f:
            f.write(b"garbage " * 100)
        s = self.serve(self.run_dir, empty, bad)
        runs = s.json("/api/runs")
        self.assertNotIn("error", runs[0])
        self.assertIn("no run.db", runs[1]["error"])
        self.assertIn("run.db", runs[2]["error"])
        s.json("/api/runs/1/summary", status=404)
        st, _, body = s.request("/api/runs/2/summary")
        self.assertGreaterEqual(st, 400)
        self.assertIn(b"error", body)
        # A run that appears later is picked up without a restart.
        synth(empty, 20)
        self.assertEqual(s.json("/api/runs/1/summary")["total"], 20)
        s.stop()

    def test_port_in_use(self):
        s = self.serve()
        p = subprocess.run([CRUCIBLE, "serve", self.run_dir, "--port", str(s.port)],
                           capture_output=True, text=True, timeout=30)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("cannot listen", p.stderr)

    def test_non_loopback_host_warns(self):
        s = self.serve(extra=("--host", "0.0.0.0"))
        s.p.send_signal(signal.SIGTERM)
        s.p.wait(timeout=20)
        err = s.p.stderr.read()
        self.assertIn("WARNING", err)
        self.assertIn("no authentication", err)


class ReportPlotTest(Base):
    def test_report_and_plot(self):
        out = os.path.join(self.dir, "report.html")
        p = subprocess.run([CRUCIBLE, "report", self.run_dir, "--out", out], capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        html = open(out, encoding="utf-8").read()
        self.assertNotRegex(html, r"(src|href)\s*=\s*['\"]?(https?:)?//")
        self.assertIn("crucible-data", html)
        svg = os.path.join(self.dir, "score.svg")
        p = subprocess.run([CRUCIBLE, "plot", self.run_dir, "--out", svg, "--title", "synthetic"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        text = open(svg, encoding="utf-8").read()
        self.assertTrue(text.startswith("<svg"))
        self.assertIn("synthetic", text)
        p = subprocess.run([CRUCIBLE, "plot", os.path.join(self.dir, "nope"), "--out", svg],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 2)
        p = subprocess.run([CRUCIBLE, "report", self.run_dir, "--out", os.path.join(self.dir, "no", "r.html")],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 2)
        self.assertIn("does not exist", p.stderr)


if __name__ == "__main__":
    CRUCIBLE = os.path.abspath(sys.argv.pop(1))
    SYNTH = os.path.abspath(sys.argv.pop(1))
    unittest.main()
