// ParetoPopulation: with several objectives (problem.yaml `objectives:`),
// what an island keeps beside its MAP-Elites grid — NSGA-II's population: at
// most `capacity` candidates, ranked by non-dominated sorting, crowding
// distance within each rank, the worst (highest rank, then most crowded)
// dropped when it overflows; parents drawn by binary tournament on (rank,
// crowding). Its first rank is the island's Pareto front. pagmo2 does the
// sorting, the crowding and the hypervolume (pagmo/utils/).
//
// Values are fitnesses: higher is better in every coordinate (Objective::
// Fitness of each objective), so one rule serves any mix of directions.
//
// Hypervolume: of the front against a fixed reference point (fitness form,
// each coordinate at most what a front member has); points that do not
// strictly beat the reference in every coordinate add nothing.
//
// Not thread-safe; the engine's orchestrator owns it. No I/O.
#ifndef CRUCIBLE_ARCHIVE_PARETO_H_
#define CRUCIBLE_ARCHIVE_PARETO_H_

#include <cstddef>
#include <optional>
#include <vector>

#include "core/candidate.h"
#include "core/objective.h"
#include "core/rng.h"

namespace crucible {

struct ParetoMember {
  CandidateId id = kNoCandidate;
  std::vector<double> fitness;  // one per objective, higher is better
  int rank = 0;                 // 0 = on the front
  double crowding = 0;          // within its rank; infinite at the extremes
};

// The fitness vector of a result under `objectives`: every objective's
// value, present only when all are (ok outcome, every key present, finite).
std::optional<std::vector<double>> FitnessVector(const std::vector<Objective>& objectives,
                                                 const EvalResult& result);

class ParetoPopulation {
 public:
  explicit ParetoPopulation(size_t objectives, size_t capacity = 64);

  // Adds a candidate and re-ranks. Returns true if it is on the front
  // afterwards. A vector of the wrong size is ignored (false).
  bool Insert(CandidateId id, std::vector<double> fitness);

  // Binary tournament by (rank, then crowding); kNoCandidate when empty.
  CandidateId Tournament(Rng& rng) const;

  // The members of rank 0, in insertion order.
  std::vector<ParetoMember> Front() const;
  const std::vector<ParetoMember>& members() const { return members_; }
  bool Contains(CandidateId id) const;
  size_t size() const { return members_.size(); }

 private:
  void Rank();

  size_t objectives_;
  size_t capacity_;
  std::vector<ParetoMember> members_;
};

// The non-dominated members of `points` (duplicates of a vector kept once:
// the earliest).
std::vector<ParetoMember> NonDominated(const std::vector<ParetoMember>& points);

// The hypervolume dominated by `front` (fitness form) above `reference`.
double Hypervolume(const std::vector<ParetoMember>& front, const std::vector<double>& reference);

}  // namespace crucible

#endif  // CRUCIBLE_ARCHIVE_PARETO_H_
