// Helpers shared by the store tests: a temporary directory per test and
// deterministic candidates.
#ifndef CRUCIBLE_STORE_STORE_TEST_UTIL_H_
#define CRUCIBLE_STORE_STORE_TEST_UTIL_H_

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "store/run_store.h"

namespace crucible::store_test {

class TempDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "store_test.XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  std::string Path(const std::string& name = "run.db") const { return dir_ + "/" + name; }

  // Runs raw SQL on the file, as a foreign tool (or an attacker) would.
  void RawSql(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(Path().c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db);
    sqlite3_close(db);
  }

  std::string dir_;
};

inline RunMetadata TestMetadata() {
  RunMetadata m;
  m.crucible_version = "0.1.0-test";
  m.problem_name = "bin_packing";
  m.problem_dir = "/problems/bin_packing";
  m.config_json = R"({"budget":{"candidates":100},"islands":4})";
  m.seed = 42;
  m.deterministic = true;
  m.created_unix = 1.7e9 + 0.25;
  return m;
}

// A candidate whose every field is derived from `id`.
inline Candidate MakeCandidate(CandidateId id) {
  Candidate c;
  c.id = id;
  c.parent_id = id > 0 ? id - 1 : kNoCandidate;
  if (id > 2) c.inspiration_ids = {id - 2, id - 3};
  c.island = static_cast<int>(id % 4);
  c.generation = static_cast<int>(id / 3);
  c.seed = 0x9e3779b97f4a7c15ULL * static_cast<uint64_t>(id + 1);
  c.program.files.push_back(
      {"initial.cpp", "int Policy(int x) { return x * " + std::to_string(id) + "; }\n"});
  c.source_hash = 0xabcdef0123456789ULL ^ static_cast<uint64_t>(id);
  c.patch = "@@ -1 +1 @@\n-x\n+x * " + std::to_string(id) + "\n";
  c.proposal.proposer = "mutate";
  c.proposal.operators = {"perturb_constant"};
  c.proposal.detail_json = R"({"temperature":0.7})";
  c.proposal.propose_seconds = 0.001 * static_cast<double>(id);
  c.created_unix = 1.7e9 + static_cast<double>(id);
  return c;
}

inline EvalResult MakeResult(CandidateId id) {
  EvalResult r;
  r.outcome = Outcome::kOk;
  r.score = 1.0 / static_cast<double>(id + 1);
  r.metrics = {{"excess_pct", 2.5 + static_cast<double>(id)}};
  r.features = {{"length", static_cast<double>(id % 10)}};
  r.feedback = "candidate " + std::to_string(id) + " ok";
  r.stage = "full";
  r.eval_seconds = 0.01;
  return r;
}

// Field-by-field comparison (Candidate has no operator==; NaN-aware metrics).
inline void ExpectSameMetrics(const Metrics& got, const Metrics& want) {
  ASSERT_EQ(got.size(), want.size());
  for (const auto& [name, value] : want) {
    ASSERT_TRUE(got.count(name)) << name;
    if (std::isnan(value)) {
      EXPECT_TRUE(std::isnan(got.at(name))) << name;
    } else {
      EXPECT_EQ(got.at(name), value) << name;
    }
  }
}

inline void ExpectSameProposal(const Candidate& got, const Candidate& want) {
  EXPECT_EQ(got.id, want.id);
  EXPECT_EQ(got.parent_id, want.parent_id);
  EXPECT_EQ(got.inspiration_ids, want.inspiration_ids);
  EXPECT_EQ(got.island, want.island);
  EXPECT_EQ(got.generation, want.generation);
  EXPECT_EQ(got.seed, want.seed);
  EXPECT_EQ(got.program, want.program);
  EXPECT_EQ(got.source_hash, want.source_hash);
  EXPECT_EQ(got.patch, want.patch);
  EXPECT_EQ(got.proposal.proposer, want.proposal.proposer);
  EXPECT_EQ(got.proposal.operators, want.proposal.operators);
  EXPECT_EQ(got.proposal.detail_json, want.proposal.detail_json);
  EXPECT_EQ(got.proposal.propose_seconds, want.proposal.propose_seconds);
  EXPECT_EQ(got.created_unix, want.created_unix);
}

inline void ExpectSameResult(const Candidate& got, const Candidate& want) {
  const EvalResult& g = got.result;
  const EvalResult& w = want.result;
  EXPECT_EQ(g.outcome, w.outcome);
  EXPECT_EQ(g.score, w.score);
  ExpectSameMetrics(g.metrics, w.metrics);
  ExpectSameMetrics(g.features, w.features);
  EXPECT_EQ(g.feedback, w.feedback);
  EXPECT_EQ(g.artifacts, w.artifacts);
  EXPECT_EQ(g.stage, w.stage);
  EXPECT_EQ(g.eval_seconds, w.eval_seconds);
  EXPECT_EQ(got.duplicate_of, want.duplicate_of);
}

}  // namespace crucible::store_test

#endif  // CRUCIBLE_STORE_STORE_TEST_UTIL_H_
