// The registry's table and every registered Problem's promises: its files
// are where its folder says, the header it embeds is the one users read, and
// (integration) its reference values come out of Problem::Evaluate.
#include "problems/registry.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <utility>

namespace crucible {
namespace {

namespace fs = std::filesystem;

const fs::path kProblemsDir = CRUCIBLE_PROBLEMS_DIR;

std::string Read(const fs::path& path) {
  StatusOr<std::string> text = ReadFile(path.string());
  EXPECT_TRUE(text.ok()) << text.status().ToString();
  return text.ok() ? *text : "";
}

TEST(BuiltinProblemsTest, NamesAreUniqueSortedAndFound) {
  const std::vector<const Problem*>& problems = BuiltinProblems();
  ASSERT_EQ(problems.size(), 12u);  // cant_be_late_policy (design space) is the 12th
  std::set<std::string_view> names;
  for (size_t i = 0; i < problems.size(); ++i) {
    EXPECT_TRUE(names.insert(problems[i]->name()).second) << problems[i]->name();
    if (i > 0) {
      EXPECT_LT(problems[i - 1]->name(), problems[i]->name());
    }
    EXPECT_EQ(FindBuiltinProblem(problems[i]->name()), problems[i]);
    EXPECT_FALSE(problems[i]->description().empty()) << problems[i]->name();
  }
  EXPECT_EQ(FindBuiltinProblem("no_such_problem"), nullptr);
  EXPECT_NE(FindBuiltinProblem("circle_packing_rect_21"), nullptr);
}

class ProblemTest : public testing::TestWithParam<const Problem*> {};

// The header embedded for candidates is problems/<folder>/<header>, the file
// users and LLMs read; the problem's directory holds problem.yaml and the
// programs its reference values name.
TEST_P(ProblemTest, FilesAreInItsFolder) {
  const Problem& p = *GetParam();
  const CandidateApi api = p.candidate_api();
  const fs::path dir = kProblemsDir / p.directory();
  const fs::path folder = kProblemsDir / fs::path(p.directory()).begin()->string();
  // A design-space problem (its candidate is parameters.json, nothing is
  // compiled) has no header and no driver; every other problem has both.
  if (api.candidate_name != "parameters.json") {
    EXPECT_EQ(Read(folder / api.header_name), api.header_source);
    EXPECT_FALSE(api.driver_source.empty());
  } else {
    EXPECT_TRUE(api.header_name.empty() && api.driver_source.empty()) << p.name();
  }
  EXPECT_TRUE(fs::is_regular_file(dir / "problem.yaml")) << dir;
  EXPECT_TRUE(fs::is_regular_file(dir / api.candidate_name)) << dir;
  const std::vector<std::string_view> splits = p.splits();
  EXPECT_NE(std::find(splits.begin(), splits.end(), "train"), splits.end());
  EXPECT_NE(std::find(splits.begin(), splits.end(), "heldout"), splits.end());
  for (const ReferenceValue& r : p.reference_values()) {
    EXPECT_TRUE(fs::is_regular_file(dir / r.program)) << r.program;
    EXPECT_NE(std::find(splits.begin(), splits.end(), r.split), splits.end()) << r.split;
  }
}

// Each reference value through the harness as crucible runs it (compile,
// confined run, scoring), seed 0 as `crucible eval` uses.
TEST_P(ProblemTest, ReferenceValuesAreReproduced) {
  const Problem& p = *GetParam();
  if (p.reference_values().empty()) GTEST_SKIP() << p.name() << " publishes no reference values";
  std::map<std::pair<std::string_view, std::string_view>, HarnessReport> reports;
  for (const ReferenceValue& r : p.reference_values()) {
    auto [it, fresh] = reports.try_emplace({r.program, r.split});
    if (fresh) {
      HarnessEnv env;
      env.split = std::string(r.split);
      env.problem_dir = (kProblemsDir / p.directory()).string();
      env.cache_dir = CRUCIBLE_TEST_CACHE_DIR;
      StatusOr<HarnessReport> report =
          p.Evaluate(env, Read(kProblemsDir / p.directory() / r.program));
      ASSERT_TRUE(report.ok()) << report.status().ToString();
      ASSERT_TRUE(report->valid) << r.program << " on " << r.split << ": " << report->feedback;
      it->second = *std::move(report);
    }
    const HarnessReport& report = it->second;
    double measured = 0;
    if (r.metric == "score") {
      ASSERT_TRUE(report.score.has_value());
      measured = *report.score;
    } else {
      auto m = report.metrics.find(std::string(r.metric));
      ASSERT_NE(m, report.metrics.end()) << r.metric;
      measured = m->second;
    }
    EXPECT_NEAR(measured, r.value, r.tolerance) << p.name() << " " << r.program << " on " << r.split
                                                << ", " << r.metric << " (" << r.source << ")";
  }
}

INSTANTIATE_TEST_SUITE_P(Registry, ProblemTest, testing::ValuesIn(BuiltinProblems()),
                         [](const testing::TestParamInfo<const Problem*>& info) {
                           return std::string(info.param->name());
                         });

}  // namespace
}  // namespace crucible
