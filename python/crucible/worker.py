"""A warm Python evaluator worker (docs/openevolve.md, "Warm evaluators").

    python3 worker.py REQUEST_FIFO RESPONSE_FIFO FORMAT EVALUATOR PROGRAM [flags]

crucible starts one per job slot, inside its sandbox, and keeps it. The
worker imports the evaluator module once, then, for each request line
(JSON) on REQUEST_FIFO, forks a fresh child that evaluates one candidate
exactly as adapter.py would in a cold process, and answers one JSON line on
RESPONSE_FIFO with what happened (exit status, signal, timeout, output
tails, CPU time) and the result the child wrote on its result channel. The
candidate child:

  * starts from the worker's state right after the import (copy-on-write),
    so nothing of an earlier candidate is in its memory;
  * runs in the worker's scratch directory (emptied after each candidate;
    on the private /tmp when there is one, out of sight of the candidates
    other workers run at the same time),
    its own process group, with the request's environment and CPU limit,
    and dies with the worker (PR_SET_PDEATHSIG);
  * is killed with its whole tree at the deadline: the worker is a child
    subreaper, so every descendant stays below it, and after each candidate
    every descendant is killed and reaped, whatever happened;
  * reports on a pipe of its own (its CRUCIBLE_RESULT_FD, evaluator
    protocol 2), the only place a result is taken from: what it prints and
    any result.json it writes are output, not a result, and a child that
    exits without writing there (os._exit(0) before the evaluator returns)
    has no result. The child holds no other descriptor of the worker (not
    the FIFOs to crucible), and the worker is not dumpable, so its
    descriptors are out of reach through /proc/PPID/fd as well;
  * leaves nothing behind for the next one: with CRUCIBLE_WARM_PRIVATE=1
    (the sandbox gave the worker private /tmp, /dev/shm and IPC), their
    contents and every System V IPC object are removed after each candidate.

Two loops do this, with the same requests, responses and containment: the
compiled one (_crucible_warm_fork, src/evaluate/warm_fork.cc, which crucible
writes beside this file) and, where it is not there or this Python cannot
load it, the pure-Python one below. With the compiled loop the worker reads
the request, writes the candidate's files and sets its variables before the
fork (and takes the variables back after it), and the module does the rest
in C++ without running Python in the worker while the child lives: each page
of the worker that Python writes after a fork is a page fault and a copy,
which was most of a trivial candidate's CPU.

The worker is not dumpable (PR_SET_DUMPABLE 0), so a candidate cannot read
or write its memory through /proc or ptrace. A worker that cannot clean up
after a candidate (a descendant survives) says so ("retire") and exits;
crucible starts a new one.
"""

import ctypes
import json
import os
# random (the adapter seeds it) and resource (the child's RLIMIT_CPU) are
# imported here once, not in every candidate's child: those two imports were
# half of a trivial candidate's CPU.
import random  # noqa: F401
import resource
import select
import signal
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import adapter  # noqa: E402  (after the path: adapter.py is this file's sibling)

PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_CHILD_SUBREAPER = 36
IPC_RMID = 0
OUTPUT_CAP = 64 * 1024  # bytes of each stream's tail sent back
RESULT_CAP = 8 << 20    # bytes of the result channel read (as crucible's cold path)
MAX_CANDIDATES = 2000   # then the worker retires (bounds any slow leak)
# Where the candidate's files are written when /tmp is the worker's own
# tmpfs: no disk work per candidate.
PRIVATE_FILES_ROOT = "/tmp/crucible-candidate"
PRIVATE_SCRATCH = "/tmp/crucible-scratch"

_libc = ctypes.CDLL(None, use_errno=True)


def prctl(option, value):
    if _libc.prctl(option, ctypes.c_ulong(value), 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), f"prctl({option})")


def children_of(pid):
    """Direct children of every thread of `pid` (/proc/PID/task/*/children)."""
    kids = set()
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return kids
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/children", "rb") as f:
                kids.update(int(x) for x in f.read().split())
        except OSError:
            pass
    return kids


def descendants():
    """Pids below this process. The worker is a child subreaper, so an
    orphan is re-parented here: walking children from this process finds
    every descendant without reading all of /proc (which costs milliseconds
    per candidate on a busy machine)."""
    below, frontier = set(), {os.getpid()}
    while frontier:
        frontier = set().union(*(children_of(p) for p in frontier)) - below
        below |= frontier
    return below


def reap_all():
    """Reaps every exited child; returns their summed CPU seconds."""
    cpu = 0.0
    while True:
        try:
            pid, _, usage = os.wait4(-1, os.WNOHANG)
        except ChildProcessError:
            return cpu
        if pid == 0:
            return cpu
        cpu += usage.ru_utime + usage.ru_stime


def kill_tree():
    """SIGKILLs every descendant until none is left; False if some survive."""
    cpu = 0.0
    for _ in range(200):
        pids = descendants()
        if not pids:
            return True, cpu
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.001)
        cpu += reap_all()
    return not descendants(), cpu


def clear_tree(path, dev):
    """Removes everything below directory `path` that is on device `dev`
    (the private tmpfs), never entering another mount: crucible binds the
    paths a worker needs (the candidates, the run's cache directory, the
    worker's scratch) below their host names, often under /tmp. Walking into
    those removed the run's cache after every candidate and made each
    candidate pay for a walk of the whole run directory."""
    try:
        with os.scandir(path) as it:
            entries = list(it)
    except OSError:
        return
    for entry in entries:
        try:
            if entry.is_dir(follow_symlinks=False):
                if entry.stat(follow_symlinks=False).st_dev != dev:
                    continue  # a mount point: what is bound there stays
                # The candidate may have taken its own permissions away (or
                # the worker did, from the candidate's files).
                os.chmod(entry.path, 0o700)
                clear_tree(entry.path, dev)
                os.rmdir(entry.path)  # fails where a mount point lies below: kept
            else:
                os.unlink(entry.path)  # fails on a bound file (EBUSY): kept
        except OSError:
            pass


def place_candidate(request, root, program):
    """The path of the candidate's program. Its files come in the request
    and are written below `root` (read-only for the candidate, as its
    directory is when crucible writes it); or crucible wrote them to the
    request's candidate_dir."""
    if "files" not in request:
        return os.path.join(request["candidate_dir"], program)
    os.mkdir(root, 0o700)
    for path, text in request["files"]:
        full = os.path.normpath(os.path.join(root, path))
        if not full.startswith(root + os.sep):
            raise ValueError(f"the program's file path {path!r} is not a plain relative path")
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as f:
            f.write(text.encode("utf-8", "surrogatepass"))
        os.chmod(full, 0o444)
    # Read-only by mode (the candidate, their owner, could chmod them back:
    # they are its own files, removed after it; a cold candidate's are on a
    # read-only mount). This also keeps importlib from writing a .pyc.
    for d, _, _ in os.walk(root):
        os.chmod(d, 0o555)
    return os.path.join(root, program)


def empty_dir(path):
    """Empties a directory of the worker's (the scratch, the candidate's
    files outside a private /tmp); False when something stays."""
    try:
        os.chmod(path, 0o700)  # the candidate's files' root is read-only
        clear_tree(path, os.lstat(path).st_dev)
        return not os.listdir(path)
    except OSError:
        return False


PRIVATE_ROOTS = ("/tmp", "/dev/shm")


def free_inodes(root):
    """Free inodes of the tmpfs at `root`; None where it does not count them."""
    try:
        st = os.statvfs(root)
    except OSError:
        return None
    return st.f_ffree if st.f_files else None


def clear_private_state(baseline):
    """Empties the worker's private /tmp and /dev/shm (never what is
    mounted in them) and removes System V IPC objects: what one candidate
    could leave for the next. `baseline`: each root's free inodes before any
    candidate ran (free_inodes); a root with as many free now holds nothing
    new (every file, directory, link target, socket or FIFO a candidate
    leaves takes an inode of its own) and is not walked: the walk of the
    directories crucible binds paths below was ~0.3 ms per candidate."""
    for root, free in zip(PRIVATE_ROOTS, baseline):
        if free is not None and free_inodes(root) == free:
            continue
        try:
            dev = os.lstat(root).st_dev
        except OSError:
            continue
        clear_tree(root, dev)
    for kind, remove in (("shm", lambda i: _libc.shmctl(i, IPC_RMID, None)),
                         ("sem", lambda i: _libc.semctl(i, 0, IPC_RMID)),
                         ("msg", lambda i: _libc.msgctl(i, IPC_RMID, None))):
        try:
            with open(f"/proc/sysvipc/{kind}") as f:
                lines = f.read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 1:
                remove(int(fields[1]))


class Head:
    """The first RESULT_CAP bytes of a stream (the result channel)."""

    def __init__(self):
        self.data = bytearray()
        self.total = 0

    def add(self, chunk):
        self.total += len(chunk)
        if len(self.data) < RESULT_CAP:
            self.data += chunk[:RESULT_CAP - len(self.data)]

    def text(self):
        return bytes(self.data).decode("utf-8", errors="replace")


class Tail:
    """The last OUTPUT_CAP bytes of a stream, and its total length."""

    def __init__(self):
        self.data = bytearray()
        self.total = 0

    def add(self, chunk):
        self.total += len(chunk)
        self.data += chunk
        if len(self.data) > 2 * OUTPUT_CAP:
            del self.data[:-OUTPUT_CAP]

    def text(self):
        return bytes(self.data[-OUTPUT_CAP:]).decode("utf-8", errors="replace")


def child(task, program_path, request, keep_fds):
    """In the forked child (pure-Python loop): become the candidate's
    process, evaluate, exit."""
    try:
        out_w, err_w, result_w = keep_fds
        os.dup2(out_w, 1)
        os.dup2(err_w, 2)
        # Everything of the worker but the result pipe goes: the FIFOs to
        # crucible, the other pipes. The pipe stays close-on-exec (os.pipe),
        # so programs the evaluator starts do not inherit it.
        os.closerange(3, result_w)
        os.closerange(result_w + 1, 1 << 16)
        os.setpgid(0, 0)
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() == 1:  # the worker is already gone
            os._exit(1)
        os.chdir(request["scratch"])  # the worker's scratch (set by run_one)
        cpu = request.get("cpu_seconds")
        if cpu:
            soft = max(1, int(cpu))
            resource.setrlimit(resource.RLIMIT_CPU, (soft, soft + 1))
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)  # as a fresh interpreter has it
        evaluate(task, program_path, request, result_w)
    except BaseException:
        traceback.print_exc()
    os._exit(70)


def evaluate(task, program_path, request, result_w):
    """The candidate's child, once set up: its environment, then the
    evaluator; never returns."""
    os.environ.update(request["env"])
    os.environ.pop("CRUCIBLE_RESULT_FD", None)  # crucible's number; ours is result_w
    adapter.evaluate_here(task, program_path, channel=result_w)


def load_fork_server():
    """The compiled loop (src/evaluate/warm_fork.cc, written beside this
    file by crucible), or None: not shipped (a build without Python's
    headers) or not loadable by this Python. warm_pool_test runs both."""
    try:
        import _crucible_warm_fork
    except ImportError:
        return None
    return _crucible_warm_fork


def pump(pid, pipes, deadline):
    """Reads the child's output until it exits or the deadline passes.
    Returns (status, rusage or None, timed_out)."""
    pidfd = os.pidfd_open(pid)
    tails = {fd: tail for fd, tail in pipes.items()}
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None, None, True
            ready, _, _ = select.select(list(tails) + [pidfd], [], [], remaining)
            for fd in ready:
                if fd == pidfd:
                    continue
                chunk = os.read(fd, 65536)
                if chunk:
                    tails[fd].add(chunk)
                else:
                    del tails[fd]
            if pidfd in ready:
                _, status, usage = os.wait4(pid, 0)
                return status, usage, False
    finally:
        os.close(pidfd)


def drain(pipes):
    for fd, tail in pipes.items():
        os.set_blocking(fd, False)
        try:
            while True:
                chunk = os.read(fd, 65536)
                if not chunk:
                    break
                tail.add(chunk)
        except BlockingIOError:
            pass
        os.close(fd)


def run_one(task, program, request, places, private):
    """Evaluates one candidate; the response for crucible. `places`: the
    worker's scratch directory and where it writes the candidate's files;
    `private`: None, or the baseline of its private /tmp and /dev/shm
    (clear_private_state)."""
    scratch, files_root = places
    request["scratch"] = scratch
    try:
        program_path = place_candidate(request, files_root, program)
    except (OSError, ValueError, TypeError) as e:
        return {"exited": True, "exit_code": 70, "stderr": f"the warm worker could not write "
                f"the candidate's files: {e}", "retire": "could not write a candidate's files"}
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    result_r, result_w = os.pipe()
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        child(task, program_path, request, (out_w, err_w, result_w))
    os.close(out_w)
    os.close(err_w)
    os.close(result_w)
    out, err, result = Tail(), Tail(), Head()
    pipes = {out_r: out, err_r: err, result_r: result}
    status, usage, timed_out = pump(pid, dict(pipes), start + float(request["timeout"]))
    wall = time.monotonic() - start
    if timed_out:
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        _, status, usage = os.wait4(pid, 0)
    clean, extra_cpu = kill_tree()
    drain(pipes)
    if os.path.lexists(files_root) and empty_dir(files_root):
        os.rmdir(files_root)
    # The scratch first: on the private tmpfs it is below /tmp, which an
    # emptied scratch leaves with as many free inodes as before.
    left = not empty_dir(scratch)
    if private is not None:
        clear_private_state(private)
        os.makedirs(scratch, exist_ok=True)  # in case the walk took it
    left = left or os.path.lexists(files_root)
    response = {"exited": os.WIFEXITED(status),
                "exit_code": os.WEXITSTATUS(status) if os.WIFEXITED(status) else -1,
                "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else 0,
                "timed_out": timed_out, "wall_seconds": wall,
                "cpu_seconds": usage.ru_utime + usage.ru_stime + extra_cpu,
                "max_rss_bytes": usage.ru_maxrss * 1024,
                "stdout": out.text(), "stderr": err.text(),
                "stdout_total": out.total, "stderr_total": err.total}
    if result.total:
        response["result"] = result.text()
    if not clean:
        response["retire"] = "a process of the candidate survived SIGKILL"
    elif left:
        response["retire"] = "a file of the candidate could not be removed"
    return response


def set_environment(env):
    """Sets a candidate's variables in the worker's own environment, which
    its child inherits (set in the child, they cost it page faults on the
    worker's os.environ); returns what to restore once the child is gone."""
    env = {k: v for k, v in env.items() if k != "CRUCIBLE_RESULT_FD"}  # the child's is its pipe
    before = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    return before


def restore_environment(before):
    for k, v in before.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def serve_forked(fork_server, task, program, requests, responses, places, private):
    """The loop with _crucible_warm_fork.run_one (warm_fork.cc): the request
    is read, the candidate's files written and its environment set here,
    before the fork, so that neither the worker (while the child lives) nor
    the child touches those Python objects after it."""
    scratch, files_root = places
    inodes = [(n or 0) for n in (private or [0, 0])]
    os.environ.pop("CRUCIBLE_RESULT_FD", None)  # a child's is its own pipe
    for count, line in enumerate(requests, 1):
        request = json.loads(line)
        try:
            program_path = place_candidate(request, files_root, program)
        except (OSError, ValueError, TypeError) as e:
            responses.write(json.dumps(
                {"exited": True, "exit_code": 70, "stderr": f"the warm worker could not write "
                 f"the candidate's files: {e}", "retire": "could not write a candidate's files"}
            ).encode() + b"\n")
            return
        cpu = request.get("cpu_seconds") or 0
        before = set_environment(request["env"])
        is_child, value = fork_server.run_one(
            responses.fileno(), scratch, files_root, private is not None, OUTPUT_CAP, RESULT_CAP,
            *inodes, float(request["timeout"]), float(cpu),
            f"served {count} candidates" if count >= MAX_CANDIDATES else "")
        if is_child:
            try:
                adapter.evaluate_here(task, program_path, channel=value)
            except BaseException:
                traceback.print_exc()
            os._exit(70)
        restore_environment(before)
        if value:  # retired
            return


def main(argv):
    request_fifo, response_fifo, rest = argv[0], argv[1], argv[2:]
    args = adapter.parse_args(rest + ["/nonexistent-candidate"])
    adapter.export_python_path()
    fork_server = load_fork_server()
    requests = open(request_fifo, "rb")
    responses = open(response_fifo, "wb", buffering=0)
    prctl(PR_SET_CHILD_SUBREAPER, 1)
    prctl(PR_SET_DUMPABLE, 0)
    private = os.environ.pop("CRUCIBLE_WARM_PRIVATE", "") == "1"
    # One scratch directory, emptied after each candidate, and the
    # candidate's files: on the private tmpfs when there is one (where no
    # other worker's candidate, running at the same time, can see them),
    # else in the worker's own directory (crucible's WORK_ROOT/warm/w<N>).
    scratch = os.path.join(os.getcwd(), "scratch")
    files_root = os.path.join(os.getcwd(), "candidate")
    if private and not os.path.lexists(PRIVATE_FILES_ROOT):
        files_root = PRIVATE_FILES_ROOT
        scratch = PRIVATE_SCRATCH
    os.makedirs(scratch, exist_ok=True)
    private = [free_inodes(root) for root in PRIVATE_ROOTS] if private else None
    # The import's own prints must not reach the response channel.
    saved = os.dup(1)
    os.dup2(2, 1)
    task = adapter.load_task(args)
    sys.stdout.flush()
    os.dup2(saved, 1)
    os.close(saved)
    responses.write(b'{"ready": true}\n')
    if fork_server is not None:
        serve_forked(fork_server, task, args["program"], requests, responses,
                     (scratch, files_root), private)
        return
    count = 0
    for line in requests:
        request = json.loads(line)
        response = run_one(task, args["program"], request, (scratch, files_root), private)
        count += 1
        if count >= MAX_CANDIDATES and "retire" not in response:
            response["retire"] = f"served {count} candidates"
        responses.write(json.dumps(response).encode() + b"\n")
        if "retire" in response:
            return


if __name__ == "__main__":
    main(sys.argv[1:])
