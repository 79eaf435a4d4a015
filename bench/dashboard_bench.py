#!/usr/bin/env python3
"""Times `crucible serve` on a synthetic run of many candidates.

Usage: dashboard_bench.py PATH_TO_CRUCIBLE PATH_TO_dashboard_synthetic_run [N=100000] [--keep DIR]

Creates a run.db with N candidates through RunStore (dashboard_synthetic_run),
starts the dashboard on 127.0.0.1, and times each endpoint: the first (cold)
request, then the median of 5 warm ones. "First page" is the sequence of
requests the page makes before the score chart is drawn.
"""
import http.client
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time


def main():
    crucible, synth = sys.argv[1], sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 and not sys.argv[3].startswith("--") else 100000
    keep = sys.argv[sys.argv.index("--keep") + 1] if "--keep" in sys.argv else None
    tmp = tempfile.mkdtemp(prefix="crucible-dash-bench-")
    run = keep or os.path.join(tmp, "run")
    if not os.path.exists(os.path.join(run, "run.db")):
        t = time.perf_counter()
        subprocess.run([synth, run, str(n), "--llm"], check=True)
        print(f"synthetic run of {n} candidates written in {time.perf_counter() - t:.1f} s "
              f"({os.path.getsize(os.path.join(run, 'run.db')) / 2**20:.0f} MiB)")
    p = subprocess.Popen([crucible, "serve", run, "--port", "0"], stdout=subprocess.PIPE, text=True)
    port = int(re.search(r":(\d+)/", p.stdout.readline()).group(1))

    def get(path):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        t = time.perf_counter()
        c.request("GET", path)
        r = c.getresponse()
        body = r.read()
        dt = time.perf_counter() - t
        c.close()
        assert r.status == 200, (path, r.status, body[:200])
        return dt, len(body)

    first_page = ["/", "/app.js", "/style.css", "/api/runs", "/api/runs/0/summary", "/api/runs/0/score.svg"]
    others = ["/api/runs/0/candidates?limit=50&sort=id&order=desc",
              "/api/runs/0/candidates?limit=50&sort=value&order=desc",
              "/api/runs/0/candidates?limit=50&outcome=ok&island=2&sort=value&order=desc",
              "/api/runs/0/candidates?limit=50&offset=90000&sort=generation",
              "/api/runs/0/candidates/77777", "/api/runs/0/lineage.svg", "/api/runs/0/grid.svg",
              "/api/runs/0/proposers", "/api/compare.svg"]
    try:
        total = 0.0
        rows = []
        for path in first_page + others:
            cold, size = get(path)
            warm = statistics.median(get(path)[0] for _ in range(5))
            if path in first_page:
                total += cold
            rows.append((path, cold, warm, size))
        print(f"\n| endpoint | first request (ms) | warm median of 5 (ms) | bytes |")
        print("| --- | ---: | ---: | ---: |")
        for path, cold, warm, size in rows:
            print(f"| `{path}` | {cold * 1000:.0f} | {warm * 1000:.1f} | {size} |")
        print(f"\nfirst page (sum of its cold requests, sequential): {total * 1000:.0f} ms")
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=30)
        if not keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
