// The evaluator fingerprint of a run: what defines its scores besides the
// candidate (every file of the problem directory except the evolved ones),
// frozen into run.db at the start ("evaluator_files") and compared on a
// resume, which warns about what changed (an `evaluator_changed` event).
#ifndef CRUCIBLE_ENGINE_EVALUATOR_FINGERPRINT_H_
#define CRUCIBLE_ENGINE_EVALUATOR_FINGERPRINT_H_

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "config/config.h"

namespace crucible {

// {relative path: hash} of the problem directory's files, bounded (see
// evaluator_fingerprint.cc).
nlohmann::json EvaluatorFingerprint(const RunConfig& config);

// The files whose fingerprint differs between `before` and `now`, marked
// " (removed)" or " (new)" when only one side has them.
std::vector<std::string> ChangedFiles(const nlohmann::json& before, const nlohmann::json& now);

}  // namespace crucible

#endif  // CRUCIBLE_ENGINE_EVALUATOR_FINGERPRINT_H_
