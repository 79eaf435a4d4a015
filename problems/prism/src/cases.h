// PRISM cases, validation and reference placements (crucible side; the
// candidate sees only prism.h). Spec: shared/problems/prism.md §3-§5.
//
// NumpyRandomState reproduces numpy's legacy `np.random.seed(s)` (a 32-bit
// seed -> init_genrand, which is std::mt19937's seeding) and
// `np.random.randint(lo, hi)` for hi - lo <= 2^32 (masked rejection, one 32-bit
// draw per attempt), bit for bit. GenerateStandardCases(42, 50) is the
// published 50-case set.
//
// Thread safety: everything here is a pure function or a value type.
#ifndef CRUCIBLE_PROBLEMS_PRISM_CASES_H_
#define CRUCIBLE_PROBLEMS_PRISM_CASES_H_

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "core/status.h"
#include "problems/prism/prism.h"

namespace crucible::prism {

class NumpyRandomState {
 public:
  explicit NumpyRandomState(uint32_t seed) : gen_(seed) {}
  // numpy.random.randint(lo, hi): an integer in [lo, hi). Requires lo < hi
  // and hi - lo <= 2^32.
  int64_t RandInt(int64_t lo, int64_t hi);
  uint32_t NextUint32() { return static_cast<uint32_t>(gen_()); }

 private:
  std::mt19937 gen_;
};

// The published generator (spec §3): per case G = randint(5, 10), then for
// each of the 2G models size = randint(10, 30), rate = randint(1, 10),
// slo = randint(5, 10). One RandomState(seed) for all `count` cases.
std::vector<Case> GenerateStandardCases(uint32_t seed, int count);

// The harder held-out regimes (spec §3: "G up to 16, 3G models, sizes up to
// 40"), alternating: even cases "big" (G = randint(8, 17), 2G models, size =
// randint(10, 41)), odd cases "dense" (G = randint(8, 17), 3G models, size =
// randint(10, 30)); rate and slo as above. A case the PRISM greedy cannot
// place with every GPU below its memory (finite KVPR) is drawn again from the
// same stream, so every case is feasible and the initial program is valid
// with a finite value on it (a selection bias towards cases the
// greedy can pack; 3G models of up to 40 GB are mostly infeasible).
std::vector<Case> GenerateHardCases(uint32_t seed, int count);

// OK iff gpu_of has one entry per model, each in [0, gpus), and every GPU's
// models fit in memory_gb. The message names the first violation.
Status ValidatePlacement(const Case& c, const std::vector<int64_t>& gpu_of);

// The seed program (PRISM Algorithm 1 without the tau check, spec §5).
// Empty when some model finds no GPU with room.
std::vector<int32_t> PrismGreedy(const Case& c);
// Model j -> GPU j mod G (the leaderboard's 0-point; may overflow memory).
std::vector<int32_t> RoundRobin(const Case& c);
// First-fit decreasing by size (used for feasibility); empty if it fails.
std::vector<int32_t> FirstFitDecreasing(const Case& c);

// The leaderboard's normalised per-case score, 100 * sqrt(clamp((B - S) /
// (B - O), 0, 1)) with B = round-robin's max KVPR, O = the lower bound.
double LeaderboardScore(const Case& c, double solution_kvpr);

}  // namespace crucible::prism

#endif  // CRUCIBLE_PROBLEMS_PRISM_CASES_H_
