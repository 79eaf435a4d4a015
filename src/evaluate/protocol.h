// The evaluator protocol, version 1 (docs/evaluator-protocol.md): how an
// evaluator's output becomes an EvalResult. Pure functions, no I/O.
//
// An evaluator prints one JSON object, as the last non-empty line of stdout or
// as result.json in its working directory (result.json wins when both exist):
//   {"score": 0.97, "valid": true, "metrics": {...}, "features": {...},
//    "feedback": "...", "artifacts": {"name": "text"}, "outcome": "..."}
// Exit status 0 means "evaluated" (valid or not); anything else is a failure
// classified from how the process ended.
#ifndef CRUCIBLE_EVALUATE_PROTOCOL_H_
#define CRUCIBLE_EVALUATE_PROTOCOL_H_

#include <string>
#include <string_view>

#include "core/candidate.h"

namespace crucible {

inline constexpr int kEvaluatorProtocolVersion = 2;

// Largest feedback and artifact text kept per candidate (bytes); longer text
// is cut, keeping its tail (where errors usually are), and marked.
inline constexpr size_t kMaxFeedbackBytes = 8 * 1024;
inline constexpr size_t kMaxArtifactBytes = 64 * 1024;

// Parses the protocol JSON text. Never fails: malformed output becomes an
// evaluator_error result whose feedback says what was wrong.
EvalResult ParseEvaluatorJson(std::string_view json_text);

// The last non-empty line of `stdout_text` (whitespace-trimmed), or "".
std::string_view LastNonEmptyLine(std::string_view stdout_text);

// The protocol JSON for a result (what `crucible eval` prints).
std::string EvalResultToJson(const EvalResult& result, bool pretty = false);

// Keeps at most `max_bytes` of `text`, preferring its tail, and says so.
std::string TruncateTail(std::string_view text, size_t max_bytes);

}  // namespace crucible

#endif  // CRUCIBLE_EVALUATE_PROTOCOL_H_
