#include "problems/bin_packing/src/simulator.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

#include "core/rng.h"
#include "fmt/format.h"

namespace crucible::bin_packing {
namespace {

// Splits text into whitespace-separated words, keeping line numbers for
// error messages.
class Words {
 public:
  explicit Words(std::string_view text) : text_(text) {}
  bool Next(std::string_view& word) {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) {
      if (text_[pos_] == '\n') ++line_;
      ++pos_;
    }
    if (pos_ >= text_.size()) return false;
    const size_t start = pos_;
    while (pos_ < text_.size() && !std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
    word = text_.substr(start, pos_ - start);
    return true;
  }
  int line() const { return line_; }

 private:
  std::string_view text_;
  size_t pos_ = 0;
  int line_ = 1;
};

bool ToInt(std::string_view word, int64_t& value) {
  const auto [end, ec] = std::from_chars(word.data(), word.data() + word.size(), value);
  return ec == std::errc() && end == word.data() + word.size();
}

}  // namespace

StatusOr<Dataset> ParseDataset(std::string_view text, std::string name) {
  Dataset d;
  d.name = std::move(name);
  Words words(text);
  std::string_view w;
  auto fail = [&](std::string_view what) {
    return InvalidArgumentError(fmt::format("{}: line {}: {}", d.name, words.line(), what));
  };
  auto next_int = [&](int64_t& v) { return words.Next(w) && ToInt(w, v); };
  int64_t capacity = 0, count = 0;
  if (!words.Next(w) || w != "capacity" || !next_int(capacity) || !words.Next(w) ||
      w != "instances" || !next_int(count)) {
    return fail("expected 'capacity C instances K'");
  }
  if (capacity < 1 || capacity > 1'000'000 || count < 1) return fail("bad capacity or count");
  for (int64_t k = 0; k < count; ++k) {
    Instance inst;
    inst.capacity = static_cast<int>(capacity);
    int64_t n = 0;
    if (!words.Next(w)) return fail(fmt::format("missing instance {}", k + 1));
    inst.name = std::string(w);
    if (!next_int(n) || n < 1 || n > 10'000'000) return fail("expected an item count");
    inst.items.reserve(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      int64_t s = 0;
      if (!next_int(s)) return fail(fmt::format("instance {}: expected {} item sizes", inst.name, n));
      if (s < 1 || s > capacity) {
        return fail(fmt::format("instance {}: item size {} outside [1, {}]", inst.name, s, capacity));
      }
      inst.items.push_back(static_cast<int>(s));
    }
    d.instances.push_back(std::move(inst));
  }
  if (words.Next(w)) return fail(fmt::format("unexpected '{}' after the last instance", w));
  return d;
}

int64_t LowerBound(const Instance& instance) {
  int64_t sum = 0;
  for (int s : instance.items) sum += s;
  return (sum + instance.capacity - 1) / instance.capacity;
}

Packing SimulateOnline(const Instance& instance, const PriorityFn& priority, BinArray array) {
  const size_t n = instance.items.size();
  const int capacity = instance.capacity;
  Packing p;
  p.bin_of_item.assign(n, -1);
  std::vector<int> rem(n, capacity);
  std::vector<double> bins;
  std::vector<int> index;
  std::vector<double> scores;
  bins.reserve(n + 1);
  index.reserve(n + 1);
  // Bins at or past `opened` were never used. In the reference array they
  // all follow the bins below it; in the fast array only the first does.
  size_t opened = 0;
  for (size_t t = 0; t < n; ++t) {
    const int s = instance.items[t];
    bins.clear();
    index.clear();
    for (size_t i = 0; i < opened; ++i) {
      if (rem[i] >= s) {
        bins.push_back(rem[i]);
        index.push_back(static_cast<int>(i));
      }
    }
    const size_t unused = array == BinArray::kReference ? n - opened : (opened < n ? 1 : 0);
    for (size_t k = 0; k < unused; ++k) {
      bins.push_back(capacity);
      index.push_back(static_cast<int>(opened + k));
    }
    scores.assign(bins.size(), std::numeric_limits<double>::quiet_NaN());
    priority(static_cast<double>(s), bins, scores);
    size_t best = 0;
    for (size_t j = 0; j < scores.size(); ++j) {
      if (!std::isfinite(scores[j])) {
        p.error = fmt::format("item {} (size {}): score {} of {} is {}", t, s, j, scores.size(),
                              std::isnan(scores[j]) ? "NaN (or was not set)" : "infinite");
        return p;
      }
      if (scores[j] > scores[best]) best = j;
    }
    const int b = index[best];
    rem[static_cast<size_t>(b)] -= s;
    p.bin_of_item[t] = b;
    opened = std::max(opened, static_cast<size_t>(b) + 1);
  }
  p.bins_used = std::count_if(rem.begin(), rem.end(), [&](int r) { return r != capacity; });
  return p;
}

StatusOr<int64_t> CheckPacking(const Instance& instance, std::span<const int> bin_of_item) {
  const size_t n = instance.items.size();
  if (bin_of_item.size() != n) {
    return InvalidArgumentError(
        fmt::format("{}: {} bin indices for {} items", instance.name, bin_of_item.size(), n));
  }
  std::vector<int64_t> load(n, 0);
  int64_t used = 0;
  for (size_t t = 0; t < n; ++t) {
    const int b = bin_of_item[t];
    if (b < 0 || static_cast<size_t>(b) >= n) {
      return InvalidArgumentError(
          fmt::format("{}: item {}: bin index {} outside [0, {})", instance.name, t, b, n));
    }
    if (load[static_cast<size_t>(b)] == 0) ++used;
    load[static_cast<size_t>(b)] += instance.items[t];
    if (load[static_cast<size_t>(b)] > instance.capacity) {
      return InvalidArgumentError(fmt::format("{}: item {} (size {}) does not fit bin {}",
                                              instance.name, t, instance.items[t], b));
    }
  }
  return used;
}

double ExcessPercent(std::span<const int64_t> bins_used, std::span<const int64_t> lower_bounds) {
  double bins = 0, lb = 0;
  for (int64_t b : bins_used) bins += static_cast<double>(b);
  for (int64_t b : lower_bounds) lb += static_cast<double>(b);
  // Ratio of means equals ratio of sums when both cover the same instances.
  return lb > 0 ? (bins - lb) / lb * 100.0 : 0.0;
}

Dataset GenerateOrLike(uint64_t seed, int instances, int items) {
  Dataset d{"or_train", {}};
  Rng rng(seed);
  for (int k = 0; k < instances; ++k) {
    Instance inst{fmt::format("or_train_{:02}", k), 150, {}};
    for (int i = 0; i < items; ++i) inst.items.push_back(static_cast<int>(rng.UniformInt(20, 100)));
    d.instances.push_back(std::move(inst));
  }
  return d;
}

Dataset GenerateWeibull(uint64_t seed, int instances, int items) {
  Dataset d{"weibull_train", {}};
  Rng rng(seed);
  for (int k = 0; k < instances; ++k) {
    Instance inst{fmt::format("weibull_train_{}", k), 100, {}};
    for (int i = 0; i < items; ++i) {
      // Inverse CDF of Weibull(scale 45, shape 3).
      const double x = 45.0 * std::cbrt(-std::log1p(-rng.UniformDouble()));
      inst.items.push_back(static_cast<int>(std::clamp(std::round(std::min(x, 100.0)), 1.0, 100.0)));
    }
    d.instances.push_back(std::move(inst));
  }
  return d;
}

}  // namespace crucible::bin_packing
