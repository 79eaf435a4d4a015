// LlmOptions: the `llm:` section of problem.yaml (docs/llm.md), with the
// environment overrides applied by ResolveLlmOptions().
#ifndef CRUCIBLE_PROPOSE_LLM_LLM_OPTIONS_H_
#define CRUCIBLE_PROPOSE_LLM_LLM_OPTIONS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "llm/model_spec.h"
#include "propose/llm/prompt_limits.h"

namespace crucible {

struct LlmOptions {
  std::string base_url;                     // '' = not configured
  std::string api_key_env = "OPENAI_API_KEY";  // the variable holding the key (never the key)
  std::vector<ModelSpec> models;            // '' name = CRUCIBLE_LLM_MODEL or "default"
  // Probabilities of the patch modes (normalised).
  double diff_weight = 0.6, rewrite_weight = 0.3, crossover_weight = 0.1;
  bool adaptive = false;         // UCB over models and modes instead of the fixed weights
  double ucb_exploration = 0.5;
  double bandit_decay = 0.99;    // discount of old evidence per update (1 = none)
  int max_reasks = 2;            // re-asks after an unusable reply (per proposal)
  int concurrency = 4;           // requests in flight
  double timeout_seconds = 300;  // per request
  bool stream = false;           // ask for event streams ("stream": true)
  double idle_timeout_seconds = 120;  // streaming: no byte for this long = timeout
  // K requests in a row failing the same way (auth, 4xx, timeout,
  // transport, 5xx, 429, unparseable) stop the run; 0 = never.
  int stop_after_failures = 4;
  int retries = 4;               // per request, on timeouts, 429 and 5xx
  double backoff_initial_seconds = 1;
  double backoff_max_seconds = 60;
  std::optional<int64_t> max_tokens;  // token budget of the run (prompt + completion)
  std::optional<double> max_cost;     // cost budget of the run
  double novelty_threshold = 0.995;   // similarity at which a child counts as a near-copy
  std::string embeddings_model;       // when set, novelty uses POST /embeddings
  // ShinkaEvolve's LLM judge: a near-copy (over the threshold, not
  // identical) is evaluated only if a model finds it meaningfully
  // different. Off by default.
  bool novelty_judge = false;
  std::string novelty_judge_model;    // one of models[].name; '' = the proposing model
  PromptLimits prompt;
  // Meta-scratchpad: every this many evaluated children the model rewrites
  // a short note of what worked and failed, shown in later prompts (0 = off).
  int scratchpad_every = 25;
  size_t scratchpad_max_chars = 1500;

  bool configured() const { return !base_url.empty(); }
  Status Validate() const;  // errors name the field as llm.<field>
};

// The environment's part: CRUCIBLE_LLM_BASE_URL overrides base_url,
// CRUCIBLE_LLM_MODEL gives the model when none is configured (or replaces
// the single configured one), and OPENAI_API_KEY alone (with no base URL)
// selects https://api.openai.com/v1. `getenv` is a parameter for tests.
LlmOptions ResolveLlmOptions(LlmOptions options, const char* (*getenv_fn)(const char*));

}  // namespace crucible

#endif  // CRUCIBLE_PROPOSE_LLM_LLM_OPTIONS_H_
