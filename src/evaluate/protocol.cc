#include "evaluate/protocol.h"

#include <fmt/format.h>

#include <cmath>
#include <nlohmann/json.hpp>

namespace crucible {
namespace {

using nlohmann::json;

EvalResult EvaluatorError(std::string message) {
  EvalResult r;
  r.outcome = Outcome::kEvaluatorError;
  r.feedback = std::move(message);
  return r;
}

// Reads an object of finite numbers into `out`; returns an error message or "".
std::string ReadNumbers(const json& j, std::string_view field, Metrics& out) {
  if (!j.is_object()) return fmt::format("'{}' must be an object of numbers", field);
  for (const auto& [key, value] : j.items()) {
    // Booleans are not numbers: counting `true` as 1 is how a timed-out
    // program once scored 0.5 elsewhere.
    if (!value.is_number()) {
      return fmt::format("'{}.{}' must be a number, got {}", field, key, value.type_name());
    }
    const double v = value.get<double>();
    if (!std::isfinite(v)) return fmt::format("'{}.{}' is not finite", field, key);
    out[key] = v;
  }
  return "";
}

std::string ReadArtifacts(const json& j, std::map<std::string, std::string>& out) {
  if (!j.is_object()) return "'artifacts' must be an object of strings";
  for (const auto& [key, value] : j.items()) {
    out[key] = TruncateTail(value.is_string() ? value.get<std::string>() : value.dump(),
                            kMaxArtifactBytes);
  }
  return "";
}

// The optional "outcome" lets an evaluator classify a failure itself (a
// harness that saw a compile error, say). Engine-level outcomes are refused.
std::string ReadOutcome(const json& j, EvalResult& r) {
  if (!j.is_string()) return "'outcome' must be a string";
  std::optional<Outcome> o = ParseOutcome(j.get<std::string>());
  if (!o || *o == Outcome::kDuplicate || *o == Outcome::kRejected || *o == Outcome::kCancelled) {
    return fmt::format("'outcome' \"{}\" is not one an evaluator may report", j.get<std::string>());
  }
  r.outcome = *o;
  return "";
}

}  // namespace

std::string TruncateTail(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  std::string out = fmt::format("[... {} bytes cut ...]\n", text.size() - max_bytes);
  out += text.substr(text.size() - max_bytes);
  return out;
}

std::string_view LastNonEmptyLine(std::string_view text) {
  while (!text.empty()) {
    size_t end = text.find_last_not_of(" \t\r\n");
    if (end == std::string_view::npos) return {};
    text = text.substr(0, end + 1);
    size_t nl = text.find_last_of('\n');
    std::string_view line = nl == std::string_view::npos ? text : text.substr(nl + 1);
    size_t begin = line.find_first_not_of(" \t\r");
    if (begin != std::string_view::npos) return line.substr(begin);
    text = text.substr(0, nl == std::string_view::npos ? 0 : nl);
  }
  return {};
}

EvalResult ParseEvaluatorJson(std::string_view json_text) {
  json j = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return EvaluatorError(fmt::format("evaluator output is not JSON: {}",
                                      TruncateTail(json_text, 200)));
  }
  if (!j.is_object()) return EvaluatorError("evaluator output must be a JSON object");
  EvalResult r;
  r.outcome = Outcome::kOk;
  std::string err;
  if (j.contains("metrics")) err = ReadNumbers(j["metrics"], "metrics", r.metrics);
  if (err.empty() && j.contains("features")) err = ReadNumbers(j["features"], "features", r.features);
  if (err.empty() && j.contains("artifacts")) err = ReadArtifacts(j["artifacts"], r.artifacts);
  if (err.empty() && j.contains("feedback")) {
    const json& f = j["feedback"];
    r.feedback = TruncateTail(f.is_string() ? f.get<std::string>() : f.dump(), kMaxFeedbackBytes);
  }
  bool valid = true;
  if (err.empty() && j.contains("valid")) {
    if (!j["valid"].is_boolean()) err = "'valid' must be true or false";
    else valid = j["valid"].get<bool>();
  }
  if (err.empty() && j.contains("outcome")) err = ReadOutcome(j["outcome"], r);
  if (!err.empty()) return EvaluatorError(err);
  if (r.outcome == Outcome::kOk && !valid) r.outcome = Outcome::kInvalid;
  if (r.outcome != Outcome::kOk) return r;  // the score of a failed candidate is ignored
  if (!j.contains("score")) return EvaluatorError("a valid result must have a numeric 'score'");
  const json& s = j["score"];
  if (!s.is_number()) {
    return EvaluatorError(fmt::format("'score' must be a number, got {}", s.type_name()));
  }
  const double score = s.get<double>();
  if (!std::isfinite(score)) return EvaluatorError("'score' is not finite");
  r.score = score;
  return r;
}

std::string EvalResultToJson(const EvalResult& r, bool pretty) {
  json j;
  j["outcome"] = OutcomeName(r.outcome);
  j["valid"] = r.outcome == Outcome::kOk;
  if (r.score) j["score"] = *r.score;
  j["metrics"] = r.metrics;
  j["features"] = r.features;
  j["feedback"] = r.feedback;
  j["artifacts"] = r.artifacts;
  if (!r.stage.empty()) j["stage"] = r.stage;
  j["eval_seconds"] = r.eval_seconds;
  return j.dump(pretty ? 2 : -1, ' ', false, json::error_handler_t::replace);
}

}  // namespace crucible
