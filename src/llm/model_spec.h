// ModelSpec: one model of the LLM ensemble (docs/llm.md, llm.models). A plain
// value in its own header so that the configuration can hold models without
// linking the HTTP client (target crucible_llm_options).
#ifndef CRUCIBLE_LLM_MODEL_SPEC_H_
#define CRUCIBLE_LLM_MODEL_SPEC_H_

#include <optional>
#include <string>
#include <string_view>

namespace crucible {

// For reasoning models: sent as reasoning_effort, with max_completion_tokens
// instead of max_tokens and no temperature, as those endpoints require.
// kNone: an ordinary model (nothing sent).
enum class ReasoningEffort { kNone, kLow, kMedium, kHigh };

// "" / "low" / "medium" / "high": the spelling of problem.yaml, the frozen
// configuration and the request body.
std::string_view ReasoningEffortName(ReasoningEffort effort);
std::optional<ReasoningEffort> ParseReasoningEffort(std::string_view name);

struct ModelSpec {
  std::string name;
  double weight = 1;
  double temperature = 0.7;
  int max_tokens = 4096;
  std::optional<double> price_input_per_m;   // currency per 1M prompt tokens
  std::optional<double> price_output_per_m;  // currency per 1M completion tokens
  ReasoningEffort reasoning_effort = ReasoningEffort::kNone;
  // Where this model is served, when not at llm.base_url with the key in
  // llm.api_key_env ('' = those): one ensemble may mix a local server and
  // a hosted API.
  std::string base_url;
  std::string api_key_env;
};

}  // namespace crucible

#endif  // CRUCIBLE_LLM_MODEL_SPEC_H_
