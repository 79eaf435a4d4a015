// LLM-SQL tables: the RFC-4180 reader for beer.csv, the evaluator's column
// merges (merged text in GGR column-score order), the seeded generator of
// synthetic tables with planted functional dependencies, and the splits
// (shared/problems/llm_sql.md §3, §7).
#ifndef CRUCIBLE_PROBLEMS_LLM_SQL_DATA_H_
#define CRUCIBLE_PROBLEMS_LLM_SQL_DATA_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "problems/llm_sql/llm_sql.h"

namespace crucible::llmsql {

// A table as read: header and raw unquoted cells.
struct RawTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
};

// RFC-4180: comma-separated, fields optionally double-quoted with "" as an
// escaped quote, LF or CRLF line ends. Every row must have the header's
// width; fields may not contain the bytes 0x1e / 0x1f (the driver's
// separators).
StatusOr<RawTable> ParseCsv(std::string_view text);

// GGR's column score: (mean length)^2 * (rows / distinct - 1), 0 when every
// value is distinct.
double ColumnScore(const std::vector<std::vector<std::string>>& rows, size_t column);

// Applies merge groups (column names; each group becomes one field named
// "a+b" at the position of its first listed member; its text is the members'
// texts concatenated in descending ColumnScore order, ties in listed order).
// Unknown or repeated column names are errors naming them.
StatusOr<Table> MergeColumns(const RawTable& raw, const std::vector<std::vector<std::string>>& merges,
                             std::string name);

// A synthetic table (spec §7): rows in [5k, 50k] unless `rows` > 0, 6-12
// columns, each with a cardinality, a Zipf(s in [0.8, 1.5]) frequency law and
// value lengths of 1-60 chars from a small alphabet; planted functional
// dependencies id -> name and subcategory -> category, and a merge group over
// (id, name). Deterministic in the seed.
Table GenerateTable(uint64_t seed, std::string name, int32_t rows = 0);

// The held-out seeds (hidden from the loop) and the public synthetic seeds of
// the train split. Train holds four synthetic tables (the same generator as
// held-out) beside beer.csv, so that four fifths of its mean come from the
// held-out distribution and a change that helps only beer.csv or one table
// does not look like progress.
inline constexpr uint64_t kTrainSeeds[] = {1001, 1002, 1003, 1004};
inline constexpr uint64_t kHeldoutSeeds[] = {20251106, 20251107, 20251108};

// train: beer.csv of `problem_dir`/data (merge [[beer/beerId, beer/name]])
// plus the kTrainSeeds tables; heldout: the kHeldoutSeeds tables. A missing
// table file is an error (never skipped).
StatusOr<std::vector<Table>> LoadSplit(const std::string& split, const std::string& problem_dir);

}  // namespace crucible::llmsql

#endif  // CRUCIBLE_PROBLEMS_LLM_SQL_DATA_H_
