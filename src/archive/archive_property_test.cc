// Randomised sequences checked against a model (no migration) and against the
// structural invariants (with migration, adaptive ranges, children, selection).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "archive/archive.h"
#include "archive/archive_test_util.h"

namespace crucible {
namespace {

using testing::Entry;
using testing::MakeArchive;
using Ids = std::vector<CandidateId>;

struct Inserted {
  CandidateId id;
  double fitness;
  std::optional<std::vector<int>> coords;  // nullopt: a feature was missing
};

bool RankedBefore(const Inserted& a, const Inserted& b) {
  return a.fitness > b.fitness || (a.fitness == b.fitness && a.id < b.id);
}

// What each island should hold, from everything ever inserted into it:
// a cell keeps the first of its fittest; the elite set is the top elite_size.
struct IslandModel {
  std::vector<Inserted> inserted;

  std::map<std::vector<int>, CandidateId> Cells() const {
    std::map<std::vector<int>, const Inserted*> best;
    for (const Inserted& e : inserted) {
      if (!e.coords) continue;
      auto [it, fresh] = best.try_emplace(*e.coords, &e);
      if (!fresh && e.fitness > it->second->fitness) it->second = &e;
    }
    std::map<std::vector<int>, CandidateId> cells;
    for (const auto& [coords, e] : best) cells[coords] = e->id;
    return cells;
  }
  Ids Elites(size_t elite_size) const {
    std::vector<const Inserted*> sorted;
    for (const Inserted& e : inserted) sorted.push_back(&e);
    std::sort(sorted.begin(), sorted.end(),
              [](const Inserted* a, const Inserted* b) { return RankedBefore(*a, *b); });
    Ids ids;
    for (size_t i = 0; i < sorted.size() && i < elite_size; ++i) ids.push_back(sorted[i]->id);
    return ids;
  }
};

TEST(ArchivePropertyTest, RandomInsertsMatchTheModel) {
  ArchiveOptions o;
  o.num_islands = 3;
  o.features = {{"x", 5, 0.0, 5.0}, {"y", 4, 0.0, 4.0}};
  o.elite_size = 6;
  o.migration_interval = 0;
  auto archive = MakeArchive(o);
  std::vector<IslandModel> model(3);
  Rng data(2718);
  for (CandidateId id = 0; id < 3000; ++id) {
    const int island = static_cast<int>(data.Uniform(3));
    // Few distinct fitness values, so ties are common.
    const double fitness = static_cast<double>(data.UniformInt(0, 40)) / 4;
    const bool missing = data.Bernoulli(0.05);
    const int bx = static_cast<int>(data.Uniform(5));
    const int by = static_cast<int>(data.Uniform(4));
    ArchiveEntry e = Entry(id, fitness, island, bx + data.UniformDouble() * 0.99,
                           missing ? std::nullopt : std::optional<double>(by + 0.5));
    archive->Insert(e);
    model[island].inserted.push_back(
        {id, fitness, missing ? std::nullopt : std::optional<std::vector<int>>({bx, by})});

    if (id % 37 != 0 && id != 2999) continue;
    std::set<CandidateId> all_members;
    CandidateId best = kNoCandidate;
    double best_fitness = 0;
    for (int i = 0; i < 3; ++i) {
      const std::map<std::vector<int>, CandidateId> cells = model[i].Cells();
      std::map<std::vector<int>, CandidateId> actual;
      for (const CellView& c : archive->Grid(i)) {
        actual[c.coords] = c.id;
        EXPECT_EQ(c.fitness, archive->Find(c.id)->fitness);
      }
      ASSERT_EQ(actual, cells) << "island " << i << " after id " << id;
      const Ids elites = model[i].Elites(6);
      ASSERT_EQ(archive->Elites(i), elites) << "island " << i << " after id " << id;
      std::set<CandidateId> members(elites.begin(), elites.end());
      for (const auto& [coords, occupant] : cells) members.insert(occupant);
      ASSERT_EQ(archive->Members(i), Ids(members.begin(), members.end()));
      EXPECT_LE(members.size(), 20u + 6u);
      for (CandidateId m : members) ASSERT_NE(archive->Find(m), nullptr);
      all_members.insert(members.begin(), members.end());
      if (!elites.empty()) {
        const double f = archive->Find(elites[0])->fitness;
        if (best == kNoCandidate || f > best_fitness || (f == best_fitness && elites[0] < best)) {
          best = elites[0];
          best_fitness = f;
        }
      }
    }
    ASSERT_EQ(archive->size(), all_members.size());
    ASSERT_EQ(archive->Best(), best);
  }
}

// Checks what must hold whatever happened: members = occupants ∪ elites,
// elites ranked and bounded, records exist exactly for members, Best() is the
// best member, sizes stay bounded.
void ExpectInvariants(const Archive& archive, const ArchiveOptions& o, size_t total_cells) {
  std::set<CandidateId> all_members;
  std::optional<CandidateId> best;
  for (int i = 0; i < archive.num_islands(); ++i) {
    const Ids elites = archive.Elites(i);
    ASSERT_LE(elites.size(), static_cast<size_t>(o.elite_size));
    for (size_t k = 1; k < elites.size(); ++k) {
      const ArchiveEntry* a = archive.Find(elites[k - 1]);
      const ArchiveEntry* b = archive.Find(elites[k]);
      ASSERT_TRUE(a && b);
      ASSERT_TRUE(a->fitness > b->fitness || (a->fitness == b->fitness && a->id < b->id));
    }
    std::set<CandidateId> expected(elites.begin(), elites.end());
    std::set<std::vector<int>> coords;
    for (const CellView& c : archive.Grid(i)) {
      expected.insert(c.id);
      ASSERT_TRUE(coords.insert(c.coords).second);
      ASSERT_NE(archive.Find(c.id), nullptr);  // who wins a cell: the model test
    }
    const Ids members = archive.Members(i);
    ASSERT_EQ(members, Ids(expected.begin(), expected.end()));
    ASSERT_LE(members.size(), total_cells + static_cast<size_t>(o.elite_size));
    all_members.insert(members.begin(), members.end());
    if (!elites.empty()) {
      const ArchiveEntry* e = archive.Find(elites[0]);
      const ArchiveEntry* b = best ? archive.Find(*best) : nullptr;
      if (!b || e->fitness > b->fitness || (e->fitness == b->fitness && e->id < b->id)) {
        best = e->id;
      }
    }
  }
  ASSERT_EQ(archive.size(), all_members.size());
  ASSERT_EQ(archive.Best(), best);
}

TEST(ArchivePropertyTest, InvariantsHoldWithMigrationAndAdaptiveRanges) {
  ArchiveOptions o;
  o.num_islands = 4;
  o.features = {{"code_length", 6, {}, {}}, {"y", 5, {}, 1.0}};
  o.elite_size = 5;
  o.migration_interval = 7;
  o.migration_rate = 0.4;
  o.num_top_inspirations = 2;
  o.num_diverse_inspirations = 2;
  auto archive = MakeArchive(o);
  ArchiveEntry seed = Entry(0, 0.0);
  seed.code_length = 500;
  seed.features["y"] = 0.5;
  archive->SeedAllIslands(seed);
  Rng data(31337);
  Rng select_rng(4);
  int64_t expected_insertions = 1;
  for (CandidateId id = 1; id <= 4000; ++id) {
    const int island = static_cast<int>(data.Uniform(4));
    const std::optional<Selection> s = archive->Select(island, select_rng);
    ASSERT_TRUE(s.has_value());  // seeded: no island is ever empty again
    archive->RecordChild(s->parent);
    ArchiveEntry e = Entry(id, data.Normal() + id * 1e-3, island);
    e.parent_id = s->parent;
    e.code_length = static_cast<size_t>(data.UniformInt(100, 5000));
    if (!data.Bernoulli(0.03)) e.features["y"] = data.UniformDouble() * 1.5 - 0.2;
    const InsertResult r = archive->Insert(e);
    ++expected_insertions;
    ASSERT_FALSE(r.rejected);
    ASSERT_EQ(r.kept, archive->Find(id) != nullptr &&
                          [&] {
                            const Ids m = archive->Members(island);
                            return std::binary_search(m.begin(), m.end(), id);
                          }());
    if (id % 50 == 0) ExpectInvariants(*archive, o, 30);
  }
  ExpectInvariants(*archive, o, 30);
  EXPECT_EQ(archive->insertions(), expected_insertions);
  EXPECT_EQ(archive->migrations(), expected_insertions / 7);
  EXPECT_GT(archive->migrated_copies(), 0);
  EXPECT_LE(archive->size(), 4u * (30 + 5));
}

}  // namespace
}  // namespace crucible
