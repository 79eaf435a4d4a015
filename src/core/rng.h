// Rng: a small, fast, seedable generator (xoshiro256**) whose whole state is
// four words, so a run can persist and restore it exactly. Never global: every
// component that needs randomness takes an Rng& or a seed.
#ifndef CRUCIBLE_CORE_RNG_H_
#define CRUCIBLE_CORE_RNG_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace crucible {

class Rng {
 public:
  using result_type = uint64_t;
  explicit Rng(uint64_t seed = 0) { Seed(seed); }

  void Seed(uint64_t seed);
  uint64_t Next();
  uint64_t operator()() { return Next(); }
  static constexpr uint64_t min() { return 0; }
  static constexpr uint64_t max() { return ~uint64_t{0}; }

  // Uniform in [0, n); n must be > 0.
  uint64_t Uniform(uint64_t n);
  // Uniform integer in [lo, hi] (inclusive).
  int64_t UniformInt(int64_t lo, int64_t hi);
  // Uniform in [0, 1).
  double UniformDouble();
  // Standard normal (Box-Muller; consumes two draws).
  double Normal();
  bool Bernoulli(double p) { return UniformDouble() < p; }

  // Text form of the state, for the run database.
  std::string Serialize() const;
  static std::optional<Rng> Deserialize(std::string_view text);

  bool operator==(const Rng&) const = default;

 private:
  std::array<uint64_t, 4> s_{};
};

// Derives an independent seed from a base seed and a stream index (splitmix64
// of the pair), e.g. the seed of candidate `id` in a run with seed `seed`.
uint64_t DeriveSeed(uint64_t seed, uint64_t stream);

}  // namespace crucible

#endif  // CRUCIBLE_CORE_RNG_H_
