#include "llm/chat_client.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <mutex>
#include <nlohmann/json.hpp>

#include "core/rng.h"

namespace crucible {
namespace {

using nlohmann::json;

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Sleeps `seconds` unless `stop` fires first; false when stopped.
bool SleepFor(double seconds, std::stop_token stop) {
  std::mutex mu;
  std::condition_variable_any cv;
  std::unique_lock lock(mu);
  return !cv.wait_for(lock, stop, std::chrono::duration<double>(seconds), [] { return false; });
}

std::string Snippet(std::string_view body) {
  std::string s(body.substr(0, 300));
  std::replace(s.begin(), s.end(), '\n', ' ');
  return body.size() > 300 ? s + "..." : s;
}

}  // namespace

std::string_view ChatOutcomeName(ChatOutcome outcome) {
  switch (outcome) {
    case ChatOutcome::kOk: return "ok";
    case ChatOutcome::kHttpError: return "http_error";
    case ChatOutcome::kTimeout: return "timeout";
    case ChatOutcome::kRateLimited: return "rate_limited";
    case ChatOutcome::kMalformed: return "malformed_response";
    case ChatOutcome::kCancelled: return "cancelled";
  }
  return "unknown";
}

Status ChatClientOptions::Validate() const {
  if (base_url.rfind("http://", 0) != 0 && base_url.rfind("https://", 0) != 0) {
    return InvalidArgumentError(
        fmt::format("llm.base_url: must start with http:// or https:// (got '{}')", base_url));
  }
  if (timeout_seconds <= 0) return InvalidArgumentError("llm.timeout: must be > 0 seconds");
  if (max_retries < 0) return InvalidArgumentError("llm.retries: must be >= 0");
  if (backoff_initial_seconds < 0 || backoff_max_seconds < backoff_initial_seconds) {
    return InvalidArgumentError("llm.backoff: need 0 <= initial <= max");
  }
  return Status::Ok();
}

ChatClient::ChatClient(ChatClientOptions options, HttpTransport& transport)
    : o_(std::move(options)), transport_(transport) {
  std::string base = o_.base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  endpoint_ = base + "/chat/completions";
}

std::string ChatClient::RequestBody(const ModelSpec& model, const std::vector<ChatMessage>& messages) {
  json msgs = json::array();
  for (const ChatMessage& m : messages) msgs.push_back({{"role", m.role}, {"content", m.content}});
  json body = {{"model", model.name}, {"messages", msgs}};
  if (model.reasoning_effort == ReasoningEffort::kNone) {
    body["temperature"] = model.temperature;
    body["max_tokens"] = model.max_tokens;
  } else {
    body["reasoning_effort"] = ReasoningEffortName(model.reasoning_effort);
    body["max_completion_tokens"] = model.max_tokens;
  }
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

bool ChatClient::ParseReply(std::string_view body, ChatResult& r) {
  const json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    r.error = "the reply is not JSON: " + Snippet(body);
    return false;
  }
  if (const auto u = j.find("usage"); u != j.end() && u->is_object()) {
    if (u->contains("prompt_tokens") && (*u)["prompt_tokens"].is_number_integer()) {
      r.prompt_tokens = (*u)["prompt_tokens"].get<int64_t>();
    }
    if (u->contains("completion_tokens") && (*u)["completion_tokens"].is_number_integer()) {
      r.completion_tokens = (*u)["completion_tokens"].get<int64_t>();
    }
  }
  const auto choices = j.find("choices");
  if (choices == j.end() || !choices->is_array() || choices->empty() ||
      !(*choices)[0].is_object()) {
    r.error = "the reply has no choices: " + Snippet(body);
    return false;
  }
  const json& c = (*choices)[0];
  if (c.contains("finish_reason") && c["finish_reason"].is_string()) {
    r.finish_reason = c["finish_reason"].get<std::string>();
  }
  const auto msg = c.find("message");
  if (msg == c.end() || !msg->is_object() || !msg->contains("content") ||
      !((*msg)["content"].is_string() || (*msg)["content"].is_null())) {
    r.error = "the reply's first choice has no message content: " + Snippet(body);
    return false;
  }
  r.text = (*msg)["content"].is_string() ? (*msg)["content"].get<std::string>() : "";
  return true;
}

std::string ChatClient::Redact(std::string text) const {
  const std::string& key = o_.api_key;
  if (key.size() < 8) {
    if (!key.empty()) {
      for (size_t p; (p = text.find(key)) != std::string::npos;) text.replace(p, key.size(), "[REDACTED]");
    }
    return text;
  }
  for (size_t len = key.size(); len >= 8; --len) {
    const std::string_view part(key.data(), len);
    for (size_t p; (p = text.find(part)) != std::string::npos;) text.replace(p, len, "[REDACTED]");
  }
  return text;
}

ChatResult ChatClient::Complete(const ModelSpec& model, const std::vector<ChatMessage>& messages,
                                uint64_t seed, std::stop_token stop) const {
  HttpRequest req;
  req.url = endpoint_;
  req.headers = {"Content-Type: application/json", "Accept: application/json"};
  if (!o_.api_key.empty()) req.headers.push_back("Authorization: Bearer " + o_.api_key);
  req.body = RequestBody(model, messages);
  req.timeout_seconds = o_.timeout_seconds;
  Rng jitter(seed);
  const double t0 = Now();
  ChatResult r;
  const std::string where = fmt::format("model '{}' at {}", model.name, endpoint_);
  for (int attempt = 0;; ++attempt) {
    r = ChatResult{};
    r.http_attempts = attempt + 1;
    const HttpResponse h = transport_.Post(req, stop);
    std::optional<double> wait_at_least;
    if (h.error == HttpResponse::Error::kCancelled) {
      r.outcome = ChatOutcome::kCancelled;
      r.error = "cancelled";
    } else if (h.error == HttpResponse::Error::kTimeout) {
      r.outcome = ChatOutcome::kTimeout;
      r.error = fmt::format("{}: no reply within {:g} s ({})", where, o_.timeout_seconds, h.error_message);
    } else if (h.error == HttpResponse::Error::kTransport) {
      r.outcome = ChatOutcome::kHttpError;
      r.error = fmt::format("{}: {}", where, h.error_message);
    } else if (h.status == 429) {
      r.outcome = ChatOutcome::kRateLimited;
      r.error = fmt::format("{}: HTTP 429 (rate limited)", where);
      wait_at_least = h.retry_after_seconds;
    } else if (h.status >= 500) {
      r.outcome = ChatOutcome::kHttpError;
      r.error = fmt::format("{}: HTTP {}: {}", where, h.status, Snippet(h.body));
      wait_at_least = h.retry_after_seconds;
    } else if (h.status >= 400 || h.status < 200 || h.status >= 300) {
      r.outcome = ChatOutcome::kHttpError;
      r.retryable = false;
      r.fatal = h.status == 401 || h.status == 403 || h.status == 404;
      const char* hint = h.status == 401 || h.status == 403 ? " (check the API key variable)"
                         : h.status == 404                  ? " (check llm.base_url and the model name)"
                                                            : "";
      r.error = fmt::format("{}: HTTP {}{}: {}", where, h.status, hint, Snippet(h.body));
    } else if (!ParseReply(h.body, r)) {
      r.outcome = ChatOutcome::kMalformed;
      r.error = where + ": " + r.error;
    } else {
      r.outcome = ChatOutcome::kOk;
    }
    const bool retry = r.outcome != ChatOutcome::kOk && r.outcome != ChatOutcome::kCancelled &&
                       r.outcome != ChatOutcome::kMalformed && r.retryable &&
                       attempt < o_.max_retries && !stop.stop_requested();
    if (!retry) break;
    // Full jitter: uniform in [0, min(max, initial * 2^attempt)].
    const double cap = std::min(o_.backoff_max_seconds,
                                o_.backoff_initial_seconds * std::ldexp(1.0, attempt));
    double wait = jitter.UniformDouble() * cap;
    if (wait_at_least) wait = std::max(wait, std::min(*wait_at_least, o_.backoff_max_seconds));
    if (!SleepFor(wait, stop)) {
      r.outcome = ChatOutcome::kCancelled;
      r.error = "cancelled";
      break;
    }
  }
  if (r.outcome != ChatOutcome::kOk && r.http_attempts > 1) {
    r.error += fmt::format(" (after {} attempts)", r.http_attempts);
  }
  r.latency_seconds = Now() - t0;
  r.error = Redact(std::move(r.error));
  r.text = Redact(std::move(r.text));
  return r;
}

}  // namespace crucible
