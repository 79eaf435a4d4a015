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
load it, the pure-Python one in pure_loop.py. The compiled loop runs the
worker's whole loop in C++: it reads each request, writes the candidate's
files, sets its variables in os.environ (only those that changed, the one
Python it runs) and forks; only the child comes back to Python, to
evaluate. Each page of the worker that Python writes after a fork is a
page fault (and a copy while the child lives): the Python loop's were
about 40% of a candidate's page faults with a null evaluator.

The worker is not dumpable (PR_SET_DUMPABLE 0), so a candidate cannot read
or write its memory through /proc or ptrace. A worker that cannot clean up
after a candidate (a descendant survives) says so ("retire") and exits;
crucible starts a new one.
"""

import os
# random (the adapter seeds it) is imported here once, not in every
# candidate's child: its import was a large share of a trivial candidate's
# CPU. Nothing else is imported that the child does not need: every page of
# the worker is one more page-table entry for each fork to copy and each
# child's exit to tear down.
import random  # noqa: F401
import sys
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import adapter  # noqa: E402  (after the path: adapter.py is this file's sibling)

OUTPUT_CAP = 64 * 1024  # bytes of each stream's tail sent back
RESULT_CAP = 8 << 20    # bytes of the result channel read (as crucible's cold path)
MAX_CANDIDATES = 2000   # then the worker retires (bounds any slow leak)
# Where the candidate's files are written when /tmp is the worker's own
# tmpfs: no disk work per candidate.
PRIVATE_FILES_ROOT = "/tmp/crucible-candidate"
PRIVATE_SCRATCH = "/tmp/crucible-scratch"


def load_loop():
    """The compiled loop (src/evaluate/warm_fork.cc, written beside this
    file by crucible), or the pure-Python one where it is not shipped (a
    build without Python's headers) or not loadable by this Python.
    warm_pool_test runs both."""
    try:
        import _crucible_warm_fork
        return _crucible_warm_fork
    except ImportError:
        import pure_loop
        return pure_loop


def main(argv):
    request_fifo, response_fifo, rest = argv[0], argv[1], argv[2:]
    args = adapter.parse_args(rest + ["/nonexistent-candidate"])
    adapter.export_python_path()
    # crucible starts the worker with LD_BIND_NOW: every symbol is bound
    # once here, not again in each child (the lazy binding wrote the
    # child's copy of the tables). Programs the evaluator starts need not.
    os.environ.pop("LD_BIND_NOW", None)
    loop = load_loop()
    requests = open(request_fifo, "rb")
    responses = open(response_fifo, "wb", buffering=0)
    loop.protect()
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
    # The import's own prints must not reach the response channel.
    saved = os.dup(1)
    os.dup2(2, 1)
    task = adapter.load_task(args)
    sys.stdout.flush()
    os.dup2(saved, 1)
    os.close(saved)
    os.environ.pop("CRUCIBLE_RESULT_FD", None)  # a child's is its own pipe
    adapter.prepare_for_fork()
    responses.write(b'{"ready": true}\n')
    is_child, result_fd, program_path = loop.serve(
        requests.fileno(), responses.fileno(), scratch, files_root, args["program"], private,
        OUTPUT_CAP, RESULT_CAP, MAX_CANDIDATES, os.environ)
    if is_child:
        try:
            adapter.evaluate_here(task, program_path, channel=result_fd)
        except BaseException:
            traceback.print_exc()
        os._exit(70)


if __name__ == "__main__":
    main(sys.argv[1:])
