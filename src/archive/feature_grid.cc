#include "archive/feature_grid.h"

#include <cmath>
#include <limits>
#include <utility>

namespace crucible {

std::optional<double> FeatureValue(const ArchiveEntry& entry, const std::string& name) {
  double value;
  if (name == "code_length") {
    value = static_cast<double>(entry.code_length);
  } else if (auto f = entry.features.find(name); f != entry.features.end()) {
    value = f->second;
  } else if (auto m = entry.metrics.find(name); m != entry.metrics.end()) {
    value = m->second;
  } else {
    return std::nullopt;
  }
  // A NaN or infinite value has no place on a finite axis: treat it as missing.
  if (!std::isfinite(value)) return std::nullopt;
  return value;
}

FeatureGrid::FeatureGrid(std::vector<FeatureDimension> dimensions) {
  dims_.reserve(dimensions.size());
  for (FeatureDimension& spec : dimensions) {
    dims_.push_back(Dimension{std::move(spec), std::numeric_limits<double>::infinity(),
                              -std::numeric_limits<double>::infinity(), 1});
  }
  // Row-major: the last dimension varies fastest.
  for (size_t d = dims_.size(); d-- > 0;) {
    dims_[d].stride = total_cells_;
    total_cells_ *= dims_[d].spec.bins;
  }
}

void FeatureGrid::Observe(const ArchiveEntry& entry) {
  for (Dimension& dim : dims_) {
    const std::optional<double> v = FeatureValue(entry, dim.spec.name);
    if (!v) continue;
    if (*v < dim.seen_min) dim.seen_min = *v;
    if (*v > dim.seen_max) dim.seen_max = *v;
  }
}

double FeatureGrid::Low(size_t dim) const {
  return dims_[dim].spec.min.value_or(dims_[dim].seen_min);
}

double FeatureGrid::High(size_t dim) const {
  return dims_[dim].spec.max.value_or(dims_[dim].seen_max);
}

int FeatureGrid::Bin(size_t dim, double value) const {
  const int bins = dims_[dim].spec.bins;
  const double lo = Low(dim);
  const double hi = High(dim);
  // An empty or not-yet-known range (one value seen, or an adaptive bound on
  // the wrong side of a fixed one) cannot be divided: everything goes to bin 0.
  if (!(hi > lo)) return 0;
  const double scaled = std::floor((value - lo) / (hi - lo) * bins);
  if (!(scaled > 0)) return 0;  // also catches NaN from an overflowing range
  if (scaled >= bins - 1) return bins - 1;
  return static_cast<int>(scaled);
}

std::optional<int64_t> FeatureGrid::CellOf(const ArchiveEntry& entry) const {
  int64_t cell = 0;
  for (size_t d = 0; d < dims_.size(); ++d) {
    const std::optional<double> v = FeatureValue(entry, dims_[d].spec.name);
    if (!v) return std::nullopt;
    cell += static_cast<int64_t>(Bin(d, *v)) * dims_[d].stride;
  }
  return cell;
}

std::vector<int> FeatureGrid::Coords(int64_t cell) const {
  std::vector<int> coords(dims_.size());
  for (size_t d = 0; d < dims_.size(); ++d) {
    coords[d] = static_cast<int>(cell / dims_[d].stride);
    cell %= dims_[d].stride;
  }
  return coords;
}

}  // namespace crucible
