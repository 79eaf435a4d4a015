// Integration tests of the sandbox's fallbacks: as an unprivileged user (with
// and without user namespaces), and when crucible itself is killed mid-run.
#include <grp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <iostream>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "sandbox/sandbox.h"
#include "sandbox/sandbox_test_util.h"

namespace crucible {
namespace {

using ::testing::HasSubstr;
using sandbox_test::OurChildren;
using sandbox_test::ProcessesWithMarker;
using sandbox_test::ReadFile;
using sandbox_test::TempDir;
using sandbox_test::UniqueMarker;

// Runs `body` in a forked child (optionally as user nobody) and returns what
// it printed. `dumpable`: an ordinary unprivileged process is; one that got
// there through setuid() is not, and cannot write its own /proc/self/uid_map,
// so the sandbox must fall back to running without namespaces.
enum class Identity { kSelf, kNobody, kNobodyWithoutNamespaces };

std::string RunInChild(Identity identity, const std::function<std::string()>& body,
                       pid_t* child_pid = nullptr, int* status_out = nullptr) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return "pipe failed";
  pid_t child = fork();
  if (child == 0) {
    close(pipe_fds[0]);
    if (identity != Identity::kSelf) {
      if (setgroups(0, nullptr) != 0 || setgid(65534) != 0 || setuid(65534) != 0) _exit(2);
      if (identity == Identity::kNobody) prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
    }
    std::string out = body();
    (void)!write(pipe_fds[1], out.data(), out.size());
    _exit(0);
  }
  close(pipe_fds[1]);
  if (child_pid != nullptr) *child_pid = child;
  std::string out;
  char buffer[4096];
  for (ssize_t n; (n = read(pipe_fds[0], buffer, sizeof(buffer))) > 0;) out.append(buffer, n);
  close(pipe_fds[0]);
  int status = 0;
  waitpid(child, &status, 0);
  if (status_out != nullptr) *status_out = status;
  return out;
}

std::string CreateAndRun(const std::string& scratch, const std::string& marker,
                         const std::string& script, double timeout) {
  SandboxOptions options;
  options.wall_timeout_seconds = timeout;
  auto sandbox = Sandbox::Create(options);
  if (!sandbox.ok()) return "create failed: " + sandbox.status().ToString() + "\n";
  std::string out = (*sandbox)->CapabilityReport() + "\n";
  SandboxRequest request;
  request.argv = {"/bin/sh", "-c", script};
  request.working_dir = scratch;
  request.env["CRUCIBLE_TEST_MARKER"] = marker;
  SandboxResult r = (*sandbox)->Run(request);
  out += r.started ? r.stdout_text : "spawn error: " + r.spawn_error + "\n";
  if (r.timed_out) out += "timed out\n";
  return out;
}

class SandboxUnprivilegedTest : public ::testing::TestWithParam<Identity> {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root to switch to an unprivileged user";
    chmod(scratch_.path().c_str(), 0777);
  }
  TempDir scratch_;
  const std::string marker_ = UniqueMarker();
};

TEST_P(SandboxUnprivilegedTest, RunsAndCleansUp) {
  std::string out = RunInChild(GetParam(), [&] {
    return CreateAndRun(scratch_.path(), marker_,
                        "echo uid=$(id -u); (setsid sleep 1000 &); sleep 1000 & echo ok", 5);
  });
  std::cout << "unprivileged: " << out;
  EXPECT_THAT(out, HasSubstr("network: "));
  EXPECT_THAT(out, HasSubstr("\nuid="));
  EXPECT_THAT(out, HasSubstr("\nok\n"));
  if (GetParam() == Identity::kNobody) {
    EXPECT_THAT(out, HasSubstr("(user namespace)")) << "user namespaces are available here";
  } else {
    EXPECT_THAT(out, HasSubstr("kill: process group + subreaper"));
  }
  EXPECT_THAT(ProcessesWithMarker(marker_), ::testing::IsEmpty());
}

TEST_P(SandboxUnprivilegedTest, TimeoutKillsTheTree) {
  std::string out = RunInChild(GetParam(), [&] {
    return CreateAndRun(scratch_.path(), marker_,
                        "(setsid sleep 1000 &); sleep 1000 & sleep 1000", 0.5);
  });
  EXPECT_THAT(out, HasSubstr("timed out"));
  EXPECT_THAT(ProcessesWithMarker(marker_), ::testing::IsEmpty());
}

TEST_P(SandboxUnprivilegedTest, ProcessLimitHolds) {
  std::string out = RunInChild(GetParam(), [&] {
    SandboxOptions options;
    options.wall_timeout_seconds = 5;
    options.max_processes = 8;
    auto sandbox = Sandbox::Create(options);
    if (!sandbox.ok()) return sandbox.status().ToString();
    SandboxRequest request;
    request.argv = {"/bin/sh", "-c",
                    "for i in $(seq 30); do sleep 2 & done; "
                    "echo started; kill 0"};
    request.working_dir = scratch_.path();
    request.env["CRUCIBLE_TEST_MARKER"] = marker_;
    SandboxResult r = (*sandbox)->Run(request);
    return r.stdout_text + r.stderr_text;
  });
  // The shell dies at the first refused fork ("Cannot fork"), long before 30.
  EXPECT_THAT(out, HasSubstr("Cannot fork"));
  EXPECT_THAT(out, ::testing::Not(HasSubstr("started")));
  EXPECT_THAT(ProcessesWithMarker(marker_), ::testing::IsEmpty());
}

INSTANTIATE_TEST_SUITE_P(Identities, SandboxUnprivilegedTest,
                         ::testing::Values(Identity::kNobody,
                                           Identity::kNobodyWithoutNamespaces));

// crucible itself dies (SIGKILL) in the middle of a run: nothing of the run
// may survive it, with namespaces (the init dies of PDEATHSIG, taking its PID
// namespace along) and without (the init sees its control channel close and
// kills the tree).
class SandboxParentDeathTest : public ::testing::TestWithParam<Identity> {};

TEST_P(SandboxParentDeathTest, KillingCrucibleKillsTheRun) {
  if (geteuid() != 0 && GetParam() != Identity::kSelf) GTEST_SKIP() << "needs root";
  TempDir scratch;
  chmod(scratch.path().c_str(), 0777);
  const std::string marker = UniqueMarker();
  pid_t crucible = fork();
  ASSERT_GE(crucible, 0);
  if (crucible == 0) {
    RunInChild(GetParam(), [&] {
      return CreateAndRun(scratch.path(), marker,
                          "sleep 1000 & (setsid sleep 1000 &); sleep 1000", 60);
    });
    _exit(0);
  }
  // Wait for the run to be under way, then kill the stand-in for crucible
  // (the grandchild that runs the sandbox).
  // Steady state: the shell and its three sleeps (counts pass through
  // transient values while the shell forks).
  auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  size_t running = 0;
  while ((running = ProcessesWithMarker(marker).size()) < 4 &&
         std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(running, 4u);
  std::string children = ReadFile("/proc/" + std::to_string(crucible) + "/task/" +
                                  std::to_string(crucible) + "/children");
  kill(std::stoi(children), SIGKILL);
  int status;
  waitpid(crucible, &status, 0);
  give_up = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (!ProcessesWithMarker(marker).empty() && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_THAT(ProcessesWithMarker(marker), ::testing::IsEmpty());
}

INSTANTIATE_TEST_SUITE_P(Identities, SandboxParentDeathTest,
                         ::testing::Values(Identity::kSelf,
                                           Identity::kNobodyWithoutNamespaces));

}  // namespace
}  // namespace crucible
