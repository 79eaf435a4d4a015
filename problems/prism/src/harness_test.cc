// Compiles real prism candidates with g++ and runs them confined
// (integration): the seed's published value, the example, and every loophole
// of the spec's §7 tried and refused.
#include "problems/prism/src/harness.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "problems/prism/src/cases.h"

namespace crucible::prism {
namespace {

namespace fs = std::filesystem;
using testing::HasSubstr;

const std::string kProblemDir = std::string(CRUCIBLE_PROBLEMS_DIR) + "/prism";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class PrismHarnessTest : public testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/prism_harness_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    StatusOr<std::vector<NamedCase>> train = LoadSplit("train");
    ASSERT_TRUE(train.ok()) << train.status().ToString();
    train_ = *std::move(train);
    for (const NamedCase& nc : train_) {
      if (nc.name.starts_with("std42_")) published_.push_back(nc);
    }
  }
  void TearDown() override { fs::remove_all(dir_); }

  HarnessReport Evaluate(const std::string& source, const std::vector<NamedCase>& cases) {
    EvaluateOptions options;
    options.cache_dir = dir_ + "/cache";
    options.work_dir = dir_;
    options.limits.timeout_seconds = 60;
    return EvaluateCandidate(source, cases, options);
  }

  static std::string Candidate(const std::string& body) {
    return "#include <cstdint>\n#include <vector>\n#include \"prism.h\"\n"
           "std::vector<int32_t> crucible::prism::PlaceModels(const Case& c) {\n" +
           body + "\n}\n";
  }

  std::string dir_;
  std::vector<NamedCase> train_;
  std::vector<NamedCase> published_;  // the spec's 50 cases (seed 42)
};

TEST_F(PrismHarnessTest, InitialProgramReproducesTheSeedValue) {
  ASSERT_EQ(published_.size(), 50u);
  const HarnessReport r = Evaluate(ReadFile(kProblemDir + "/initial.cpp"), published_);
  ASSERT_TRUE(r.valid) << r.feedback;
  // Spec §6: seed 20.8916, combined 21.8916, LB 60.82, mean 0.0478661.
  EXPECT_NEAR(*r.score, 20.8916, 5e-5);
  EXPECT_NEAR(r.metrics.at("adrs_combined"), 21.8916, 5e-5);
  EXPECT_NEAR(r.metrics.at("lb_score"), 60.82, 5e-3);
  EXPECT_NEAR(r.metrics.at("bound_inv_mean"), 28.4038, 5e-5);
  EXPECT_THAT(r.feedback, HasSubstr("cases furthest above their lower bound"));
  EXPECT_THAT(r.artifacts.at("per_case.csv"), HasSubstr("std42_49,"));
}

// One hostile candidate (one compile) with a different trick per G, each
// evaluated on a single case of that G together with honest cases.
constexpr char kHostileBody[] = R"(
  const size_t n = c.models.size();
  std::vector<int32_t> g;
  switch (c.gpus) {
    case 5: return {};                                             // §7.3: "{}" scored 0
    case 6: for (size_t j = 0; j < n; ++j) g.push_back(int32_t(j)); return g;  // §7.1
    case 7: return std::vector<int32_t>(n, 0);                     // §7.3: overflow
    case 8: return std::vector<int32_t>(n - 1, 0);                 // §7.3: dropped model
    case 9: throw 1;                                               // §7.2: skip the hard case
  }
  return g;
)";

class HostileTest : public PrismHarnessTest {
 protected:
  // The first train case with `gpus` GPUs, after one honest case.
  HarnessReport OnCaseWithGpus(int gpus) {
    std::vector<NamedCase> cases;
    for (const NamedCase& nc : train_) {
      if (nc.c.gpus == gpus) {
        cases.push_back(nc);
        break;
      }
    }
    return Evaluate(Candidate(kHostileBody), cases);
  }
};

TEST_F(HostileTest, EveryLoopholeOfTheSpecIsRefused) {
  HarnessReport r = OnCaseWithGpus(5);
  EXPECT_FALSE(r.valid);
  EXPECT_EQ(r.outcome, "invalid");
  EXPECT_THAT(r.feedback, HasSubstr("placed 0 models"));
  r = OnCaseWithGpus(6);
  EXPECT_FALSE(r.valid);
  EXPECT_THAT(r.feedback, HasSubstr("which does not exist"));
  r = OnCaseWithGpus(7);
  EXPECT_FALSE(r.valid);
  EXPECT_THAT(r.feedback, HasSubstr("more than its 80 GB"));
  r = OnCaseWithGpus(8);
  EXPECT_FALSE(r.valid);
  EXPECT_THAT(r.feedback, HasSubstr("placed 15 models, the case has 16"));
  r = OnCaseWithGpus(9);
  EXPECT_FALSE(r.valid);
  EXPECT_EQ(r.outcome, "runtime_error");
  EXPECT_THAT(r.feedback, HasSubstr("non-standard exception"));
}

// §7.5: a candidate that never returns is killed, not left running.
TEST_F(PrismHarnessTest, HangingCandidateTimesOut) {
  EvaluateOptions options;
  options.cache_dir = dir_ + "/cache";
  options.work_dir = dir_;
  options.limits.timeout_seconds = 1;
  const HarnessReport r = EvaluateCandidate(
      Candidate("volatile bool spin = true;\nwhile (spin) {}\nreturn {};"), train_, options);
  EXPECT_FALSE(r.valid);
  EXPECT_EQ(r.outcome, "timeout");
}

TEST_F(PrismHarnessTest, TrainSplitIsThePublishedCasesAndTheHardRegime) {
  ASSERT_EQ(train_.size(), 700u);
  EXPECT_EQ(train_.front().name, "std42_00");
  EXPECT_EQ(train_[49].name, "std42_49");
  EXPECT_EQ(train_[50].name, "std20251120_00");
  EXPECT_EQ(train_[499].name, "std20251120_449");
  EXPECT_EQ(train_[500].name, "hard20251121_00");
  EXPECT_EQ(train_.back().name, "hard20251121_199");
  EXPECT_EQ(train_.back().c.models.size(), static_cast<size_t>(3 * train_.back().c.gpus));
  // The initial program is valid on the whole split and still scores the
  // spec's seed value on the published cases.
  const HarnessReport r = Evaluate(ReadFile(kProblemDir + "/initial.cpp"), train_);
  ASSERT_TRUE(r.valid) << r.feedback;
  EXPECT_NEAR(r.metrics.at("inv_mean_kvpr.std42"), 20.8916, 5e-5);
  EXPECT_LT(r.metrics.at("inv_mean_kvpr.hard20251121"), 5.0);
}

TEST_F(PrismHarnessTest, HeldoutSplitIsHiddenSeedsAndTheHardRegime) {
  StatusOr<std::vector<NamedCase>> h = LoadSplit("heldout");
  ASSERT_TRUE(h.ok());
  ASSERT_EQ(h->size(), 70u);
  EXPECT_EQ(h->front().name, "std20251122_00");
  EXPECT_EQ(h->back().name, "hard20251123_19");
  EXPECT_EQ(h->back().c.models.size(), static_cast<size_t>(3 * h->back().c.gpus));
  EXPECT_FALSE(LoadSplit("test").ok());
}

#ifdef CRUCIBLE_PRISM_SLOW_TESTS
TEST_F(PrismHarnessTest, BisectionExampleBeatsTheSeedOnBothSplits) {
  const std::string source = ReadFile(kProblemDir + "/examples/bisection.cpp");
  const HarnessReport published = Evaluate(source, published_);
  ASSERT_TRUE(published.valid) << published.feedback;
  EXPECT_GT(*published.score, 24.0);
  EXPECT_LE(*published.score, published.metrics.at("bound_inv_mean"));
  const HarnessReport train = Evaluate(source, train_);
  ASSERT_TRUE(train.valid) << train.feedback;
  const HarnessReport seed_train = Evaluate(ReadFile(kProblemDir + "/initial.cpp"), train_);
  ASSERT_TRUE(seed_train.valid) << seed_train.feedback;
  EXPECT_GT(*train.score, *seed_train.score);
  EXPECT_LE(*train.score, train.metrics.at("bound_inv_mean"));
  StatusOr<std::vector<NamedCase>> heldout = LoadSplit("heldout");
  ASSERT_TRUE(heldout.ok());
  const HarnessReport h = Evaluate(source, *heldout);
  ASSERT_TRUE(h.valid) << h.feedback;
  const HarnessReport seed = Evaluate(ReadFile(kProblemDir + "/initial.cpp"), *heldout);
  ASSERT_TRUE(seed.valid) << seed.feedback;
  EXPECT_GT(*h.score, *seed.score);
}

#endif

}  // namespace
}  // namespace crucible::prism
