// ChildProcess against real children (sh, cat, sleep): exit codes, signals,
// deadlines that take the whole group down (grandchildren included), output
// caps, conversations, the fork seam, and that nothing leaks: no descriptor,
// no zombie.
#include "process/child.h"

#include <dirent.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <atomic>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace crucible {
namespace {

using ::testing::HasSubstr;

SpawnOptions Shell(const std::string& script) {
  SpawnOptions options;
  options.argv = {"/bin/sh", "-c", script};
  return options;
}

int OpenFdCount() {
  int count = 0;
  DIR* dir = opendir("/proc/self/fd");
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  closedir(dir);
  return count - 1;  // the DIR's own descriptor
}

// True when no child of this process is left, not even a zombie.
bool NoChildrenLeft() {
  siginfo_t info{};
  return waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT | __WALL) != 0 && errno == ECHILD;
}

// True once `pid` is gone or a zombie (of init, which reaps it when it will).
bool ProcessDead(pid_t pid) {
  for (int i = 0; i < 200; ++i) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(stat, line)) return true;
    const size_t paren = line.rfind(')');
    if (paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] == 'Z') {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

TEST(ProcessTest, ReportsTheExitCode) {
  ProcessResult r = RunProcess(Shell("echo out; echo err >&2; exit 3"), {});
  EXPECT_EQ(r.kind, ExitKind::kExited);
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.stdout_text, "out\n");
  EXPECT_EQ(r.stderr_text, "err\n");
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.Describe(), "exited with status 3");
  EXPECT_TRUE(RunProcess(Shell("exit 0"), {}).ok());
}

TEST(ProcessTest, ReportsTheSignal) {
  ProcessResult r = RunProcess(Shell("kill -SEGV $$"), {});
  EXPECT_EQ(r.kind, ExitKind::kSignaled);
  EXPECT_EQ(r.signal, SIGSEGV);
  EXPECT_EQ(r.Describe(), "killed by SIGSEGV");
}

TEST(ProcessTest, FeedsStdinWhileReadingStdout) {
  // Larger than both pipes' buffers: only concurrent pumping finishes.
  std::string input(4 << 20, 'x');
  for (size_t i = 0; i < input.size(); i += 97) input[i] = '\n';
  SpawnOptions cat;
  cat.argv = {"cat"};
  ProcessResult r = RunProcess(cat, {}, input);
  ASSERT_EQ(r.kind, ExitKind::kExited) << r.Describe();
  EXPECT_EQ(r.stdout_text, input);
}

TEST(ProcessTest, MergesStderrIntoStdoutAndRunsInTheWorkingDir) {
  SpawnOptions options = Shell("pwd; echo err >&2");
  options.working_dir = "/tmp";
  options.stderr_mode = StderrMode::kMergeIntoStdout;
  options.environment = std::vector<std::string>{"PATH=/usr/bin:/bin"};
  ProcessResult r = RunProcess(options, {});
  EXPECT_EQ(r.stdout_text, "/tmp\nerr\n");
  EXPECT_EQ(r.stderr_text, "");
}

TEST(ProcessTest, PassesOnlyTheGivenEnvironment) {
  setenv("CRUCIBLE_PROCESS_TEST_SECRET", "no", 1);
  SpawnOptions options = Shell("echo \"[$CRUCIBLE_PROCESS_TEST_SECRET][$ONLY]\"");
  options.environment = std::vector<std::string>{"ONLY=yes"};
  EXPECT_EQ(RunProcess(options, {}).stdout_text, "[][yes]\n");
  unsetenv("CRUCIBLE_PROCESS_TEST_SECRET");
}

TEST(ProcessTest, DeadlineKillsTheWholeGroupIncludingGrandchildren) {
  SupervisionLimits limits;
  limits.wall_timeout_seconds = 0.3;
  // The grandchild holds stdout too: only killing the group ends the run.
  ProcessResult r = RunProcess(Shell("sleep 100 & echo $!; sleep 100"), limits);
  EXPECT_EQ(r.kind, ExitKind::kTimedOut);
  EXPECT_EQ(r.signal, SIGKILL);
  EXPECT_LT(r.wall_seconds, 10);
  ASSERT_FALSE(r.stdout_text.empty());
  EXPECT_TRUE(ProcessDead(std::stoi(r.stdout_text)));
  EXPECT_THAT(r.Describe(), HasSubstr("timed out after"));
  EXPECT_TRUE(NoChildrenLeft());
}

TEST(ProcessTest, TheEndOfTheChildTakesItsGroupDown) {
  // The shell exits at once; the background sleep would hold stdout open.
  ProcessResult r = RunProcess(Shell("sleep 100 & echo $!"), {});
  EXPECT_EQ(r.kind, ExitKind::kExited);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_LT(r.wall_seconds, 10);
  EXPECT_TRUE(ProcessDead(std::stoi(r.stdout_text)));
}

TEST(ProcessTest, ALauncherMayLeaveItsGroupRunning) {
  SupervisionLimits limits;
  limits.kill_group_when_child_ends = false;
  ProcessResult r = RunProcess(Shell("sleep 100 > /dev/null 2>&1 & echo $!"), limits);
  EXPECT_EQ(r.kind, ExitKind::kExited);
  const pid_t left = std::stoi(r.stdout_text);
  EXPECT_EQ(kill(left, 0), 0);
  kill(left, SIGKILL);
}

TEST(ProcessTest, OutputCapStopsTheChild) {
  SupervisionLimits limits;
  limits.stdout_limits = {64 << 10, 0, OverflowAction::kStop};
  ProcessResult r = RunProcess(Shell("while :; do echo aaaaaaaaaaaaaaaaaaaaaaaa; done"), limits);
  EXPECT_EQ(r.kind, ExitKind::kOutputCapped);
  EXPECT_EQ(r.signal, SIGKILL);
  EXPECT_EQ(r.Describe(), "wrote more output than allowed");
  EXPECT_TRUE(r.stdout_truncated);
}

TEST(ProcessTest, DiscardingCapKeepsHeadAndTail) {
  SupervisionLimits limits;
  limits.stdout_limits = {4, 4, OverflowAction::kDiscard};
  limits.stderr_limits = {0, 3, OverflowAction::kDiscard};
  ProcessResult r = RunProcess(Shell("printf 0123456789; printf abcdef >&2"), limits);
  EXPECT_EQ(r.kind, ExitKind::kExited);
  EXPECT_EQ(r.stdout_text, "0123\n[crucible: 2 bytes omitted]\n6789");
  EXPECT_EQ(r.stdout_total_bytes, 10u);
  EXPECT_TRUE(r.stderr_truncated);
  EXPECT_THAT(r.stderr_text, ::testing::EndsWith("def"));
}

TEST(ProcessTest, CpuLimitIsATimeout) {
  SpawnOptions options = Shell("while :; do :; done");
  options.rlimits = {{RLIMIT_CPU, 1, 2}};
  SupervisionLimits limits;
  limits.wall_timeout_seconds = 30;
  ProcessResult r = RunProcess(options, limits);
  EXPECT_EQ(r.kind, ExitKind::kTimedOut);
  EXPECT_TRUE(r.cpu_time_exceeded);
  EXPECT_EQ(r.signal, SIGXCPU);
  // The kernel stops it on its precise CPU clock; rusage samples ticks, and
  // on a loaded VM it reports 0.79-0.90 s for that second (measured at load
  // 8): the bound only shows the time was the child's own CPU.
  EXPECT_GE(r.cpu_seconds, 0.5);
}

TEST(ProcessTest, LimitsAboveTheCallersOwnAreHeldAtThemNotRefused) {
  // A harness whose sandbox allows 20 s of CPU asks 60 s for its candidate:
  // the candidate runs, with 20 s. (In a child: a hard limit cannot be
  // raised again.)
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const rlimit outer{20, 20};
    if (setrlimit(RLIMIT_CPU, &outer) != 0) _exit(2);
    SpawnOptions options = Shell("ulimit -St; ulimit -Ht");
    options.rlimits = {{RLIMIT_CPU, 60, 61}};
    ProcessResult r = RunProcess(options, SupervisionLimits{});
    _exit(r.kind == ExitKind::kExited && r.exit_code == 0 && r.stdout_text == "20\n20\n" ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(ProcessTest, SpawnFailuresAreErrorsWithoutAProcess) {
  SpawnOptions missing;
  missing.argv = {"crucible-no-such-program"};
  EXPECT_EQ(ChildProcess::Spawn(missing, {}).status().code(), StatusCode::kNotFound);
  SpawnOptions bad_dir = Shell("true");
  bad_dir.working_dir = "/nonexistent/dir";
  StatusOr<ChildProcess> child = ChildProcess::Spawn(bad_dir, {});
  EXPECT_EQ(child.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(child.status().message(), HasSubstr("chdir"));
  SpawnOptions empty;
  EXPECT_EQ(ChildProcess::Spawn(empty, {}).status().code(), StatusCode::kInvalidArgument);
  ProcessResult r = RunProcess(missing, {});
  EXPECT_EQ(r.kind, ExitKind::kSpawnFailed);
  EXPECT_THAT(r.Describe(), HasSubstr("not found in PATH"));
  EXPECT_TRUE(NoChildrenLeft());
}

TEST(ProcessTest, StdinOfAChildThatDoesNotReadCostsNoSigpipe) {
  ProcessResult r = RunProcess(Shell("exec 0<&-; exit 4"), {}, std::string(1 << 20, 'x'));
  EXPECT_EQ(r.kind, ExitKind::kExited);
  EXPECT_EQ(r.exit_code, 4);
}

TEST(ProcessTest, ConversationReadsRepliesAsTheyCome) {
  SpawnOptions cat;
  cat.argv = {"cat"};
  SupervisionLimits limits;
  limits.wall_timeout_seconds = 30;
  StatusOr<ChildProcess> child = ChildProcess::Spawn(cat, limits);
  ASSERT_TRUE(child.ok()) << child.status().ToString();
  OutputCapture& out = child->pump().stdout_capture();
  for (const std::string request : {"ping\n", "pong\n"}) {
    child->Feed(request);
    ASSERT_TRUE(child->PumpUntil([&] { return out.head_size() >= request.size(); }));
    EXPECT_EQ(out.TakeHead(request.size()), request);
  }
  ProcessResult r = child->Wait();
  EXPECT_EQ(r.kind, ExitKind::kExited);
  EXPECT_EQ(r.stdout_text, "");
}

TEST(ProcessTest, ConversationEndsAtTheDeadline) {
  SupervisionLimits limits;
  limits.wall_timeout_seconds = 0.2;
  StatusOr<ChildProcess> child = ChildProcess::Spawn(Shell("sleep 100"), limits);
  ASSERT_TRUE(child.ok());
  EXPECT_FALSE(child->PumpUntil([] { return false; }));
  EXPECT_EQ(child->Wait().kind, ExitKind::kTimedOut);
}

TEST(ProcessTest, DestructionKillsAndReaps) {
  pid_t pid;
  {
    StatusOr<ChildProcess> child = ChildProcess::Spawn(Shell("sleep 100"), {});
    ASSERT_TRUE(child.ok());
    pid = child->pid();
  }
  EXPECT_NE(kill(pid, 0), 0);  // reaped: the pid names nothing of ours
  EXPECT_TRUE(NoChildrenLeft());
}

TEST(ProcessTest, ForkRunsAFunctionUnderTheSameSupervision) {
  SpawnOptions options;
  options.stdin_mode = StdinMode::kNull;
  StatusOr<ChildProcess> child = ChildProcess::Fork(options, {}, [] {
    (void)!write(1, "from the fork\n", 14);
    return 7;
  });
  ASSERT_TRUE(child.ok()) << child.status().ToString();
  ProcessResult r = child->Wait();
  EXPECT_EQ(r.kind, ExitKind::kExited);
  EXPECT_EQ(r.exit_code, 7);
  EXPECT_EQ(r.stdout_text, "from the fork\n");

  SupervisionLimits limits;
  limits.wall_timeout_seconds = 0.2;
  StatusOr<ChildProcess> looping = ChildProcess::Fork(options, limits, [] {
    for (;;) pause();
    return 0;
  });
  ASSERT_TRUE(looping.ok());
  EXPECT_EQ(looping->Wait().kind, ExitKind::kTimedOut);
  EXPECT_TRUE(NoChildrenLeft());
}

TEST(ProcessTest, LeaksNoDescriptorsAndNoZombies) {
  const int before = OpenFdCount();
  SupervisionLimits quick;
  quick.wall_timeout_seconds = 0.1;
  for (int i = 0; i < 20; ++i) {
    RunProcess(Shell("echo hi; echo err >&2"), {}, "input");
    RunProcess(Shell("sleep 100 & sleep 100"), quick);
    SpawnOptions bad_dir = Shell("true");
    bad_dir.working_dir = "/nonexistent";
    RunProcess(bad_dir, {});
    StatusOr<ChildProcess> dropped = ChildProcess::Spawn(Shell("sleep 100"), {});
    ASSERT_TRUE(dropped.ok());
  }
  EXPECT_EQ(OpenFdCount(), before);
  EXPECT_TRUE(NoChildrenLeft());
}

TEST(ProcessTest, ManyThreadsSpawnAtOnce) {
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&ok, t] {
      for (int i = 0; i < 10; ++i) {
        ProcessResult r = RunProcess(Shell("echo " + std::to_string(t)), {});
        if (r.ok() && r.stdout_text == std::to_string(t) + "\n") ++ok;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(ok.load(), 40);
  EXPECT_TRUE(NoChildrenLeft());
}

}  // namespace
}  // namespace crucible
