// The prefix-hit scorer, the table reader/merger and the generator (unit):
// hand-computed vectors, beer.csv's reference values (spec §6) and the
// shipped GGR seed.
#include <gtest/gtest.h>

#include <chrono>
#include <numeric>

#include "problems/harness/compiled_candidate.h"
#include "problems/llm_sql/src/data.h"
#include "problems/llm_sql/llm_sql.h"

// The shipped initial program, compiled here as plain C++.
#include CRUCIBLE_LLM_SQL_INITIAL

namespace crucible::llmsql {
namespace {

const std::string kProblemDir = std::string(CRUCIBLE_PROBLEMS_DIR) + "/llm_sql";

Order Identity(const Table& t) {
  std::vector<int32_t> id(static_cast<size_t>(t.num_fields()));
  std::iota(id.begin(), id.end(), 0);
  return Order(t.rows.size(), id);
}

// A trie count, the spec's definition, to check the sort formula against.
int64_t TrieHits(const std::vector<std::string>& rows) {
  std::vector<std::array<int32_t, 256>> trie(1);
  trie[0].fill(-1);
  int64_t hits = 0;
  for (const std::string& s : rows) {
    size_t node = 0;
    bool matching = true;
    for (unsigned char c : s) {
      if (trie[node][c] < 0) {
        matching = false;
        trie[node][c] = static_cast<int32_t>(trie.size());
        trie.emplace_back();
        trie.back().fill(-1);
      } else if (matching) {
        ++hits;
      }
      node = static_cast<size_t>(trie[node][c]);
    }
  }
  return hits;
}

TEST(LlmSqlScore, SortFormulaEqualsTheTrieAndIgnoresRowOrder) {
  const std::vector<std::string> rows = {"abcd", "abx", "abcd", "b", "abcdz", "", "bq", "ab"};
  EXPECT_EQ(PrefixHits(rows).hit_chars, TrieHits(rows));
  EXPECT_EQ(PrefixHits(rows).total_chars, 4 + 3 + 4 + 1 + 5 + 0 + 2 + 2);
  std::vector<std::string> reversed(rows.rbegin(), rows.rend());
  EXPECT_EQ(PrefixHits(reversed).hit_chars, TrieHits(reversed));
  EXPECT_EQ(PrefixHits(reversed).hit_chars, PrefixHits(rows).hit_chars);
  // By hand: abx 2, abcd 4, abcdz 4, bq 1, ab 2 -> 13.
  EXPECT_EQ(PrefixHits(rows).hit_chars, 13);
}

TEST(LlmSqlScore, ValidatesPermutationsOfEachRowsOwnFields) {
  Table t;
  t.columns = {"a", "b", "c"};
  t.rows = {{"x", "y", "z"}, {"x", "q", "z"}};
  EXPECT_EQ(ValidateOrder(t, {{0, 1, 2}, {2, 1, 0}}), "");
  EXPECT_NE(ValidateOrder(t, {{0, 1, 2}}).find("each of the 2 rows"), std::string::npos);
  EXPECT_NE(ValidateOrder(t, {{0, 1, 2}, {0, 1}}).find("row 1: expected 3"), std::string::npos);
  EXPECT_NE(ValidateOrder(t, {{0, 0, 2}, {0, 1, 2}}).find("appears twice"), std::string::npos);
  EXPECT_NE(ValidateOrder(t, {{0, 1, 3}, {0, 1, 2}}).find("out of range"), std::string::npos);
  EXPECT_NE(ValidateOrder(t, {{0, 1, -1}, {0, 1, 2}}).find("out of range"), std::string::npos);
  // "xyz" and "zqx": no shared prefix; "xyz", "xqz": 1 char.
  EXPECT_EQ(Score(t, {{0, 1, 2}, {2, 1, 0}}).hit_chars, 0);
  EXPECT_EQ(Score(t, {{0, 1, 2}, {0, 1, 2}}).hit_chars, 1);
  EXPECT_EQ(Score(t, {{0, 2, 1}, {0, 2, 1}}).hit_chars, 2);
}

TEST(LlmSqlCsv, ParsesQuotesAndRejectsRaggedRows) {
  StatusOr<RawTable> t = ParseCsv("a,b\n\"x,1\",\"say \"\"hi\"\"\"\n,z\r\n");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  ASSERT_EQ(t->rows.size(), 2u);
  EXPECT_EQ(t->rows[0][0], "x,1");
  EXPECT_EQ(t->rows[0][1], "say \"hi\"");
  EXPECT_EQ(t->rows[1][0], "");
  EXPECT_EQ(t->rows[1][1], "z");
  EXPECT_FALSE(ParseCsv("a,b\n1,2,3\n").ok());
  EXPECT_FALSE(ParseCsv("a,b\n\"open,2\n").ok());
  EXPECT_FALSE(ParseCsv("a,b\n1,\x1f\n").ok());
}

TEST(LlmSqlCsv, MergeOrdersMembersByColumnScoreAndNamesErrors) {
  RawTable raw;
  raw.header = {"id", "x", "name"};
  raw.rows = {{"1", "p", "long name"}, {"1", "q", "long name"}, {"2", "r", "other one"}};
  StatusOr<Table> t = MergeColumns(raw, {{"id", "name"}}, "t");
  ASSERT_TRUE(t.ok());
  ASSERT_EQ(t->columns.size(), 2u);
  EXPECT_EQ(t->columns[0], "name+id");  // at id's position, name first (higher score)
  EXPECT_EQ(t->rows[0][0], "long name1");
  EXPECT_EQ(t->rows[0][1], "p");
  EXPECT_FALSE(MergeColumns(raw, {{"id", "nope"}}, "t").ok());
  EXPECT_FALSE(MergeColumns(raw, {{"id", "name"}, {"name", "x"}}, "t").ok());
}

class BeerTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    StatusOr<std::string> text = ReadFile(kProblemDir + "/data/beer.csv");
    ASSERT_TRUE(text.ok());
    StatusOr<RawTable> raw = ParseCsv(*text);
    ASSERT_TRUE(raw.ok()) << raw.status().ToString();
    raw_ = new RawTable(*std::move(raw));
    StatusOr<std::vector<Table>> train = LoadSplit("train", kProblemDir);
    ASSERT_TRUE(train.ok()) << train.status().ToString();
    beer_ = new Table((*train)[0]);
  }
  static void TearDownTestSuite() {
    delete raw_;
    delete beer_;
  }
  static RawTable* raw_;
  static Table* beer_;
};
RawTable* BeerTest::raw_ = nullptr;
Table* BeerTest::beer_ = nullptr;

TEST_F(BeerTest, ShapeAndOriginalOrderHitRate) {
  EXPECT_EQ(raw_->rows.size(), 28479u);
  EXPECT_EQ(raw_->header.size(), 9u);
  StatusOr<Table> plain = MergeColumns(*raw_, {}, "beer");
  ASSERT_TRUE(plain.ok());
  const HitCount h = Score(*plain, Identity(*plain));
  EXPECT_EQ(h.total_chars, 2271333);
  EXPECT_NEAR(100 * h.rate(), 14.62, 0.005);  // spec §6: original column order
  EXPECT_EQ(beer_->num_fields(), 8);
  EXPECT_EQ(beer_->columns.back(), "beer/name+beer/beerId");
}

TEST_F(BeerTest, ColumnScoreFallbackHitRate) {
  // Fields by GGR column score (spec §5 list), merged name+id: 55.75%.
  std::vector<std::pair<double, int32_t>> s;
  for (int32_t c = 0; c < beer_->num_fields(); ++c) {
    s.emplace_back(-ColumnScore(beer_->rows, static_cast<size_t>(c)), c);
  }
  std::stable_sort(s.begin(), s.end(), [](auto& a, auto& b) { return a.first < b.first; });
  std::vector<int32_t> by_score;
  for (auto& [_, c] : s) by_score.push_back(c);
  EXPECT_EQ(beer_->columns[static_cast<size_t>(by_score[0])], "beer/style");
  EXPECT_EQ(beer_->columns[static_cast<size_t>(by_score[5])], "beer/name+beer/beerId");
  EXPECT_NEAR(-s[0].first, 61933, 1);
  const HitCount h = Score(*beer_, Order(beer_->rows.size(), by_score));
  EXPECT_NEAR(100 * h.rate(), 55.75, 0.005);
}

TEST_F(BeerTest, GgrSeedLandsNearTheReference) {
  const Order order = Reorder(*beer_, 0);
  ASSERT_EQ(ValidateOrder(*beer_, order), "");
  const double rate = 100 * Score(*beer_, order).rate();
  // Spec §6: the original GGR gives 70.74% (70.73% as GEPA/ShinkaEvolve);
  // exact parity is not required (§5).
  EXPECT_NEAR(rate, 70.74, 0.01) << rate;  // measured: 70.7351
  RecordProperty("ggr_hit_rate", std::to_string(rate));
}

TEST(LlmSqlGenerate, SeededShapesWithinTheSpec) {
  const Table a = GenerateTable(7, "a", 3000);
  const Table b = GenerateTable(7, "b", 3000);
  EXPECT_EQ(a.rows, b.rows);
  EXPECT_EQ(a.num_rows(), 3000);
  EXPECT_GE(a.num_fields(), 5);  // 6-12 columns, one merged pair
  EXPECT_LE(a.num_fields(), 11);
  EXPECT_NE(std::find(a.columns.begin(), a.columns.end(), "name+id"), a.columns.end());
  EXPECT_NE(GenerateTable(8, "c", 3000).rows, a.rows);
  const Table big = GenerateTable(kHeldoutSeeds[0], "h");
  EXPECT_GE(big.num_rows(), 5000);
  EXPECT_LE(big.num_rows(), 50000);
  for (const auto& row : a.rows) {
    for (const std::string& f : row) {
      EXPECT_LE(f.size(), 60u + 40u + 6u);  // a merged id+name can be longer than 60
    }
  }
}

}  // namespace
}  // namespace crucible::llmsql
