// Compiles real eplb candidates with g++ and runs them confined
// (integration): the DeepSeek initial program, and every loophole of the
// spec's §8 tried and refused.
#include "problems/eplb/src/harness.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "core/file.h"

namespace crucible::eplb {
namespace {

namespace fs = std::filesystem;
using testing::HasSubstr;

const std::string kProblemDir = std::string(CRUCIBLE_PROBLEMS_DIR) + "/eplb";

class EplbHarnessTest : public testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/eplb_harness_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  HarnessReport Evaluate(const std::string& source, const std::vector<NamedTrace>& traces,
                         double budget_ms = kTimeBudgetMsPerCall) {
    EvaluateOptions options;
    options.cache_dir = dir_ + "/cache";
    options.work_dir = dir_;
    options.limits.timeout_seconds = 20;
    options.time_budget_ms = budget_ms;
    return EvaluateCandidate(source, traces, options);
  }

  // A small trace (DeepSeek README shape) with `layers` layers, 3 windows.
  static std::vector<NamedTrace> Small(int32_t layers) {
    TraceOptions o;
    o.shape.layers = layers;
    o.shape.experts = 12;
    o.shape.groups = 4;
    o.shape.nodes = 2;
    o.shape.gpus = 8;
    o.shape.slots = 16;
    o.windows = 3;
    o.tokens = 1000;
    StatusOr<Trace> t = GenerateTrace(o);
    return {NamedTrace{"small", o.shape, *t}};
  }

  std::string dir_;
};

TEST_F(EplbHarnessTest, DeepSeekInitialProgramIsValidAndFast) {
  StatusOr<std::vector<NamedTrace>> train = LoadSplit("train");
  ASSERT_TRUE(train.ok());
  const HarnessReport r = Evaluate(ReadFile(kProblemDir + "/initial.cpp").value_or(""), *train);
  ASSERT_TRUE(r.valid) << r.feedback;
  EXPECT_EQ(r.metrics.at("calls"), 19);
  EXPECT_GT(*r.score, 0.3);
  EXPECT_LT(*r.score, 1.0);
  EXPECT_EQ(*r.score, r.metrics.at("b_gpu"));
  EXPECT_LT(r.metrics.at("algo_ms_mean"), kTimeBudgetMsPerCall);
  EXPECT_THAT(r.feedback, HasSubstr("hardest pair: train_s1 window"));
  EXPECT_THAT(r.artifacts.at("per_window.csv"), HasSubstr("train_s1,18,19,"));
}

// One hostile candidate (one compile) with a different trick per layer count.
constexpr char kHostile[] = R"(#include <cstdint>
#include <ctime>
#include <vector>
#include "eplb.h"
std::vector<int32_t> crucible::eplb::RebalanceExperts(const Problem& p) {
  const size_t n = size_t(p.layers) * size_t(p.slots);
  std::vector<int32_t> m(n);
  for (size_t i = 0; i < n; ++i) m[i] = int32_t(i % size_t(p.slots) % size_t(p.experts));
  switch (p.layers) {
    case 1: return std::vector<int32_t>(n, 0);       // hot experts dropped (8.2)
    case 2: m[p.slots - 1] = -1; return m;           // -1 padding (8.3)
    case 3: m.push_back(0); return m;                // more slots than exist (8.1)
    case 4: m[0] = p.experts; return m;              // an expert that does not exist
    case 5: throw 1;
    case 6: {                                        // over the time budget
      timespec a{}, b{};
      clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
      volatile uint64_t x = 0;
      do { for (int i = 0; i < 100000; ++i) x = x + 1;
           clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
      } while ((b.tv_sec - a.tv_sec) * 1000000000L + (b.tv_nsec - a.tv_nsec) < 30000000L);
      return m;
    }
  }
  return m;
}
)";

TEST_F(EplbHarnessTest, EveryLoopholeOfTheSpecIsRefused) {
  HarnessReport r = Evaluate(kHostile, Small(1));
  EXPECT_FALSE(r.valid);
  EXPECT_EQ(r.outcome, "invalid");
  EXPECT_THAT(r.feedback, HasSubstr("expert 1 has no replica"));
  r = Evaluate(kHostile, Small(2));
  EXPECT_THAT(r.feedback, HasSubstr("expert -1 does not exist"));
  r = Evaluate(kHostile, Small(3));
  EXPECT_THAT(r.feedback, HasSubstr("49 entries, expected layers x slots = 3 x 16 = 48"));
  r = Evaluate(kHostile, Small(4));
  EXPECT_THAT(r.feedback, HasSubstr("expert 12 does not exist"));
  r = Evaluate(kHostile, Small(5));
  EXPECT_EQ(r.outcome, "runtime_error");
  EXPECT_THAT(r.feedback, HasSubstr("small window 0: RebalanceExperts threw"));
  r = Evaluate(kHostile, Small(6), /*budget_ms=*/20);
  EXPECT_FALSE(r.valid);
  EXPECT_THAT(r.feedback, HasSubstr("over the budget of 20 ms"));
  EXPECT_GE(r.metrics.at("algo_cpu_ms_mean"), 30);  // the budget is CPU time
  // The honest default mapping of the same binary is scored.
  r = Evaluate(kHostile, Small(7));
  ASSERT_TRUE(r.valid) << r.feedback;
  EXPECT_EQ(r.metrics.at("calls"), 2);
}

TEST_F(EplbHarnessTest, HeldoutTracesDifferFromTrain) {
  StatusOr<std::vector<NamedTrace>> h = LoadSplit("heldout"), t = LoadSplit("train");
  ASSERT_TRUE(h.ok());
  ASSERT_EQ(h->size(), 2u);
  EXPECT_EQ((*h)[0].name, "heldout_s20251124");
  EXPECT_NE((*h)[0].trace[0], (*t)[0].trace[0]);
  EXPECT_FALSE(LoadSplit("test").ok());
}

}  // namespace
}  // namespace crucible::eplb
