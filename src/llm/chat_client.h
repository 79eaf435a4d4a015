// ChatClient: the OpenAI-compatible /v1/chat/completions protocol over an
// HttpTransport, with the retry policy of docs/llm.md:
//   * timeouts, transport errors, 429 and 5xx are retried up to
//     `max_retries` times with exponential backoff and full jitter, waiting
//     at least what a Retry-After header asks (capped by backoff_max) —
//     and so does every other request of the client until then;
//   * 400, 401, 403, 404 and other 4xx are never retried: the error names the
//     model and the endpoint;
//   * a reply that is not the expected JSON is `malformed`;
//   * an error carried in a 200 body is classified like its code;
//   * a context-length error is never retried here (context_overflow: the
//     caller shrinks the prompt), nor is an unknown model (fatal).
// Bodies are read by ParseChatBody (reply_parser.h): JSON or an event
// stream, reasoning kept apart from the answer.
// The API key goes into the Authorization header only; every error text and
// reply that leaves this class has it redacted (Redact()).
//
// Thread-safe: Complete() may be called from many threads at once.
#ifndef CRUCIBLE_LLM_CHAT_CLIENT_H_
#define CRUCIBLE_LLM_CHAT_CLIENT_H_

#include <atomic>
#include <cstdint>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "llm/http_transport.h"
#include "llm/model_spec.h"

namespace crucible {

struct ChatMessage {
  std::string role;  // system | user | assistant
  std::string content;
};

enum class ChatOutcome { kOk, kHttpError, kTimeout, kRateLimited, kMalformed, kCancelled };
std::string_view ChatOutcomeName(ChatOutcome outcome);  // matches llm_calls.outcome

struct ChatResult {
  ChatOutcome outcome = ChatOutcome::kHttpError;
  std::string text;                          // the answer (kOk), reasoning removed
  std::string reasoning;                     // the model's reasoning, never parsed as code
  std::string finish_reason;                 // "stop", "length", ...
  std::optional<int64_t> prompt_tokens;      // from usage
  std::optional<int64_t> completion_tokens;
  double latency_seconds = 0;                // all attempts and waits included
  int http_attempts = 0;
  bool retryable = true;                     // false for 4xx other than 429
  // 401, 403, 404: the endpoint, key or model is wrong; nothing will work.
  bool fatal = false;
  bool context_overflow = false;             // the prompt does not fit the model's context
  // What kind of failure, for the circuit breaker: auth | not_found |
  // client_error | timeout | transport | server_error | rate_limited |
  // malformed ('' for kOk and kCancelled).
  std::string failure_kind;
  std::string error;                         // why, when not kOk (key redacted)
};

struct ChatClientOptions {
  std::string base_url;  // e.g. http://127.0.0.1:8000/v1 (".../chat/completions" is appended)
  std::string api_key;   // may be empty (local servers)
  double timeout_seconds = 300;
  // Ask for an event stream ("stream": true, usage included) and give up on
  // a request when no byte arrived for idle_timeout_seconds (0 = never).
  bool stream = false;
  double idle_timeout_seconds = 0;
  int max_retries = 4;
  double backoff_initial_seconds = 1;
  double backoff_max_seconds = 60;

  Status Validate() const;
};

class ChatClient {
 public:
  ChatClient(ChatClientOptions options, HttpTransport& transport);

  // One chat completion (retries included). `seed` drives the jitter.
  ChatResult Complete(const ModelSpec& model, const std::vector<ChatMessage>& messages,
                      uint64_t seed, std::stop_token stop) const;

  // The request body (JSON) sent for these messages.
  static std::string RequestBody(const ModelSpec& model, const std::vector<ChatMessage>& messages,
                                 bool stream = false);

  // `text` with the API key (and any 8+ character prefix of it) replaced.
  std::string Redact(std::string text) const;
  const std::string& endpoint() const { return endpoint_; }

 private:
  // Sleeps until not_before_ (false when stopped); raises it by a wait the
  // server asked for.
  bool WaitForServer(std::stop_token stop) const;
  void HoldOff(double seconds) const;

  ChatClientOptions o_;
  HttpTransport& transport_;
  std::string endpoint_;
  // No request is sent before this (steady-clock seconds): a Retry-After
  // holds for every request of the client, not only the one retried — the
  // limit is the endpoint's, and a request that gave up after its retries
  // must not be followed by a fresh one at once.
  mutable std::atomic<double> not_before_{0};
};

}  // namespace crucible

#endif  // CRUCIBLE_LLM_CHAT_CLIENT_H_
