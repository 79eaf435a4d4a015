"""The warm worker's pure-Python loop (worker.py's fallback where the
compiled _crucible_warm_fork cannot be loaded: a build without Python's
headers, or a Python that cannot load it).

It speaks the same requests and responses as warm_fork.cc's loop and keeps
the same containment: protect() makes the worker a child subreaper that is
not dumpable; serve() reads each request, writes the candidate's files,
forks a child set up as the candidate's process (descriptors, process
group, death signal, scratch directory, CPU limit, the request's variables)
and returns in it, to evaluate; in the worker it supervises the child,
kills and reaps its whole tree, empties what it could have left, answers
crucible and goes on with the next request. Imported only when needed: its
modules (ctypes, select, signal, resource) would otherwise be in every
forked child's address space for nothing.
"""

import ctypes
import json
import os
import resource
import select
import signal
import time

PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_CHILD_SUBREAPER = 36
IPC_RMID = 0
PRIVATE_ROOTS = ("/tmp", "/dev/shm")

_libc = ctypes.CDLL(None, use_errno=True)


def prctl(option, value):
    if _libc.prctl(option, ctypes.c_ulong(value), 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), f"prctl({option})")


def protect():
    """Orphans of a candidate come to the worker (so it can kill them), and
    no candidate can read or write its memory through /proc or ptrace."""
    prctl(PR_SET_CHILD_SUBREAPER, 1)
    prctl(PR_SET_DUMPABLE, 0)


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


class Capture:
    """The first `cap` bytes of a stream (head: the result channel) or its
    last (the output), and its total length; warm_fork.cc's Capture."""

    def __init__(self, cap, head=False):
        self.cap = cap
        self.head = head
        self.data = bytearray()
        self.total = 0

    def add(self, chunk):
        self.total += len(chunk)
        if self.head:
            if len(self.data) < self.cap:
                self.data += chunk[:self.cap - len(self.data)]
            return
        self.data += chunk
        if len(self.data) > 2 * self.cap:
            del self.data[:-self.cap]

    def text(self):
        data = self.data if self.head else self.data[-self.cap:]
        return bytes(data).decode("utf-8", errors="replace")


def set_up_child(request, scratch, keep_fds, environ):
    """In the forked child: become the candidate's process (its
    descriptors, process group, death signal, directory, CPU limit and
    variables). Exits when that fails."""
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
        os.chdir(scratch)
        cpu = request.get("cpu_seconds")
        if cpu:
            soft = max(1, int(cpu))
            resource.setrlimit(resource.RLIMIT_CPU, (soft, soft + 1))
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)  # as a fresh interpreter has it
        environ.update(request.get("env", {}))
        environ.pop("CRUCIBLE_RESULT_FD", None)  # crucible's number; ours is result_w
    except BaseException:
        import traceback
        traceback.print_exc()
        os._exit(70)


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


def refusal(why, retire):
    """The answer to a request that never reached a fork; it retires the
    worker (crucible starts a new one)."""
    return {"exited": True, "exit_code": 70, "stderr": why, "retire": retire}


def run_one(request, program, places, private, caps, environ):
    """Forks the child of one candidate. In the child: (True, result_fd,
    program_path), the child set up. In the worker: (False, response),
    after the child and everything it left are gone. `places`: the worker's
    scratch directory and where it writes the candidate's files; `private`:
    None, or the baseline of its private /tmp and /dev/shm
    (clear_private_state); `caps`: the output and result caps."""
    scratch, files_root = places
    try:
        program_path = place_candidate(request, files_root, program)
    except (OSError, ValueError, TypeError, KeyError) as e:
        return False, refusal(f"the warm worker could not write the candidate's files: {e}",
                              "could not write a candidate's files")
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    result_r, result_w = os.pipe()
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        set_up_child(request, scratch, (out_w, err_w, result_w), environ)
        return True, (True, result_w, program_path)
    os.close(out_w)
    os.close(err_w)
    os.close(result_w)
    out, err, result = Capture(caps[0]), Capture(caps[0]), Capture(caps[1], head=True)
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
    return False, response


def unusable_variable(env):
    """Why os.environ would refuse one of the request's variables (as the
    compiled loop finds out setting them in the worker), or None."""
    for key, value in env.items():
        if not isinstance(key, str) or not isinstance(value, str):
            return f"variable {key!r} is not a string"
        if not key or "=" in key or "\0" in key + value:
            return f"variable {key!r} cannot be set (empty, '=' or a NUL byte)"
    return None


def handle(line, program, places, baseline, caps, environ):
    """One request line: (True, the child's return) in the child, (False,
    response) in the worker."""
    try:
        request = json.loads(line)
        if not isinstance(request, dict) or not float(request["timeout"]) > 0:
            raise ValueError("the request is not an object with a positive timeout")
    except (ValueError, TypeError, KeyError) as e:
        return False, refusal(f"the warm worker could not read the request: {e}",
                              "could not read a request")
    bad = unusable_variable(request.get("env", {}))
    if bad:
        return False, refusal(f"the warm worker could not set the candidate's environment: {bad}",
                              "could not set a candidate's environment")
    return run_one(request, program, places, baseline, caps, environ)


def serve(request_fd, response_fd, scratch, files_root, program, private, output_cap, result_cap,
          max_candidates, environ):
    """The loop, as _crucible_warm_fork.serve: in a child (True, result_fd,
    program_path); in the worker (False, None, None) once crucible closes
    the stream or the worker retires."""
    baseline = [free_inodes(root) for root in PRIVATE_ROOTS] if private else None
    requests = os.fdopen(request_fd, "rb", closefd=False)
    count = 0
    for line in requests:
        is_child, response = handle(line, program, (scratch, files_root), baseline,
                                    (output_cap, result_cap), environ)
        if is_child:
            return response
        count += 1
        if count >= max_candidates and "retire" not in response:
            response["retire"] = f"served {count} candidates"
        data = json.dumps(response).encode() + b"\n"
        while data:
            data = data[os.write(response_fd, data):]
        if "retire" in response:
            break
    return False, None, None
