// PythonRandom: a bit-exact port of the parts of CPython's `random` module
// (MT19937, seeded from an int as `random.seed(n)` does) that the ADRS greedy
// seed uses: random(), getrandbits(k <= 32) and randint(a, b). It exists so the
// greedy baseline can be replayed with the seeds of the published reference
// values (shared/problems/txn_scheduling.md §5); crucible's own randomness
// uses core/rng.h.
#ifndef CRUCIBLE_PROBLEMS_TXN_SCHEDULING_PYTHON_RANDOM_H_
#define CRUCIBLE_PROBLEMS_TXN_SCHEDULING_PYTHON_RANDOM_H_

#include <array>
#include <cstdint>

namespace crucible::txn {

class PythonRandom {
 public:
  // As `random.seed(seed)` for 0 <= seed < 2**32.
  explicit PythonRandom(uint32_t seed);

  uint32_t NextUint32();
  // random.random(): 53 random bits in [0, 1).
  double Random();
  // random.getrandbits(k) for 1 <= k <= 32.
  uint32_t GetRandBits(int k);
  // random.randint(a, b), a <= b, b - a < 2**32 - 1: rejection sampling on
  // bit_length(b - a + 1) bits, as _randbelow_with_getrandbits does.
  int64_t RandInt(int64_t a, int64_t b);

 private:
  static constexpr int kN = 624;
  std::array<uint32_t, kN> mt_{};
  int index_ = kN;
};

}  // namespace crucible::txn

#endif  // CRUCIBLE_PROBLEMS_TXN_SCHEDULING_PYTHON_RANDOM_H_
