// Schema version 5: the tunings table (the samples a constant tuning cost),
// written with the tuned child and read back into ProposalInfo::evaluations;
// the in-place upgrade of a version-4 run database.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "store/run_store.h"
#include "store/store_test_util.h"

namespace crucible::store_test {
namespace {

class TuningsTest : public TempDirTest {};

Candidate Tuned(CandidateId id, CandidateId from, int64_t evaluations) {
  Candidate c = MakeCandidate(id);
  c.parent_id = from;
  c.proposal.proposer = "tune";
  c.proposal.evaluations = evaluations;
  return c;
}

TEST_F(TuningsTest, TheCostIsStoredWithTheChildAndReadBack) {
  auto store = RunStore::Create(Path(), TestMetadata());
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->InsertDone(MakeCandidate(0)).ok());
  ASSERT_TRUE((*store)->InsertDone(Tuned(1, 0, 24)).ok());
  ASSERT_TRUE((*store)->InsertPending(Tuned(2, 1, 6)).ok());
  auto rows = (*store)->LoadCandidates();
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ((*rows)[0].candidate.proposal.evaluations, 0);
  EXPECT_EQ((*rows)[1].candidate.proposal.evaluations, 24);
  EXPECT_EQ((*rows)[2].candidate.proposal.evaluations, 6);
  auto one = (*store)->LoadCandidate(1);
  ASSERT_TRUE(one.ok() && one->has_value());
  EXPECT_EQ((*one)->candidate.proposal.evaluations, 24);
  // A second row for the same child is refused with the candidate's.
  EXPECT_FALSE((*store)->InsertDone(Tuned(1, 0, 24)).ok());
}

TEST_F(TuningsTest, VersionFourIsReadAsIsAndGainsTheTableWhenAWriterOpensIt) {
  {
    auto store = RunStore::Create(Path(), TestMetadata());
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->InsertDone(MakeCandidate(0)).ok());
  }
  RawSql("DROP TABLE tunings; UPDATE meta SET value = '4' WHERE key = 'schema_version';");
  {
    auto ro = RunStore::Open(Path(), RunStore::Mode::kReadOnly);
    ASSERT_TRUE(ro.ok()) << ro.status().ToString();
    EXPECT_EQ((*ro)->metadata().schema_version, 4);
    auto rows = (*ro)->LoadCandidates();
    ASSERT_TRUE(rows.ok()) << rows.status().ToString();
    EXPECT_EQ(rows->size(), 1u);
  }
  auto rw = RunStore::Open(Path(), RunStore::Mode::kReadWrite);
  ASSERT_TRUE(rw.ok()) << rw.status().ToString();
  EXPECT_EQ((*rw)->metadata().schema_version, 5);
  auto events = (*rw)->LoadEvents();
  ASSERT_TRUE(events.ok());
  ASSERT_FALSE(events->empty());
  EXPECT_THAT(events->back().json, ::testing::HasSubstr("\"from\": 4"));
  ASSERT_TRUE((*rw)->InsertDone(Tuned(1, 0, 12)).ok());
  EXPECT_EQ((*(*rw)->LoadCandidate(1))->candidate.proposal.evaluations, 12);
}

}  // namespace
}  // namespace crucible
