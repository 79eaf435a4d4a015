// The trusted llm_sql driver. Not part of crucible's build: its text is
// embedded in crucible and compiled with each candidate (see harness.h).
//
// Protocol. Input (stdin): "T\n"; per table "name rows K seed\n", K lines of
// field names, then the rows: each row's K fields separated by 0x1f and the
// row ended by 0x1e. Output (the stdout it had at start; the candidate's own
// stdout goes to stderr): per table "O rows K seconds\n" (seconds = wall
// time of the Reorder call alone) and one line per row of the indices as
// returned (unchecked; as many lines as rows returned), or
// "E message" (then nothing more). Exit status 99: out of memory.
#include <time.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "driver_prelude.h"
#include "llm_sql.h"

using crucible_driver::ReadAll;
using crucible_driver::ToUint;
using crucible_driver::Until;
using crucible_driver::WriteAll;

namespace {

double Now() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

}  // namespace

int main() {
  const int answers = crucible_driver::TakeAnswerChannel();
  if (answers < 0) return 1;
  std::string input = ReadAll();
  std::string_view in = input;
  const uint64_t count = ToUint(Until(in, '\n'));
  for (uint64_t t = 0; t < count; ++t) {
    llmsql::Table table;
    std::string_view header = Until(in, '\n');
    table.name = std::string(Until(header, ' '));
    const uint64_t rows = ToUint(Until(header, ' '));
    const uint64_t k = ToUint(Until(header, ' '));
    const uint64_t seed = ToUint(header);
    for (uint64_t c = 0; c < k; ++c) table.columns.emplace_back(Until(in, '\n'));
    table.rows.resize(rows);
    for (uint64_t r = 0; r < rows; ++r) {
      std::string_view row = Until(in, '\x1e');
      table.rows[r].reserve(k);
      for (uint64_t c = 0; c < k; ++c) table.rows[r].emplace_back(Until(row, '\x1f'));
    }
    llmsql::Order order;
    double seconds = 0;
    const bool returned = crucible_driver::CallCandidate(answers, "Reorder", [&] {
      const double start = Now();
      order = llmsql::Reorder(table, seed);
      seconds = Now() - start;
    });
    if (!returned) return 0;
    char head[128];
    std::snprintf(head, sizeof head, "O %zu %zu %.9f\n", order.size(), static_cast<size_t>(k),
                  seconds);
    std::string out = head;
    for (const auto& o : order) {
      for (size_t i = 0; i < o.size(); ++i) {
        if (i) out += ' ';
        out += std::to_string(o[i]);
      }
      out += '\n';
    }
    WriteAll(answers, out);
  }
  return 0;
}
