// LlmCallRecord: one request to a language model, as recorded in run.db's
// llm_calls table (docs/run-database.md, schema version 2). Made by the LLM
// proposer on worker threads, written by the engine's orchestrator.
#ifndef CRUCIBLE_CORE_LLM_CALL_H_
#define CRUCIBLE_CORE_LLM_CALL_H_

#include <cstdint>
#include <optional>
#include <string>

#include "core/candidate.h"

namespace crucible {

struct LlmCallRecord {
  int64_t id = 0;                           // 1, 2, ... within the run
  CandidateId candidate_id = kNoCandidate;  // the child it produced; kNoCandidate if none
  int attempt = 1;                          // 1, then 2.. for re-asks
  std::string model;
  std::string mode;      // diff | rewrite | crossover
  std::string prompt;    // JSON array of {"role", "content"}
  std::string response;  // the answer, after the reasoning in <think> tags; '' when none
  std::optional<int64_t> prompt_tokens;
  std::optional<int64_t> completion_tokens;
  std::optional<double> cost;
  double latency_seconds = 0;
  // applied | patch_failed | empty | novelty_rejected | http_error | timeout
  // | rate_limited | malformed_response | truncated | budget_exhausted
  std::string outcome;
  std::string error;  // never holds the API key
  double created_unix = 0;
};

// One version of the LLM proposer's meta-scratchpad (docs/llm.md): the
// model's summary of what has worked and failed so far, included in later
// prompts. run.db's llm_notes table (schema version 4) keeps every version.
struct LlmNoteRecord {
  int64_t id = 0;            // 1, 2, ... within the run
  int64_t evaluated = 0;     // children evaluated when it was written
  std::string model;
  int64_t call_id = 0;       // the llm_calls row of the request that wrote it
  std::string note;
  double created_unix = 0;
};

}  // namespace crucible

#endif  // CRUCIBLE_CORE_LLM_CALL_H_
