// Archive: the quality-diversity memory of a run. It holds islands; each
// island has a MAP-Elites grid (one best program per cell of the feature
// space) and an elite set (its best programs whatever their cell). It picks
// parents and inspirations for new children and, on a schedule, migrates
// elites around the ring of islands. The full semantics are in docs/archive.md.
//
// Contract:
//   - Not thread-safe, const methods included: the orchestrator thread owns the
//     archive (DESIGN.md). No I/O, no printing, no clock.
//   - Deterministic: the same sequence of calls with the same Rng states gives
//     the same results, bit for bit. All randomness comes from the Rng passed
//     to Select().
//   - Bounded: an island holds at most (occupied cells + elite_size) members,
//     so the cost of Insert() and Select() depends on the grid and elite sizes,
//     never on how many candidates the run has seen.
//   - Fitness is higher-is-better (the engine flips minimised objectives). Which
//     of two entries is better is decided in one place (archive.cc, "Comparing
//     entries"), which is where a Pareto comparison would go.
//   - Pointers returned by Find() stay valid until the next Insert() or
//     SeedAllIslands() call.
#ifndef CRUCIBLE_ARCHIVE_ARCHIVE_H_
#define CRUCIBLE_ARCHIVE_ARCHIVE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/candidate.h"
#include "core/rng.h"
#include "core/status.h"

namespace crucible {

// One axis of the MAP-Elites grid.
struct FeatureDimension {
  // "code_length" is built in (ArchiveEntry::code_length); any other name is
  // looked up in entry.features, then in entry.metrics.
  std::string name;
  int bins = 10;
  // A fixed bound; an absent bound adapts to the values seen so far
  // (archive-wide). A program's cell is computed when it enters the archive
  // and never moves.
  std::optional<double> min, max;
};

// Probabilities of the parent-selection policies; normalised by their sum.
struct SelectionWeights {
  double uniform = 0.2;
  double weighted = 0.7;
  double elite = 0.1;
};

struct ArchiveOptions {
  int num_islands = 4;
  std::vector<FeatureDimension> features = {{"code_length", 10, {}, {}}};
  // Per island: the best programs, kept whatever their cell.
  int elite_size = 20;
  SelectionWeights selection;
  // ShinkaEvolve's weighting: sigmoid(sharpness * (f - median) / spread) / (1 + children).
  double weighted_sharpness = 10.0;
  // Best members of the island other than the parent.
  int num_top_inspirations = 3;
  // Occupants of other cells of the island, drawn uniformly.
  int num_diverse_inspirations = 2;
  // Ring migration every this many insertions (archive-wide); 0 = never.
  int migration_interval = 50;
  // Share (rounded up) of each island's elite set copied to island (i+1) % n.
  double migration_rate = 0.1;

  // InvalidArgument naming the exact field, e.g.
  // "archive.num_islands must be >= 1 (got 0)".
  Status Validate() const;
};

// What the archive knows of a successfully evaluated candidate.
struct ArchiveEntry {
  CandidateId id = kNoCandidate;
  CandidateId parent_id = kNoCandidate;
  // The island the entry was inserted into. A migrated copy keeps its origin
  // here; Members() tells which islands hold it now.
  int island = 0;
  double fitness = 0;      // higher is better; must be finite
  Metrics metrics;         // all metrics (room for several objectives)
  Metrics features;        // evaluator-reported features
  size_t code_length = 0;  // bytes of evolvable code (the built-in feature)
};

enum class SelectionPolicy { kUniform, kWeighted, kElite };
// "uniform", "weighted", "elite".
std::string_view SelectionPolicyName(SelectionPolicy policy);

struct Selection {
  int island = 0;
  CandidateId parent = kNoCandidate;
  // Top first, then diverse; distinct, never the parent.
  std::vector<CandidateId> inspirations;
  // How many of `inspirations` (the first ones) are the island's best
  // ranked; the rest are diverse picks from other cells.
  size_t num_top = 0;
  SelectionPolicy policy = SelectionPolicy::kWeighted;
};

// What one Insert() or SeedAllIslands() did. The cell, elite and island-best
// flags describe the entry on the island it was inserted into (for a seed:
// island 0).
struct InsertResult {
  bool rejected = false;         // invalid entry (see Insert()); nothing changed
  bool kept = false;             // the entry is a member of its island after the call
  bool new_cell = false;         // it occupied a cell that was empty
  bool replaced_cell = false;    // it took a cell from a strictly worse occupant
  bool entered_elite = false;    // it is in its island's elite set
  bool new_island_best = false;  // it is now its island's best
  bool new_global_best = false;  // it is now Best()
  bool migrated = false;         // this call triggered a migration round
};

struct IslandStats {
  int island = 0;
  size_t members = 0;
  size_t elites = 0;
  size_t occupied_cells = 0;
  size_t total_cells = 0;
  CandidateId best = kNoCandidate;  // kNoCandidate when the island is empty
  double best_fitness = 0;          // 0 when the island is empty
};

struct CellView {
  std::vector<int> coords;  // one bin per feature dimension, in options order
  CandidateId id = kNoCandidate;
  double fitness = 0;
};

class Archive {
 public:
  // InvalidArgument when options.Validate() fails.
  static StatusOr<std::unique_ptr<Archive>> Create(const ArchiveOptions& options);
  ~Archive();
  Archive(const Archive&) = delete;
  Archive& operator=(const Archive&) = delete;

  // Places the entry on entry.island: in its cell if it beats the occupant
  // (strictly; ties keep the incumbent) and in the elite set if it ranks in
  // the top elite_size. Members pushed out of both are dropped from that
  // island, and from the archive when no island holds them any more.
  // Rejected (counted nowhere, nothing changes): entry.island outside
  // [0, num_islands), a negative id, a non-finite fitness.
  // An id the archive already holds keeps its first record; the call only
  // places that record on entry.island if it is not there yet.
  // Counts as one insertion; every migration_interval-th insertion is followed
  // by a migration round.
  InsertResult Insert(const ArchiveEntry& entry);

  // The initial program: placed on every island. It is one candidate, so it
  // counts as one insertion (and may trigger migration like any other).
  // Rejected like Insert() for a negative id or non-finite fitness
  // (entry.island is ignored).
  InsertResult SeedAllIslands(const ArchiveEntry& entry);

  // Called for every finished child, whatever its outcome: feeds the
  // fewer-children bonus of weighted selection. A parent the archive no
  // longer holds is ignored.
  void RecordChild(CandidateId parent);

  // A parent and inspirations from `island`. nullopt iff the island is empty
  // (or out of range); then `rng` is not advanced.
  std::optional<Selection> Select(int island, Rng& rng) const;

  // The best member of any island (ties: lower id); nullopt when empty.
  std::optional<CandidateId> Best() const;
  // Any member of any island; nullptr otherwise.
  const ArchiveEntry* Find(CandidateId id) const;
  // Children recorded for a member (0 for an unknown id).
  int64_t Children(CandidateId id) const;

  int num_islands() const;
  size_t size() const;  // distinct members over all islands
  std::vector<IslandStats> Stats() const;
  std::vector<CellView> Grid(int island) const;        // occupied cells, in cell order
  std::vector<CandidateId> Members(int island) const;  // sorted
  std::vector<CandidateId> Elites(int island) const;   // best first
  int64_t insertions() const;
  int64_t migrations() const;       // migration rounds run
  int64_t migrated_copies() const;  // programs placed on a new island by migration

 private:
  struct State;
  explicit Archive(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace crucible

#endif  // CRUCIBLE_ARCHIVE_ARCHIVE_H_
