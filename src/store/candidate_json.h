// The JSON encodings of a candidate's structured columns in the run database
// (docs/run-database.md, "JSON columns"). Encoders never fail; decoders return
// kDataLoss for text that is not the documented shape, since such text can
// only come from a damaged or foreign database.
//
// Text is JSON's UTF-8. Byte strings that are not valid UTF-8 are kept
// losslessly where they carry content (a file's content, an artifact's value:
// stored as base64 in an alternative shape) and replaced with U+FFFD where
// they are names (paths, operator, metric and artifact names).
//
// Thread safety: pure functions.
#ifndef CRUCIBLE_STORE_CANDIDATE_JSON_H_
#define CRUCIBLE_STORE_CANDIDATE_JSON_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/candidate.h"
#include "core/status.h"

namespace crucible::store_json {

// [{"path": "...", "content": "..."}, ...]; a content that is not valid UTF-8
// is written as "content_base64" instead of "content".
std::string EncodeProgram(const Program& program);
StatusOr<Program> DecodeProgram(std::string_view json);

// [3, 17]
std::string EncodeIds(const std::vector<CandidateId>& ids);
StatusOr<std::vector<CandidateId>> DecodeIds(std::string_view json);

// ["perturb_constant", "swap_lines"]
std::string EncodeStrings(const std::vector<std::string>& strings);
StatusOr<std::vector<std::string>> DecodeStrings(std::string_view json);

// {"name": 1.5, ...}; a non-finite value is written as the string "nan",
// "inf" or "-inf" (JSON has no such numbers). Finite values round-trip
// exactly.
std::string EncodeMetrics(const Metrics& metrics);
StatusOr<Metrics> DecodeMetrics(std::string_view json);

// {"name": "text", ...}; a value that is not valid UTF-8 is written as
// {"base64": "..."}.
std::string EncodeArtifacts(const std::map<std::string, std::string>& artifacts);
StatusOr<std::map<std::string, std::string>> DecodeArtifacts(std::string_view json);

// True for the empty string (meaning "none") and for any valid JSON text.
bool IsJsonOrEmpty(std::string_view text);

// Exposed for tests.
bool IsValidUtf8(std::string_view bytes);
std::string Base64Encode(std::string_view bytes);
StatusOr<std::string> Base64Decode(std::string_view text);

}  // namespace crucible::store_json

#endif  // CRUCIBLE_STORE_CANDIDATE_JSON_H_
