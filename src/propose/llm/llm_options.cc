#include "propose/llm/llm_options.h"

#include <fmt/format.h>

#include <algorithm>

namespace crucible {

Status LlmOptions::Validate() const {
  if (!configured()) return Status::Ok();
  if (base_url.rfind("http://", 0) != 0 && base_url.rfind("https://", 0) != 0) {
    return InvalidArgumentError(
        fmt::format("llm.base_url: must start with http:// or https:// (got '{}')", base_url));
  }
  // No models: the environment (CRUCIBLE_LLM_MODEL) or "default" names one
  // (ResolveLlmOptions).
  double total_weight = 0;
  for (size_t i = 0; i < models.size(); ++i) {
    const ModelSpec& m = models[i];
    const std::string at = fmt::format("llm.models[{}]", i);
    if (m.name.empty()) return InvalidArgumentError(at + ".name: is required");
    if (m.weight < 0) return InvalidArgumentError(at + ".weight: must be >= 0");
    if (m.temperature < 0 || m.temperature > 2) {
      return InvalidArgumentError(at + ".temperature: must be in [0, 2]");
    }
    if (m.max_tokens < 1) return InvalidArgumentError(at + ".max_tokens: must be >= 1");
    if (m.price_input_per_m.value_or(0) < 0 || m.price_output_per_m.value_or(0) < 0) {
      return InvalidArgumentError(at + ".price: must be >= 0");
    }
    if (!m.base_url.empty() && m.base_url.rfind("http://", 0) != 0 &&
        m.base_url.rfind("https://", 0) != 0) {
      return InvalidArgumentError(at + ".base_url: must start with http:// or https://");
    }
    total_weight += m.weight;
  }
  if (total_weight <= 0) return InvalidArgumentError("llm.models: the weights sum to 0");
  if (diff_weight < 0 || rewrite_weight < 0 || crossover_weight < 0 ||
      diff_weight + rewrite_weight + crossover_weight <= 0) {
    return InvalidArgumentError("llm.modes: weights must be >= 0 and not all 0");
  }
  if (diff_weight + rewrite_weight <= 0) {
    return InvalidArgumentError(
        "llm.modes: diff or rewrite needs a weight > 0 (crossover needs a second parent, which "
        "the first proposals do not have)");
  }
  if (max_reasks < 0 || max_reasks > 20) return InvalidArgumentError("llm.max_reasks: must be in [0, 20]");
  if (concurrency < 1 || concurrency > 1024) {
    return InvalidArgumentError("llm.concurrency: must be in [1, 1024]");
  }
  if (timeout_seconds <= 0) return InvalidArgumentError("llm.timeout: must be > 0 seconds");
  if (idle_timeout_seconds < 0) return InvalidArgumentError("llm.idle_timeout: must be >= 0 seconds");
  if (stop_after_failures < 0) return InvalidArgumentError("llm.stop_after_failures: must be >= 0");
  if (retries < 0 || retries > 100) return InvalidArgumentError("llm.retries: must be in [0, 100]");
  if (backoff_initial_seconds < 0 || backoff_max_seconds < backoff_initial_seconds) {
    return InvalidArgumentError("llm.backoff: need 0 <= initial <= max");
  }
  if (max_tokens && *max_tokens < 1) return InvalidArgumentError("llm.budget.tokens: must be >= 1");
  if (max_cost && *max_cost <= 0) return InvalidArgumentError("llm.budget.cost: must be > 0");
  if (novelty_threshold <= 0 || novelty_threshold > 1) {
    return InvalidArgumentError("llm.novelty.threshold: must be in (0, 1]");
  }
  if (!novelty_judge_model.empty() &&
      std::none_of(models.begin(), models.end(),
                   [&](const ModelSpec& m) { return m.name == novelty_judge_model; })) {
    return InvalidArgumentError("llm.novelty.judge_model: '" + novelty_judge_model +
                                "' is not the name of one of llm.models");
  }
  if (ucb_exploration < 0) return InvalidArgumentError("llm.ucb_exploration: must be >= 0");
  if (scratchpad_every < 0) return InvalidArgumentError("llm.scratchpad.every: must be >= 0");
  if (scratchpad_max_chars < 100) {
    return InvalidArgumentError("llm.scratchpad.max_chars: must be >= 100");
  }
  if (bandit_decay <= 0 || bandit_decay > 1) {
    return InvalidArgumentError("llm.bandit_decay: must be in (0, 1]");
  }
  return Status::Ok();
}

LlmOptions ResolveLlmOptions(LlmOptions o, const char* (*getenv_fn)(const char*)) {
  const char* url = getenv_fn("CRUCIBLE_LLM_BASE_URL");
  if (url && *url) o.base_url = url;
  const char* model = getenv_fn("CRUCIBLE_LLM_MODEL");
  if (model && *model) {
    if (o.models.size() <= 1) {
      ModelSpec m = o.models.empty() ? ModelSpec{} : o.models.front();
      m.name = model;
      o.models = {m};
    }
  }
  const char* key = o.api_key_env.empty() ? nullptr : getenv_fn(o.api_key_env.c_str());
  if (o.base_url.empty() && key && *key) o.base_url = "https://api.openai.com/v1";
  if (o.configured() && o.models.empty()) {
    ModelSpec m;
    m.name = o.base_url.find("api.openai.com") != std::string::npos ? "gpt-4o-mini" : "default";
    o.models = {m};
  }
  return o;
}

}  // namespace crucible
