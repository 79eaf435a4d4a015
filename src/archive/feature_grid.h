// FeatureGrid: the geometry of the archive's MAP-Elites grid. It maps an
// entry's feature values to a cell, widening adaptive ranges as values are
// observed. Internal to the archive; shared by all its islands, so one entry
// has the same cell on every island. Not thread-safe.
#ifndef CRUCIBLE_ARCHIVE_FEATURE_GRID_H_
#define CRUCIBLE_ARCHIVE_FEATURE_GRID_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "archive/archive.h"

namespace crucible {

// The value of feature `name` for `entry`: code_length for "code_length",
// otherwise entry.features[name], otherwise entry.metrics[name]. nullopt when
// absent or not finite.
std::optional<double> FeatureValue(const ArchiveEntry& entry, const std::string& name);

class FeatureGrid {
 public:
  // `dimensions` must have passed ArchiveOptions::Validate().
  explicit FeatureGrid(std::vector<FeatureDimension> dimensions);

  // Widens the adaptive bounds to include this entry's values (missing values
  // are skipped).
  void Observe(const ArchiveEntry& entry);

  // The entry's cell under the current ranges, as a flat row-major index (the
  // last dimension varies fastest); nullopt when any feature value is missing.
  // With no dimensions every entry is in cell 0.
  std::optional<int64_t> CellOf(const ArchiveEntry& entry) const;

  // The bin of `value` on dimension `dim`: floor((v - lo) / (hi - lo) * bins),
  // clamped to [0, bins - 1]; 0 when the range is empty (hi <= lo, e.g. only
  // one value seen so far).
  int Bin(size_t dim, double value) const;

  // Current [lo, hi] of a dimension (fixed bound, or the extreme seen so far;
  // +inf/-inf before any value is seen).
  double Low(size_t dim) const;
  double High(size_t dim) const;

  std::vector<int> Coords(int64_t cell) const;
  int64_t total_cells() const { return total_cells_; }
  size_t num_dimensions() const { return dims_.size(); }

 private:
  struct Dimension {
    FeatureDimension spec;
    double seen_min;
    double seen_max;
    int64_t stride;
  };
  std::vector<Dimension> dims_;
  int64_t total_cells_ = 1;
};

}  // namespace crucible

#endif  // CRUCIBLE_ARCHIVE_FEATURE_GRID_H_
