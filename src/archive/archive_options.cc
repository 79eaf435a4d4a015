// ArchiveOptions::Validate and the small vocabulary functions of archive.h.
#include <fmt/format.h>

#include <cmath>
#include <set>

#include "archive/archive.h"

namespace crucible {
namespace {

// Cells are stored sparsely, so this only keeps the flat index (and the
// product of bins) far from overflow; no real grid comes near it.
constexpr int64_t kMaxTotalCells = int64_t{1} << 40;
// Each island is a few small containers; this catches a typo, not a real run.
constexpr int kMaxIslands = 4096;

Status ValidateFeature(const FeatureDimension& dim, size_t index) {
  const std::string field = fmt::format("archive.features[{}]", index);
  if (dim.name.empty()) return InvalidArgumentError(field + ".name must not be empty");
  if (dim.bins < 1) {
    return InvalidArgumentError(
        fmt::format("{}.bins must be >= 1 (got {}) for feature \"{}\"", field, dim.bins, dim.name));
  }
  if (dim.min && !std::isfinite(*dim.min)) {
    return InvalidArgumentError(
        fmt::format("{}.min must be finite (got {}) for feature \"{}\"", field, *dim.min, dim.name));
  }
  if (dim.max && !std::isfinite(*dim.max)) {
    return InvalidArgumentError(
        fmt::format("{}.max must be finite (got {}) for feature \"{}\"", field, *dim.max, dim.name));
  }
  if (dim.min && dim.max && !(*dim.min < *dim.max)) {
    return InvalidArgumentError(fmt::format("{}.min must be < {}.max (got {} and {}) for feature \"{}\"",
                                            field, field, *dim.min, *dim.max, dim.name));
  }
  return Status::Ok();
}

Status ValidateFeatures(const std::vector<FeatureDimension>& features) {
  std::set<std::string> names;
  int64_t cells = 1;
  for (size_t i = 0; i < features.size(); ++i) {
    RETURN_IF_ERROR(ValidateFeature(features[i], i));
    if (!names.insert(features[i].name).second) {
      return InvalidArgumentError(fmt::format("archive.features[{}].name \"{}\" is used twice", i,
                                              features[i].name));
    }
    if (features[i].bins > kMaxTotalCells / cells) {
      return InvalidArgumentError(
          fmt::format("archive.features: the product of bins must be <= {} (exceeded at "
                      "features[{}])",
                      kMaxTotalCells, i));
    }
    cells *= features[i].bins;
  }
  return Status::Ok();
}

Status ValidateSelection(const SelectionWeights& w) {
  const std::pair<const char*, double> fields[] = {
      {"uniform", w.uniform}, {"weighted", w.weighted}, {"elite", w.elite}};
  for (const auto& [name, value] : fields) {
    if (!std::isfinite(value) || value < 0) {
      return InvalidArgumentError(
          fmt::format("archive.selection.{} must be finite and >= 0 (got {})", name, value));
    }
  }
  if (!(w.uniform + w.weighted + w.elite > 0)) {
    return InvalidArgumentError(
        "archive.selection: at least one of uniform, weighted, elite must be > 0 (got all 0)");
  }
  return Status::Ok();
}

}  // namespace

Status ArchiveOptions::Validate() const {
  if (num_islands < 1) {
    return InvalidArgumentError(fmt::format("archive.num_islands must be >= 1 (got {})", num_islands));
  }
  if (num_islands > kMaxIslands) {
    return InvalidArgumentError(
        fmt::format("archive.num_islands must be <= {} (got {})", kMaxIslands, num_islands));
  }
  RETURN_IF_ERROR(ValidateFeatures(features));
  if (elite_size < 1) {
    return InvalidArgumentError(fmt::format("archive.elite_size must be >= 1 (got {})", elite_size));
  }
  RETURN_IF_ERROR(ValidateSelection(selection));
  if (!std::isfinite(weighted_sharpness) || weighted_sharpness < 0) {
    return InvalidArgumentError(fmt::format(
        "archive.weighted_sharpness must be finite and >= 0 (got {})", weighted_sharpness));
  }
  if (num_top_inspirations < 0) {
    return InvalidArgumentError(
        fmt::format("archive.num_top_inspirations must be >= 0 (got {})", num_top_inspirations));
  }
  if (num_diverse_inspirations < 0) {
    return InvalidArgumentError(fmt::format(
        "archive.num_diverse_inspirations must be >= 0 (got {})", num_diverse_inspirations));
  }
  if (migration_interval < 0) {
    return InvalidArgumentError(fmt::format(
        "archive.migration_interval must be >= 0 (0 = never; got {})", migration_interval));
  }
  if (!(migration_rate >= 0 && migration_rate <= 1)) {  // also rejects NaN
    return InvalidArgumentError(
        fmt::format("archive.migration_rate must be in [0, 1] (got {})", migration_rate));
  }
  return Status::Ok();
}

std::string_view SelectionPolicyName(SelectionPolicy policy) {
  switch (policy) {
    case SelectionPolicy::kUniform: return "uniform";
    case SelectionPolicy::kWeighted: return "weighted";
    case SelectionPolicy::kElite: return "elite";
  }
  return "unknown";
}

}  // namespace crucible
