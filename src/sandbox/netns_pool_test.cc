// Tests of the pooled network namespaces (netns_pool.h): a namespace is held
// by one run at a time, and what a run did in it does not reach the next run.
#include "sandbox/netns_pool.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "sandbox/sandbox.h"
#include "sandbox/sandbox_test_util.h"

namespace crucible {
namespace {

using ::testing::HasSubstr;
using sandbox_test::ReadFile;
using sandbox_test::TempDir;

ino_t Inode(const UniqueFd& fd) {
  struct stat st {};
  fstat(fd.get(), &st);
  return st.st_ino;
}

TEST(NetnsPoolTest, HandsOutDistinctNamespacesAndReusesReleasedOnes) {
  if (geteuid() != 0) GTEST_SKIP() << "pooling needs root";
  NetnsPool pool;
  StatusOr<UniqueFd> a = pool.Acquire();
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  StatusOr<UniqueFd> b = pool.Acquire();
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_NE(Inode(*a), Inode(*b)) << "two holders at once must not share a namespace";
  UniqueFd self(open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC));
  EXPECT_NE(Inode(*a), Inode(self)) << "a pooled namespace is not ours";
  const ino_t released = Inode(*a);
  pool.Release(std::move(a).value());
  StatusOr<UniqueFd> c = pool.Acquire();
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(Inode(*c), released);
  EXPECT_EQ(pool.created(), 2);
}

class PooledNetworkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(
        sandbox_test::CreateSandbox(sandbox_test::FixtureOptions(512ull << 20), sandbox_));
    if (sandbox_->CapabilityReport().find("reused") == std::string::npos) {
      GTEST_SKIP() << "network namespaces are not pooled here: " << sandbox_->CapabilityReport();
    }
  }

  SandboxResult Python(const std::string& script, std::vector<std::string> args = {}) {
    SandboxRequest request;
    request.argv = {"python3", "-c", script};
    request.argv.insert(request.argv.end(), args.begin(), args.end());
    request.working_dir = scratch_.path();
    request.writable_paths = {shared_.path()};
    return sandbox_->Run(request);
  }

  std::unique_ptr<Sandbox> sandbox_;
  TempDir scratch_;
  TempDir shared_;
};

// The server closes first, which would leave its port in TIME_WAIT for a
// minute: a later run binding the same port (without SO_REUSEADDR) in the
// same, reused namespace would then fail.
TEST_F(PooledNetworkTest, AClosedConnectionDoesNotHoldItsPortIntoTheNextRun) {
  const char* kServeOnce =
      "import socket\n"
      "s = socket.socket(); s.bind(('127.0.0.1', 47631)); s.listen()\n"
      "c = socket.create_connection(('127.0.0.1', 47631), timeout=5)\n"
      "a, _ = s.accept(); a.sendall(b'x'); a.close(); c.recv(1); c.close(); s.close()\n"
      "print('served')\n";
  const char* kBind =
      "import socket\n"
      "s = socket.socket(); s.bind(('127.0.0.1', 47631)); s.listen(); print('bound')\n";
  for (int i = 0; i < 2; ++i) {
    SandboxResult served = Python(kServeOnce);
    ASSERT_EQ(served.exit_code, 0) << served.stderr_text;
    SandboxResult bound = Python(kBind);
    EXPECT_EQ(bound.exit_code, 0) << "run " << i << ": " << bound.stderr_text;
    EXPECT_EQ(bound.stdout_text, "bound\n");
  }
}

// While one run listens on 127.0.0.1 and on an abstract UNIX socket, a
// concurrent run can reach neither.
TEST_F(PooledNetworkTest, ConcurrentRunsDoNotShareANetwork) {
#if defined(__SANITIZE_THREAD__)
  // TSan's clone interceptor runs inside the launcher's CLONE_VM child and
  // leaves the launching thread's synchronisation unrecorded: the pool's
  // mutex-protected counter is then reported as a race between two runs from
  // different threads (a false report; docs/sandbox.md). The release and
  // ASan builds run this test.
  GTEST_SKIP() << "ThreadSanitizer cannot follow the sandbox launcher's clone";
#endif
  const std::string ready = shared_.path() + "/ready";
  const std::string done = shared_.path() + "/done";
  const char* kListen =
      "import os, socket, sys, time\n"
      "t = socket.socket(); t.bind(('127.0.0.1', 47632)); t.listen()\n"
      "u = socket.socket(socket.AF_UNIX); u.bind('\\0crucible-netns-test'); u.listen()\n"
      "open(sys.argv[1], 'w').close()\n"
      "end = time.time() + 15\n"
      "while not os.path.exists(sys.argv[2]) and time.time() < end: time.sleep(0.01)\n"
      "print('listened')\n";
  const char* kConnect =
      "import os, socket, sys, time\n"
      "end = time.time() + 15\n"
      "while not os.path.exists(sys.argv[1]) and time.time() < end: time.sleep(0.01)\n"
      "out = []\n"
      "for family, address in ((socket.AF_INET, ('127.0.0.1', 47632)),\n"
      "                        (socket.AF_UNIX, '\\0crucible-netns-test')):\n"
      "    s = socket.socket(family)\n"
      "    try:\n"
      "        s.connect(address); out.append('reached')\n"
      "    except OSError:\n"
      "        out.append('refused')\n"
      "open(sys.argv[2], 'w').close()\n"
      "print(' '.join(out))\n";
  SandboxResult listener;
  std::thread listen_thread([&] { listener = Python(kListen, {ready, done}); });
  SandboxResult connector = Python(kConnect, {ready, done});
  listen_thread.join();
  EXPECT_EQ(listener.stdout_text, "listened\n") << listener.stderr_text;
  EXPECT_TRUE(std::filesystem::exists(ready)) << "the listener never got ready";
  EXPECT_EQ(connector.stdout_text, "refused refused\n") << connector.stderr_text;
}

}  // namespace
}  // namespace crucible

namespace crucible {
namespace {

size_t OpenDescriptors() {
  size_t n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

// Runs hand their mount and IPC namespaces to a background releaser
// (ns_releaser.h): the scratch dir can be removed as soon as Run() returns,
// and destroying the Sandbox leaves no descriptor (no namespace) behind.
TEST(NamespaceReleaseTest, NothingOutlivesTheSandbox) {
  const size_t before = OpenDescriptors();
  {
    SandboxOptions options;
    options.wall_timeout_seconds = 20;
    StatusOr<std::unique_ptr<Sandbox>> sandbox = Sandbox::Create(options);
    ASSERT_TRUE(sandbox.ok()) << sandbox.status().ToString();
    for (int i = 0; i < 3; ++i) {
      TempDir scratch;
      SandboxRequest request;
      request.argv = {"/bin/sh", "-c", "echo x > file; echo y > /tmp/t; cat file /tmp/t"};
      request.working_dir = scratch.path();
      SandboxResult r = (*sandbox)->Run(request);
      EXPECT_EQ(r.stdout_text, "x\ny\n") << r.stderr_text;
      std::error_code error;
      std::filesystem::remove_all(scratch.path(), error);
      EXPECT_FALSE(error) << error.message();
      EXPECT_FALSE(std::filesystem::exists(scratch.path()));
    }
  }
  EXPECT_EQ(OpenDescriptors(), before);
}

}  // namespace
}  // namespace crucible
