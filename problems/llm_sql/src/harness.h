// The llm_sql harness: `crucible harness llm_sql CANDIDATE_DIR` (evaluator:
// {builtin: llm_sql} in problems/llm_sql/). Compiles the candidate's Reorder
// with the trusted driver, runs it confined on the split's tables, checks
// that every row's order is a permutation of that row's own fields and
// recomputes every prefix hit rate from its own copy of the tables
// (problems/llm_sql/README.md).
#ifndef CRUCIBLE_PROBLEMS_LLM_SQL_HARNESS_H_
#define CRUCIBLE_PROBLEMS_LLM_SQL_HARNESS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "problems/harness/compiled_candidate.h"
#include "problems/llm_sql/src/data.h"
#include "problems/problem.h"

namespace crucible::llmsql {

inline constexpr char kCandidateFile[] = "initial.cpp";
inline constexpr std::string_view kHeaderName = "llm_sql.h";
// llm_sql.h and driver.cpp (protocol in driver.cpp).
std::string_view HeaderSource();
std::string_view DriverSource();

// The ADRS runtime term's budget: 0.05 * (12 - min(12, mean runtime)) / 12.
inline constexpr double kRuntimeBudgetSeconds = 12;

CompileSpec LlmSqlCompileSpec(std::string candidate_source, std::string cache_dir,
                              std::string work_dir);

struct EvaluateOptions {
  uint64_t seed = 0;  // CRUCIBLE_SEED; table k gets DeriveSeed(seed, k)
  std::string cache_dir;
  std::string work_dir = ".";
  RunLimits limits;
};

std::string EncodeInput(const std::vector<Table>& tables, uint64_t seed);

// Validates and scores a run's output. score = mean hit rate in percent over
// the tables; metrics hit_rate.<table> (%), runtime_s.<table> (the Reorder
// call alone, as timed by the driver, capped by the process's wall time),
// hit_rate, runtime_s (means), adrs_combined (0.95 * hit + 0.05 * runtime
// term, as the ADRS evaluator, for information).
HarnessReport ScoreOutput(const std::vector<Table>& tables, const RunOutput& run);

HarnessReport EvaluateCandidate(const std::string& source, const std::vector<Table>& tables,
                                const EvaluateOptions& options);

// The problem registered as "llm_sql" (src/problems/registry.cc).
std::unique_ptr<Problem> MakeProblem();

}  // namespace crucible::llmsql

#endif  // CRUCIBLE_PROBLEMS_LLM_SQL_HARNESS_H_
