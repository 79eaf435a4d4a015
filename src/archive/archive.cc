#include "archive/archive.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <map>
#include <utility>

#include "archive/feature_grid.h"
#include "archive/parent_weights.h"

namespace crucible {
namespace {

// ---- Comparing entries ------------------------------------------------------
// The one place that decides which of two entries is better. Single objective
// for now: higher fitness wins. A Pareto archive would replace these two
// functions (dominance for cells, a rank-then-crowding order for rankings).

// > 0 when `a` is strictly fitter than `b`, < 0 when `b` is, 0 on a tie.
int CompareFitness(const ArchiveEntry& a, const ArchiveEntry& b) {
  if (a.fitness > b.fitness) return 1;
  if (a.fitness < b.fitness) return -1;
  return 0;
}

// A strict total order for rankings (elite sets, Best(), top inspirations):
// fitter first, ties to the lower (older) id.
bool RanksBefore(const ArchiveEntry& a, const ArchiveEntry& b) {
  const int c = CompareFitness(a, b);
  if (c != 0) return c > 0;
  return a.id < b.id;
}

// ceil(rate * count), forgiving the rounding error of the product so that
// 0.1 * 30 migrates 3 programs, not 4.
size_t MigrantCount(double rate, size_t count) {
  const double exact = rate * static_cast<double>(count);
  const double rounded = std::ceil(exact - 1e-9 * std::max(1.0, exact));
  if (!(rounded > 0)) return 0;
  return std::min(static_cast<size_t>(rounded), count);
}

}  // namespace

struct Archive::State {
  // One distinct program, shared by every island that holds it.
  struct Record {
    ArchiveEntry entry;
    std::optional<int64_t> cell;  // computed once, on arrival; nullopt: a feature is missing
    int64_t children = 0;
    int islands = 0;  // how many islands hold it; 0 only between a drop and the sweep
  };
  struct Member {
    Record* record;
    double fitness_weight = 0.5;  // SigmoidFitnessWeights over the island's members
  };
  struct Island {
    std::map<int64_t, CandidateId> cells;  // occupied cells only
    std::vector<Record*> elites;           // RanksBefore order, at most elite_size
    std::vector<Member> members;           // cell occupants ∪ elites, by id
    bool weights_stale = false;
  };
  struct Placement {
    bool already_member = false;
    bool kept = false;
    bool new_cell = false;
    bool replaced_cell = false;
    bool entered_elite = false;
    bool new_island_best = false;
  };

  explicit State(const ArchiveOptions& o)
      : options(o), grid(o.features), islands(static_cast<size_t>(o.num_islands)) {}

  static bool ByRank(const Record* a, const Record* b) { return RanksBefore(a->entry, b->entry); }

  // --- membership ---
  static std::vector<Member>::const_iterator FindMember(const Island& island, CandidateId id) {
    auto it = std::lower_bound(island.members.begin(), island.members.end(), id,
                               [](const Member& m, CandidateId v) { return m.record->entry.id < v; });
    if (it != island.members.end() && it->record->entry.id == id) return it;
    return island.members.end();
  }
  static bool IsMember(const Island& island, CandidateId id) {
    return FindMember(island, id) != island.members.end();
  }
  static bool HoldsCell(const Island& island, const Record& record) {
    if (!record.cell) return false;
    auto it = island.cells.find(*record.cell);
    return it != island.cells.end() && it->second == record.entry.id;
  }
  static bool IsElite(const Island& island, const Record& record) {
    return std::binary_search(island.elites.begin(), island.elites.end(), &record, ByRank);
  }

  void AddMember(Island& island, Record& record) {
    auto it = std::lower_bound(
        island.members.begin(), island.members.end(), record.entry.id,
        [](const Member& m, CandidateId v) { return m.record->entry.id < v; });
    island.members.insert(it, Member{&record, 0.5});
    ++record.islands;
  }

  // Drops `id` from the island unless it still holds a cell or an elite slot.
  void DropIfDisplaced(Island& island, CandidateId id) {
    auto it = FindMember(island, id);
    if (it == island.members.end()) return;  // already dropped (lost cell and elite slot at once)
    Record& record = *it->record;
    if (HoldsCell(island, record) || IsElite(island, record)) return;
    island.members.erase(it);
    // Erasing now would leave dangling pointers in callers mid-operation (a
    // migration round still to deliver this record); the sweep erases it.
    if (--record.islands == 0) orphans.push_back(id);
  }

  // The record for `entry`, created (and its cell computed) on first arrival.
  Record& Admit(const ArchiveEntry& entry) {
    auto [it, inserted] = records.try_emplace(entry.id);
    Record& record = it->second;
    if (inserted) {
      record.entry = entry;
      grid.Observe(entry);  // before CellOf: the new value is part of the range
      record.cell = grid.CellOf(entry);
    }
    return record;
  }

  Placement Place(Record& record, int island_index);
  bool UpdateBest(const Record& record);
  bool CountInsertion();
  void Migrate();
  void Finish();

  SelectionPolicy DrawPolicy(Rng& rng) const;
  const Record& DrawParent(const Island& island, SelectionPolicy policy, Rng& rng) const;
  void AddTopInspirations(const Island& island, const Record& parent,
                          std::vector<CandidateId>& out) const;
  void AddDiverseInspirations(const Island& island, const Record& parent, Rng& rng,
                              std::vector<CandidateId>& out) const;

  ArchiveOptions options;
  FeatureGrid grid;
  std::vector<Island> islands;
  std::map<CandidateId, Record> records;  // node-based: Record addresses are stable
  std::vector<CandidateId> orphans;       // records that may be on no island; see Finish()
  CandidateId best = kNoCandidate;
  int64_t insertions = 0;
  int64_t migrations = 0;
  int64_t migrated_copies = 0;
};

Archive::State::Placement Archive::State::Place(Record& record, int island_index) {
  Island& island = islands[static_cast<size_t>(island_index)];
  const CandidateId id = record.entry.id;
  Placement p;
  if (IsMember(island, id)) {
    p.already_member = p.kept = true;
    return p;
  }
  CandidateId displaced[2] = {kNoCandidate, kNoCandidate};

  bool in_cell = false;
  if (record.cell) {
    auto [it, inserted] = island.cells.try_emplace(*record.cell, id);
    if (inserted) {
      in_cell = p.new_cell = true;
    } else if (CompareFitness(record.entry, records.at(it->second).entry) > 0) {
      displaced[0] = it->second;
      it->second = id;
      in_cell = p.replaced_cell = true;
    }  // else: not strictly better; the incumbent keeps its cell
  }

  const size_t elite_size = static_cast<size_t>(options.elite_size);
  bool in_elite = false;
  if (island.elites.size() < elite_size || ByRank(&record, island.elites.back())) {
    island.elites.insert(
        std::lower_bound(island.elites.begin(), island.elites.end(), &record, ByRank), &record);
    in_elite = true;
    if (island.elites.size() > elite_size) {
      displaced[1] = island.elites.back()->entry.id;
      island.elites.pop_back();
    }
  }
  p.entered_elite = in_elite;
  if (!in_cell && !in_elite) return p;  // nothing on the island changed

  AddMember(island, record);
  p.kept = true;
  p.new_island_best = island.elites.front() == &record;  // it was not a member before
  for (CandidateId d : displaced) {
    if (d != kNoCandidate) DropIfDisplaced(island, d);
  }
  island.weights_stale = true;
  return p;
}

bool Archive::State::UpdateBest(const Record& record) {
  if (best != kNoCandidate && !RanksBefore(record.entry, records.at(best).entry)) return false;
  best = record.entry.id;
  return true;
}

bool Archive::State::CountInsertion() {
  ++insertions;
  if (options.migration_interval == 0 || insertions % options.migration_interval != 0) return false;
  // With one island the ring leads back to itself: nothing would move.
  if (islands.size() < 2) return false;
  Migrate();
  return true;
}

// Every island's migrants are chosen from the state before the round, then
// delivered in island order, so a program moves at most one step per round.
void Archive::State::Migrate() {
  const size_t n = islands.size();
  std::vector<std::vector<CandidateId>> outgoing(n);
  for (size_t i = 0; i < n; ++i) {
    const std::vector<Record*>& elites = islands[i].elites;
    const size_t count = MigrantCount(options.migration_rate, elites.size());
    for (size_t j = 0; j < count; ++j) outgoing[i].push_back(elites[j]->entry.id);
  }
  for (size_t i = 0; i < n; ++i) {
    const int destination = static_cast<int>((i + 1) % n);
    for (CandidateId id : outgoing[i]) {
      // The record exists even if this round already pushed it off its own
      // island: erasure waits for Finish().
      const Placement p = Place(records.at(id), destination);
      if (p.kept && !p.already_member) ++migrated_copies;
    }
  }
  ++migrations;
}

// Ends every mutating call: erases records no island holds, then refreshes
// the selection weights of the islands that changed, so Select() (const)
// always sees current weights.
void Archive::State::Finish() {
  for (CandidateId id : orphans) {
    auto it = records.find(id);
    if (it == records.end() || it->second.islands > 0) continue;  // placed again since
    assert(id != best && "the best entry heads its island's elite set and cannot be dropped");
    records.erase(it);
  }
  orphans.clear();
  for (Island& island : islands) {
    if (!island.weights_stale) continue;
    std::vector<double> fitness;
    fitness.reserve(island.members.size());
    for (const Member& m : island.members) fitness.push_back(m.record->entry.fitness);
    const std::vector<double> weights =
        SigmoidFitnessWeights(fitness, options.weighted_sharpness);
    for (size_t i = 0; i < weights.size(); ++i) island.members[i].fitness_weight = weights[i];
    island.weights_stale = false;
  }
}

SelectionPolicy Archive::State::DrawPolicy(Rng& rng) const {
  const SelectionWeights& w = options.selection;
  const std::pair<SelectionPolicy, double> table[] = {{SelectionPolicy::kUniform, w.uniform},
                                                      {SelectionPolicy::kWeighted, w.weighted},
                                                      {SelectionPolicy::kElite, w.elite}};
  double r = rng.UniformDouble() * (w.uniform + w.weighted + w.elite);
  SelectionPolicy chosen = SelectionPolicy::kWeighted;
  for (const auto& [policy, weight] : table) {
    if (!(weight > 0)) continue;
    chosen = policy;
    if (r < weight) return policy;
    r -= weight;
  }
  return chosen;  // rounding pushed r past the end: the last policy with weight
}

const Archive::State::Record& Archive::State::DrawParent(const Island& island,
                                                         SelectionPolicy policy,
                                                         Rng& rng) const {
  switch (policy) {
    case SelectionPolicy::kUniform:
      return *island.members[rng.Uniform(island.members.size())].record;
    case SelectionPolicy::kElite:
      // A non-empty island always has a non-empty elite set: its best member
      // can only be pushed out of the elite by a better one.
      return *island.elites[rng.Uniform(island.elites.size())];
    case SelectionPolicy::kWeighted:
      break;
  }
  double total = 0;
  for (const Member& m : island.members) {
    total += m.fitness_weight / (1.0 + static_cast<double>(m.record->children));
  }
  double r = rng.UniformDouble() * total;
  for (const Member& m : island.members) {
    const double w = m.fitness_weight / (1.0 + static_cast<double>(m.record->children));
    if (r < w) return *m.record;
    r -= w;
  }
  // Rounding pushed r past the end: the last member with a positive weight.
  for (auto it = island.members.rbegin(); it != island.members.rend(); ++it) {
    if (it->fitness_weight > 0) return *it->record;
  }
  return *island.members.back().record;
}

void Archive::State::AddTopInspirations(const Island& island, const Record& parent,
                                        std::vector<CandidateId>& out) const {
  const size_t wanted = static_cast<size_t>(options.num_top_inspirations);
  size_t added = 0;
  for (const Record* r : island.elites) {
    if (added == wanted) return;
    if (r == &parent) continue;
    out.push_back(r->entry.id);
    ++added;
  }
  if (added == wanted || island.members.size() == island.elites.size()) return;
  // More wanted than the elite set holds: continue with the other members,
  // which all rank below every elite.
  std::vector<const Record*> rest;
  for (const Member& m : island.members) {
    if (m.record != &parent && !IsElite(island, *m.record)) rest.push_back(m.record);
  }
  std::sort(rest.begin(), rest.end(), ByRank);
  for (size_t i = 0; i < rest.size() && added < wanted; ++i, ++added) {
    out.push_back(rest[i]->entry.id);
  }
}

void Archive::State::AddDiverseInspirations(const Island& island, const Record& parent, Rng& rng,
                                            std::vector<CandidateId>& out) const {
  const size_t wanted = static_cast<size_t>(options.num_diverse_inspirations);
  if (wanted == 0) return;
  std::vector<CandidateId> pool;
  for (const auto& [cell, id] : island.cells) {
    if (parent.cell && cell == *parent.cell) continue;  // the parent's own cell is not "other"
    if (std::find(out.begin(), out.end(), id) != out.end()) continue;
    pool.push_back(id);
  }
  for (size_t i = 0; i < wanted && !pool.empty(); ++i) {
    const size_t j = rng.Uniform(pool.size());
    out.push_back(pool[j]);
    pool[j] = pool.back();
    pool.pop_back();
  }
}

// ---- Archive -----------------------------------------------------------------

StatusOr<std::unique_ptr<Archive>> Archive::Create(const ArchiveOptions& options) {
  RETURN_IF_ERROR(options.Validate());
  return std::unique_ptr<Archive>(new Archive(std::make_unique<State>(options)));
}

Archive::Archive(std::unique_ptr<State> state) : state_(std::move(state)) {}
Archive::~Archive() = default;

namespace {

bool Admissible(const ArchiveEntry& entry) {
  return entry.id >= 0 && std::isfinite(entry.fitness);
}

}  // namespace

InsertResult Archive::Insert(const ArchiveEntry& entry) {
  State& s = *state_;
  InsertResult result;
  if (entry.island < 0 || entry.island >= num_islands() || !Admissible(entry)) {
    result.rejected = true;
    return result;
  }
  State::Record& record = s.Admit(entry);
  const State::Placement p = s.Place(record, entry.island);
  result.kept = p.kept;
  result.new_cell = p.new_cell;
  result.replaced_cell = p.replaced_cell;
  result.entered_elite = p.entered_elite;
  result.new_island_best = p.new_island_best;
  result.new_global_best = p.kept && s.UpdateBest(record);
  if (record.islands == 0) s.orphans.push_back(entry.id);
  result.migrated = s.CountInsertion();
  s.Finish();
  return result;
}

InsertResult Archive::SeedAllIslands(const ArchiveEntry& entry) {
  State& s = *state_;
  InsertResult result;
  if (!Admissible(entry)) {
    result.rejected = true;
    return result;
  }
  State::Record& record = s.Admit(entry);
  for (int i = 0; i < num_islands(); ++i) {
    const State::Placement p = s.Place(record, i);
    if (i != 0) continue;
    result.kept = p.kept;
    result.new_cell = p.new_cell;
    result.replaced_cell = p.replaced_cell;
    result.entered_elite = p.entered_elite;
    result.new_island_best = p.new_island_best;
  }
  result.new_global_best = record.islands > 0 && s.UpdateBest(record);
  if (record.islands == 0) s.orphans.push_back(entry.id);
  result.migrated = s.CountInsertion();
  s.Finish();
  return result;
}

void Archive::RecordChild(CandidateId parent) {
  auto it = state_->records.find(parent);
  if (it != state_->records.end()) ++it->second.children;
}

std::optional<Selection> Archive::Select(int island, Rng& rng) const {
  const State& s = *state_;
  if (island < 0 || island >= num_islands()) return std::nullopt;
  const State::Island& isl = s.islands[static_cast<size_t>(island)];
  if (isl.members.empty()) return std::nullopt;
  Selection selection;
  selection.island = island;
  selection.policy = s.DrawPolicy(rng);
  const State::Record& parent = s.DrawParent(isl, selection.policy, rng);
  selection.parent = parent.entry.id;
  s.AddTopInspirations(isl, parent, selection.inspirations);
  selection.num_top = selection.inspirations.size();
  s.AddDiverseInspirations(isl, parent, rng, selection.inspirations);
  return selection;
}

std::optional<CandidateId> Archive::Best() const {
  if (state_->best == kNoCandidate) return std::nullopt;
  return state_->best;
}

const ArchiveEntry* Archive::Find(CandidateId id) const {
  auto it = state_->records.find(id);
  return it == state_->records.end() ? nullptr : &it->second.entry;
}

int64_t Archive::Children(CandidateId id) const {
  auto it = state_->records.find(id);
  return it == state_->records.end() ? 0 : it->second.children;
}

int Archive::num_islands() const { return static_cast<int>(state_->islands.size()); }

size_t Archive::size() const { return state_->records.size(); }

std::vector<IslandStats> Archive::Stats() const {
  std::vector<IslandStats> stats;
  stats.reserve(state_->islands.size());
  for (size_t i = 0; i < state_->islands.size(); ++i) {
    const State::Island& isl = state_->islands[i];
    IslandStats st;
    st.island = static_cast<int>(i);
    st.members = isl.members.size();
    st.elites = isl.elites.size();
    st.occupied_cells = isl.cells.size();
    st.total_cells = static_cast<size_t>(state_->grid.total_cells());
    if (!isl.elites.empty()) {
      st.best = isl.elites.front()->entry.id;
      st.best_fitness = isl.elites.front()->entry.fitness;
    }
    stats.push_back(st);
  }
  return stats;
}

std::vector<CellView> Archive::Grid(int island) const {
  std::vector<CellView> cells;
  if (island < 0 || island >= num_islands()) return cells;
  for (const auto& [cell, id] : state_->islands[static_cast<size_t>(island)].cells) {
    cells.push_back(CellView{state_->grid.Coords(cell), id, state_->records.at(id).entry.fitness});
  }
  return cells;
}

std::vector<CandidateId> Archive::Members(int island) const {
  std::vector<CandidateId> ids;
  if (island < 0 || island >= num_islands()) return ids;
  for (const State::Member& m : state_->islands[static_cast<size_t>(island)].members) {
    ids.push_back(m.record->entry.id);
  }
  return ids;
}

std::vector<CandidateId> Archive::Elites(int island) const {
  std::vector<CandidateId> ids;
  if (island < 0 || island >= num_islands()) return ids;
  for (const State::Record* r : state_->islands[static_cast<size_t>(island)].elites) {
    ids.push_back(r->entry.id);
  }
  return ids;
}

int64_t Archive::insertions() const { return state_->insertions; }
int64_t Archive::migrations() const { return state_->migrations; }
int64_t Archive::migrated_copies() const { return state_->migrated_copies; }

}  // namespace crucible
