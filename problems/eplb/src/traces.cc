#include "problems/eplb/src/traces.h"

#include <fmt/format.h>

#include <cmath>
#include <numbers>
#include <random>

namespace crucible::eplb {
namespace {

class Stream {
 public:
  explicit Stream(uint64_t seed) : gen_(seed) {}
  // Uniform in [0, 1) with 53 bits.
  double Uniform() { return static_cast<double>(gen_() >> 11) * 0x1.0p-53; }
  double Normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u1 = Uniform();
    while (u1 <= 0) u1 = Uniform();
    const double u2 = Uniform();
    const double r = std::sqrt(-2.0 * std::log(u1));
    spare_ = r * std::sin(2 * std::numbers::pi * u2);
    has_spare_ = true;
    return r * std::cos(2 * std::numbers::pi * u2);
  }
  // Knuth's product method below 30, a rounded normal approximation above.
  int64_t Poisson(double lambda) {
    if (lambda <= 0) return 0;
    if (lambda < 30) {
      const double limit = std::exp(-lambda);
      int64_t k = 0;
      double p = Uniform();
      while (p > limit) {
        ++k;
        p *= Uniform();
      }
      return k;
    }
    const int64_t v = std::llround(lambda + std::sqrt(lambda) * Normal());
    return v < 0 ? 0 : v;
  }
  uint64_t Below(uint64_t n) { return gen_() % n; }

 private:
  std::mt19937_64 gen_;
  bool has_spare_ = false;
  double spare_ = 0;
};

}  // namespace

Status ValidateShape(const Problem& s) {
  if (s.layers <= 0 || s.experts <= 0 || s.groups <= 0 || s.nodes <= 0 || s.gpus <= 0 ||
      s.slots <= 0) {
    return InvalidArgumentError("shape: every dimension must be positive");
  }
  if (s.experts % s.groups != 0) return InvalidArgumentError("shape.groups must divide experts");
  if (s.gpus % s.nodes != 0) return InvalidArgumentError("shape.nodes must divide gpus");
  if (s.slots % s.gpus != 0) return InvalidArgumentError("shape.gpus must divide slots");
  if (s.slots < s.experts) return InvalidArgumentError("shape.slots must be >= experts");
  return Status::Ok();
}

Status TraceOptions::Validate() const {
  RETURN_IF_ERROR(ValidateShape(shape));
  if (windows < 2) return InvalidArgumentError("windows must be >= 2");
  if (!(sigma >= 0)) return InvalidArgumentError("sigma must be >= 0");
  if (!(group_sigma >= 0)) return InvalidArgumentError("group_sigma must be >= 0");
  if (!(rho >= 0 && rho <= 1)) return InvalidArgumentError("rho must be in [0, 1]");
  if (!(tokens > 0)) return InvalidArgumentError("tokens must be > 0");
  if (!(spike_prob >= 0 && spike_prob <= 1)) {
    return InvalidArgumentError("spike_prob must be in [0, 1]");
  }
  if (!(spike_factor > 0)) return InvalidArgumentError("spike_factor must be > 0");
  return Status::Ok();
}

StatusOr<Trace> GenerateTrace(const TraceOptions& o) {
  RETURN_IF_ERROR(o.Validate());
  Stream rng(o.seed);
  const size_t layers = static_cast<size_t>(o.shape.layers);
  const size_t experts = static_cast<size_t>(o.shape.experts);
  const size_t group_size = experts / static_cast<size_t>(o.shape.groups);
  std::vector<double> latent(layers * experts), offset(layers * experts);
  for (size_t l = 0; l < layers; ++l) {
    for (size_t g = 0; g < static_cast<size_t>(o.shape.groups); ++g) {
      const double off = o.group_sigma * rng.Normal();
      for (size_t i = 0; i < group_size; ++i) offset[l * experts + g * group_size + i] = off;
    }
    for (size_t e = 0; e < experts; ++e) latent[l * experts + e] = o.sigma * rng.Normal();
  }
  const double drift = std::sqrt(1 - o.rho * o.rho);
  Trace trace;
  std::vector<double> z(experts);
  for (int32_t w = 0; w < o.windows; ++w) {
    if (w > 0) {
      for (double& x : latent) x = o.rho * x + drift * o.sigma * rng.Normal();
    }
    std::vector<int64_t> window(layers * experts);
    for (size_t l = 0; l < layers; ++l) {
      double zmax = -1e300;
      for (size_t e = 0; e < experts; ++e) {
        z[e] = latent[l * experts + e] + offset[l * experts + e];
      }
      if (rng.Uniform() < o.spike_prob) {
        const int hot = 1 + static_cast<int>(rng.Below(2));
        for (int h = 0; h < hot; ++h) z[rng.Below(experts)] += std::log(o.spike_factor);
      }
      for (double x : z) zmax = std::max(zmax, x);
      double total = 0;
      for (double& x : z) total += (x = std::exp(x - zmax));
      for (size_t e = 0; e < experts; ++e) {
        const double mean = o.tokens * z[e] / total;
        window[l * experts + e] = o.poisson ? rng.Poisson(mean) : std::llround(mean);
      }
    }
    trace.push_back(std::move(window));
  }
  return trace;
}

Status ValidateMapping(const Problem& shape, const std::vector<int64_t>& phy2log) {
  const size_t slots = static_cast<size_t>(shape.slots);
  const size_t want = static_cast<size_t>(shape.layers) * slots;
  if (phy2log.size() != want) {
    return InvalidArgumentError(fmt::format(
        "phy2log has {} entries, expected layers x slots = {} x {} = {}", phy2log.size(),
        shape.layers, shape.slots, want));
  }
  std::vector<int32_t> count(static_cast<size_t>(shape.experts));
  for (size_t l = 0; l < static_cast<size_t>(shape.layers); ++l) {
    std::fill(count.begin(), count.end(), 0);
    for (size_t s = 0; s < slots; ++s) {
      const int64_t e = phy2log[l * slots + s];
      if (e < 0 || e >= shape.experts) {
        return InvalidArgumentError(fmt::format(
            "layer {} slot {}: expert {} does not exist (experts are 0..{})", l, s, e,
            shape.experts - 1));
      }
      ++count[static_cast<size_t>(e)];
    }
    for (size_t e = 0; e < count.size(); ++e) {
      if (count[e] == 0) {
        return InvalidArgumentError(
            fmt::format("layer {}: expert {} has no replica (every expert needs one)", l, e));
      }
    }
  }
  return Status::Ok();
}

}  // namespace crucible::eplb
