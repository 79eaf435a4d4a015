// Builders shared by the archive tests.
#ifndef CRUCIBLE_ARCHIVE_ARCHIVE_TEST_UTIL_H_
#define CRUCIBLE_ARCHIVE_ARCHIVE_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <utility>

#include "archive/archive.h"

namespace crucible::testing {

// An entry with feature "x" (and "y") set when given.
inline ArchiveEntry Entry(CandidateId id, double fitness, int island = 0,
                          std::optional<double> x = std::nullopt,
                          std::optional<double> y = std::nullopt) {
  ArchiveEntry e;
  e.id = id;
  e.fitness = fitness;
  e.island = island;
  e.metrics["score"] = fitness;
  if (x) e.features["x"] = *x;
  if (y) e.features["y"] = *y;
  return e;
}

// One fixed dimension "x" over [0, bins): value v lands in bin floor(v).
// No migration, so tests opt in to it.
inline ArchiveOptions LineOptions(int islands, int bins, int elite_size) {
  ArchiveOptions o;
  o.num_islands = islands;
  o.features = {{"x", bins, 0.0, static_cast<double>(bins)}};
  o.elite_size = elite_size;
  o.migration_interval = 0;
  return o;
}

inline std::unique_ptr<Archive> MakeArchive(const ArchiveOptions& options) {
  StatusOr<std::unique_ptr<Archive>> archive = Archive::Create(options);
  EXPECT_TRUE(archive.ok()) << archive.status().ToString();
  return std::move(archive).value();
}

}  // namespace crucible::testing

#endif  // CRUCIBLE_ARCHIVE_ARCHIVE_TEST_UTIL_H_
