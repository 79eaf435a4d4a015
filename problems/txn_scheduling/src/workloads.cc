#include "problems/txn_scheduling/src/workloads.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include "core/file.h"
#include "core/rng.h"

namespace crucible::txn {
namespace {

// How often keys 1..30 occur in workload 1 (every key at most once per
// transaction, so this is the share of its 100 transactions that touch it).
constexpr std::array<double, 30> kHotKeyFrequency = {
    1.00, 1.00, 1.00, 1.00, 0.92, 0.86, 0.84, 0.77, 0.70, 0.63, 0.51, 0.43, 0.44, 0.38, 0.33,
    0.31, 0.28, 0.24, 0.16, 0.15, 0.22, 0.12, 0.17, 0.09, 0.19, 0.11, 0.08, 0.13, 0.05, 0.09};
// Where each of keys 1..30 sits in a workload-1 transaction (mean 0-based
// position): its transactions list keys in a nearly fixed global order, which
// is what keeps its sequential makespan at 452 rather than ~1000.
constexpr std::array<double, 30> kHotKeyMeanPosition = {
    9.9, 13.2, 2.0, 2.4, 2.1, 5.7,  8.5, 11.6, 11.9, 4.6,  6.5, 12.8, 12.8, 4.3, 14.1,
    7.4, 0.4,  7.1, 8.4, 8.4, 10.0, 7.4, 9.3,  9.7,  13.5, 3.5, 13.5, 12.9, 0.0, 9.9};
constexpr double kPositionNoise = 1.25;
// How many hot keys a workload-1 transaction holds: count of transactions
// with 9, 10, ..., 16 hot keys.
constexpr std::array<int, 8> kHotCountHistogram = {1, 1, 11, 13, 31, 27, 13, 3};
constexpr int kFewestHotKeys = 9;
constexpr int kOpsPerHotColdTxn = 16;
constexpr double kReadShare = 0.445;
constexpr int kFirstColdKey = 31;
constexpr int kLastColdKey = 5270;
constexpr double kColdZipfExponent = 1.1;

std::string Op(char type, int64_t key) { return fmt::format("{}-{}", type, key); }

std::string Fillers(int count) {
  std::string s;
  for (int i = 0; i < count; ++i) s += " *";
  return s;
}

std::string HotColdTxn(Rng& rng, const std::vector<double>& cold_cdf) {
  // The number of hot keys follows workload 1's histogram; the set itself is
  // drawn with each key's workload-1 frequency, conditioned on that size.
  int64_t pick = rng.UniformInt(0, 99);
  int hot_count = kFewestHotKeys;
  for (int c : kHotCountHistogram) {
    if ((pick -= c) < 0) break;
    ++hot_count;
  }
  std::vector<int> keys;
  do {
    keys.clear();
    for (size_t k = 0; k < kHotKeyFrequency.size(); ++k) {
      if (rng.Bernoulli(kHotKeyFrequency[k])) keys.push_back(static_cast<int>(k) + 1);
    }
  } while (keys.size() != static_cast<size_t>(hot_count));
  while (keys.size() < static_cast<size_t>(kOpsPerHotColdTxn)) {
    const double u = rng.UniformDouble() * cold_cdf.back();
    const auto rank = std::upper_bound(cold_cdf.begin(), cold_cdf.end(), u) - cold_cdf.begin();
    const int key = kFirstColdKey + static_cast<int>(std::min<std::ptrdiff_t>(
                                        rank, static_cast<std::ptrdiff_t>(cold_cdf.size()) - 1));
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(key);
  }
  // Order by each key's usual position, jittered; cold keys anywhere.
  std::vector<std::pair<double, int>> placed;
  for (int key : keys) {
    const double where =
        key <= static_cast<int>(kHotKeyMeanPosition.size())
            ? kHotKeyMeanPosition[static_cast<size_t>(key) - 1] + kPositionNoise * rng.Normal()
            : rng.UniformDouble() * kOpsPerHotColdTxn;
    placed.push_back({where, key});
  }
  std::sort(placed.begin(), placed.end());
  std::string line;
  for (const auto& [where, key] : placed) {
    if (!line.empty()) line += ' ';
    line += Op(rng.Bernoulli(kReadShare) ? 'r' : 'w', key);
  }
  return line;
}

}  // namespace

StatusOr<Workload> ParseWorkloadText(std::string_view text, std::vector<std::string>* key_names) {
  Workload w;
  std::vector<std::string> names;
  std::string error;
  if (!ParseWorkload(text, w, names, error)) return InvalidArgumentError(error);
  if (key_names) *key_names = std::move(names);
  return w;
}

StatusOr<Workload> LoadWorkloadFile(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  StatusOr<Workload> w = ParseWorkloadText(text);
  if (!w.ok()) return w.status().WithContext(path);
  return w;
}

std::string GenerateWorkloadText(WorkloadShape shape, uint64_t seed, int num_txns) {
  Rng rng(seed);
  std::vector<double> cold_cdf;
  if (shape == WorkloadShape::kHotCold) {
    double total = 0;
    for (int rank = 1; rank <= kLastColdKey - kFirstColdKey + 1; ++rank) {
      total += std::pow(rank, -kColdZipfExponent);
      cold_cdf.push_back(total);
    }
  }
  std::string text;
  for (int t = 0; t < num_txns; ++t) {
    const bool first_half = t < num_txns / 2;
    switch (shape) {
      case WorkloadShape::kHotCold:
        text += HotColdTxn(rng, cold_cdf);
        break;
      case WorkloadShape::kLongShort: {
        const int64_t a = rng.UniformInt(1, 4);
        const int64_t b = rng.UniformInt(11, 50);
        text += first_half
                    ? fmt::format("{} {} {}{}", Op('r', a), Op('r', b), Op('w', b), Fillers(18))
                    : fmt::format("{} {} {} {} *", Op('r', a), Op('w', a), Op('r', b), Op('w', b));
        break;
      }
      case WorkloadShape::kCrossed: {
        const int64_t low = rng.UniformInt(1, 5);
        const int64_t high = rng.UniformInt(6, 10);
        text += first_half ? Op('r', low) + Fillers(7) + " " + Op('w', high)
                           : Op('r', high) + Fillers(7) + " " + Op('w', low);
        break;
      }
    }
    text += '\n';
  }
  return text;
}

Status ValidateSchedule(const Workload& workload, std::span<const int64_t> schedule) {
  const int32_t n = workload.num_txns();
  if (schedule.size() != static_cast<size_t>(n)) {
    return InvalidArgumentError(
        fmt::format("schedule has {} entries; it must be a permutation of 0..{} ({} entries)",
                    schedule.size(), n - 1, n));
  }
  std::vector<int64_t> seen_at(static_cast<size_t>(n), -1);
  for (size_t i = 0; i < schedule.size(); ++i) {
    const int64_t t = schedule[i];
    if (t < 0 || t >= n) {
      return InvalidArgumentError(
          fmt::format("schedule[{}] = {} is not a transaction index (0..{})", i, t, n - 1));
    }
    if (seen_at[static_cast<size_t>(t)] >= 0) {
      return InvalidArgumentError(
          fmt::format("transaction {} appears twice (schedule[{}] and schedule[{}])", t,
                      seen_at[static_cast<size_t>(t)], i));
    }
    seen_at[static_cast<size_t>(t)] = static_cast<int64_t>(i);
  }
  return Status::Ok();
}

}  // namespace crucible::txn
