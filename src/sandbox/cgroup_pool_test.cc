// Tests that a run's reused cgroup (CgroupPool) carries nothing of the
// previous run into the next: no refused-fork or OOM counts, no memory peak,
// no charged page cache.
#include <gtest/gtest.h>

#include "sandbox/sandbox.h"
#include "sandbox/sandbox_test_util.h"

namespace crucible {
namespace {

using sandbox_test::TempDir;

class CgroupReuseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SandboxOptions options = sandbox_test::FixtureOptions(64ull << 20);
    options.max_processes = 16;
    ASSERT_NO_FATAL_FAILURE(sandbox_test::CreateSandbox(options, sandbox_));
    if (!sandbox_->capabilities().cgroup_pids || !sandbox_->capabilities().cgroup_memory) {
      GTEST_SKIP() << "no pids and memory cgroups here: " << sandbox_->CapabilityReport();
    }
  }

  SandboxResult Sh(const std::string& script, Sandbox* sandbox = nullptr) {
    SandboxRequest request;
    request.argv = {"/bin/sh", "-c", script};
    request.working_dir = scratch_.path();
    return (sandbox ? sandbox : sandbox_.get())->Run(request);
  }

  std::unique_ptr<Sandbox> sandbox_;
  TempDir scratch_;
};

TEST_F(CgroupReuseTest, RefusedForksDoNotCountInTheNextRun) {
  SandboxResult bomb = Sh(
      "for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do sleep 5 & done; wait");
  EXPECT_TRUE(bomb.process_limit);
  for (int i = 0; i < 2; ++i) {
    SandboxResult next = Sh("true");
    EXPECT_EQ(next.exit_code, 0);
    EXPECT_FALSE(next.process_limit) << "run " << i;
  }
}

TEST_F(CgroupReuseTest, OomKillsAndPeakDoNotCountInTheNextRun) {
  // Four shells holding ~20 MiB each: every one is under RLIMIT_AS (64 MiB),
  // the tree is over the memory cgroup's limit, so its OOM killer strikes.
  // Each shell waits a second before it allocates, so that every shell is
  // forked while memory is still free: a fork made under the limit can fail
  // with ENOMEM ("Cannot fork") before any page fault wakes the OOM killer.
  // Room for 17 processes at once (the shell, and per branch a subshell,
  // its command substitution, head and tr): with the fixture's limit of 16
  // a fork was once refused ("Cannot fork") before memory ran out.
  SandboxOptions roomy;
  roomy.wall_timeout_seconds = 20;
  roomy.memory_bytes = 64ull << 20;
  roomy.max_processes = 64;
  StatusOr<std::unique_ptr<Sandbox>> sandbox = Sandbox::Create(roomy);
  ASSERT_TRUE(sandbox.ok()) << sandbox.status().ToString();
  SandboxResult hog = Sh(
      "p=; for i in 1 2 3 4; do (sleep 1; x=$(head -c 20000000 /dev/zero | tr '\\0' a); sleep 3) & "
      "p=\"$p $!\"; done; s=0; for i in $p; do wait $i || s=1; done; exit $s",
      sandbox->get());
  EXPECT_TRUE(hog.memory_limit) << hog.stderr_text;
  EXPECT_GT(hog.memory_peak_bytes, 32u << 20);
  SandboxResult next = Sh("true", sandbox->get());
  EXPECT_EQ(next.exit_code, 0);
  EXPECT_FALSE(next.memory_limit);
  EXPECT_LT(next.memory_peak_bytes, 16u << 20);
}

TEST_F(CgroupReuseTest, FilesLeftInThePageCacheDoNotCountInTheNextRun) {
  SandboxResult writer = Sh("head -c 24000000 /dev/urandom > written");
  ASSERT_EQ(writer.exit_code, 0) << writer.stderr_text;
  ASSERT_GT(writer.memory_peak_bytes, 20u << 20) << "the file should be charged to the run";
  SandboxResult next = Sh("true");
  EXPECT_EQ(next.exit_code, 0);
  EXPECT_LT(next.memory_peak_bytes, 16u << 20);
}

}  // namespace
}  // namespace crucible
