"""Starting the tests' local HTTP servers (the scripted chat-completions
server, the server-shapes server) on 127.0.0.1 and reading their run.db."""
import os
import sqlite3
import subprocess
import sys
import time

PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable


def read(path):
    with open(path) as f:
        return f.read()


def db_rows(run_dir, sql):
    """The rows of `sql` against RUN_DIR/run.db, opened read-only."""
    db = sqlite3.connect(f"file:{run_dir}/run.db?mode=ro", uri=True)
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


def start_server(test, args, port_file, what):
    """Starts `PYTHON args...`, a server that writes the port it listens on to
    port_file once it listens; returns (process, "http://127.0.0.1:PORT/v1").
    Fails `test` when it exits or has not started within 20 s."""
    server = subprocess.Popen([PYTHON] + list(args))
    deadline = time.monotonic() + 20
    while not os.path.exists(port_file):
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            server.wait()
            test.fail(f"the {what} did not start")
        time.sleep(0.02)  # polling a file the server writes, not synchronising on time
    return server, f"http://127.0.0.1:{read(port_file).strip()}/v1"
