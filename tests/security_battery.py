#!/usr/bin/env python3
"""A fresh hostile battery against the `crucible` binary (issue #15, "How it
will be checked"): payloads the default tests (security_e2e_test.py,
dashboard_http_test.py, cli_e2e_test.py) do not send.

Usage: security_battery.py PATH_TO_CRUCIBLE [CATEGORY...]

Categories: heldout, forgery, rundb, fill, dashboard, malformed (default: all);
heldout=NAME,NAME limits the held-out probes to those problems.

Every probe must end contained (the run or evaluation goes on, nothing of
the hostile intent happened) or refused (exit status 2 and a message naming
the cause); never a crash (a signal, an uncaught exception, a Python
traceback), never a file written outside the run (every payload that writes
names its file with a random token, searched for at the end). Prints one line
per probe and a table per category; exit status 1 if any probe failed.
Slow (many C++ compiles): ctest label `slow`, not in the default run.
"""
import json
import os
import secrets
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

CRUCIBLE = None
REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
TOKEN = "pwned-" + secrets.token_hex(6)
FORGED = 123456789.0

results = []  # (category, name, ok, detail)


def record(category, name, ok, detail=""):
    results.append((category, name, ok, detail))
    print(f"{'ok  ' if ok else 'FAIL'} {category:10} {name:42} {detail[:150]}", flush=True)


def run(*args, timeout=600, cwd=None, input=None):
    return subprocess.run([CRUCIBLE, *args], capture_output=True, timeout=timeout, cwd=cwd,
                          input=input, text=True, errors="replace")


def crashed(p):
    """Why `p` counts as a crash, or ''."""
    if p.returncode < 0 or p.returncode >= 128:
        return f"exit status {p.returncode}"
    for marker in ("terminate called", "Traceback", "AddressSanitizer", "Segmentation fault",
                   "core dumped", "please report it"):
        if marker in p.stderr:
            return f"stderr shows {marker!r}"
    return ""


def refused(p, *words):
    """'' when `p` is exit 2 with an error naming every word, else why not."""
    if crash := crashed(p):
        return crash
    if p.returncode != 2:
        return f"exit status {p.returncode}, expected 2: {p.stderr[-300:]!r}"
    missing = [w for w in words if w.lower() not in p.stderr.lower()]
    return f"message lacks {missing}: {p.stderr[-300:]!r}" if missing else ""


def eval_json(p):
    start = p.stdout.find("{")
    if start < 0:
        return None
    try:
        return json.loads(p.stdout[start:])
    except ValueError:
        return None


# --- held-out data --------------------------------------------------------------

def builtin_problems():
    """(problem dir, data file, tokens) for every built-in C++ problem whose
    directory holds data a candidate must not read."""
    out = []
    for root, _, files in sorted(os.walk(os.path.join(REPO, "problems"))):
        if "problem.yaml" not in files:
            continue
        with open(os.path.join(root, "problem.yaml")) as f:
            if "builtin:" not in f.read():
                continue
        data = None
        for d in (os.path.join(root, "data"), os.path.join(os.path.dirname(root), "data")):
            if not os.path.isdir(d):
                continue
            names = sorted(n for n in os.listdir(d) if os.path.isfile(os.path.join(d, n))
                           and not n.endswith(".md"))
            base = os.path.basename(root)
            preferred = [n for n in names if base.replace("_", "") in n.replace("_", "")
                         or base.split("_")[-1] in n]
            if names:
                data = os.path.join(d, (preferred or names)[0])
                break
        if data is None:
            continue
        with open(data, errors="replace") as f:
            lines = [l.strip() for l in f.read(200000).splitlines() if len(l.strip()) >= 10]
        if not lines:
            continue
        picks = [lines[len(lines) * k // 8][:60] for k in range(1, 8)] + [lines[-1][:60]]
        out.append((root, data, list(dict.fromkeys(picks))))
    return out


def heldout_payloads(path):
    q = json.dumps(path)  # a C string literal of the path
    return {
        "stringized_include": ("embed", f"#define S2(x) #x\n#define S(x) S2(x)\n#include S({path})\n"),
        "angle_absolute_include": ("embed", f"#include <{path}>\n"),
        "pragma_dependency": ("oracle", f"#pragma GCC dependency {q}\n"),
        "pragma_operator_dependency": ("oracle", f"_Pragma(\"GCC dependency \\\"{path}\\\"\")\n"),
        "asm_include_directive": ("embed", f"asm(\".include \\\"{path}\\\"\");\n"),
        "incbin_through_macro": ("embed", f"#define Q \"\\\"{path}\\\"\"\nasm(\".in\" \"cbin \" Q);\n"),
        "has_include_angle_oracle": ("oracle",
                                     f"#if __has_include(<{path}>)\n#error DATA_FILE_IS_VISIBLE\n#endif\n"),
        "runtime_fopen": ("embed", "#include <cstdio>\nstatic int leak_open_ = [] {\n"
                          f"  if (std::FILE* f = std::fopen({q}, \"r\")) {{\n"
                          "    char b[512];\n    while (std::fgets(b, sizeof b, f)) std::fputs(b, stderr);\n"
                          "  }\n  return 0;\n}();\n"),
        "runtime_inherited_fd": ("oracle", "#include <unistd.h>\n#include <cstdio>\n"
                                 "static int leak_fd_ = [] {\n  char b[4096];\n"
                                 "  for (int fd = 3; fd < 16; ++fd) {\n"
                                 "    ssize_t n = read(fd, b, sizeof b);\n"
                                 "    if (n > 0) fwrite(b, 1, static_cast<size_t>(n), stderr);\n"
                                 "  }\n  return 0;\n}();\n"),
    }


def potent_on_host(text, data, tokens, tmp):
    """What the payload does outside the sandbox (with the host's g++), so
    that a contained probe is known to be a real attempt."""
    src = os.path.join(tmp, "host_probe.cpp")
    with open(src, "w") as f:
        f.write(text + "int main() { return 0; }\n")
    exe = os.path.join(tmp, "host_probe")
    c = subprocess.run(["g++", "-w", "-o", exe, src], capture_output=True, text=True,
                       errors="replace", timeout=120)
    out = c.stdout + c.stderr
    if "DATA_FILE_IS_VISIBLE" in out or "is older than" in out:
        return "sees the file"
    if any(t in out for t in tokens):
        return "leaks it in the compiler's messages"
    import re
    if re.search(re.escape(os.path.basename(data)) + r":\d+", out):
        return "reads it (its lines in the errors)"
    if "dependency" in text and c.returncode == 0:
        return "sees the file (an existence oracle)"
    if c.returncode == 0:
        r = subprocess.run([exe], capture_output=True, timeout=30, text=True, errors="replace")
        if any(t in r.stdout + r.stderr for t in tokens):
            return "leaks it at run time"
        with open(exe, "rb") as f:
            blob = f.read()
        if any(t.encode() in blob for t in tokens):
            return "embeds it"
        return "compiles, no leak seen"
    return "fails: " + out.strip().splitlines()[-1][:60] if out.strip() else "fails"


def test_heldout(tmp, only=None):
    for problem, data, tokens in builtin_problems():
        name = os.path.relpath(problem, os.path.join(REPO, "problems"))
        if only and name not in only:
            continue
        initial = os.path.join(problem, "initial.cpp")
        if not os.path.exists(initial):
            initial = next((os.path.join(problem, f) for f in sorted(os.listdir(problem))
                            if f.endswith(".cpp")), None)
        if initial is None:
            record("heldout", name, False, "no initial .cpp found")
            continue
        with open(initial) as f:
            base = f.read()
        # Lines the honest program's evaluation prints anyway (a region name
        # in cloudcast's feedback) are no evidence of a leak.
        honest = run("eval", "--heldout", problem, initial, cwd=tmp)
        tokens = [t for t in tokens if t not in honest.stdout + honest.stderr][:3]
        if not tokens:
            record("heldout", name, False, "every candidate token shows in the honest output")
            continue
        for payload, (kind, text) in heldout_payloads(data).items():
            potent = potent_on_host(text, data, tokens, tmp)
            src = os.path.join(tmp, os.path.basename(initial))
            with open(src, "w") as f:
                f.write(text + base)
            p = run("eval", "--heldout", problem, src, cwd=tmp)
            out = p.stdout + p.stderr
            why = crashed(p)
            leaked = [t for t in tokens if t in out]
            if leaked:
                why = f"leaked {leaked[0]!r}"
            elif "DATA_FILE_IS_VISIBLE" in out or "is older than" in out:
                why = "the data file is visible to the compiler"
            result = eval_json(p)
            if not why and result is None:
                why = f"no result (exit {p.returncode}): {p.stderr[-200:]!r}"
            elif not why and kind == "embed" and result.get("outcome", "ok") == "ok":
                why = "the payload compiled and scored"
            record("heldout", f"{name}:{payload}", not why,
                   why or f"{result.get('outcome', 'ok')}; on the host: {potent}")


# --- result forgery -------------------------------------------------------------

def python_forgeries():
    line = json.dumps({"score": FORGED, "valid": True})
    return {
        "write_every_fd": f"import os\nfor fd in range(0, 256):\n    try: os.write(fd, b'{line}\\n')\n"
                          "    except OSError: pass\ndef approx_sin(x):\n    return 0.0\n",
        "kill_the_evaluator_after_printing": f"import os, signal\nprint('{line}', flush=True)\n"
                                             "os.kill(os.getppid(), signal.SIGKILL)\n",
        "daemon_writes_result_json_later": "import os, time\nif os.fork() == 0:\n    os.setsid()\n"
                                           "    time.sleep(0.5)\n    for d in ('.', '..', '/tmp', os.environ.get('PWD', '.')):\n"
                                           f"        try: open(os.path.join(d, 'result.json'), 'w').write('{line}')\n"
                                           "        except OSError: pass\n    os._exit(0)\n"
                                           "def approx_sin(x):\n    return 0.0\n",
        "nan_and_inf_answers": "def approx_sin(x):\n    return float('nan') if x < 0 else float('inf')\n",
        "float_subclass_that_compares_equal": "class F(float):\n    def __sub__(self, o): return 0.0\n"
                                              "    def __rsub__(self, o): return 0.0\n"
                                              "    def __eq__(self, o): return True\n"
                                              "    def __abs__(self): return 0.0\n"
                                              "def approx_sin(x):\n    return F(0.0)\n",
        "ptrace_the_parent": "import ctypes, os\nlibc = ctypes.CDLL(None)\n"
                             "r = libc.ptrace(16, os.getppid(), 0, 0)\n"
                             f"print('{line}', flush=True)\nos._exit(0)\n",
        "env_and_proc_environ": "import os\n"
                                "fd = os.environ.get('CRUCIBLE_RESULT_FD')\n"
                                f"for path in [f'/proc/{{os.getppid()}}/fd/{{fd}}', f'/proc/1/fd/{{fd}}']:\n"
                                f"    try: open(path, 'w').write('{line}')\n"
                                "    except (OSError, TypeError): pass\n"
                                "def approx_sin(x):\n    return 0.0\n",
    }


def cpp_forgeries():
    line = json.dumps({"score": FORGED, "valid": True}).replace('"', '\\"')
    pre = "#include <cstdio>\n#include <cstdlib>\n#include <unistd.h>\n#include <sys/syscall.h>\n"
    return {
        "print_result_then_exit_0": pre + f"static int f_ = [] {{ std::printf(\"{line}\\n\"); "
                                          "std::fflush(stdout); _exit(0); return 0; }();\n",
        "stderr_result_then_exit_0": pre + f"static int f_ = [] {{ std::fprintf(stderr, \"{line}\\n\"); "
                                           "_exit(0); return 0; }();\n",
        "raw_write_to_every_fd": pre + f"static int f_ = [] {{ const char s[] = \"{line}\\n\"; "
                                       "for (int fd = 0; fd < 64; ++fd) syscall(SYS_write, fd, s, sizeof s - 1); "
                                       "return 0; }();\n",
        "exit_with_memory_code": pre + "static int f_ = [] { _exit(99); return 0; }();\n",
        "raise_sigkill": pre + "#include <csignal>\nstatic int f_ = [] { std::raise(SIGKILL); return 0; }();\n",
    }


def test_forgery(tmp):
    problem = os.path.join(tmp, "sine")
    if run("init", problem).returncode != 0:
        record("forgery", "init", False, "crucible init failed")
        return
    for name, body in python_forgeries().items():
        src = os.path.join(tmp, "program.py")
        with open(src, "w") as f:
            f.write(body)
        p = run("eval", problem, src)
        r = eval_json(p)
        why = crashed(p)
        if not why and r is None:
            why = f"no result: {p.stderr[-200:]!r}"
        elif not why:
            score = r.get("score")
            if score == FORGED or (r.get("outcome", "ok") == "ok" and (score is None or score > 1.0)):
                why = f"forged: {r}"
        time.sleep(0.6 if "daemon" in name else 0)
        record("forgery", f"python:{name}", not why, why or f"{r.get('outcome', 'ok')} {r.get('score')}")
    bp = os.path.join(REPO, "problems", "bin_packing")
    with open(os.path.join(bp, "initial.cpp")) as f:
        base = f.read()
    for name, prefix in cpp_forgeries().items():
        src = os.path.join(tmp, "initial.cpp")
        with open(src, "w") as f:
            f.write(prefix + base)
        p = run("eval", bp, src)
        r = eval_json(p)
        why = crashed(p)
        if not why and r is None:
            why = f"no result: {p.stderr[-200:]!r}"
        elif not why and (r.get("score") == FORGED or FORGED in (r.get("metrics") or {}).values()):
            why = f"forged: {r}"
        record("forgery", f"c++:{name}", not why, why or f"{r.get('outcome', 'ok')} {r.get('score')}")


# --- crafted run.db rows and paths -----------------------------------------------

def test_rundb(tmp, base_run):
    paths = {
        "empty_path": "", "dot": ".", "root": "/", "double_slash_abs": f"//tmp/{TOKEN}",
        "dot_dot_inside": f"a/./../../{TOKEN}", "best_escape": f"best/../../{TOKEN}",
        "nul_byte": f"x\u0000/../../{TOKEN}", "backslashes": f"a\\..\\..\\{TOKEN}",
        "very_long": "p" * 20000, "newline_dir": f"dir/\n/../../{TOKEN}",
        "run_db_sibling": "../run.db", "metrics_json": "metrics.json",
        "home_tilde": f"~/{TOKEN}", "proc_self": f"/proc/self/cwd/{TOKEN}",
    }
    for name, path in paths.items():
        out = os.path.join(tmp, f"run-{name}")
        shutil.copytree(base_run, out, symlinks=True)
        db = sqlite3.connect(os.path.join(out, "run.db"))
        db.execute("UPDATE candidate_sources SET program = ?",
                   (json.dumps([{"path": path, "content": "pwned"}]),))
        db.commit()
        db.close()
        worst = ""
        for args in (("best", out), ("list", out, "--all"), ("show", out, "1"),
                     ("run", "--resume", out, "-n", "8", "-q")):
            p = run(*args)
            why = crashed(p)
            if not why and p.returncode not in (0, 2):
                why = f"{args[0]}: exit {p.returncode}"
            if not why and p.returncode == 2 and "error" not in p.stderr:
                why = f"{args[0]}: exit 2 without a message"
            worst = worst or why
        record("rundb", f"path:{name}", not worst, worst or "refused or skipped")
    # The frozen configuration is data too: an evaluator command that writes
    # everywhere it can, and a problem directory that is the root.
    for name, edit in {
        "evaluator_command_writes_everywhere": lambda c: c["evaluator"].update(
            command=["sh", "-c", f"touch /tmp/{TOKEN} $HOME/{TOKEN} ../../../{TOKEN} /{TOKEN}; "
                     "exec python3 evaluate.py \"$0\""]),
        "problem_dir_is_root": None,
        "config_not_json": None,
    }.items():
        out = os.path.join(tmp, f"run-{name}")
        shutil.copytree(base_run, out, symlinks=True)
        db = sqlite3.connect(os.path.join(out, "run.db"))
        if name == "problem_dir_is_root":
            db.execute("UPDATE meta SET value = '/' WHERE key = 'problem_dir'")
            config = json.loads(db.execute("SELECT value FROM meta WHERE key='config_json'").fetchone()[0])
            config["problem_dir"] = "/"
            db.execute("UPDATE meta SET value = ? WHERE key = 'config_json'", (json.dumps(config),))
        elif name == "config_not_json":
            db.execute("UPDATE meta SET value = '{\"archive\": [' WHERE key = 'config_json'")
        else:
            config = json.loads(db.execute("SELECT value FROM meta WHERE key='config_json'").fetchone()[0])
            edit(config)
            db.execute("UPDATE meta SET value = ? WHERE key = 'config_json'", (json.dumps(config),))
        db.commit()
        db.close()
        p = run("run", "--resume", out, "-n", "8", "-q")
        why = crashed(p) or ("" if p.returncode in (0, 2) else f"exit {p.returncode}")
        record("rundb", f"config:{name}", not why, why or f"exit {p.returncode} {p.stderr.strip()[-120:]!r}")


# --- filling the disk through scratch and cache -----------------------------------

def fill_problem(tmp, name, script):
    d = os.path.join(tmp, name)
    os.makedirs(d)
    with open(os.path.join(d, "problem.yaml"), "w") as f:
        f.write("name: fill\nfiles: [p.txt]\nevaluator:\n  command: sh evaluate.sh\n  timeout: 60\n"
                "  memory_mb: 2048\nobjective: {key: score, direction: maximize}\n")
    with open(os.path.join(d, "evaluate.sh"), "w") as f:
        f.write(script)
    with open(os.path.join(d, "p.txt"), "w") as f:
        f.write("# EVOLVE-BLOCK-START\nx\n# EVOLVE-BLOCK-END\n")
    return d


def disk_used():
    st = os.statvfs(tempfile.gettempdir())
    return (st.f_blocks - st.f_bfree) * st.f_frsize


def test_fill(tmp):
    probes = {
        "scratch_big_file": "head -c 3000000000 /dev/zero > big || exit 1\necho '{\"score\": 1}'\n",
        "scratch_many_files": "i=0; while [ $i -lt 200000 ]; do : 2>/dev/null > f$i || exit 1; i=$((i+1)); done\n"
                              "echo '{\"score\": 1}'\n",
        "scratch_dirs_deep": "i=0; while mkdir d && cd d; do i=$((i+1)); done; echo \"depth $i\" >&2; exit 1\n",
        "tmp_and_shm": "head -c 3000000000 /dev/zero > /tmp/big; head -c 3000000000 /dev/zero > /dev/shm/big;"
                       " exit 1\n",
        "cache_many_files": "i=0; while [ $i -lt 3000 ]; do head -c 100000 /dev/zero > \"$CRUCIBLE_CACHE_DIR/$i\" "
                            "|| exit 1; i=$((i+1)); done\necho '{\"score\": 1}'\n",
    }
    for name, script in probes.items():
        d = fill_problem(tmp, name, script)
        with open(os.path.join(d, "p.txt")) as f:
            pass
        before = disk_used()
        t0 = time.monotonic()
        p = run("eval", d, os.path.join(d, "p.txt"), timeout=300)
        grew = (disk_used() - before) / 2**20
        r = eval_json(p)
        why = crashed(p)
        if not why and r is None:
            why = f"no result: {p.stderr[-200:]!r}"
        elif not why and name.startswith("scratch") and r.get("outcome") == "ok":
            why = "the scratch quota did not stop it"
        detail = (f"{(r or {}).get('outcome', 'ok')} in {time.monotonic() - t0:.1f} s, disk +{grew:.0f} MiB; "
                  + ((r or {}).get("feedback") or "").replace("\n", " ")[:80])
        if not why and grew > 1024 and not name.startswith("cache"):
            why = f"the disk grew by {grew:.0f} MiB"
        record("fill", name, not why, why or detail)


# --- the dashboard ---------------------------------------------------------------

def http(port, data, timeout=20):
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        chunks = []
        try:
            while True:
                b = s.recv(65536)
                if not b:
                    break
                chunks.append(b)
        except socket.timeout:
            pass
    return b"".join(chunks)


def status_of(resp):
    first = resp.split(b"\r\n", 1)[0].split()
    return int(first[1]) if len(first) >= 2 and first[1].isdigit() else None


def test_dashboard(tmp, base_run):
    p = subprocess.Popen([CRUCIBLE, "serve", base_run, "--port", "0"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    try:
        import re
        m = re.search(r":(\d+)/", p.stdout.readline())
        port = int(m.group(1))
        good = f"127.0.0.1:{port}"
        hosts = {
            f"127.0.0.1:{port}.": 403, f"127.0.0.1:{port} x": 403, f"127.0.0.1:0{port}": 403,
            f"[::ffff:127.0.0.1]:{port}": 403, f"127.0.0.1:{port}:{port}": 403,
            f"127.1:{port}": 403, f"2130706433:{port}": 403, f"0x7f.0.0.1:{port}": 403,
            f"localhost.:{port}": 403, f"evil.com:{port}": 403, f"LOCALHOST:{port}": 200,
            f"127.0.0.1:{port}\tx": 403, "": 403, f"user@127.0.0.1:{port}": 403,
        }
        for host, want in hosts.items():
            resp = http(port, f"GET /api/runs HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
            got = status_of(resp)
            record("dashboard", f"host:{host!r}"[:42], got == want, f"HTTP {got}, expected {want}")
        raw = {
            "two_host_headers": (f"GET /api/runs HTTP/1.1\r\nHost: {good}\r\nHost: evil.com\r\n"
                                 "Connection: close\r\n\r\n", (400, 403)),
            "http10_without_host": ("GET /api/runs HTTP/1.0\r\n\r\n", (403,)),
            "absolute_form_uri": (f"GET http://evil.com/api/runs HTTP/1.1\r\nHost: {good}\r\n"
                                  "Connection: close\r\n\r\n", (400, 403, 404)),
            "post_without_length": (f"POST /api/runs HTTP/1.1\r\nHost: {good}\r\n\r\n", (405,)),
            "post_chunked_never_ends": (f"POST /api/runs HTTP/1.1\r\nHost: {good}\r\n"
                                        "Transfer-Encoding: chunked\r\n\r\n", (405,)),
            "delete_with_huge_length": (f"DELETE / HTTP/1.1\r\nHost: {good}\r\n"
                                        "Content-Length: 99999999999999999999\r\n\r\n", (400, 405)),
            "nul_in_path": (f"GET /api/runs\x00/../x HTTP/1.1\r\nHost: {good}\r\nConnection: close\r\n\r\n",
                            (400, 404)),
            "header_of_100k": (f"GET / HTTP/1.1\r\nHost: {good}\r\nX: {'a' * 100000}\r\n\r\n",
                               (400, 413, 431, None)),
            "uri_of_100k": (f"GET /{'a' * 100000} HTTP/1.1\r\nHost: {good}\r\n\r\n", (400, 414, None)),
            "10k_headers": (f"GET / HTTP/1.1\r\nHost: {good}\r\n" + "X: y\r\n" * 10000 +
                            "Connection: close\r\n\r\n", (400, 431, None)),
        }
        for name, (data, want) in raw.items():
            t0 = time.monotonic()
            resp = http(port, data.encode("latin-1"))
            took = time.monotonic() - t0
            got = status_of(resp)
            ok = got in want and took < 5
            record("dashboard", name, ok, f"HTTP {got} in {took:.2f} s, expected one of {want} at once")
        slowloris(port)
        alive = p.poll() is None
        record("dashboard", "still_serving_after_all", alive and status_of(
            http(port, f"GET /api/runs HTTP/1.1\r\nHost: {good}\r\nConnection: close\r\n\r\n".encode())) == 200)
    finally:
        p.terminate()
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
        rc = p.wait()
        record("dashboard", "clean_exit_on_sigterm", rc == 0, f"exit {rc}")


def slowloris(port):
    """64 connections trickling one header byte a second (twice the threads)."""
    cut = []

    def trickle():
        t0 = time.monotonic()
        try:
            c = socket.create_connection(("127.0.0.1", port), timeout=30)
            c.sendall(b"G")
            while time.monotonic() - t0 < 30:
                time.sleep(1)
                c.sendall(b"E")
                c.setblocking(False)
                try:
                    if c.recv(1) == b"":
                        cut.append(time.monotonic() - t0)
                        break
                except BlockingIOError:
                    pass
                c.setblocking(True)
            c.close()
        except OSError:
            cut.append(time.monotonic() - t0)

    threads = [threading.Thread(target=trickle) for _ in range(64)]
    for t in threads:
        t.start()
    time.sleep(2)
    t0 = time.monotonic()
    resp = http(port, f"GET /api/runs HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
                .encode(), timeout=60)
    waited = time.monotonic() - t0
    for t in threads:
        t.join(timeout=60)
    record("dashboard", "slowloris_64_tricklers", status_of(resp) == 200 and waited < 13 and
           len(cut) == 64 and max(cut) < 20,
           f"served after {waited:.1f} s; {len(cut)} of 64 tricklers cut, after "
           f"{min(cut, default=0):.1f}..{max(cut, default=0):.1f} s")


# --- 50 malformed inputs -----------------------------------------------------------

def yaml_variants():
    ok_eval = "evaluator:\n  command: python3 evaluate.py\n"
    head = "name: m\nfiles: [program.py]\n"
    return {
        "empty_file": "",
        "only_a_comment": "# nothing\n",
        "a_list": "- 1\n- 2\n",
        "tab_indentation": head + "evaluator:\n\tcommand: x\n",
        "unclosed_flow": head + ok_eval + "objective: {key: score\n",
        "anchor_bomb": "a: &a [x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\n"
                       "c: &c [*b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c]\n"
                       "e: [*d, *d, *d, *d, *d, *d, *d, *d]\n" + head + ok_eval,
        "unknown_key": head + ok_eval + "evolve_harder: true\n",
        "files_absolute": "name: m\nfiles: [/etc/passwd]\n" + ok_eval,
        "files_escape": "name: m\nfiles: [../../etc/passwd]\n" + ok_eval,
        "files_empty_list": "name: m\nfiles: []\n" + ok_eval,
        "timeout_negative": head + ok_eval + "  timeout: -1\n",
        "timeout_string": head + ok_eval + "  timeout: soon\n",
        "memory_nan": head + ok_eval + "  memory_mb: .nan\n",
        "max_processes_huge": head + ok_eval + "  max_processes: 99999999999999999999999\n",
        "objective_direction_bogus": head + ok_eval + "objective: {key: score, direction: sideways}\n",
        "islands_zero": head + ok_eval + "archive: {islands: 0}\n",
        "feature_bins_negative": head + ok_eval + "features:\n  - {name: x, bins: -3}\n",
        "duplicate_keys": head + ok_eval + "evaluator:\n  command: sh\n",
        "binary_garbage": "\x00\x01\x02\xff\xfe" * 50,
        "stages_bad_threshold": head + ok_eval + "  stages:\n    - {name: a, threshold: [1]}\n    - {name: b}\n",
    }


def test_malformed(tmp, base_run):
    # problem.yaml
    src = os.path.join(tmp, "sine")
    if not os.path.isdir(src):
        run("init", src)
    for name, text in yaml_variants().items():
        d = os.path.join(tmp, f"yaml-{name}")
        shutil.copytree(src, d)
        with open(os.path.join(d, "problem.yaml"), "w", encoding="latin-1") as f:
            f.write(text)
        out = os.path.join(tmp, f"yaml-run-{name}")
        p = run("run", d, "--out", out, "-n", "1", "-q", timeout=120)
        why = refused(p, "problem.yaml") if p.returncode != 0 else f"accepted: {p.stdout[-200:]!r}"
        if not why and os.path.exists(os.path.join(out, "run.db")):
            why = "a run directory was created"
        record("malformed", f"problem.yaml:{name}", not why, why or p.stderr.strip().splitlines()[-1][:120])
    # run.db
    def corrupt(name, action):
        out = os.path.join(tmp, f"db-{name}")
        shutil.copytree(base_run, out, symlinks=True)
        db = os.path.join(out, "run.db")
        for suffix in ("-wal", "-shm"):
            if os.path.exists(db + suffix):
                os.unlink(db + suffix)
        action(db)
        return out

    def truncate(n):
        return lambda db: os.truncate(db, n)

    def write(data):
        def go(db):
            with open(db, "wb") as f:
                f.write(data)
        return go

    def sql(statement):
        def go(db):
            c = sqlite3.connect(db)
            c.executescript(statement)
            c.commit()
            c.close()
        return go

    def replace_with(kind):
        def go(db):
            os.unlink(db)
            if kind == "dir":
                os.mkdir(db)
            else:
                os.symlink(kind, db)
        return go

    db_variants = {
        "zero_bytes": truncate(0), "first_100_bytes": truncate(100), "first_page": truncate(4096),
        "random_bytes": write(secrets.token_bytes(65536)),
        "schema_version_999": sql("UPDATE meta SET value = '999' WHERE key = 'schema_version'"),
        "meta_table_dropped": sql("DROP TABLE meta"),
        "candidate_records_dropped": sql("DROP TABLE candidate_records"),
        "a_directory": replace_with("dir"), "symlink_to_dev_zero": replace_with("/dev/zero"),
        "wal_garbage": lambda db: open(db + "-wal", "wb").write(secrets.token_bytes(40000)),
    }
    for name, action in db_variants.items():
        out = corrupt(name, action)
        worst = ""
        for args in (("list", out), ("best", out), ("run", "--resume", out, "-n", "8", "-q")):
            p = run(*args, timeout=120)
            why = crashed(p)
            if not why and p.returncode not in (0, 2):
                why = f"{args[0]}: exit {p.returncode}: {p.stderr[-150:]!r}"
            if not why and p.returncode == 2 and "error" not in p.stderr:
                why = f"{args[0]}: exit 2 without a message"
            worst = worst or why
        record("malformed", f"run.db:{name}", not worst, worst or "refused (exit 2) or read")
    # evaluator JSON
    outputs = {
        "nan_score": '{"score": NaN}', "overflowing_score": '{"score": 1e999}',
        "string_score": '{"score": "1"}', "an_array": "[1, 2, 3]", "truncated": '{"score": 1',
        "deep_nesting": "[" * 100000 + "]" * 100000,
        "ten_megabyte_feedback": '{"score": 1, "feedback": "' + "x" * (10 << 20) + '"}',
        "not_utf8": '{"score": 1, "feedback": "\xff\xfe"}',
        "valid_as_string": '{"score": 1, "valid": "yes", "metrics": {"a": [1]}}',
        "duplicate_keys_and_nan_feature": '{"score": 1, "score": 2, "features": {"x": "nan"}}',
    }
    for name, text in outputs.items():
        d = os.path.join(tmp, f"json-{name}")
        os.makedirs(d)
        with open(os.path.join(d, "out.txt"), "w", encoding="latin-1") as f:
            f.write(text + "\n")
        with open(os.path.join(d, "problem.yaml"), "w") as f:
            f.write("name: j\nfiles: [p.txt]\nevaluator:\n  command: sh evaluate.sh\n"
                    "objective: {key: score, direction: maximize}\n")
        with open(os.path.join(d, "evaluate.sh"), "w") as f:
            f.write(f'cat "{d}/out.txt"\n')
        with open(os.path.join(d, "p.txt"), "w") as f:
            f.write("x\n")
        p = run("eval", d, os.path.join(d, "p.txt"), timeout=120)
        r = eval_json(p)
        why = crashed(p)
        if not why and r is None:
            why = f"no JSON result (exit {p.returncode}): {p.stderr[-150:]!r}"
        elif not why and r.get("outcome", "ok") == "ok" and not isinstance(r.get("score"), (int, float)):
            why = f"ok without a numeric score: {str(r)[:150]}"
        record("malformed", f"evaluator_json:{name}", not why, why or f"{r.get('outcome', 'ok')}")
    # command-line arguments
    run_dir = base_run
    cli = {
        "jobs_zero": (("run", src, "-j", "0"), "--jobs"),
        "jobs_negative": (("run", src, "-j", "-3"), "--jobs"),
        "evaluations_negative": (("run", src, "-n", "-1"), "--evaluations"),
        "evaluations_huge": (("run", src, "-n", "1e30"), "--evaluations"),
        "seed_huge": (("run", src, "--seed", "99999999999999999999999"), "--seed"),
        "port_out_of_range": (("serve", run_dir, "--port", "70000"), "port"),
        "show_huge_id": (("show", run_dir, "99999999999999999999"), ""),
        "show_negative_id": (("show", run_dir, "-5"), ""),
        "top_zero": (("list", run_dir, "-k", "0"), "--top"),
        "empty_problem_path": (("run", ""), ""),
    }
    for name, (args, word) in cli.items():
        args = list(args)
        if args[0] == "run" and "--out" not in args:
            args += ["--out", os.path.join(tmp, f"cli-{name}")]
        p = run(*args, timeout=60)
        why = refused(p, *([word] if word else []))
        if not why and os.path.exists(os.path.join(tmp, f"cli-{name}", "run.db")):
            why = "a run was created"
        record("malformed", f"cli:{name}", not why, why or p.stderr.strip().splitlines()[-1][:120])


# --- nothing outside the run --------------------------------------------------------

def find_token_files(roots, allowed_prefixes):
    found = []
    for root, depth in roots:
        if not os.path.isdir(root):
            continue
        base = root.rstrip("/").count("/")
        for d, dirs, files in os.walk(root):
            if d.count("/") - base >= depth:
                dirs[:] = []
            for n in files + dirs:
                if TOKEN in n:
                    path = os.path.join(d, n)
                    if not any(path.startswith(a) for a in allowed_prefixes):
                        found.append(path)
    return found


def main():
    global CRUCIBLE
    CRUCIBLE = os.path.abspath(sys.argv[1])
    wanted = sys.argv[2:] or ["heldout", "forgery", "rundb", "fill", "dashboard", "malformed"]
    # "heldout=bin_packing,cloudcast" limits the held-out probes to those problems.
    only = None
    for w in list(wanted):
        if w.startswith("heldout="):
            only = w.split("=", 1)[1].split(",")
            wanted[wanted.index(w)] = "heldout"
    os.environ["PATH"] = "/usr/bin:/bin:" + os.environ.get("PATH", "")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="crucible-battery-") as tmp:
        sine = os.path.join(tmp, "sine")
        run("init", sine)
        base_run = os.path.join(tmp, "base-run")
        p = run("run", sine, "--out", base_run, "-n", "6", "-j", "2", "--proposer", "mutate", "-q")
        if p.returncode != 0:
            print("cannot make the base run:", p.stderr)
            return 1
        for category in wanted:
            t0 = time.monotonic()
            work = tempfile.mkdtemp(dir=tmp, prefix=category + "-")
            if category in ("rundb", "dashboard", "malformed"):
                globals()[f"test_{category}"](work, base_run)
            elif category == "heldout":
                test_heldout(work, only)
            else:
                globals()[f"test_{category}"](work)
            print(f"-- {category}: {time.monotonic() - t0:.0f} s", flush=True)
        escaped = find_token_files([("/tmp", 3), (os.path.expanduser("~"), 2), ("/", 1),
                                    (os.path.dirname(tmp), 2), (REPO, 3)],
                                   allowed_prefixes=[os.path.join(tmp, "")])
        inside = find_token_files([(tmp, 12)], allowed_prefixes=[])
        outside_runs = [f for f in inside if "/run-" not in f and "/db-" not in f]
        record("escape", "no_token_file_outside_the_runs", not escaped and not outside_runs,
               f"outside: {escaped[:3]}, in the battery but outside a run: {outside_runs[:3]}")
    print("\ncategory    probes  passed  failed")
    for category in dict.fromkeys(c for c, *_ in results):
        rows = [r for r in results if r[0] == category]
        passed = sum(1 for r in rows if r[2])
        print(f"{category:10} {len(rows):7} {passed:7} {len(rows) - passed:7}")
    failed = [r for r in results if not r[2]]
    print(f"total: {len(results)} probes, {len(failed)} failed, "
          f"{time.monotonic() - started:.0f} s (load {os.getloadavg()[0]:.1f})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
