// Parent and inspiration selection.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "archive/archive.h"
#include "archive/archive_test_util.h"

namespace crucible {
namespace {

using testing::Entry;
using testing::LineOptions;
using testing::MakeArchive;
using Ids = std::vector<CandidateId>;

// Island 0 with ten programs in ten cells, fitness = id.
std::unique_ptr<Archive> TenCells(ArchiveOptions o) {
  auto archive = MakeArchive(o);
  for (int id = 1; id <= 10; ++id) archive->Insert(Entry(id, id, 0, id - 0.5));
  return archive;
}

bool Contains(const Ids& ids, CandidateId id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

TEST(ArchiveSelectionTest, ParentIsMemberAndInspirationsAreDistinct) {
  ArchiveOptions o = LineOptions(2, 10, 4);
  o.num_top_inspirations = 3;
  o.num_diverse_inspirations = 3;
  auto archive = MakeArchive(o);
  Rng data(11);
  for (int id = 0; id < 200; ++id) {
    archive->Insert(Entry(id, data.UniformInt(0, 20), static_cast<int>(id % 2),
                          data.UniformDouble() * 10));
  }
  Rng rng(5);
  for (int step = 0; step < 2000; ++step) {
    const int island = step % 2;
    const std::optional<Selection> s = archive->Select(island, rng);
    ASSERT_TRUE(s.has_value());
    EXPECT_EQ(s->island, island);
    const Ids members = archive->Members(island);
    EXPECT_TRUE(Contains(members, s->parent));
    EXPECT_FALSE(Contains(s->inspirations, s->parent));
    const std::set<CandidateId> distinct(s->inspirations.begin(), s->inspirations.end());
    EXPECT_EQ(distinct.size(), s->inspirations.size());
    for (CandidateId id : s->inspirations) EXPECT_TRUE(Contains(members, id));
    EXPECT_LE(s->inspirations.size(), 6u);
  }
}

TEST(ArchiveSelectionTest, TopInspirationsAreTheBestOtherThanTheParent) {
  ArchiveOptions o = LineOptions(1, 10, 5);
  o.num_top_inspirations = 3;
  o.num_diverse_inspirations = 0;
  auto archive = TenCells(o);
  Rng rng(9);
  for (int i = 0; i < 200; ++i) {
    const Selection s = *archive->Select(0, rng);
    Ids expected;
    for (CandidateId id = 10; id >= 1 && expected.size() < 3; --id) {
      if (id != s.parent) expected.push_back(id);
    }
    EXPECT_EQ(s.inspirations, expected) << "parent " << s.parent;
    EXPECT_EQ(s.num_top, 3u);
  }
}

TEST(ArchiveSelectionTest, TopInspirationsContinuePastTheEliteSet) {
  ArchiveOptions o = LineOptions(1, 10, 1);
  o.num_top_inspirations = 4;
  o.num_diverse_inspirations = 0;
  o.selection = {0, 0, 1};  // parent = the single elite, id 10
  auto archive = TenCells(o);
  Rng rng(1);
  const Selection s = *archive->Select(0, rng);
  EXPECT_EQ(s.parent, 10);
  EXPECT_EQ(s.inspirations, (Ids{9, 8, 7, 6}));
}

TEST(ArchiveSelectionTest, DiverseInspirationsComeFromOtherCells) {
  ArchiveOptions o = LineOptions(1, 10, 3);
  o.num_top_inspirations = 2;
  o.num_diverse_inspirations = 3;
  auto archive = TenCells(o);
  archive->Insert(Entry(11, 0.5, 0, 4.5));   // an elite-less loser: not kept
  archive->Insert(Entry(12, 100, 0, 4.5));   // takes cell 4 from id 5; 5 is dropped
  std::map<CandidateId, int> cell_of;
  for (const CellView& c : archive->Grid(0)) cell_of[c.id] = c.coords[0];
  Rng rng(4);
  std::map<CandidateId, int> diverse_counts;
  for (int i = 0; i < 3000; ++i) {
    const Selection s = *archive->Select(0, rng);
    ASSERT_EQ(s.inspirations.size(), 5u);
    EXPECT_EQ(s.num_top, 2u);  // the first two by rank, then the diverse picks
    for (size_t k = 2; k < s.inspirations.size(); ++k) {
      const CandidateId id = s.inspirations[k];
      ASSERT_TRUE(cell_of.count(id)) << id << " is not a cell occupant";
      if (cell_of.count(s.parent)) {
        EXPECT_NE(cell_of[id], cell_of[s.parent]);
      }
      ++diverse_counts[id];
    }
  }
  // Every occupant but the top ones shows up as a diverse pick sometimes.
  for (CandidateId id : {1, 2, 3, 4, 6, 7}) EXPECT_GT(diverse_counts[id], 100) << id;
  EXPECT_EQ(diverse_counts.count(5), 0u);
  EXPECT_EQ(diverse_counts.count(11), 0u);
}

TEST(ArchiveSelectionTest, FewerCandidatesThanAskedForIsFine) {
  ArchiveOptions o = LineOptions(1, 10, 5);
  o.num_top_inspirations = 5;
  o.num_diverse_inspirations = 5;
  auto archive = MakeArchive(o);
  archive->Insert(Entry(1, 1.0, 0, 0.5));
  archive->Insert(Entry(2, 2.0, 0, 1.5));
  Rng rng(2);
  for (int i = 0; i < 50; ++i) {
    const Selection s = *archive->Select(0, rng);
    ASSERT_EQ(s.inspirations.size(), 1u);  // the other program, once
    EXPECT_NE(s.inspirations[0], s.parent);
  }
}

TEST(ArchiveSelectionTest, PolicyFrequenciesFollowWeights) {
  ArchiveOptions o = LineOptions(1, 10, 5);
  o.selection = {0.2, 0.7, 0.1};
  auto archive = TenCells(o);
  Rng rng(2024);
  std::map<SelectionPolicy, int> counts;
  const int draws = 20000;
  for (int i = 0; i < draws; ++i) ++counts[archive->Select(0, rng)->policy];
  EXPECT_NEAR(counts[SelectionPolicy::kUniform] / double(draws), 0.2, 0.015);
  EXPECT_NEAR(counts[SelectionPolicy::kWeighted] / double(draws), 0.7, 0.015);
  EXPECT_NEAR(counts[SelectionPolicy::kElite] / double(draws), 0.1, 0.015);
}

TEST(ArchiveSelectionTest, WeightsAreNormalised) {
  ArchiveOptions o = LineOptions(1, 10, 5);
  o.selection = {2, 0, 6};
  auto archive = TenCells(o);
  Rng rng(77);
  int uniform = 0;
  for (int i = 0; i < 8000; ++i) {
    const SelectionPolicy p = archive->Select(0, rng)->policy;
    ASSERT_NE(p, SelectionPolicy::kWeighted);
    uniform += p == SelectionPolicy::kUniform;
  }
  EXPECT_NEAR(uniform / 8000.0, 0.25, 0.02);
}

TEST(ArchiveSelectionTest, ElitePolicyPicksOnlyElites) {
  ArchiveOptions o = LineOptions(1, 10, 3);
  o.selection = {0, 0, 1};
  auto archive = TenCells(o);
  Rng rng(8);
  std::map<CandidateId, int> counts;
  for (int i = 0; i < 3000; ++i) ++counts[archive->Select(0, rng)->parent];
  EXPECT_EQ(counts.size(), 3u);
  for (CandidateId id : {8, 9, 10}) EXPECT_NEAR(counts[id] / 3000.0, 1.0 / 3, 0.04);
}

TEST(ArchiveSelectionTest, UniformPolicyCoversAllMembers) {
  ArchiveOptions o = LineOptions(1, 10, 3);
  o.selection = {1, 0, 0};
  auto archive = TenCells(o);
  Rng rng(8);
  std::map<CandidateId, int> counts;
  for (int i = 0; i < 10000; ++i) ++counts[archive->Select(0, rng)->parent];
  EXPECT_EQ(counts.size(), 10u);
  for (const auto& [id, n] : counts) EXPECT_NEAR(n / 10000.0, 0.1, 0.02) << id;
}

TEST(ArchiveSelectionTest, WeightedPolicyPrefersFitterPrograms) {
  ArchiveOptions o = LineOptions(1, 10, 3);
  o.selection = {0, 1, 0};
  auto archive = TenCells(o);
  Rng rng(8);
  std::map<CandidateId, int> counts;
  for (int i = 0; i < 10000; ++i) ++counts[archive->Select(0, rng)->parent];
  // median 5.5, MAD 2.5: id 10 has weight sigmoid(18) ~ 1, id 1 sigmoid(-18) ~ 0.
  EXPECT_GT(counts[10], counts[6]);
  EXPECT_GT(counts[6], counts[5]);
  EXPECT_LT(counts[1], 5);
  // ids 6..10 hold nearly all the weight (~0.88 + 4 * ~1) / ~5.
  int top = 0;
  for (CandidateId id = 6; id <= 10; ++id) top += counts[id];
  EXPECT_GT(top, 9500);
}

TEST(ArchiveSelectionTest, ManyChildrenMakeAParentRarer) {
  ArchiveOptions o = LineOptions(1, 10, 5);
  o.selection = {0, 1, 0};
  auto archive = MakeArchive(o);
  archive->Insert(Entry(1, 1.0, 0, 0.5));
  archive->Insert(Entry(2, 1.0, 0, 1.5));  // same fitness: same sigmoid weight
  for (int i = 0; i < 9; ++i) archive->RecordChild(2);
  Rng rng(31);
  int picked_2 = 0;
  const int draws = 20000;
  for (int i = 0; i < draws; ++i) picked_2 += archive->Select(0, rng)->parent == 2;
  // weights 1 and 1/10: P(2) = (1/10) / (1 + 1/10) = 1/11.
  EXPECT_NEAR(picked_2 / double(draws), 1.0 / 11, 0.01);
}

TEST(ArchiveSelectionTest, ChildrenDoNotAffectUniformOrElitePolicies) {
  ArchiveOptions o = LineOptions(1, 10, 5);
  o.selection = {1, 0, 0};
  auto archive = MakeArchive(o);
  archive->Insert(Entry(1, 1.0, 0, 0.5));
  archive->Insert(Entry(2, 1.0, 0, 1.5));
  for (int i = 0; i < 9; ++i) archive->RecordChild(2);
  Rng rng(31);
  int picked_2 = 0;
  for (int i = 0; i < 10000; ++i) picked_2 += archive->Select(0, rng)->parent == 2;
  EXPECT_NEAR(picked_2 / 10000.0, 0.5, 0.02);
}

TEST(ArchiveSelectionTest, SameSeedSameSelections) {
  ArchiveOptions o = LineOptions(3, 10, 5);
  o.features = {{"x", 5, {}, {}}, {"y", 4, 0.0, 1.0}};
  o.migration_interval = 25;
  const int seed = 99;
  auto run = [&] {
    auto archive = MakeArchive(o);
    archive->SeedAllIslands(Entry(0, 0.0, 0, 10.0, 0.5));
    Rng select_rng(seed);
    Rng data(seed + 1);
    std::vector<Selection> trace;
    for (CandidateId id = 1; id <= 1000; ++id) {
      const int island = static_cast<int>(id % 3);
      const Selection s = *archive->Select(island, select_rng);
      trace.push_back(s);
      archive->RecordChild(s.parent);
      if (data.Bernoulli(0.2)) continue;  // a failed child: recorded, not inserted
      archive->Insert(Entry(id, data.Normal(), island, data.UniformDouble() * 50,
                            data.UniformDouble()));
    }
    return std::make_pair(std::move(trace), std::move(archive));
  };
  const auto [trace_a, archive_a] = run();
  const auto [trace_b, archive_b] = run();
  ASSERT_EQ(trace_a.size(), trace_b.size());
  for (size_t i = 0; i < trace_a.size(); ++i) {
    EXPECT_EQ(trace_a[i].parent, trace_b[i].parent) << "step " << i;
    EXPECT_EQ(trace_a[i].inspirations, trace_b[i].inspirations) << "step " << i;
    EXPECT_EQ(trace_a[i].policy, trace_b[i].policy) << "step " << i;
  }
  for (int i = 0; i < 3; ++i) EXPECT_EQ(archive_a->Members(i), archive_b->Members(i));
  EXPECT_EQ(archive_a->Best(), archive_b->Best());
  EXPECT_GT(archive_a->migrations(), 0);
  // The trace is not trivially constant.
  std::set<CandidateId> parents;
  for (const Selection& s : trace_a) parents.insert(s.parent);
  EXPECT_GT(parents.size(), 20u);
}

}  // namespace
}  // namespace crucible
