// The bin_packing harness end to end: real compiles of the shipped examples
// and of hostile candidates, confined runs, the harness's own scoring.
#include "problems/bin_packing/src/harness.h"

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "problems/bin_packing/src/candidate_api.h"

namespace crucible::bin_packing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

const std::string kProblemDir = CRUCIBLE_BIN_PACKING_DIR;

class BinPackingHarnessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/crucible-bp-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    options_.cache_dir = dir_ + "/cache";
    options_.work_dir = dir_;
  }
  void TearDown() override { fs::remove_all(dir_); }

  nlohmann::json Evaluate(const std::string& source, const std::string& split = "heldout") {
    auto datasets = LoadSplit(split, kProblemDir);
    EXPECT_TRUE(datasets.ok()) << datasets.status().ToString();
    return nlohmann::json::parse(EvaluateCandidate(source, *datasets, options_).ToJson());
  }
  nlohmann::json EvaluateExample(const std::string& name) {
    auto source = ReadFile(kProblemDir + "/examples/" + name + ".cpp");
    EXPECT_TRUE(source.ok());
    return Evaluate(*source);
  }
  static double Round2(double x) { return std::round(x * 100) / 100; }

  std::string dir_;
  EvaluateOptions options_;
};

std::string WithBody(const std::string& body) {
  return "#include <span>\n#include <cmath>\n#include <cstdio>\n#include \"bin_packing.h\"\n"
         "void priority(double item, std::span<const double> bins, std::span<double> scores) {\n" +
         body + "\n}\n";
}

// FunSearch Table 1 (and the spec's re-computation): OR3 / Weibull 5k.
TEST_F(BinPackingHarnessTest, ExamplesReproduceThePublishedExcess) {
  struct Case {
    const char* name;
    double or3;
    double weibull;
  };
  for (const Case& c : {Case{"first_fit", 5.74, 4.23}, Case{"best_fit", 5.37, 3.98}}) {
    nlohmann::json j = EvaluateExample(c.name);
    ASSERT_EQ(j.value("valid", false), true) << j.dump();
    EXPECT_EQ(Round2(j["metrics"]["excess_or3_pct"].get<double>()), c.or3) << c.name;
    EXPECT_EQ(Round2(j["metrics"]["excess_weibull_5k_pct"].get<double>()), c.weibull) << c.name;
  }
  nlohmann::json o = EvaluateExample("funsearch_or");
  EXPECT_EQ(Round2(o["metrics"]["excess_or3_pct"].get<double>()), 3.11) << o.dump();
  EXPECT_DOUBLE_EQ(o["metrics"]["mean_bins_or3"].get<double>(), 207.45);
  nlohmann::json w = EvaluateExample("funsearch_weibull");
  EXPECT_EQ(Round2(w["metrics"]["excess_weibull_5k_pct"].get<double>()), 0.68) << w.dump();
  EXPECT_NEAR(w["metrics"]["mean_bins_weibull_5k"].get<double>(), 2001.4, 1e-9);
}

// initial.cpp is best fit written with neutral knobs: the same bin counts on
// every held-out instance.
TEST_F(BinPackingHarnessTest, InitialProgramIsBestFitAndHeaderCopyIsExact) {
  auto initial = ReadFile(kProblemDir + "/initial.cpp");
  ASSERT_TRUE(initial.ok());
  nlohmann::json a = Evaluate(*initial);
  nlohmann::json b = EvaluateExample("best_fit");
  ASSERT_EQ(a.value("valid", false), true) << a.dump();
  int compared = 0;
  for (const auto& [key, value] : b["metrics"].items()) {
    if (!key.starts_with("bins.")) continue;
    EXPECT_EQ(a["metrics"][key], value) << key;
    ++compared;
  }
  EXPECT_EQ(compared, 25);
  auto header = ReadFile(kProblemDir + "/bin_packing.h");
  ASSERT_TRUE(header.ok());
  EXPECT_EQ(*header, HeaderSource());
}

TEST_F(BinPackingHarnessTest, TrainSplitIsScoredWithPerInstanceMetrics) {
  nlohmann::json j = Evaluate(*ReadFile(kProblemDir + "/initial.cpp"), "train");
  ASSERT_EQ(j.value("valid", false), true) << j.dump();
  EXPECT_TRUE(j["metrics"].contains("excess_or_train_pct"));
  EXPECT_TRUE(j["metrics"].contains("bins.weibull_train_4"));
  EXPECT_DOUBLE_EQ(j["score"].get<double>(), -j["metrics"]["excess_pct"].get<double>());
  EXPECT_THAT(j["artifacts"]["per_instance.csv"].get<std::string>(),
              HasSubstr("or_train,or_train_00,500,"));
}

// Fast mode (the bin_packing_fast harness): exact for best fit, 3 bins more
// for the position-dependent Weibull heuristic (all on test_0).
TEST_F(BinPackingHarnessTest, FastModeMatchesOnlyPerBinHeuristics) {
  options_.array = BinArray::kFast;
  nlohmann::json bf = EvaluateExample("best_fit");
  EXPECT_DOUBLE_EQ(bf["metrics"]["mean_bins_weibull_5k"].get<double>(), 2067.0) << bf.dump();
  EXPECT_DOUBLE_EQ(bf["metrics"]["mean_bins_or3"].get<double>(), 212.0);
  nlohmann::json w = EvaluateExample("funsearch_weibull");
  EXPECT_NEAR(w["metrics"]["mean_bins_weibull_5k"].get<double>(), 2001.4 + 3.0 / 5, 1e-9);
}

TEST_F(BinPackingHarnessTest, NanScoresAreInvalid) {
  nlohmann::json j = Evaluate(WithBody("for (double& s : scores) s = std::nan(\"\");"));
  EXPECT_EQ(j["outcome"], "invalid");
  EXPECT_EQ(j["feedback"], "u500_00: item 0 (size 42): score 0 of 500 is NaN (or was not set)");
  nlohmann::json unset = Evaluate(WithBody("scores[0] = 1;"));
  EXPECT_EQ(unset["outcome"], "invalid");
  EXPECT_THAT(unset["feedback"].get<std::string>(), HasSubstr("score 1 of 500 is NaN (or was not set)"));
}

TEST_F(BinPackingHarnessTest, HostileCandidatesGetTheRightOutcome) {
  nlohmann::json reads = Evaluate(WithBody(
      "static bool done = false; if (!done) { done = true; std::FILE* f = std::fopen(\"" +
      kProblemDir + "/data/or3.txt\", \"r\"); if (f) std::fclose(f); }\n"
      "for (std::size_t i = 0; i < bins.size(); ++i) scores[i] = -bins[i];"));
  EXPECT_EQ(reads["outcome"], "runtime_error");
  EXPECT_THAT(reads["feedback"].get<std::string>(), HasSubstr("forbidden system call"));

  // Printing a fake result line cannot change the score: stdout is stderr.
  nlohmann::json liar = Evaluate(WithBody(
      "std::printf(\"{\\\"score\\\": 100, \\\"valid\\\": true}\\nA 0\\n\");"
      "for (std::size_t i = 0; i < bins.size(); ++i) scores[i] = -(bins[i] - item);"));
  EXPECT_EQ(liar.value("valid", false), true) << liar.dump();
  EXPECT_EQ(Round2(liar["metrics"]["excess_or3_pct"].get<double>()), 5.37);

  nlohmann::json crash = Evaluate(WithBody("volatile double* p = nullptr; scores[0] = *p;"));
  EXPECT_EQ(crash["outcome"], "runtime_error");
  EXPECT_THAT(crash["feedback"].get<std::string>(), HasSubstr("killed by SIGSEGV"));

  options_.limits.timeout_seconds = 1;
  nlohmann::json slow = Evaluate(WithBody("for (;;) {}"));
  EXPECT_EQ(slow["outcome"], "timeout");

  nlohmann::json bad = Evaluate(WithBody("return undefined_thing;"));
  EXPECT_EQ(bad["outcome"], "compile_error");
  EXPECT_THAT(bad["feedback"].get<std::string>(), HasSubstr("initial.cpp:6:8: error: 'undefined_thing' was not declared"));

  nlohmann::json throws = Evaluate(WithBody("throw 1;"));
  EXPECT_EQ(throws["outcome"], "invalid");
  EXPECT_THAT(throws["feedback"].get<std::string>(), HasSubstr("priority threw an exception"));
}

}  // namespace
}  // namespace crucible::bin_packing
