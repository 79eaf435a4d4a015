// Schema version 2: the llm_calls table; the in-place upgrades of version-1
// and version-2 run databases.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "store/run_store.h"
#include "store/store_test_util.h"

namespace crucible::store_test {
namespace {

class LlmCallsTest : public TempDirTest {};

LlmCallRecord Call(int64_t id, CandidateId candidate) {
  LlmCallRecord c;
  c.id = id;
  c.candidate_id = candidate;
  c.attempt = 2;
  c.model = "m";
  c.mode = "diff";
  c.prompt = R"([{"role":"user","content":"x"}])";
  c.response = "r";
  c.prompt_tokens = 10;
  c.cost = 0.5;
  c.latency_seconds = 1.25;
  c.outcome = candidate == kNoCandidate ? "patch_failed" : "applied";
  c.error = candidate == kNoCandidate ? "block 1: ..." : "";
  c.created_unix = 123;
  return c;
}

TEST_F(LlmCallsTest, RoundTripsInsideABatchAndRejectsDuplicateIds) {
  auto store = RunStore::Create(Path(), TestMetadata());
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->BeginBatch().ok());
  ASSERT_TRUE((*store)->InsertLlmCalls({Call(1, kNoCandidate), Call(2, 5)}).ok());
  ASSERT_TRUE((*store)->CommitBatch().ok());
  EXPECT_FALSE((*store)->InsertLlmCalls({Call(2, 6)}).ok());
  auto calls = (*store)->LoadLlmCalls();
  ASSERT_TRUE(calls.ok());
  ASSERT_EQ(calls->size(), 2u);
  EXPECT_EQ((*calls)[0].candidate_id, kNoCandidate);
  EXPECT_EQ((*calls)[0].error, "block 1: ...");
  EXPECT_FALSE((*calls)[0].completion_tokens.has_value());
  EXPECT_EQ((*calls)[1].candidate_id, 5);
  EXPECT_EQ(*(*calls)[1].prompt_tokens, 10);
  EXPECT_EQ(*(*calls)[1].cost, 0.5);
  EXPECT_EQ((*calls)[1].attempt, 2);
}

TEST_F(LlmCallsTest, VersionOneIsReadAsIsAndUpgradedByAWriter) {
  { ASSERT_TRUE(RunStore::Create(Path(), TestMetadata()).ok()); }
  RawSql("DROP TABLE llm_calls; UPDATE meta SET value = '1' WHERE key = 'schema_version';");
  {
    auto ro = RunStore::Open(Path(), RunStore::Mode::kReadOnly);
    ASSERT_TRUE(ro.ok()) << ro.status().ToString();
    EXPECT_EQ((*ro)->metadata().schema_version, 1);
    EXPECT_TRUE((*ro)->LoadLlmCalls()->empty());
  }
  auto rw = RunStore::Open(Path(), RunStore::Mode::kReadWrite);
  ASSERT_TRUE(rw.ok()) << rw.status().ToString();
  EXPECT_EQ((*rw)->metadata().schema_version, kRunSchemaVersion);
  ASSERT_TRUE((*rw)->InsertLlmCalls({Call(1, 3)}).ok());
  auto events = (*rw)->LoadEvents();
  ASSERT_TRUE(events.ok());
  ASSERT_FALSE(events->empty());
  EXPECT_EQ(events->back().kind, "schema_migrated");
  rw->reset();
  auto again = RunStore::Open(Path(), RunStore::Mode::kReadOnly);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->metadata().schema_version, kRunSchemaVersion);
  EXPECT_EQ((*again)->LoadLlmCalls()->size(), 1u);
}

TEST_F(LlmCallsTest, VersionTwoLosesItsUnusedIndexesWhenAWriterOpensIt) {
  { ASSERT_TRUE(RunStore::Create(Path(), TestMetadata()).ok()); }
  // A version-2 file as version 2 wrote it.
  RawSql(
      "CREATE INDEX candidates_parent ON candidate_records (parent_id);"
      "CREATE INDEX candidates_source_hash ON candidate_records (source_hash);"
      "UPDATE meta SET value = '2' WHERE key = 'schema_version';");
  auto index_count = [&] {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(Path().c_str(), &db), SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db,
                                 "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND "
                                 "name IN ('candidates_parent', 'candidates_source_hash')",
                                 -1, &stmt, nullptr),
              SQLITE_OK);
    EXPECT_EQ(sqlite3_step(stmt), SQLITE_ROW);
    const int n = sqlite3_column_int(stmt, 0);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return n;
  };
  {
    auto ro = RunStore::Open(Path(), RunStore::Mode::kReadOnly);
    ASSERT_TRUE(ro.ok()) << ro.status().ToString();
    EXPECT_EQ((*ro)->metadata().schema_version, 2);
  }
  EXPECT_EQ(index_count(), 2);
  auto rw = RunStore::Open(Path(), RunStore::Mode::kReadWrite);
  ASSERT_TRUE(rw.ok()) << rw.status().ToString();
  EXPECT_EQ((*rw)->metadata().schema_version, kRunSchemaVersion);  // through 3
  auto events = (*rw)->LoadEvents();
  ASSERT_TRUE(events.ok());
  ASSERT_GE(events->size(), 3u);
  const auto& step = (*events)[events->size() - 3];  // 2 -> 3, then 3 -> 4, then 4 -> 5
  EXPECT_EQ(step.kind, "schema_migrated");
  EXPECT_THAT(step.json, ::testing::HasSubstr("\"from\": 2"));
  rw->reset();
  EXPECT_EQ(index_count(), 0);
}

TEST_F(LlmCallsTest, VersionThreeGainsTheNotesTableWhenAWriterOpensIt) {
  { ASSERT_TRUE(RunStore::Create(Path(), TestMetadata()).ok()); }
  // A version-3 file as version 3 wrote it: no llm_notes.
  RawSql("DROP TABLE llm_notes; UPDATE meta SET value = '3' WHERE key = 'schema_version';");
  {
    auto ro = RunStore::Open(Path(), RunStore::Mode::kReadOnly);
    ASSERT_TRUE(ro.ok()) << ro.status().ToString();
    EXPECT_EQ((*ro)->metadata().schema_version, 3);
    auto notes = (*ro)->LoadLlmNotes();
    ASSERT_TRUE(notes.ok());
    EXPECT_TRUE(notes->empty());
  }
  auto rw = RunStore::Open(Path(), RunStore::Mode::kReadWrite);
  ASSERT_TRUE(rw.ok()) << rw.status().ToString();
  EXPECT_EQ((*rw)->metadata().schema_version, kRunSchemaVersion);  // through 4
  auto events = (*rw)->LoadEvents();
  ASSERT_TRUE(events.ok());
  ASSERT_GE(events->size(), 2u);
  // 3 -> 4, then 4 -> 5.
  EXPECT_THAT((*events)[events->size() - 2].json, ::testing::HasSubstr("\"from\": 3"));
  LlmNoteRecord n;
  n.id = 1;
  n.evaluated = 20;
  n.model = "m";
  n.call_id = 7;
  n.note = "- small steps on C worked";
  n.created_unix = 5;
  ASSERT_TRUE((*rw)->InsertLlmNotes({n}).ok());
  EXPECT_EQ((*rw)->InsertLlmNotes({n}).code(), StatusCode::kAlreadyExists);
  rw->reset();
  auto again = RunStore::Open(Path(), RunStore::Mode::kReadOnly);
  ASSERT_TRUE(again.ok());
  auto notes = (*again)->LoadLlmNotes();
  ASSERT_TRUE(notes.ok());
  ASSERT_EQ(notes->size(), 1u);
  EXPECT_EQ((*notes)[0].note, "- small steps on C worked");
  EXPECT_EQ((*notes)[0].evaluated, 20);
  EXPECT_EQ((*notes)[0].call_id, 7);
}

}  // namespace
}  // namespace crucible::store_test
