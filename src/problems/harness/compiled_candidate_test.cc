#include "problems/harness/compiled_candidate.h"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace crucible {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kHeader[] = "long Twice(long x);\n";
constexpr char kDriver[] = R"(
#include <cstdio>
#include "twice.h"
int main() {
  long x;
  while (std::scanf("%ld", &x) == 1) std::printf("%ld\n", Twice(x));
  return 0;
}
)";

class CompiledCandidateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/crucible-cc-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  CompileSpec Spec(std::string candidate) const {
    CompileSpec s;
    s.header_name = "twice.h";
    s.header_source = kHeader;
    s.driver_source = kDriver;
    s.candidate_source = std::move(candidate);
    s.cache_dir = dir_ + "/cache";
    s.work_dir = dir_;
    return s;
  }

  // Compiles `candidate` (which must compile) and runs it on `input`.
  RunOutput CompileAndRun(const std::string& candidate, const std::string& input,
                          RunLimits limits = {}) {
    auto c = CompileCandidate(Spec(candidate));
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    if (!c.ok()) return {};
    EXPECT_TRUE(c->ok) << c->errors;
    return RunCandidate(c->binary_path, input, limits);
  }

  std::string dir_;
};

constexpr char kGood[] = "#include \"twice.h\"\nlong Twice(long x) { return 2 * x; }\n";

TEST_F(CompiledCandidateTest, CompilesRunsAndCaches) {
  auto first = CompileCandidate(Spec(kGood));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_TRUE(first->ok) << first->errors;
  EXPECT_FALSE(first->cached);
  RunOutput out = RunCandidate(first->binary_path, "1 2 21\n", {});
  EXPECT_EQ(out.status, RunStatus::kExited) << out.Describe() << out.stderr_text;
  EXPECT_EQ(out.exit_code, 0);
  EXPECT_EQ(out.stdout_text, "2\n4\n42\n");

  auto second = CompileCandidate(Spec(kGood));
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(second->cached);
  EXPECT_EQ(second->binary_path, first->binary_path);
}

TEST_F(CompiledCandidateTest, PrecompiledHeadersAreForceIncludedAndCachedOnce) {
  CompileSpec spec = Spec(
      "#include \"twice.h\"\nlong Twice(long x) { std::vector<long> v{x, x}; return v[0] + "
      "v[1]; }\n");
  spec.precompiled_headers = {"vector"};
  auto r = CompileCandidate(spec);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_TRUE(r->ok) << r->errors;
  EXPECT_EQ(RunCandidate(r->binary_path, "5\n", {}).stdout_text, "10\n");
  int pch_dirs = 0;
  for (const auto& e : fs::directory_iterator(dir_ + "/cache/compiled")) {
    if (e.path().filename().string().starts_with("pch-")) {
      ++pch_dirs;
      EXPECT_TRUE(fs::exists(e.path() / "crucible_std.h.gch"));
    }
  }
  EXPECT_EQ(pch_dirs, 1);
}

// Concurrent evaluations share the cache (and, in sandboxes with their own
// PID namespaces, the same pid): every one must get a working binary.
TEST_F(CompiledCandidateTest, ConcurrentCompilesOfTheSameCandidateAllSucceed) {
  CompileSpec spec = Spec(kGood);
  spec.precompiled_headers = {"vector", "cmath"};
  std::vector<StatusOr<CompileResult>> results(4, InternalError("not run"));
  {
    std::vector<std::jthread> threads;
    for (size_t i = 0; i < results.size(); ++i) {
      threads.emplace_back([&, i] { results[i] = CompileCandidate(spec); });
    }
  }
  for (const auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_TRUE(r->ok) << r->errors;
    EXPECT_EQ(RunCandidate(r->binary_path, "4\n", {}).stdout_text, "8\n");
  }
}

TEST_F(CompiledCandidateTest, CompileErrorIsDataWithShortPaths) {
  CompileSpec spec = Spec("#include \"twice.h\"\nlong Twice(long x) { return y; }\n");
  spec.candidate_name = "program.cpp";
  auto r = CompileCandidate(spec);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->ok);
  EXPECT_THAT(r->errors, HasSubstr("program.cpp:2:"));
  EXPECT_THAT(r->errors, HasSubstr("'y' was not declared"));
  EXPECT_THAT(r->errors, Not(HasSubstr(dir_)));
  auto again = CompileCandidate(spec);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->cached);
  EXPECT_EQ(again->errors, r->errors);
}

TEST_F(CompiledCandidateTest, LongCompilerOutputIsTrimmed) {
  std::string src = "#include \"twice.h\"\n";
  for (int i = 0; i < 200; ++i) src += "int f" + std::to_string(i) + "() { return undeclared; }\n";
  auto r = CompileCandidate(Spec(src));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->ok);
  EXPECT_LE(r->errors.size(), 2200u);
  EXPECT_THAT(r->errors, HasSubstr("omitted"));
}

TEST_F(CompiledCandidateTest, EmbeddingAFileWithTheAssemblerIsACompileError) {
  auto r = CompileCandidate(
      Spec(std::string(kGood) + "asm(\".section .rodata\\n.INCBIN \\\"/etc/passwd\\\"\");\n"));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->ok);
  EXPECT_THAT(r->errors, HasSubstr("error: a candidate may not embed files (.incbin)"));
}

TEST_F(CompiledCandidateTest, IncludingAFileOutsideTheStandardHeadersIsACompileError) {
  auto r = CompileCandidate(Spec("#include \"/etc/passwd\"\n" + std::string(kGood)));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->ok);
  EXPECT_THAT(r->errors, HasSubstr("candidate.cpp:1: error: only standard headers"));
  auto up = CompileCandidate(Spec("#include <../../etc/passwd>\n" + std::string(kGood)));
  ASSERT_TRUE(up.ok());
  EXPECT_FALSE(up->ok);
}

TEST_F(CompiledCandidateTest, OpeningAFileIsKilledEvenFromAStaticConstructor) {
  const std::string in_function = std::string(kGood) +
                                  "#include <cstdio>\nlong Twice2(long) { return 0; }\n"
                                  "struct Peek { Peek() { std::fopen(\"/etc/hostname\", \"r\"); } };\n"
                                  "static Peek peek;\n";
  RunOutput out = CompileAndRun(in_function, "1\n");
  EXPECT_EQ(out.status, RunStatus::kSignaled) << out.Describe();
  EXPECT_EQ(out.signal, SIGSYS);
  EXPECT_THAT(out.Describe(), HasSubstr("forbidden system call"));
  EXPECT_EQ(out.stdout_text, "");
}

TEST_F(CompiledCandidateTest, ForkExecAndSocketsAreKilled) {
  for (const std::string body :
       {"fork();", "execl(\"/bin/true\", \"true\", (char*)nullptr);",
        "socket(AF_INET, SOCK_STREAM, 0);", "kill(getppid(), SIGKILL);"}) {
    const std::string src =
        "#include \"twice.h\"\n#include <unistd.h>\n#include <signal.h>\n#include "
        "<sys/socket.h>\nlong Twice(long x) { " +
        body + " return 2 * x; }\n";
    RunOutput out = CompileAndRun(src, "1\n");
    EXPECT_EQ(out.status, RunStatus::kSignaled) << body << ": " << out.Describe();
    EXPECT_EQ(out.signal, SIGSYS) << body;
  }
}

TEST_F(CompiledCandidateTest, CrashTimeoutAndOutputFloodAreReported) {
  RunOutput crash = CompileAndRun(
      "#include \"twice.h\"\nlong Twice(long x) { volatile long* p = nullptr; return *p + x; }\n",
      "1\n");
  EXPECT_EQ(crash.status, RunStatus::kSignaled);
  EXPECT_EQ(crash.Describe(), "killed by SIGSEGV");

  RunLimits quick;
  quick.timeout_seconds = 0.5;
  RunOutput loop = CompileAndRun(
      "#include \"twice.h\"\nlong Twice(long x) { for (volatile long i = 0;; i = i + 1) {} "
      "return x; }\n",
      "1\n", quick);
  EXPECT_EQ(loop.status, RunStatus::kTimeout);
  EXPECT_GE(loop.wall_seconds, 0.5);
  EXPECT_LT(loop.wall_seconds, 5);

  RunLimits small;
  small.stdout_cap_bytes = 1000;
  RunOutput flood = CompileAndRun(
      "#include \"twice.h\"\n#include <cstdio>\nlong Twice(long x) { for (;;) std::puts(\"x\"); "
      "return x; }\n",
      "1\n", small);
  EXPECT_EQ(flood.status, RunStatus::kOutputLimit);
}

// A failed allocation is memory_limit whoever asks and whatever the candidate
// does with the null pointer next (issue #15: a malloc bomb was SIGSEGV).
TEST_F(CompiledCandidateTest, AMallocBombIsMemoryLimitNotACrash) {
  RunLimits limits;
  limits.memory_bytes = 256ull << 20;
  // The pointers are volatile so that the compiler cannot elide the
  // allocations (it may drop a malloc whose memory is only written).
  const std::vector<std::string> bombs = {
      // touches what it gets, then dereferences the null pointer
      "#include <cstdlib>\nlong Twice(long x) { for (;;) { char* volatile p = static_cast<char*>("
      "std::malloc(1 << 20)); for (int i = 0; i < (1 << 20); i += 4096) p[i] = 1; } return x; }\n",
      // one huge request, never checked
      "#include <cstdlib>\nlong Twice(long x) { long* volatile p = static_cast<long*>("
      "std::malloc(1ul << 40)); p[0] = x; return p[0]; }\n",
      "#include <cstdlib>\nlong Twice(long x) { long* volatile p = static_cast<long*>("
      "std::calloc(1ul << 37, 8)); p[0] = x; return p[0]; }\n",
      "#include <cstdlib>\nlong Twice(long x) { void* volatile p = nullptr; for (size_t n = 1;; "
      "n *= 2) { p = std::realloc(p, n); static_cast<char*>(p)[n - 1] = 1; } return x; }\n",
      "#include <cstdlib>\nlong Twice(long x) { long* volatile p = static_cast<long*>("
      "std::aligned_alloc(64, 1ul << 40)); p[0] = x; return p[0]; }\n",
      // operator new without a new_handler (this test's driver installs none)
      "#include <vector>\nlong Twice(long x) { std::vector<std::vector<char>> v; "
      "for (;;) v.emplace_back(1 << 20, 'x'); return x; }\n",
  };
  for (const std::string& body : bombs) {
    RunOutput out = CompileAndRun("#include \"twice.h\"\n" + body, "1\n", limits);
    EXPECT_EQ(out.status, RunStatus::kExited) << body << ": " << out.Describe();
    EXPECT_EQ(out.exit_code, kDriverExitOutOfMemory) << body << ": " << out.Describe();
    EXPECT_THAT(out.stderr_text, HasSubstr("ran out of memory")) << body;
    EXPECT_EQ(RunFailureReport(out).outcome, "memory_limit") << body;
  }
  // What may legitimately be null stays allowed: malloc(0), realloc(p, 0).
  RunOutput zero = CompileAndRun(
      "#include \"twice.h\"\n#include <cstdlib>\nlong Twice(long x) { void* volatile p = "
      "std::malloc(8); p = std::realloc(p, 0); std::free(p); p = std::malloc(0); std::free(p); "
      "return 2 * x; }\n",
      "21\n", limits);
  EXPECT_EQ(zero.status, RunStatus::kExited) << zero.Describe();
  EXPECT_EQ(zero.exit_code, 0) << zero.Describe();
  EXPECT_EQ(zero.stdout_text, "42\n");
}

TEST_F(CompiledCandidateTest, ExitStatusIsReported) {
  RunOutput out = CompileAndRun(
      "#include \"twice.h\"\n#include <cstdlib>\nlong Twice(long) { std::exit(3); }\n", "1\n");
  EXPECT_EQ(out.status, RunStatus::kExited);
  EXPECT_EQ(out.exit_code, 3);
  EXPECT_EQ(out.Describe(), "exited with status 3");
}

TEST(HarnessReportTest, DropsNonFiniteMetricsAndKeepsOutcome) {
  HarnessReport r;
  r.score = 1.5;
  r.metrics = {{"a", 2}, {"nan", std::nan("")}};
  EXPECT_EQ(r.ToJson(), R"({"metrics":{"a":2.0},"score":1.5,"valid":true})");
  EXPECT_EQ(FailureReport("compile_error", "x.cpp:1: bad").ToJson(),
            R"({"feedback":"x.cpp:1: bad","outcome":"compile_error","valid":false})");
}

}  // namespace
}  // namespace crucible
