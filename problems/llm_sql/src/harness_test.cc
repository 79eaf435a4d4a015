// The harness (integration): candidates compiled and run confined on small
// generated tables, and the loopholes of the spec §7 tried and refused. The
// malformed orders are fed to ScoreOutput as driver output, so only a few
// tests pay for a compile.
#include "problems/llm_sql/src/harness.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace crucible::llmsql {
namespace {

namespace fs = std::filesystem;
using testing::HasSubstr;

const std::string kProblemDir = std::string(CRUCIBLE_PROBLEMS_DIR) + "/llm_sql";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class LlmSqlHarnessTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/llm_sql_harness_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = new std::string(tmpl);
    tables_ = new std::vector<Table>{GenerateTable(11, "small_a", 1500),
                                     GenerateTable(12, "small_b", 800)};
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
    delete tables_;
  }

  static HarnessReport Evaluate(const std::string& source) {
    EvaluateOptions options;
    options.cache_dir = CRUCIBLE_TEST_CACHE_DIR;  // shared by the test processes
    options.work_dir = *dir_;
    options.limits.timeout_seconds = 30;
    return EvaluateCandidate(source, *tables_, options);
  }

  // Identity orders for every table, with `edit` applied to table 0's.
  static HarnessReport ScoreWith(const std::function<void(Order&)>& edit) {
    RunOutput run;
    run.status = RunStatus::kExited;
    run.wall_seconds = 1;
    for (size_t k = 0; k < tables_->size(); ++k) {
      const Table& t = (*tables_)[k];
      std::vector<int32_t> id(static_cast<size_t>(t.num_fields()));
      for (size_t i = 0; i < id.size(); ++i) id[i] = static_cast<int32_t>(i);
      Order order(t.rows.size(), id);
      if (k == 0) edit(order);
      run.stdout_text += "O " + std::to_string(order.size()) + " " + std::to_string(id.size()) + " 5.0\n";
      for (const auto& o : order) {
        std::string line;
        for (int32_t x : o) line += (line.empty() ? "" : " ") + std::to_string(x);
        run.stdout_text += line + "\n";
      }
    }
    return ScoreOutput(*tables_, run);
  }

  static std::string Candidate(const std::string& body) {
    return "#include <cstdint>\n#include <numeric>\n#include <stdexcept>\n#include <vector>\n"
           "#include \"llm_sql.h\"\n"
           "llmsql::Order llmsql::Reorder(const llmsql::Table& t, uint64_t seed) {\n"
           "  (void)seed; std::vector<int32_t> id(t.columns.size());\n"
           "  std::iota(id.begin(), id.end(), 0); llmsql::Order o(t.rows.size(), id);\n" +
           body + "\n  return o;\n}\n";
  }

  static std::string* dir_;
  static std::vector<Table>* tables_;
};

std::string* LlmSqlHarnessTest::dir_ = nullptr;
std::vector<Table>* LlmSqlHarnessTest::tables_ = nullptr;

TEST_F(LlmSqlHarnessTest, SeedBeatsTheColumnScoreOrderOnGeneratedTables) {
  const HarnessReport r = Evaluate(ReadFile(kProblemDir + "/initial.cpp"));
  ASSERT_TRUE(r.valid) << r.feedback;
  const HarnessReport identity = ScoreWith([](Order&) {});
  EXPECT_GT(r.metrics.at("hit_rate.small_a"), identity.metrics.at("hit_rate.small_a"));
  EXPECT_GE(r.metrics.at("runtime_s.small_a"), 0);
  EXPECT_LE(r.metrics.at("runtime_s.small_a"), 30);
  EXPECT_THAT(r.feedback, HasSubstr("small_b (800 rows"));
  EXPECT_DOUBLE_EQ(*r.score, (r.metrics.at("hit_rate.small_a") + r.metrics.at("hit_rate.small_b")) / 2);
}

// Loophole 1: anything but a permutation of the row's own fields.
TEST_F(LlmSqlHarnessTest, NonPermutationsAreRefused) {
  HarnessReport r = ScoreWith([](Order& o) { o[3][1] = o[3][0]; });
  EXPECT_EQ(r.outcome, "invalid");
  EXPECT_THAT(r.feedback, HasSubstr("small_a: row 3: field"));
  EXPECT_THAT(r.feedback, HasSubstr("appears twice"));
  r = ScoreWith([](Order& o) { o[0].pop_back(); });  // dropping a field
  EXPECT_THAT(r.feedback, HasSubstr("row 0: expected"));
  r = ScoreWith([](Order& o) { o[5][0] = 99; });
  EXPECT_THAT(r.feedback, HasSubstr("out of range"));
  r = ScoreWith([](Order& o) { o.push_back(o[0]); });  // duplicating a row
  EXPECT_THAT(r.feedback, HasSubstr("expected an order for each of the 1500 rows, got 1501"));
  r = ScoreWith([](Order& o) { o.pop_back(); });
  EXPECT_EQ(r.outcome, "invalid");
}

TEST_F(LlmSqlHarnessTest, MalformedOutputAndAFakeRuntimeAreHandled) {
  RunOutput run;
  run.status = RunStatus::kExited;
  for (const char* text : {"", "O x\n", "O 1500 7 0\n1 2 x\n"}) {
    run.stdout_text = text;
    EXPECT_EQ(ScoreOutput(*tables_, run).outcome, "invalid") << text;
  }
  // The driver-reported time is capped by the process's own wall time.
  const HarnessReport r = ScoreWith([](Order&) {});
  ASSERT_TRUE(r.valid) << r.feedback;
  EXPECT_EQ(r.metrics.at("runtime_s.small_a"), 1.0);
}

// The candidate works on its own copy: rewriting the strings it was given
// (to make every row identical) changes nothing in the scorer's table.
TEST_F(LlmSqlHarnessTest, CandidateCopyOfTheTableIsNotTheScorers) {
  HarnessReport r = Evaluate(Candidate(
      "auto& m = const_cast<llmsql::Table&>(t);\n"
      "for (auto& row : m.rows) for (auto& f : row) f = \"same\";"));
  ASSERT_TRUE(r.valid) << r.feedback;
  EXPECT_NEAR(r.metrics.at("hit_rate.small_a"),
              ScoreWith([](Order&) {}).metrics.at("hit_rate.small_a"), 1e-9);
  r = Evaluate(Candidate("if (t.name == \"small_b\") throw std::runtime_error(\"boom\");"));
  EXPECT_EQ(r.outcome, "runtime_error");
  EXPECT_THAT(r.feedback, HasSubstr("small_b: Reorder threw: boom"));
}

// Loophole 2: a missing table is an error, never skipped.
TEST_F(LlmSqlHarnessTest, MissingTableFails) {
  StatusOr<std::vector<Table>> t = LoadSplit("train", *dir_);
  ASSERT_FALSE(t.ok());
  EXPECT_THAT(std::string(t.status().message()), HasSubstr("beer.csv"));
  EXPECT_FALSE(LoadSplit("nope", kProblemDir).ok());
}

}  // namespace
}  // namespace crucible::llmsql
