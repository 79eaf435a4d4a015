// The scratch quota (SandboxRequest::scratch_bytes) with real processes: a
// command that writes big files or many small ones fills a private tmpfs, not
// the host's disk; the run says so; only the named plain files come back.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "sandbox/sandbox.h"
#include "sandbox/sandbox_test_util.h"

namespace crucible {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using sandbox_test::ReadFile;
using sandbox_test::TempDir;

constexpr uint64_t kQuota = 4 << 20;

class ScratchQuotaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(
        sandbox_test::CreateSandbox(sandbox_test::FixtureOptions(256ull << 20), sandbox_));
    if (!sandbox_->capabilities().filesystem_isolation) {
      GTEST_SKIP() << "no filesystem isolation here: " << sandbox_->CapabilityReport();
    }
  }

  SandboxResult Sh(const std::string& script, bool hide_host = false) {
    SandboxRequest request;
    request.argv = {"/bin/sh", "-c", script};
    request.working_dir = scratch_.path();
    request.scratch_bytes = kQuota;
    request.scratch_copy_out = {"result.json"};
    request.hide_host_filesystem = hide_host;
    return sandbox_->Run(request);
  }

  // Everything the host's working dir holds after a run.
  std::vector<std::string> HostFiles() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(scratch_.path())) {
      names.push_back(e.path().filename().string());
    }
    return names;
  }

  std::unique_ptr<Sandbox> sandbox_;
  TempDir scratch_;
};

TEST_F(ScratchQuotaTest, ABigFileFillsTheQuotaNotTheDisk) {
  for (bool hide_host : {false, true}) {
    SandboxResult r = Sh("dd if=/dev/zero of=big bs=1M count=64 2>&1; ls -s big", hide_host);
    ASSERT_TRUE(r.started) << r.spawn_error;
    EXPECT_THAT(r.stdout_text, HasSubstr("No space left on device")) << "hide_host " << hide_host;
    EXPECT_TRUE(r.scratch_full) << r.stdout_text;
    EXPECT_FALSE(r.output_limit) << "the quota, not RLIMIT_FSIZE, stopped it";
    EXPECT_THAT(HostFiles(), ::testing::IsEmpty()) << "nothing reached the host's directory";
  }
}

TEST_F(ScratchQuotaTest, ManyEmptyFilesRunOutOfInodes) {
  // Empty files take no blocks: only the inode bound stops them.
  SandboxResult r = Sh("i=0; while true 2>/dev/null > f$i; do i=$((i+1)); done; echo $i");
  ASSERT_TRUE(r.started) << r.spawn_error;
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  const int created = std::stoi(r.stdout_text);
  EXPECT_GT(created, 100);
  EXPECT_LE(created, 1024) << "one inode per 16 KiB of a 4 MiB quota, at least 1024";
  EXPECT_TRUE(r.scratch_full);
  EXPECT_THAT(HostFiles(), ::testing::IsEmpty());
}

TEST_F(ScratchQuotaTest, AnOrdinaryRunIsNotFullAndItsResultComesBack) {
  SandboxResult r = Sh("echo '{\"score\": 1}' > result.json; echo other > other.txt; "
                       "mkdir d; echo x > d/result.json; cat result.json");
  ASSERT_TRUE(r.started) << r.spawn_error;
  EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_FALSE(r.scratch_full);
  EXPECT_EQ(ReadFile(scratch_.path() + "/result.json"), "{\"score\": 1}\n");
  EXPECT_THAT(HostFiles(), ::testing::ElementsAre("result.json")) << "only the named file";
}

TEST_F(ScratchQuotaTest, SymlinksFifosAndDirectoriesAreNotCopiedOut) {
  TempDir outside;
  std::ofstream(outside.path() + "/secret") << "secret";
  for (const std::string& plant :
       {"ln -s " + outside.path() + "/secret result.json", std::string("mkfifo result.json"),
        std::string("mkdir result.json")}) {
    SandboxResult r = Sh(plant);
    ASSERT_TRUE(r.started) << r.spawn_error;
    EXPECT_EQ(r.exit_code, 0) << plant << ": " << r.stderr_text;
    EXPECT_THAT(HostFiles(), ::testing::IsEmpty()) << plant;
  }
  EXPECT_EQ(ReadFile(outside.path() + "/secret"), "secret");
}

TEST_F(ScratchQuotaTest, ABackgroundWriterCannotOutliveTheCopyOut) {
  // The command exits while a child keeps appending to result.json: the
  // child is killed before the copy, so what comes back is bounded.
  SandboxResult r = Sh("(while :; do echo 0123456789abcdef; done >> result.json) & sleep 0.2");
  ASSERT_TRUE(r.started) << r.spawn_error;
  struct stat st;
  if (stat((scratch_.path() + "/result.json").c_str(), &st) == 0) {
    EXPECT_LE(static_cast<uint64_t>(st.st_size), kQuota);
  }
}

}  // namespace
}  // namespace crucible
