// Ring migration: schedule, direction, counts, and the snapshot rule.
#include <gtest/gtest.h>

#include "archive/archive.h"
#include "archive/archive_test_util.h"

namespace crucible {
namespace {

using testing::Entry;
using testing::LineOptions;
using testing::MakeArchive;
using Ids = std::vector<CandidateId>;

ArchiveOptions MigratingOptions(int islands, int interval, double rate, int elite_size) {
  ArchiveOptions o = LineOptions(islands, 10, elite_size);
  o.migration_interval = interval;
  o.migration_rate = rate;
  return o;
}

TEST(ArchiveMigrationTest, RunsEveryIntervalInsertions) {
  auto archive = MakeArchive(MigratingOptions(3, 3, 0.5, 4));
  std::vector<bool> migrated;
  for (CandidateId id = 1; id <= 7; ++id) {
    migrated.push_back(archive->Insert(Entry(id, id, 0, id - 0.5)).migrated);
  }
  EXPECT_EQ(migrated, (std::vector<bool>{false, false, true, false, false, true, false}));
  EXPECT_EQ(archive->migrations(), 2);
  EXPECT_EQ(archive->insertions(), 7);
}

TEST(ArchiveMigrationTest, SeedCountsTowardsTheSchedule) {
  auto archive = MakeArchive(MigratingOptions(2, 2, 1.0, 4));
  EXPECT_FALSE(archive->SeedAllIslands(Entry(0, 0.0, 0, 0.5)).migrated);
  EXPECT_TRUE(archive->Insert(Entry(1, 1.0, 0, 1.5)).migrated);
  EXPECT_EQ(archive->Members(1), (Ids{0, 1}));  // 0 was already there; 1 arrived
  EXPECT_EQ(archive->migrated_copies(), 1);
}

TEST(ArchiveMigrationTest, IntervalZeroNeverMigrates) {
  auto archive = MakeArchive(MigratingOptions(2, 0, 1.0, 4));
  for (CandidateId id = 1; id <= 100; ++id) {
    EXPECT_FALSE(archive->Insert(Entry(id, id, 0, (id % 10) + 0.5)).migrated);
  }
  EXPECT_EQ(archive->migrations(), 0);
  EXPECT_TRUE(archive->Members(1).empty());
}

TEST(ArchiveMigrationTest, OneIslandHasNowhereToGo) {
  auto archive = MakeArchive(MigratingOptions(1, 1, 1.0, 4));
  for (CandidateId id = 1; id <= 5; ++id) {
    EXPECT_FALSE(archive->Insert(Entry(id, id, 0, id + 0.5)).migrated);
  }
  EXPECT_EQ(archive->migrations(), 0);
}

TEST(ArchiveMigrationTest, RingOrderSameIdsTopShareRoundedUp) {
  // 4 islands; island i gets ids 10i+1..10i+3 (fitness = id) in its own cells
  // 3i..3i+2, so every migrant lands in an empty cell. rate 0.5 of 3 elites
  // rounds up to 2: the top two of island i go to island (i + 1) % 4.
  ArchiveOptions o = MigratingOptions(4, 12, 0.5, 10);
  o.features = {{"x", 12, 0.0, 12.0}};
  auto archive = MakeArchive(o);
  for (int island = 0; island < 4; ++island) {
    for (int k = 1; k <= 3; ++k) {
      const CandidateId id = 10 * island + k;
      const InsertResult r = archive->Insert(Entry(id, id, island, 3 * island + k - 0.5));
      EXPECT_EQ(r.migrated, island == 3 && k == 3);
    }
  }
  EXPECT_EQ(archive->migrations(), 1);
  EXPECT_EQ(archive->migrated_copies(), 8);
  EXPECT_EQ(archive->Members(0), (Ids{1, 2, 3, 32, 33}));  // from island 3: the ring closes
  EXPECT_EQ(archive->Members(1), (Ids{2, 3, 11, 12, 13}));
  EXPECT_EQ(archive->Members(2), (Ids{12, 13, 21, 22, 23}));
  EXPECT_EQ(archive->Members(3), (Ids{22, 23, 31, 32, 33}));
  EXPECT_EQ(archive->Elites(0), (Ids{33, 32, 3, 2, 1}));
  // A migrant keeps its cell (computed once, on arrival in the archive) and its
  // record, origin island included.
  std::vector<int> cells_of_island0;
  for (const CellView& c : archive->Grid(0)) cells_of_island0.push_back(c.coords[0]);
  EXPECT_EQ(cells_of_island0, (std::vector<int>{0, 1, 2, 10, 11}));
  EXPECT_EQ(archive->Find(32)->island, 3);
  EXPECT_EQ(archive->size(), 12u);
}

TEST(ArchiveMigrationTest, MigrantsCompeteLikeAnyInsertion) {
  // Island 1's programs are all better than island 0's and sit in the same
  // cells: island 0's migrants win nothing there and are not kept on island 1.
  ArchiveOptions o = MigratingOptions(2, 6, 1.0, 3);
  auto archive = MakeArchive(o);
  for (CandidateId k = 1; k <= 3; ++k) archive->Insert(Entry(k, k, 0, k - 0.5));
  for (CandidateId k = 1; k <= 3; ++k) archive->Insert(Entry(10 + k, 10 + k, 1, k - 0.5));
  EXPECT_EQ(archive->migrations(), 1);
  EXPECT_EQ(archive->Members(1), (Ids{11, 12, 13}));
  // The other way round they take the cells and the elite slots.
  EXPECT_EQ(archive->Members(0), (Ids{11, 12, 13}));
  EXPECT_EQ(archive->migrated_copies(), 3);
  EXPECT_EQ(archive->size(), 3u);
}

TEST(ArchiveMigrationTest, MigrantsComeFromTheStateBeforeTheRound) {
  // No grid, elite_size 1: each island holds just its best. Island 0's best (A)
  // displaces island 1's (B) before island 1 sends; B must still be the one sent
  // to island 2, so A moves one step, not two.
  ArchiveOptions o = MigratingOptions(3, 3, 1.0, 1);
  o.features.clear();
  auto archive = MakeArchive(o);
  archive->Insert(Entry(100, 10.0, 0));  // A
  archive->Insert(Entry(200, 5.0, 1));   // B
  archive->Insert(Entry(300, 1.0, 2));   // C; triggers the round
  EXPECT_EQ(archive->migrations(), 1);
  EXPECT_EQ(archive->Members(0), Ids{100});  // C arrived, lost to A
  EXPECT_EQ(archive->Members(1), Ids{100});
  EXPECT_EQ(archive->Members(2), Ids{200});
  EXPECT_EQ(archive->Find(300), nullptr);  // C lost on both islands
  EXPECT_EQ(archive->size(), 2u);
  EXPECT_EQ(archive->migrated_copies(), 2);
}

TEST(ArchiveMigrationTest, RateZeroMovesNothing) {
  auto archive = MakeArchive(MigratingOptions(2, 2, 0.0, 4));
  archive->Insert(Entry(1, 1.0, 0, 0.5));
  EXPECT_TRUE(archive->Insert(Entry(2, 2.0, 0, 1.5)).migrated);
  EXPECT_EQ(archive->migrations(), 1);
  EXPECT_EQ(archive->migrated_copies(), 0);
  EXPECT_TRUE(archive->Members(1).empty());
}

TEST(ArchiveMigrationTest, RateRoundsUpWithoutFloatingPointSurprises) {
  // 0.1 * 30 is 3.0000000000000004 in doubles; that must migrate 3, not 4.
  ArchiveOptions o = MigratingOptions(2, 30, 0.1, 30);
  o.features.clear();
  auto archive = MakeArchive(o);
  for (CandidateId id = 1; id <= 30; ++id) archive->Insert(Entry(id, id, 0));
  EXPECT_EQ(archive->migrations(), 1);
  EXPECT_EQ(archive->Members(1), (Ids{28, 29, 30}));
  // A rate that is not a whole share rounds up: 0.1 * 4 = 0.4 -> 1.
  ArchiveOptions p = MigratingOptions(2, 4, 0.1, 30);
  p.features.clear();
  auto small = MakeArchive(p);
  for (CandidateId id = 1; id <= 4; ++id) small->Insert(Entry(id, id, 0));
  EXPECT_EQ(small->Members(1), Ids{4});
}

TEST(ArchiveMigrationTest, AlreadyPresentProgramsAreSkipped) {
  auto archive = MakeArchive(MigratingOptions(2, 1, 1.0, 4));
  archive->SeedAllIslands(Entry(0, 5.0, 0, 0.5));  // round: nothing new to copy
  EXPECT_EQ(archive->migrations(), 1);
  EXPECT_EQ(archive->migrated_copies(), 0);
  archive->Insert(Entry(1, 1.0, 1, 1.5));  // round: 1 goes from island 1 to island 0
  EXPECT_EQ(archive->migrated_copies(), 1);
  EXPECT_EQ(archive->Members(0), (Ids{0, 1}));
  EXPECT_EQ(archive->Members(1), (Ids{0, 1}));
  archive->Insert(Entry(2, 0.5, 0, 2.5));  // round: 2 goes to island 1; 0 and 1 skipped
  EXPECT_EQ(archive->migrated_copies(), 2);
  EXPECT_EQ(archive->size(), 3u);
}

}  // namespace
}  // namespace crucible
