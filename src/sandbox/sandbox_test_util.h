// Helpers shared by the sandbox's integration tests: temporary directories,
// the sandbox a fixture runs its commands in, and scans of /proc for
// processes a run left behind.
#ifndef CRUCIBLE_SANDBOX_SANDBOX_TEST_UTIL_H_
#define CRUCIBLE_SANDBOX_SANDBOX_TEST_UTIL_H_

#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "sandbox/sandbox.h"

namespace crucible::sandbox_test {

class TempDir {
 public:
  TempDir() {
    std::string pattern = "/tmp/crucible-sandbox-test-XXXXXX";
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A fixture's sandbox options: 20 s of wall time and `memory_bytes`.
inline SandboxOptions FixtureOptions(uint64_t memory_bytes) {
  SandboxOptions options;
  options.wall_timeout_seconds = 20;
  options.memory_bytes = memory_bytes;
  return options;
}

// Makes the sandbox of a fixture's SetUp into `out`; a fatal failure when it
// cannot be made (call it in ASSERT_NO_FATAL_FAILURE). Whether the tests
// need a capability it lacks (GTEST_SKIP) is the fixture's to say.
inline void CreateSandbox(const SandboxOptions& options, std::unique_ptr<Sandbox>& out) {
  StatusOr<std::unique_ptr<Sandbox>> sandbox = Sandbox::Create(options);
  ASSERT_TRUE(sandbox.ok()) << sandbox.status().ToString();
  out = std::move(sandbox).value();
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline std::string UniqueMarker() {
  static std::atomic<int> counter{0};
  std::random_device device;
  return "m" + std::to_string(getpid()) + "x" + std::to_string(counter++) + "x" +
         std::to_string(device());
}

// Pids of live processes whose environment carries `marker`.
inline std::vector<int> ProcessesWithMarker(const std::string& marker) {
  std::vector<int> pids;
  const std::string needle = "CRUCIBLE_TEST_MARKER=" + marker;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string environ = ReadFile(entry.path() / "environ");
    if (environ.find(needle) != std::string::npos) pids.push_back(std::stoi(name));
  }
  return pids;
}

// Children of this test process, zombies included.
inline std::vector<int> OurChildren() {
  std::vector<int> pids;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string stat = ReadFile(entry.path() / "stat");
    size_t close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 2));
    char state;
    int ppid;
    rest >> state >> ppid;
    if (ppid == getpid()) pids.push_back(std::stoi(name));
  }
  return pids;
}

inline uint64_t OurRssBytes() {
  std::istringstream status(ReadFile("/proc/self/status"));
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  }
  return 0;
}

}  // namespace crucible::sandbox_test

#endif  // CRUCIBLE_SANDBOX_SANDBOX_TEST_UTIL_H_
