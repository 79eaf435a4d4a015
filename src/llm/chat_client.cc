#include "llm/chat_client.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <mutex>
#include <nlohmann/json.hpp>

#include "core/rng.h"
#include "llm/reply_parser.h"

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

bool ChatClient::WaitForServer(std::stop_token stop) const {
  const double wait = not_before_.load() - Now();
  return wait <= 0 || SleepFor(wait, stop);
}

void ChatClient::HoldOff(double seconds) const {
  const double until = Now() + seconds;
  double was = not_before_.load();
  while (was < until && !not_before_.compare_exchange_weak(was, until)) {
  }
}

ChatClient::ChatClient(ChatClientOptions options, HttpTransport& transport)
    : o_(std::move(options)), transport_(transport) {
  std::string base = o_.base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  endpoint_ = base + "/chat/completions";
}

std::string ChatClient::RequestBody(const ModelSpec& model, const std::vector<ChatMessage>& messages,
                                    bool stream) {
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
  if (stream) {
    body["stream"] = true;
    body["stream_options"] = {{"include_usage", true}};
  }
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
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

namespace {

// Classifies an HTTP error status (or the code an error body carries) into
// `r`; `wait_at_least` gets what Retry-After asked.
void ClassifyError(long status, std::string_view detail, const std::string& where, ChatResult& r) {
  r.outcome = ChatOutcome::kHttpError;
  if (status != 429 && IsContextOverflow(detail)) {
    r.context_overflow = true;
    r.retryable = false;
    r.failure_kind = "client_error";
    r.error = fmt::format("{}: the prompt does not fit the model's context (HTTP {}): {}", where,
                          status, Snippet(detail));
    return;
  }
  if (status == 429 && detail.find("insufficient_quota") == std::string_view::npos) {
    r.outcome = ChatOutcome::kRateLimited;
    r.failure_kind = "rate_limited";
    r.error = fmt::format("{}: HTTP 429 (rate limited): {}", where, Snippet(detail));
    return;
  }
  if (status >= 500 || status == 408 || status == 0) {
    r.failure_kind = "server_error";
    r.error = fmt::format("{}: HTTP {}: {}", where, status, Snippet(detail));
    return;
  }
  r.retryable = false;
  const bool auth = status == 401 || status == 403;
  const bool unknown_model = status == 404 || IsUnknownModel(detail);
  r.fatal = auth || unknown_model || status == 402 || status == 429;
  r.failure_kind = auth ? "auth" : unknown_model ? "not_found" : "client_error";
  const char* hint = auth                           ? " (check the API key variable)"
                     : status == 404                ? " (check llm.base_url and the model name)"
                     : unknown_model                ? " (the server does not know this model)"
                     : status == 402 || status == 429 ? " (the account's credit or quota is spent)"
                                                    : "";
  r.error = fmt::format("{}: HTTP {}{}: {}", where, status, hint, Snippet(detail));
}

}  // namespace

ChatResult ChatClient::Complete(const ModelSpec& model, const std::vector<ChatMessage>& messages,
                                uint64_t seed, std::stop_token stop) const {
  HttpRequest req;
  req.url = endpoint_;
  req.headers = {"Content-Type: application/json",
                 o_.stream ? "Accept: text/event-stream" : "Accept: application/json"};
  if (!o_.api_key.empty()) req.headers.push_back("Authorization: Bearer " + o_.api_key);
  req.body = RequestBody(model, messages, o_.stream);
  req.timeout_seconds = o_.timeout_seconds;
  req.idle_timeout_seconds = o_.idle_timeout_seconds;
  Rng jitter(seed);
  const double t0 = Now();
  ChatResult r;
  const std::string where = fmt::format("model '{}' at {}", model.name, endpoint_);
  for (int attempt = 0;; ++attempt) {
    r = ChatResult{};
    r.http_attempts = attempt + 1;
    if (!WaitForServer(stop)) {
      r.outcome = ChatOutcome::kCancelled;
      r.error = "cancelled";
      break;
    }
    const HttpResponse h = transport_.Post(req, stop);
    if (h.retry_after_seconds) HoldOff(std::min(*h.retry_after_seconds, o_.backoff_max_seconds));
    if (h.error == HttpResponse::Error::kCancelled) {
      r.outcome = ChatOutcome::kCancelled;
      r.error = "cancelled";
    } else if (h.error == HttpResponse::Error::kTimeout) {
      r.outcome = ChatOutcome::kTimeout;
      r.failure_kind = "timeout";
      r.error = fmt::format("{}: no reply within {:g} s ({})", where, o_.timeout_seconds, h.error_message);
    } else if (h.error == HttpResponse::Error::kTransport) {
      r.outcome = ChatOutcome::kHttpError;
      r.failure_kind = "transport";
      r.error = fmt::format("{}: {}", where, h.error_message);
    } else if (h.status < 200 || h.status >= 300) {
      ClassifyError(h.status, h.body, where, r);
    } else {
      const ParsedReply p = ParseChatBody(h.body);
      if (p.kind == ParsedReply::Kind::kReply) {
        r.outcome = ChatOutcome::kOk;
        r.text = p.answer;
        r.reasoning = p.reasoning;
        r.finish_reason = p.finish_reason;
        r.prompt_tokens = p.prompt_tokens;
        r.completion_tokens = p.completion_tokens;
      } else if (p.kind == ParsedReply::Kind::kError) {  // 200 carrying an error
        ClassifyError(p.error_code, p.error, where, r);
        r.error += " (in an HTTP 200 reply)";
      } else {
        r.outcome = ChatOutcome::kMalformed;
        r.failure_kind = "malformed";
        r.error = where + ": " + p.error;
      }
    }
    const bool retry = r.outcome != ChatOutcome::kOk && r.outcome != ChatOutcome::kCancelled &&
                       r.outcome != ChatOutcome::kMalformed && r.retryable &&
                       attempt < o_.max_retries && !stop.stop_requested();
    if (!retry) break;
    // Full jitter: uniform in [0, min(max, initial * 2^attempt)].
    const double cap = std::min(o_.backoff_max_seconds,
                                o_.backoff_initial_seconds * std::ldexp(1.0, attempt));
    // (A Retry-After is waited for by WaitForServer before the next attempt.)
    if (!SleepFor(jitter.UniformDouble() * cap, stop)) {
      r.outcome = ChatOutcome::kCancelled;
      r.error = "cancelled";
      r.failure_kind.clear();
      break;
    }
  }
  if (r.outcome != ChatOutcome::kOk && r.http_attempts > 1) {
    r.error += fmt::format(" (after {} attempts)", r.http_attempts);
  }
  r.latency_seconds = Now() - t0;
  r.error = Redact(std::move(r.error));
  r.text = Redact(std::move(r.text));
  r.reasoning = Redact(std::move(r.reasoning));
  return r;
}

}  // namespace crucible
