#include "config/llm_config.h"

#include <fmt/format.h>

namespace crucible {
namespace {

using nlohmann::json;

json Optional(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

void ParseModel(const YAML::Node& n, const std::string& path, YamlReader& r, ModelSpec& m) {
  if (n.IsScalar()) {
    if (!IsJsonString(n.Scalar())) return r.Fail(path, "is not valid UTF-8");
    m.name = n.Scalar();
    return;
  }
  if (!r.CheckKeys(n, path, {"name", "weight", "temperature", "max_tokens", "price",
                             "reasoning_effort", "base_url", "api_key_env"})) {
    return;
  }
  r.Read(n, "name", path, m.name);
  r.Read(n, "weight", path, m.weight, 0.0);
  r.Read(n, "temperature", path, m.temperature, 0.0, 2.0);
  r.Read(n, "max_tokens", path, m.max_tokens, 1, 10'000'000);
  ReadReasoningEffort(n, "reasoning_effort", path, r, m.reasoning_effort);
  r.Read(n, "base_url", path, m.base_url);
  r.Read(n, "api_key_env", path, m.api_key_env);
  if (const YAML::Node p = n["price"]; p && !p.IsNull()) {
    r.CheckKeys(p, path + ".price", {"input", "output"});
    r.Read(p, "input", path + ".price", m.price_input_per_m);
    r.Read(p, "output", path + ".price", m.price_output_per_m);
  }
  if (r.status().ok() && m.name.empty()) r.Fail(path + ".name", "is required");
}

}  // namespace

void ReadReasoningEffort(const YAML::Node& map, std::string_view key, std::string_view path,
                         YamlReader& r, ReasoningEffort& out) {
  r.ReadEnum(map, key, path,
             {ReasoningEffort::kNone, ReasoningEffort::kLow, ReasoningEffort::kMedium,
              ReasoningEffort::kHigh},
             ReasoningEffortName, out);
}

void ParseLlmSection(const YAML::Node& root, YamlReader& r, LlmOptions& o, ProposerKind& proposer) {
  r.ReadEnum(root, "proposer", "", {ProposerKind::kAuto, ProposerKind::kMutate, ProposerKind::kLlm, ProposerKind::kSearch},
             ProposerKindName, proposer);
  const YAML::Node n = root["llm"];
  if (!n || n.IsNull()) return;
  if (!r.CheckKeys(n, "llm",
                   {"base_url", "api_key_env", "models", "modes", "adaptive", "ucb_exploration",
                    "max_reasks", "concurrency", "timeout", "retries", "backoff", "budget",
                    "novelty", "prompt", "stream", "idle_timeout", "stop_after_failures",
                    "bandit_decay", "scratchpad"})) {
    return;
  }
  r.Read(n, "base_url", "llm", o.base_url);
  r.Read(n, "api_key_env", "llm", o.api_key_env);
  if (const YAML::Node models = n["models"]; models && !models.IsNull()) {
    if (!models.IsSequence()) return r.Fail("llm.models", "must be a list of models");
    o.models.clear();
    for (size_t i = 0; i < models.size(); ++i) {
      ModelSpec m;
      ParseModel(models[i], fmt::format("llm.models[{}]", i), r, m);
      o.models.push_back(m);
    }
  }
  if (const YAML::Node m = n["modes"]; m && !m.IsNull()) {
    r.CheckKeys(m, "llm.modes", {"diff", "rewrite", "crossover"});
    r.Read(m, "diff", "llm.modes", o.diff_weight, 0.0);
    r.Read(m, "rewrite", "llm.modes", o.rewrite_weight, 0.0);
    r.Read(m, "crossover", "llm.modes", o.crossover_weight, 0.0);
  }
  r.Read(n, "adaptive", "llm", o.adaptive);
  r.Read(n, "ucb_exploration", "llm", o.ucb_exploration, 0.0);
  r.Read(n, "bandit_decay", "llm", o.bandit_decay, 0.001, 1.0);
  r.Read(n, "max_reasks", "llm", o.max_reasks, 0, 20);
  r.Read(n, "concurrency", "llm", o.concurrency, 1, 1024);
  r.Read(n, "timeout", "llm", o.timeout_seconds, 0.001);
  r.Read(n, "retries", "llm", o.retries, 0, 100);
  r.Read(n, "stream", "llm", o.stream);
  r.Read(n, "idle_timeout", "llm", o.idle_timeout_seconds, 0.0);
  r.Read(n, "stop_after_failures", "llm", o.stop_after_failures, 0, 1000);
  if (const YAML::Node b = n["backoff"]; b && !b.IsNull()) {
    r.CheckKeys(b, "llm.backoff", {"initial", "max"});
    r.Read(b, "initial", "llm.backoff", o.backoff_initial_seconds, 0.0);
    r.Read(b, "max", "llm.backoff", o.backoff_max_seconds, 0.0);
  }
  if (const YAML::Node b = n["budget"]; b && !b.IsNull()) {
    if (r.CheckKeys(b, "llm.budget", {"tokens", "cost"}) && b["tokens"] && !b["tokens"].IsNull()) {
      int64_t tokens = 0;
      r.Read(b, "tokens", "llm.budget", tokens, 1);
      o.max_tokens = tokens;
    }
    r.Read(b, "cost", "llm.budget", o.max_cost);
  }
  if (const YAML::Node v = n["novelty"]; v && !v.IsNull()) {
    r.CheckKeys(v, "llm.novelty", {"threshold", "embeddings_model", "judge", "judge_model"});
    r.Read(v, "threshold", "llm.novelty", o.novelty_threshold, 0.0, 1.0);
    r.Read(v, "embeddings_model", "llm.novelty", o.embeddings_model);
    r.Read(v, "judge", "llm.novelty", o.novelty_judge);
    r.Read(v, "judge_model", "llm.novelty", o.novelty_judge_model);
  }
  if (const YAML::Node sp = n["scratchpad"]; sp && !sp.IsNull()) {
    r.CheckKeys(sp, "llm.scratchpad", {"every", "max_chars"});
    r.Read(sp, "every", "llm.scratchpad", o.scratchpad_every, 0, 1'000'000);
    int64_t chars = static_cast<int64_t>(o.scratchpad_max_chars);
    r.Read(sp, "max_chars", "llm.scratchpad", chars, 100);
    o.scratchpad_max_chars = static_cast<size_t>(chars);
  }
  if (const YAML::Node p = n["prompt"]; p && !p.IsNull()) {
    r.CheckKeys(p, "llm.prompt",
                {"max_code_chars", "max_feedback_chars", "max_artifact_chars",
                 "max_inspiration_chars", "max_inspirations", "max_history"});
    int64_t v = 0;
    auto read_size = [&](const char* key, size_t& out) {
      v = static_cast<int64_t>(out);
      r.Read(p, key, "llm.prompt", v, 0);
      out = static_cast<size_t>(v);
    };
    read_size("max_code_chars", o.prompt.max_code_chars);
    read_size("max_feedback_chars", o.prompt.max_feedback_chars);
    read_size("max_artifact_chars", o.prompt.max_artifact_chars);
    read_size("max_inspiration_chars", o.prompt.max_inspiration_chars);
    r.Read(p, "max_inspirations", "llm.prompt", o.prompt.max_inspirations, 0, 100);
    r.Read(p, "max_history", "llm.prompt", o.prompt.max_history, 0, 100);
  }
}

json LlmToJson(const LlmOptions& o) {
  json models = json::array();
  for (const ModelSpec& m : o.models) {
    models.push_back({{"name", m.name},
                      {"weight", m.weight},
                      {"temperature", m.temperature},
                      {"max_tokens", m.max_tokens},
                      {"price", {{"input", Optional(m.price_input_per_m)},
                                 {"output", Optional(m.price_output_per_m)}}},
                      {"reasoning_effort", ReasoningEffortName(m.reasoning_effort)},
                      {"base_url", m.base_url},
                      {"api_key_env", m.api_key_env}});
  }
  return {{"base_url", o.base_url},
          {"api_key_env", o.api_key_env},
          {"models", models},
          {"modes", {{"diff", o.diff_weight}, {"rewrite", o.rewrite_weight},
                     {"crossover", o.crossover_weight}}},
          {"adaptive", o.adaptive},
          {"ucb_exploration", o.ucb_exploration},
          {"bandit_decay", o.bandit_decay},
          {"max_reasks", o.max_reasks},
          {"concurrency", o.concurrency},
          {"timeout", o.timeout_seconds},
          {"retries", o.retries},
          {"stream", o.stream},
          {"idle_timeout", o.idle_timeout_seconds},
          {"stop_after_failures", o.stop_after_failures},
          {"backoff", {{"initial", o.backoff_initial_seconds}, {"max", o.backoff_max_seconds}}},
          {"budget", {{"tokens", o.max_tokens ? json(*o.max_tokens) : json(nullptr)},
                      {"cost", Optional(o.max_cost)}}},
          {"novelty", {{"threshold", o.novelty_threshold},
                       {"embeddings_model", o.embeddings_model},
                       {"judge", o.novelty_judge},
                       {"judge_model", o.novelty_judge_model}}},
          {"scratchpad", {{"every", o.scratchpad_every}, {"max_chars", o.scratchpad_max_chars}}},
          {"prompt", {{"max_code_chars", o.prompt.max_code_chars},
                      {"max_feedback_chars", o.prompt.max_feedback_chars},
                      {"max_artifact_chars", o.prompt.max_artifact_chars},
                      {"max_inspiration_chars", o.prompt.max_inspiration_chars},
                      {"max_inspirations", o.prompt.max_inspirations},
                      {"max_history", o.prompt.max_history}}}};
}

}  // namespace crucible
