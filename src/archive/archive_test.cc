// Placement, membership and bookkeeping of the archive. Selection is in
// archive_selection_test.cc, migration in archive_migration_test.cc, random
// sequences in archive_property_test.cc.
#include "archive/archive.h"
#include "archive/entry.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "archive/archive_test_util.h"

namespace crucible {
namespace {

using testing::Entry;
using testing::LineOptions;
using testing::MakeArchive;
using Ids = std::vector<CandidateId>;

TEST(ArchiveTest, EmptyArchive) {
  auto archive = MakeArchive(LineOptions(3, 10, 5));
  EXPECT_EQ(archive->num_islands(), 3);
  EXPECT_EQ(archive->size(), 0u);
  EXPECT_EQ(archive->Best(), std::nullopt);
  EXPECT_EQ(archive->Find(1), nullptr);
  EXPECT_EQ(archive->insertions(), 0);
  Rng rng(7);
  const Rng before = rng;
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(archive->Select(i, rng), std::nullopt);
    EXPECT_TRUE(archive->Members(i).empty());
    EXPECT_TRUE(archive->Grid(i).empty());
  }
  EXPECT_EQ(rng, before);  // nothing drawn
}

TEST(ArchiveTest, OutOfRangeIslandIsEmpty) {
  auto archive = MakeArchive(LineOptions(2, 10, 5));
  archive->SeedAllIslands(Entry(1, 1.0, 0, 0.5));
  Rng rng(1);
  EXPECT_EQ(archive->Select(-1, rng), std::nullopt);
  EXPECT_EQ(archive->Select(2, rng), std::nullopt);
  EXPECT_TRUE(archive->Members(2).empty());
  EXPECT_TRUE(archive->Grid(-1).empty());
  EXPECT_TRUE(archive->Elites(5).empty());
}

TEST(ArchiveTest, FirstInsertFlags) {
  auto archive = MakeArchive(LineOptions(2, 10, 5));
  const InsertResult r = archive->Insert(Entry(1, 1.0, 1, 3.5));
  EXPECT_FALSE(r.rejected);
  EXPECT_TRUE(r.kept);
  EXPECT_TRUE(r.new_cell);
  EXPECT_FALSE(r.replaced_cell);
  EXPECT_TRUE(r.entered_elite);
  EXPECT_TRUE(r.new_island_best);
  EXPECT_TRUE(r.new_global_best);
  EXPECT_FALSE(r.migrated);
  EXPECT_EQ(archive->Members(1), Ids{1});
  EXPECT_TRUE(archive->Members(0).empty());
  EXPECT_EQ(archive->Best(), 1);
  EXPECT_EQ(archive->insertions(), 1);
  const std::vector<CellView> grid = archive->Grid(1);
  ASSERT_EQ(grid.size(), 1u);
  EXPECT_EQ(grid[0].coords, std::vector<int>{3});
  EXPECT_EQ(grid[0].id, 1);
  EXPECT_EQ(grid[0].fitness, 1.0);
}

TEST(ArchiveTest, CellReplacedOnlyByStrictlyBetter) {
  // elite_size 1, so a displaced occupant that is not the best is dropped.
  auto archive = MakeArchive(LineOptions(1, 10, 1));
  archive->Insert(Entry(1, 1.0, 0, 0.5));

  const InsertResult tie = archive->Insert(Entry(2, 1.0, 0, 0.7));
  EXPECT_FALSE(tie.kept);  // same cell, same fitness: the incumbent stays; id 1 ranks first
  EXPECT_FALSE(tie.replaced_cell);
  EXPECT_FALSE(tie.entered_elite);
  EXPECT_EQ(archive->Find(2), nullptr);

  const InsertResult worse = archive->Insert(Entry(3, 0.5, 0, 0.2));
  EXPECT_FALSE(worse.kept);
  EXPECT_EQ(archive->Members(0), Ids{1});

  const InsertResult better = archive->Insert(Entry(4, 1.5, 0, 0.9));
  EXPECT_TRUE(better.kept);
  EXPECT_TRUE(better.replaced_cell);
  EXPECT_FALSE(better.new_cell);
  EXPECT_TRUE(better.new_island_best);
  EXPECT_TRUE(better.new_global_best);
  EXPECT_EQ(archive->Members(0), Ids{4});
  EXPECT_EQ(archive->Find(1), nullptr);  // lost its cell and its elite slot
  EXPECT_EQ(archive->size(), 1u);
}

TEST(ArchiveTest, DisplacedOccupantStaysWhileElite) {
  auto archive = MakeArchive(LineOptions(1, 10, 3));
  archive->Insert(Entry(1, 1.0, 0, 0.5));
  archive->Insert(Entry(2, 2.0, 0, 0.5));  // takes cell 0; 1 is still an elite
  EXPECT_EQ(archive->Members(0), (Ids{1, 2}));
  EXPECT_EQ(archive->Grid(0).size(), 1u);
  EXPECT_EQ(archive->Elites(0), (Ids{2, 1}));
  archive->Insert(Entry(3, 3.0, 0, 5.5));
  EXPECT_EQ(archive->Members(0), (Ids{1, 2, 3}));
  archive->Insert(Entry(4, 4.0, 0, 6.5));  // pushes 1 out of the elite set: dropped
  EXPECT_EQ(archive->Elites(0), (Ids{4, 3, 2}));
  EXPECT_EQ(archive->Members(0), (Ids{2, 3, 4}));
  EXPECT_EQ(archive->Find(1), nullptr);
}

TEST(ArchiveTest, EliteOutsiderKeepsItsCell) {
  auto archive = MakeArchive(LineOptions(1, 10, 2));
  archive->Insert(Entry(1, 1.0, 0, 0.5));
  archive->Insert(Entry(2, 5.0, 0, 1.5));
  const InsertResult r = archive->Insert(Entry(3, 6.0, 0, 2.5));
  EXPECT_TRUE(r.entered_elite);
  EXPECT_EQ(archive->Elites(0), (Ids{3, 2}));
  EXPECT_EQ(archive->Members(0), (Ids{1, 2, 3}));  // 1 left the elite set but owns cell 0
  // A newcomer to an empty cell is kept even though it is not an elite.
  const InsertResult low = archive->Insert(Entry(4, 0.1, 0, 3.5));
  EXPECT_TRUE(low.kept);
  EXPECT_TRUE(low.new_cell);
  EXPECT_FALSE(low.entered_elite);
  EXPECT_FALSE(low.new_island_best);
}

TEST(ArchiveTest, EliteSetTrimsToTopByFitnessThenLowerId) {
  ArchiveOptions o = LineOptions(1, 10, 3);
  o.features.clear();  // one cell: only the elite set matters
  auto archive = MakeArchive(o);
  archive->Insert(Entry(5, 2.0));
  archive->Insert(Entry(3, 2.0));
  archive->Insert(Entry(9, 7.0));
  EXPECT_EQ(archive->Elites(0), (Ids{9, 3, 5}));
  EXPECT_EQ(archive->Members(0), (Ids{3, 5, 9}));  // 9 holds the one cell
  const InsertResult r = archive->Insert(Entry(4, 2.0));  // ranks between 3 and 5
  EXPECT_TRUE(r.entered_elite);
  EXPECT_EQ(archive->Elites(0), (Ids{9, 3, 4}));
  EXPECT_EQ(archive->Members(0), (Ids{3, 4, 9}));
  EXPECT_EQ(archive->Find(5), nullptr);
  const InsertResult r2 = archive->Insert(Entry(8, 2.0));  // ties, but a higher id
  EXPECT_FALSE(r2.kept);
  EXPECT_EQ(archive->size(), 3u);
}

TEST(ArchiveTest, EntryWithMissingFeatureLivesInEliteSetOnly) {
  auto archive = MakeArchive(LineOptions(1, 10, 2));
  const InsertResult r = archive->Insert(Entry(1, 5.0));  // no "x"
  EXPECT_TRUE(r.kept);
  EXPECT_FALSE(r.new_cell);
  EXPECT_TRUE(r.entered_elite);
  EXPECT_TRUE(archive->Grid(0).empty());
  EXPECT_EQ(archive->Members(0), Ids{1});
  archive->Insert(Entry(2, 6.0, 0, 1.5));
  archive->Insert(Entry(3, 7.0, 0, 2.5));  // 1 leaves the elite set and has no cell
  EXPECT_EQ(archive->Members(0), (Ids{2, 3}));
  EXPECT_EQ(archive->Find(1), nullptr);
  const InsertResult low = archive->Insert(Entry(4, 1.0));  // too weak for the elite set
  EXPECT_FALSE(low.kept);
  EXPECT_EQ(archive->Find(4), nullptr);
}

TEST(ArchiveTest, FeaturesFallBackToMetrics) {
  auto archive = MakeArchive(LineOptions(1, 10, 5));
  ArchiveEntry e = Entry(1, 1.0);
  e.metrics["x"] = 4.5;
  EXPECT_TRUE(archive->Insert(e).new_cell);
  ASSERT_EQ(archive->Grid(0).size(), 1u);
  EXPECT_EQ(archive->Grid(0)[0].coords, std::vector<int>{4});
  ArchiveEntry f = Entry(2, 1.0, 0, 7.5);
  f.metrics["x"] = 4.5;  // features win
  archive->Insert(f);
  EXPECT_EQ(archive->Grid(0)[1].coords, std::vector<int>{7});
}

TEST(ArchiveTest, AdaptiveCellIsFixedAtInsertion) {
  ArchiveOptions o = LineOptions(1, 10, 10);
  o.features = {{"x", 10, {}, {}}};
  auto archive = MakeArchive(o);
  archive->Insert(Entry(1, 1.0, 0, 5.0));  // the only value: bin 0
  archive->Insert(Entry(2, 1.0, 0, 0.0));  // range [0, 5]: bin 0, tie keeps 1
  archive->Insert(Entry(3, 1.0, 0, 10.0));  // range [0, 10]: bin 9
  archive->Insert(Entry(4, 1.0, 0, 5.0));  // bin 5 now; 1 stays where it was
  std::vector<std::pair<CandidateId, int>> cells;
  for (const CellView& c : archive->Grid(0)) cells.push_back({c.id, c.coords[0]});
  EXPECT_EQ(cells, (std::vector<std::pair<CandidateId, int>>{{1, 0}, {4, 5}, {3, 9}}));
  EXPECT_EQ(archive->Members(0), (Ids{1, 2, 3, 4}));  // 2 is an elite
}

TEST(ArchiveTest, TwoDimensionalGrid) {
  ArchiveOptions o = LineOptions(1, 4, 1);
  o.features = {{"x", 4, 0.0, 4.0}, {"y", 3, 0.0, 3.0}};
  auto archive = MakeArchive(o);
  archive->Insert(Entry(1, 1.0, 0, 2.5, 1.5));
  archive->Insert(Entry(2, 2.0, 0, 2.5, 0.5));
  archive->Insert(Entry(3, 3.0, 0, 0.5, 2.5));
  archive->Insert(Entry(4, 0.5, 0, 2.9, 1.1));  // same cell as 1, worse: dropped
  const std::vector<CellView> grid = archive->Grid(0);
  ASSERT_EQ(grid.size(), 3u);
  EXPECT_EQ(grid[0].coords, (std::vector<int>{0, 2}));
  EXPECT_EQ(grid[0].id, 3);
  EXPECT_EQ(grid[1].coords, (std::vector<int>{2, 0}));
  EXPECT_EQ(grid[1].id, 2);
  EXPECT_EQ(grid[2].coords, (std::vector<int>{2, 1}));
  EXPECT_EQ(grid[2].id, 1);
  EXPECT_EQ(archive->Find(4), nullptr);
  const std::vector<IslandStats> stats = archive->Stats();
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0].total_cells, 12u);
  EXPECT_EQ(stats[0].occupied_cells, 3u);
  EXPECT_EQ(stats[0].members, 3u);
  EXPECT_EQ(stats[0].elites, 1u);
  EXPECT_EQ(stats[0].best, 3);
  EXPECT_EQ(stats[0].best_fitness, 3.0);
}

TEST(ArchiveTest, IslandAndGlobalBest) {
  auto archive = MakeArchive(LineOptions(2, 10, 5));
  archive->Insert(Entry(5, 3.0, 0, 0.5));
  InsertResult r = archive->Insert(Entry(7, 2.0, 1, 0.5));
  EXPECT_TRUE(r.new_island_best);
  EXPECT_FALSE(r.new_global_best);
  r = archive->Insert(Entry(2, 3.0, 1, 1.5));  // ties 5, lower id: the new global best
  EXPECT_TRUE(r.new_island_best);
  EXPECT_TRUE(r.new_global_best);
  EXPECT_EQ(archive->Best(), 2);
  r = archive->Insert(Entry(9, 3.0, 0, 1.5));
  EXPECT_FALSE(r.new_island_best);
  EXPECT_FALSE(r.new_global_best);
  EXPECT_EQ(archive->Best(), 2);
  const std::vector<IslandStats> stats = archive->Stats();
  EXPECT_EQ(stats[0].best, 5);
  EXPECT_EQ(stats[1].best, 2);
  EXPECT_EQ(stats[1].island, 1);
}

TEST(ArchiveTest, RejectsInvalidEntries) {
  auto archive = MakeArchive(LineOptions(2, 10, 5));
  const ArchiveEntry bad[] = {
      Entry(1, std::nan(""), 0, 0.5),
      Entry(1, std::numeric_limits<double>::infinity(), 0, 0.5),
      Entry(1, 1.0, -1, 0.5),
      Entry(1, 1.0, 2, 0.5),
      Entry(kNoCandidate, 1.0, 0, 0.5),
  };
  for (const ArchiveEntry& e : bad) {
    const InsertResult r = archive->Insert(e);
    EXPECT_TRUE(r.rejected);
    EXPECT_FALSE(r.kept);
  }
  EXPECT_TRUE(archive->SeedAllIslands(Entry(1, -std::numeric_limits<double>::infinity())).rejected);
  EXPECT_EQ(archive->insertions(), 0);
  EXPECT_EQ(archive->size(), 0u);
  // Rejected values did not widen any range either: nothing was observed.
  EXPECT_EQ(archive->Best(), std::nullopt);
}

TEST(ArchiveTest, KnownIdKeepsFirstRecord) {
  auto archive = MakeArchive(LineOptions(2, 10, 5));
  archive->Insert(Entry(1, 1.0, 0, 0.5));
  InsertResult r = archive->Insert(Entry(1, 9.0, 0, 5.5));
  EXPECT_TRUE(r.kept);
  EXPECT_FALSE(r.new_cell);
  EXPECT_FALSE(r.entered_elite);
  EXPECT_EQ(archive->Find(1)->fitness, 1.0);
  r = archive->Insert(Entry(1, 9.0, 1, 5.5));  // placed on island 1 with its first record
  EXPECT_TRUE(r.kept);
  EXPECT_TRUE(r.new_cell);
  EXPECT_EQ(archive->Members(1), Ids{1});
  EXPECT_EQ(archive->Grid(1)[0].coords, std::vector<int>{0});
  EXPECT_EQ(archive->Find(1)->island, 0);
  EXPECT_EQ(archive->size(), 1u);
  EXPECT_EQ(archive->insertions(), 3);
}

TEST(ArchiveTest, SeedAllIslandsIsOneInsertionOnEveryIsland) {
  auto archive = MakeArchive(LineOptions(4, 10, 5));
  const InsertResult r = archive->SeedAllIslands(Entry(0, 0.25, 3, 2.5));
  EXPECT_TRUE(r.kept);
  EXPECT_TRUE(r.new_cell);
  EXPECT_TRUE(r.entered_elite);
  EXPECT_TRUE(r.new_island_best);
  EXPECT_TRUE(r.new_global_best);
  EXPECT_EQ(archive->insertions(), 1);
  EXPECT_EQ(archive->size(), 1u);
  EXPECT_EQ(archive->Best(), 0);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(archive->Members(i), Ids{0});
    EXPECT_EQ(archive->Grid(i)[0].coords, std::vector<int>{2});
  }
  Rng rng(3);
  for (int i = 0; i < 4; ++i) {
    const std::optional<Selection> s = archive->Select(i, rng);
    ASSERT_TRUE(s.has_value());
    EXPECT_EQ(s->parent, 0);
    EXPECT_TRUE(s->inspirations.empty());
  }
}

TEST(ArchiveTest, FindReturnsStoredEntry) {
  auto archive = MakeArchive(LineOptions(1, 10, 5));
  ArchiveEntry e = Entry(4, 2.5, 0, 1.5);
  e.parent_id = 2;
  e.code_length = 321;
  e.metrics["runtime_ms"] = 4.1;
  archive->Insert(e);
  const ArchiveEntry* found = archive->Find(4);
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->parent_id, 2);
  EXPECT_EQ(found->code_length, 321u);
  EXPECT_EQ(found->metrics, e.metrics);
  EXPECT_EQ(found->features, e.features);
}

TEST(ArchiveTest, RecordChildCountsKnownParentsOnly) {
  auto archive = MakeArchive(LineOptions(1, 10, 5));
  archive->Insert(Entry(1, 1.0, 0, 0.5));
  archive->RecordChild(1);
  archive->RecordChild(1);
  archive->RecordChild(42);  // unknown: ignored
  EXPECT_EQ(archive->Children(1), 2);
  EXPECT_EQ(archive->Children(42), 0);
  EXPECT_EQ(archive->size(), 1u);
}

TEST(ArchiveTest, SizeCountsDistinctMembers) {
  auto archive = MakeArchive(LineOptions(3, 10, 5));
  archive->SeedAllIslands(Entry(0, 0.0, 0, 0.5));
  archive->Insert(Entry(1, 1.0, 0, 1.5));
  archive->Insert(Entry(2, 1.0, 2, 1.5));
  EXPECT_EQ(archive->size(), 3u);
  const std::vector<IslandStats> stats = archive->Stats();
  EXPECT_EQ(stats[0].members, 2u);
  EXPECT_EQ(stats[1].members, 1u);
  EXPECT_EQ(stats[2].members, 2u);
}

}  // namespace
}  // namespace crucible

namespace crucible {
namespace {

// The one entry rule (archive/entry.h): a candidate stopped early by the
// cascade stays out, except the initial program, the run's first parent.
TEST(ArchiveEntryTest, OnlyTheInitialProgramEntersFromAnEarlyStage) {
  const EntryRule rule{Objective{"score", Direction::kMaximize}, "stage2"};
  Candidate c;
  c.id = 4;
  c.parent_id = 0;
  c.program = Program{{{"p.py", "x = 1\n"}}};
  c.result.outcome = Outcome::kOk;
  c.result.score = 1.25;
  c.result.stage = "stage1";
  EXPECT_FALSE(ArchiveEntryFor(c, rule).has_value());
  c.result.stage = "stage2";
  EXPECT_TRUE(ArchiveEntryFor(c, rule).has_value());
  c.id = 0;
  c.parent_id = kNoCandidate;
  c.result.stage = "stage1";
  EXPECT_TRUE(ArchiveEntryFor(c, rule).has_value());
}

}  // namespace
}  // namespace crucible
