// Compiles real candidates with g++ and runs them confined (integration):
// the shipped programs through the driver reproduce the in-process values,
// and every loophole of the spec (§7) is tried by a hostile candidate.
#include "problems/cant_be_late/src/harness.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace crucible::cbl {
namespace {

namespace fs = std::filesystem;
using testing::HasSubstr;

const std::string kProblemDir = std::string(CRUCIBLE_PROBLEMS_DIR) + "/cant_be_late";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// A candidate whose Step body is `body` (o is the observation).
std::string Candidate(const std::string& body, const std::string& prelude = "") {
  return "#include <cstdio>\n#include <memory>\n#include <unistd.h>\n#include \"cant_be_late.h\"\n" +
         prelude +
         "class P : public cbl::Policy {\n public:\n  cbl::ClusterType Step(const "
         "cbl::Observation& o) override {\n" +
         body +
         "\n  }\n};\nstd::unique_ptr<cbl::Policy> cbl::MakePolicy() { return "
         "std::make_unique<P>(); }\n";
}

class CblHarnessTest : public testing::Test {
 protected:
  // A scratch directory per suite; the compile cache lives in the build
  // tree and is shared by the test processes ctest starts (one per test), so
  // the precompiled header is built once, not once per test.
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/cbl_harness_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = new std::string(tmpl);
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
  }

  HarnessReport Evaluate(const std::string& source, const std::vector<Scenario>& scenarios,
                         SimOptions sim = SimOptions{}, double timeout = 30) {
    EvaluateOptions options;
    options.sim = sim;
    options.cache_dir = CBL_TEST_CACHE_DIR;
    options.work_dir = *dir_;
    options.limits.timeout_seconds = timeout;
    return EvaluateCandidate(source, scenarios, options);
  }

  // A small slice of the train split: 2 windows x all envs, D, O.
  static std::vector<Scenario> Small() {
    std::vector<Scenario> all = *SplitGrid(EmbeddedTraceSet(), "train");
    std::vector<Scenario> out;
    for (const Scenario& s : all) {
      if (s.trace_id == 7 || s.trace_id == 298) out.push_back(s);
    }
    return out;
  }


  static std::string* dir_;
};

std::string* CblHarnessTest::dir_ = nullptr;

TEST_F(CblHarnessTest, SeedAndUniformProgressReproduceTheLeaderboardThroughTheDriver) {
  const std::vector<Scenario> grid = LeaderboardGrid(EmbeddedTraceSet());
  const SimOptions parity{.guarantee_quirk = true, .enforce_deadline = false};
  const HarnessReport greedy = Evaluate(ReadFile(kProblemDir + "/initial.cpp"), grid, parity);
  ASSERT_TRUE(greedy.valid) << greedy.feedback;
  EXPECT_NEAR(greedy.metrics.at("mean_cost"), 119.0345, 5e-5);
  EXPECT_EQ(greedy.metrics.at("late_runs"), 0);
  const HarnessReport up =
      Evaluate(ReadFile(kProblemDir + "/examples/uniform_progress.cpp"), grid, parity);
  ASSERT_TRUE(up.valid) << up.feedback;
  EXPECT_NEAR(up.metrics.at("mean_cost"), 99.2301, 5e-5);
  EXPECT_EQ(up.metrics.at("late_runs"), 112);
}

TEST_F(CblHarnessTest, LockstepEqualsOneScenarioAtATime) {
  // The compiled greedy on the train split equals crucible's in-process
  // greedy scenario by scenario (same mean to the last bit).
  const std::vector<Scenario> train = *SplitGrid(EmbeddedTraceSet(), "train");
  double sum = 0;
  for (const Scenario& s : train) {
    GreedyPolicy g;
    const RunResult r = Simulate(EmbeddedTraceSet().Window(s.env, s.trace_id), s.job, g, SimOptions{});
    ASSERT_FALSE(r.missed) << s.Name();
    sum += r.cost;
  }
  const HarnessReport report = Evaluate(ReadFile(kProblemDir + "/initial.cpp"), train);
  ASSERT_TRUE(report.valid) << report.feedback;
  EXPECT_EQ(report.metrics.at("mean_cost"), sum / static_cast<double>(train.size()));
  EXPECT_THAT(report.feedback, HasSubstr("most expensive"));
  EXPECT_TRUE(report.metrics.contains("worst10pct_mean_cost"));  // tail reported apart (loophole 5)
}

// Loophole 1: a missed deadline fails the candidate.
TEST_F(CblHarnessTest, MissedDeadlineIsAFailure) {
  std::vector<Scenario> s = Small();
  s[0].job = JobSpec{48, 48.05, 0.05};  // passes the pre-check, cannot finish by D
  const HarnessReport r = Evaluate(Candidate("return cbl::ON_DEMAND;"), s);
  EXPECT_FALSE(r.valid);
  EXPECT_EQ(r.outcome, "invalid");
  EXPECT_THAT(r.feedback, HasSubstr("missed the deadline in 1 of"));
}

// Loophole 2: no future knowledge. The trace is not in the candidate's
// process and files cannot be opened.
TEST_F(CblHarnessTest, ReadingTheTraceFromDiskIsRefused) {
  const HarnessReport r = Evaluate(
      Candidate("static FILE* f = std::fopen(\"" + kProblemDir +
                "/data/base_traces.txt\", \"r\"); if (f) return cbl::SPOT; return cbl::NONE;"),
      Small());
  EXPECT_FALSE(r.valid);
  EXPECT_EQ(r.outcome, "runtime_error");
  EXPECT_THAT(r.feedback, HasSubstr("SIGSYS"));
}

TEST_F(CblHarnessTest, ReadingAheadOnStdinFindsNothingAndFails) {
  // Next round's observations are not written before this round's answers:
  // a policy that reads stdin only stalls (timeout) or corrupts its own
  // driver's protocol.
  const HarnessReport r = Evaluate(
      Candidate("char b[64]; if (read(0, b, sizeof b) > 0) return cbl::SPOT; return cbl::NONE;"),
      Small(), SimOptions{}, 1.5);
  EXPECT_FALSE(r.valid);
}

// Loophole 3: progress state is the simulator's; editing the observation or
// writing fake answers changes nothing.
TEST_F(CblHarnessTest, WritingProgressCountersChangesNothing) {
  const std::vector<Scenario> s = Small();
  const HarnessReport honest = Evaluate(Candidate("return cbl::NONE;"), s);
  const HarnessReport hostile = Evaluate(
      Candidate("auto& m = const_cast<cbl::Observation&>(o); m.done_s = m.task_s; "
                "m.remaining_overhead_s = 0; m.deadline_s = 1e12;\n"
                "std::fwrite(\"\\0\\0\\0\\0\\0\\0\\0\\0\", 1, 8, stdout); std::fflush(stdout);\n"
                "return cbl::NONE;"),
      s);
  ASSERT_TRUE(honest.valid) << honest.feedback;
  ASSERT_TRUE(hostile.valid) << hostile.feedback;
  EXPECT_EQ(hostile.metrics.at("mean_cost"), honest.metrics.at("mean_cost"));
  EXPECT_GT(honest.metrics.at("mean_cost"), 46.7088);  // finishing costs money
}

// Loophole 4: the guarantee and the availability check run outside the
// policy: an always-spot policy still meets every deadline and never runs
// spot while it is down.
TEST_F(CblHarnessTest, GuaranteeCannotBeBypassed) {
  const HarnessReport r = Evaluate(Candidate("return cbl::SPOT;"), Small());
  ASSERT_TRUE(r.valid) << r.feedback;
  EXPECT_EQ(r.metrics.at("late_runs"), 0);
}

TEST_F(CblHarnessTest, InvalidDecisionCrashAndExceptionAreFailures) {
  const HarnessReport bad = Evaluate(Candidate("return static_cast<cbl::ClusterType>(7);"), Small());
  EXPECT_EQ(bad.outcome, "invalid");
  EXPECT_THAT(bad.feedback, HasSubstr("invalid ClusterType"));
  const HarnessReport thrown =
      Evaluate(Candidate("if (o.tick == 3) throw 1; return cbl::NONE;", "#include <stdexcept>\n"),
               Small());
  EXPECT_EQ(thrown.outcome, "runtime_error");
  const HarnessReport crash = Evaluate(
      Candidate("if (o.tick == 3) { volatile int* p = nullptr; *p = 1; } return cbl::NONE;"),
      Small());
  EXPECT_EQ(crash.outcome, "runtime_error");
  const HarnessReport loop =
      Evaluate(Candidate("for (;;) {} return cbl::NONE;"), Small(), SimOptions{}, 1.5);
  EXPECT_EQ(loop.outcome, "timeout");
  const HarnessReport compile = Evaluate("this is not C++", Small());
  EXPECT_EQ(compile.outcome, "compile_error");
}

}  // namespace
}  // namespace crucible::cbl
