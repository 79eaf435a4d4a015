// Spawn-to-reap cost of one sandboxed run of /bin/true, at several isolation
// levels, against a bare posix_spawn + waitpid of the same program (the
// machine's floor), and what creating (and tearing down) each kind of
// namespace costs by itself. Run: build/<dir>/bench/sandbox_bench
#include <sched.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <string>

#include <benchmark/benchmark.h>

#include "sandbox/sandbox.h"

extern char** environ;

namespace crucible {
namespace {

// CPU seconds (user + system) of all reaped children so far.
double ChildrenCpuSeconds() {
  rusage usage;
  getrusage(RUSAGE_CHILDREN, &usage);
  return usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 + usage.ru_stime.tv_sec +
         usage.ru_stime.tv_usec / 1e6;
}

// Reports the children's CPU per run next to the wall time: on a loaded
// machine wall time mostly measures scheduling delays between the processes.
class ChildCpuCounter {
 public:
  explicit ChildCpuCounter(benchmark::State& state) : state_(state), start_(ChildrenCpuSeconds()) {}
  ~ChildCpuCounter() {
    state_.counters["child_cpu_ms"] = benchmark::Counter(
        (ChildrenCpuSeconds() - start_) * 1e3 / static_cast<double>(state_.iterations()));
  }

 private:
  benchmark::State& state_;
  double start_;
};

enum Level : int64_t { kFull = 0, kNoNetNoFs = 1, kNoNetNoFsNoCgroup = 2 };

SandboxOptions OptionsFor(int64_t level) {
  SandboxOptions options;
  if (level >= kNoNetNoFs) {
    options.network = NetworkIsolation::kOff;
    options.filesystem = FilesystemIsolation::kOff;
  }
  if (level >= kNoNetNoFsNoCgroup) options.use_cgroups = false;
  return options;
}

void BM_SandboxRunTrue(benchmark::State& state) {
  auto sandbox = Sandbox::Create(OptionsFor(state.range(0)));
  if (!sandbox.ok()) {
    state.SkipWithError(sandbox.status().ToString().c_str());
    return;
  }
  state.SetLabel((*sandbox)->CapabilityReport());
  char scratch[] = "/tmp/crucible-sandbox-bench-XXXXXX";
  if (mkdtemp(scratch) == nullptr) {
    state.SkipWithError("mkdtemp failed");
    return;
  }
  SandboxRequest request;
  request.argv = {"/bin/true"};
  request.working_dir = scratch;
  ChildCpuCounter counter(state);
  for (auto _ : state) {
    SandboxResult r = (*sandbox)->Run(request);
    if (!r.started || r.exit_code != 0) {
      state.SkipWithError(("run failed: " + r.spawn_error).c_str());
      break;
    }
  }
  rmdir(scratch);
}
BENCHMARK(BM_SandboxRunTrue)
    ->ArgName("level")  // 0 full, 1 no net/fs isolation, 2 also no cgroups
    ->Arg(kFull)
    ->Arg(kNoNetNoFs)
    ->Arg(kNoNetNoFsNoCgroup)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_PosixSpawnTrue(benchmark::State& state) {
  char arg0[] = "/bin/true";
  char* argv[] = {arg0, nullptr};
  ChildCpuCounter counter(state);
  for (auto _ : state) {
    pid_t pid;
    if (posix_spawn(&pid, "/bin/true", nullptr, nullptr, argv, environ) != 0) {
      state.SkipWithError("posix_spawn failed");
      break;
    }
    int status;
    waitpid(pid, &status, 0);
  }
}
BENCHMARK(BM_PosixSpawnTrue)->Unit(benchmark::kMillisecond)->UseRealTime();

int ExitAtOnce(void*) { _exit(0); }

// clone(CLONE_VM | CLONE_VFORK | flags) of a child that exits at once, and
// its reaping: the cost of creating and tearing down those namespaces
// (without the kernel's asynchronous part of the teardown, which runs in a
// worker; on 2 CPUs it competes with everything else).
void BM_CloneNamespaces(benchmark::State& state) {
  const int flags = static_cast<int>(state.range(0));
  std::unique_ptr<char[]> stack(new char[64 * 1024]);
  void* top = stack.get() + 64 * 1024;
  std::string label;
  for (auto [flag, name] : {std::pair{CLONE_NEWPID, "pid"}, std::pair{CLONE_NEWNS, "mnt"},
                            std::pair{CLONE_NEWIPC, "ipc"}, std::pair{CLONE_NEWNET, "net"}}) {
    if ((flags & flag) != 0) label += label.empty() ? name : std::string("+") + name;
  }
  state.SetLabel(label.empty() ? "no namespace" : label);
  for (auto _ : state) {
    pid_t pid = clone(ExitAtOnce, top, CLONE_VM | CLONE_VFORK | flags | SIGCHLD, nullptr);
    if (pid < 0) {
      state.SkipWithError("clone failed (not root?)");
      break;
    }
    int status;
    waitpid(pid, &status, 0);
  }
}
BENCHMARK(BM_CloneNamespaces)
    ->Arg(0)
    ->Arg(CLONE_NEWPID)
    ->Arg(CLONE_NEWNS)
    ->Arg(CLONE_NEWIPC)
    ->Arg(CLONE_NEWNET)
    ->Arg(CLONE_NEWPID | CLONE_NEWNS)
    ->Arg(CLONE_NEWNS | CLONE_NEWIPC)
    ->Arg(CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC)
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

}  // namespace
}  // namespace crucible

BENCHMARK_MAIN();
