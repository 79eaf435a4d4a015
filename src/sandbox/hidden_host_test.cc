// SandboxRequest::hide_host_filesystem: the command sees the system's
// programs and libraries and the paths it is given, nothing else of the host;
// data reaches it only through inherited descriptors.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "sandbox/sandbox.h"
#include "sandbox/sandbox_test_util.h"

namespace crucible {
namespace {

using sandbox_test::TempDir;

class HiddenHostTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SandboxOptions options;
    options.wall_timeout_seconds = 20;
    auto sandbox = Sandbox::Create(options);
    ASSERT_TRUE(sandbox.ok()) << sandbox.status().ToString();
    sandbox_ = std::move(*sandbox);
    if (sandbox_->CapabilityReport().find("read-only root") == std::string::npos) {
      GTEST_SKIP() << "no filesystem isolation here: " << sandbox_->CapabilityReport();
    }
    // Outside /tmp, which the ordinary view hides anyway (a private tmpfs).
    std::string pattern = "/var/tmp/crucible-hidden-host-XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    data_dir_ = pattern;
    secret_dir_ = data_dir_ + "/problem";
    std::filesystem::create_directories(secret_dir_ + "/data");
    std::ofstream(secret_dir_ + "/data/heldout.txt") << "HELDOUT-SECRET-42\n";
    std::filesystem::create_directories(work_.path() + "/scratch");
  }

  SandboxResult Run(const std::string& script, bool hide, std::vector<int> fds = {},
                    std::map<std::string, std::string> env = {}) {
    SandboxRequest request;
    request.argv = {"/bin/sh", "-c", script};
    request.working_dir = work_.path() + "/scratch";
    request.hide_host_filesystem = hide;
    request.inherit_fds = std::move(fds);
    request.env = std::move(env);
    return sandbox_->Run(request);
  }

  void TearDown() override {
    std::error_code ignored;
    if (!data_dir_.empty()) std::filesystem::remove_all(data_dir_, ignored);
  }

  TempDir work_;
  std::string data_dir_;
  std::string secret_dir_;
  std::unique_ptr<Sandbox> sandbox_;
};

TEST_F(HiddenHostTest, TheHostsFilesAreGoneButTheToolchainIsThere) {
  const std::string secret = secret_dir_ + "/data/heldout.txt";
  // Without hiding, the (read-only) file is readable: the probe is potent.
  SandboxResult open_view = Run("cat " + secret, false);
  ASSERT_TRUE(open_view.started) << open_view.spawn_error;
  EXPECT_NE(open_view.stdout_text.find("HELDOUT-SECRET-42"), std::string::npos);

  const std::string probes =
      "cat " + secret + "; cat /proc/self/root" + secret + "; cat /proc/1/root" + secret +
      "; cat /proc/self/cwd/../../../../../../../.." + secret + "; ls /work /home /root /etc; "
      "test -x /usr/bin/g++ && echo HAVE_GXX; test -d /usr/include && echo HAVE_INCLUDE; "
      "test -e /usr/share && echo HAVE_SHARE; echo ok > out.txt && cat out.txt; "
      "echo tmp > /tmp/x && cat /tmp/x; touch /usr/x 2>/dev/null || echo RO_USR; "
      "touch /newfile 2>/dev/null || echo RO_ROOT";
  // The secret's directory named in env (not argv) is not shown either.
  SandboxResult r = Run(probes, true, {}, {{"DATA_DIR", secret_dir_}});
  ASSERT_TRUE(r.started) << r.spawn_error;
  EXPECT_EQ(r.stdout_text.find("HELDOUT-SECRET-42"), std::string::npos) << r.stdout_text;
  EXPECT_NE(r.stdout_text.find("HAVE_GXX"), std::string::npos) << r.stdout_text << r.stderr_text;
  EXPECT_NE(r.stdout_text.find("HAVE_INCLUDE"), std::string::npos);
  EXPECT_EQ(r.stdout_text.find("HAVE_SHARE"), std::string::npos);
  EXPECT_NE(r.stdout_text.find("ok\n"), std::string::npos) << r.stderr_text;
  EXPECT_NE(r.stdout_text.find("tmp\n"), std::string::npos) << r.stderr_text;
  EXPECT_NE(r.stdout_text.find("RO_USR"), std::string::npos);
  EXPECT_NE(r.stdout_text.find("RO_ROOT"), std::string::npos);
}

TEST_F(HiddenHostTest, DataComesThroughAnInheritedDescriptorOnly) {
  const int dir = open(secret_dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(dir, 0);
  const int channel = memfd_create("result", MFD_CLOEXEC);
  ASSERT_GE(channel, 0);
  // fd 8: the channel, fd 9: the directory. The init (PID 1) holds neither.
  SandboxResult r = Run(
      "cat /proc/self/fd/9/data/heldout.txt; echo written >&8; "
      "cat /proc/1/fd/9/data/heldout.txt 2>/dev/null || echo NO_INIT_FD",
      true, {channel, dir});
  close(dir);
  ASSERT_TRUE(r.started) << r.spawn_error;
  EXPECT_NE(r.stdout_text.find("HELDOUT-SECRET-42"), std::string::npos) << r.stderr_text;
  EXPECT_NE(r.stdout_text.find("NO_INIT_FD"), std::string::npos) << r.stdout_text;
  char buffer[64] = {};
  ASSERT_GT(pread(channel, buffer, sizeof(buffer) - 1, 0), 0);
  EXPECT_STREQ(buffer, "written\n");
  close(channel);
}

TEST_F(HiddenHostTest, RefusesMoreThanTwoDescriptors) {
  SandboxResult r = Run("true", true, {0, 1, 2});
  EXPECT_FALSE(r.started);
  EXPECT_NE(r.spawn_error.find("descriptor"), std::string::npos) << r.spawn_error;
}

}  // namespace
}  // namespace crucible
