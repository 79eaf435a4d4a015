#!/usr/bin/env python3
"""crucible against OpenEvolve on the same task, CPU and wall per candidate.

    bench/openevolve_compare.py --openevolve PATH/TO/openevolve --crucible build/ci/crucible
        [--programs 200,1000] [--tasks trivial,numpy] [--rounds 2] [--jobs 2]

PATH/TO/openevolve is a checkout of OpenEvolve's source (nothing of it is
part of crucible). It runs from that source with Debian's Python packages
(python3-yaml, python3-numpy, python3-dacite, python3-tqdm); its model
client is replaced by a stand-in through OpenEvolve's own `init_client`
hook that answers instantly with a full rewrite changing one constant, and
the `openai` package, which Debian does not ship and the stand-in does not
use, by an empty module. crucible runs the same task directory (OpenEvolve
format) with its built-in mutation proposer, warm Python workers (the
default) and, for comparison, cold ones (a fresh interpreter per candidate).

For each task and size, the systems alternate (OpenEvolve, crucible warm,
crucible cold, then again per round) so that load on the shared machine
hits all of them alike. CPU is that of everything the system started,
divided by the number of programs: each run is made in a cpuacct cgroup of
its own (bench/python_flatness.py `CpuMeter`), whose usage counts every
process that ran in it, dead or alive. Session 4 read the child's rusage
after it was reaped instead, which misses crucible's warm workers: their
CPU, and that of the candidates they reaped, does not reach crucible's
rusage when they end (a 300-candidate run whose live tree had used 4 s
reported 0.6 s), so its figures for crucible (1.9-3.2 ms per candidate) were
too low. The load average is printed with every row.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

TASKS = {
    "trivial": (
        "# EVOLVE-BLOCK-START\nX = 1.0\n\n\ndef f():\n    return X * 2.0\n# EVOLVE-BLOCK-END\n",
        textwrap.dedent("""\
            import importlib.util

            def evaluate(program_path):
                spec = importlib.util.spec_from_file_location("program", program_path)
                m = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(m)
                return {"combined_score": -abs(m.f() - 3.14)}
            """)),
    "numpy": (
        "# EVOLVE-BLOCK-START\nX = 1.0\n\n\ndef f(values):\n    return values * X\n# EVOLVE-BLOCK-END\n",
        textwrap.dedent("""\
            import importlib.util
            import numpy as np

            def evaluate(program_path):
                spec = importlib.util.spec_from_file_location("program", program_path)
                m = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(m)
                v = np.linspace(0.0, 1.0, 1000)
                return {"combined_score": -float(np.abs(m.f(v) - 3.14 * v).mean())}
            """)),
}

# Runs OpenEvolve in this child process: `python3 THIS --oe-child SRC TASKDIR N JOBS OUT`.
STANDIN = """
class StandInLLM:
    # OpenEvolve's LLMInterface: instant full rewrites changing X.
    def __init__(self, model_cfg):
        import random
        self.model = model_cfg.name  # OpenEvolve's ensemble logs it
        self.rng = random.Random(1)

    async def generate(self, prompt, **kwargs):
        return await self.generate_with_context("", [{"role": "user", "content": prompt}])

    async def generate_with_context(self, system_message, messages, **kwargs):
        x = self.rng.uniform(0.0, 3.0)
        return "```python\\n" + PROGRAM.replace("X = 1.0", f"X = {x!r}") + "```\\n"
"""


def oe_child(src, task_dir, n, jobs, out):
    stub = tempfile.mkdtemp(prefix="oe-stub-")
    os.makedirs(os.path.join(stub, "openai"))
    with open(os.path.join(stub, "openai", "__init__.py"), "w") as f:
        f.write("class OpenAI:\n    pass\n\n\nclass AsyncOpenAI:\n    pass\n")
    sys.path[:0] = [src, stub]
    import asyncio
    import logging
    from openevolve.config import Config, LLMModelConfig
    from openevolve.controller import OpenEvolve
    logging.disable(logging.WARNING)
    program = open(os.path.join(task_dir, "initial_program.py")).read()
    namespace = {"PROGRAM": program}
    exec(STANDIN, namespace)
    config = Config()
    config.max_iterations = n
    config.checkpoint_interval = 10**9
    config.log_level = "WARNING"
    config.diff_based_evolution = False
    config.llm.models = [LLMModelConfig(name="stand-in", weight=1.0,
                                        init_client=namespace["StandInLLM"])]
    config.llm.evaluator_models = []
    config.evaluator.cascade_evaluation = False
    config.evaluator.parallel_evaluations = jobs
    config.evaluator.timeout = 60
    controller = OpenEvolve(os.path.join(task_dir, "initial_program.py"),
                            os.path.join(task_dir, "evaluator.py"), config, output_dir=out)
    asyncio.run(controller.run(iterations=n))


def measure(argv, env=None):
    """Runs argv; returns (wall seconds, CPU seconds of all it started, how)."""
    from python_flatness import CpuMeter
    meter = CpuMeter()
    try:
        start = time.monotonic()
        err = tempfile.TemporaryFile()
        p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err, env=env,
                             preexec_fn=meter.preexec)
        meter.pid = p.pid
        sampled = 0.0
        while True:
            pid, status, usage = os.wait4(p.pid, os.WNOHANG)
            if pid:
                break
            sampled = max(sampled, meter.seconds())
            time.sleep(0.25)
        wall = time.monotonic() - start
        if status != 0:
            err.seek(0)
            raise RuntimeError(f"{argv[:3]} failed ({status}):\n"
                               f"{err.read().decode(errors='replace')[-3000:]}")
        if meter.group:  # counts the dead too: read it after the end
            time.sleep(0.5)
            return wall, meter.seconds()
        return wall, max(sampled, usage.ru_utime + usage.ru_stime)
    finally:
        meter.close()


def write_task(root, name, warm):
    d = os.path.join(root, f"{name}-{'warm' if warm else 'cold'}")
    os.makedirs(d)
    program, evaluator = TASKS[name]
    with open(os.path.join(d, "initial_program.py"), "w") as f:
        f.write(program)
    with open(os.path.join(d, "evaluator.py"), "w") as f:
        f.write(evaluator)
    if not warm:  # a crucible problem.yaml naming the same evaluator, cold
        with open(os.path.join(d, "problem.yaml"), "w") as f:
            f.write(f"name: {name}\nfiles: [initial_program.py]\n"
                    "evaluator: {python: evaluator.py, format: openevolve, warm: false}\n"
                    "budget: {evaluations: 10}\n")
    return d


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--openevolve", required=True, help="OpenEvolve source checkout")
    ap.add_argument("--crucible", required=True, help="the crucible binary")
    ap.add_argument("--programs", default="200,1000")
    ap.add_argument("--tasks", default="trivial,numpy")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--systems", default="openevolve,crucible-warm,crucible-cold")
    args = ap.parse_args()
    root = tempfile.mkdtemp(prefix="crucible-oe-bench-")
    env = dict(os.environ, PATH="/usr/bin:/bin:" + os.environ.get("PATH", ""))
    print(f"# {time.strftime('%Y-%m-%d %H:%M:%S')} nproc={os.cpu_count()} jobs={args.jobs}")
    print(f"{'task':8} {'programs':>8} {'system':14} {'wall s':>8} {'CPU s':>8} "
          f"{'CPU ms/cand':>11} {'wall ms/cand':>12} {'load1':>6}")
    try:
        for name in args.tasks.split(","):
            warm_dir, cold_dir = write_task(root, name, True), write_task(root, name, False)
            for n in (int(x) for x in args.programs.split(",")):
                for r in range(args.rounds):
                    for system in args.systems.split(","):
                        out = os.path.join(root, f"out-{name}-{n}-{r}-{system}")
                        if system == "openevolve":
                            argv = [sys.executable, os.path.abspath(__file__), "--oe-child",
                                    args.openevolve, warm_dir, str(n), str(args.jobs), out]
                        else:
                            task = warm_dir if system == "crucible-warm" else cold_dir
                            argv = [args.crucible, "run", task, "--proposer", "mutate", "-n",
                                    str(n), "-j", str(args.jobs), "--out", out, "-q"]
                        load = os.getloadavg()[0]
                        wall, cpu = measure(argv, env)
                        print(f"{name:8} {n:8d} {system:14} {wall:8.2f} {cpu:8.2f} "
                              f"{1000 * cpu / n:11.2f} {1000 * wall / n:12.2f} {load:6.2f}",
                              flush=True)
                        shutil.rmtree(out, ignore_errors=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--oe-child":
        oe_child(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6])
    else:
        main()
