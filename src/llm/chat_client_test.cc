#include "llm/chat_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>

namespace crucible {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Replies from a queue; records what it was asked.
class FakeTransport final : public HttpTransport {
 public:
  HttpResponse Post(const HttpRequest& request, std::stop_token) override {
    std::lock_guard lock(mu_);
    requests.push_back(request);
    HttpResponse r = replies.front();
    if (replies.size() > 1) replies.pop_front();
    return r;
  }
  std::deque<HttpResponse> replies;
  std::vector<HttpRequest> requests;
  std::mutex mu_;
};

HttpResponse Status(long status, std::string body = "{}", std::optional<double> retry_after = {}) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.retry_after_seconds = retry_after;
  return r;
}

std::string Reply(const std::string& text) {
  return nlohmann::json({{"choices", {{{"message", {{"role", "assistant"}, {"content", text}}},
                                       {"finish_reason", "stop"}}}},
                         {"usage", {{"prompt_tokens", 11}, {"completion_tokens", 7}}}})
      .dump();
}

ChatClientOptions Fast(std::string key = "") {
  ChatClientOptions o;
  o.base_url = "http://127.0.0.1:9/v1/";
  o.api_key = std::move(key);
  o.max_retries = 3;
  o.backoff_initial_seconds = 0.001;
  o.backoff_max_seconds = 0.01;
  return o;
}

ModelSpec Model() {
  ModelSpec m;
  m.name = "m1";
  return m;
}

TEST(ChatClient, ParsesTextAndUsageAndSendsTheKeyOnlyInTheHeader) {
  FakeTransport t;
  t.replies = {Status(200, Reply("hello"))};
  ChatClient c(Fast("sk-secret-123456789"), t);
  ChatResult r = c.Complete(Model(), {{"user", "hi"}}, 1, {});
  EXPECT_EQ(r.outcome, ChatOutcome::kOk);
  EXPECT_EQ(r.text, "hello");
  EXPECT_EQ(*r.prompt_tokens, 11);
  EXPECT_EQ(*r.completion_tokens, 7);
  ASSERT_EQ(t.requests.size(), 1u);
  EXPECT_EQ(t.requests[0].url, "http://127.0.0.1:9/v1/chat/completions");
  EXPECT_THAT(t.requests[0].body, Not(HasSubstr("sk-secret")));
  EXPECT_THAT(t.requests[0].headers, ::testing::Contains("Authorization: Bearer sk-secret-123456789"));
  auto body = nlohmann::json::parse(t.requests[0].body);
  EXPECT_EQ(body["model"], "m1");
  EXPECT_TRUE(body.contains("max_tokens"));
}

TEST(ChatClient, ReasoningModelsGetTheirParameters) {
  ModelSpec m = Model();
  m.reasoning_effort = ReasoningEffort::kHigh;
  auto body = nlohmann::json::parse(ChatClient::RequestBody(m, {{"user", "x"}}));
  EXPECT_EQ(body["reasoning_effort"], "high");
  EXPECT_TRUE(body.contains("max_completion_tokens"));
  EXPECT_FALSE(body.contains("temperature"));
}

TEST(ChatClient, RetriesRateLimitsAndServerErrorsThenSucceeds) {
  FakeTransport t;
  HttpResponse timeout;
  timeout.error = HttpResponse::Error::kTimeout;
  timeout.error_message = "Operation timed out";
  t.replies = {Status(429, "{}", 0.0), Status(503), timeout, Status(200, Reply("ok"))};
  ChatClient c(Fast(), t);
  ChatResult r = c.Complete(Model(), {{"user", "hi"}}, 1, {});
  EXPECT_EQ(r.outcome, ChatOutcome::kOk);
  EXPECT_EQ(r.http_attempts, 4);
}

TEST(ChatClient, HonoursRetryAfter) {
  FakeTransport t;
  t.replies = {Status(429, "{}", 0.2), Status(200, Reply("ok"))};
  ChatClientOptions o = Fast();
  o.backoff_max_seconds = 1;
  ChatClient c(o, t);
  ChatResult r = c.Complete(Model(), {{"user", "hi"}}, 1, {});
  EXPECT_EQ(r.outcome, ChatOutcome::kOk);
  EXPECT_GE(r.latency_seconds, 0.2);
}

TEST(ChatClient, ARetryAfterHoldsForTheNextRequestToo) {
  // The request gives up (no retries left); the next one, a new proposal's,
  // still waits what the server asked, instead of being sent at once.
  FakeTransport t;
  t.replies = {Status(429, "{}", 0.3), Status(200, Reply("ok"))};
  ChatClientOptions o = Fast();
  o.max_retries = 0;
  o.backoff_max_seconds = 1;
  ChatClient c(o, t);
  ChatResult first = c.Complete(Model(), {{"user", "hi"}}, 1, {});
  EXPECT_EQ(first.outcome, ChatOutcome::kRateLimited);
  EXPECT_LT(first.latency_seconds, 0.2);
  ChatResult next = c.Complete(Model(), {{"user", "hi"}}, 2, {});
  EXPECT_EQ(next.outcome, ChatOutcome::kOk);
  EXPECT_GE(next.latency_seconds, 0.25);
  // Capped by backoff.max like any wait.
  t.replies = {Status(429, "{}", 30.0), Status(200, Reply("ok"))};
  o.backoff_max_seconds = 0.05;
  ChatClient capped(o, t);
  capped.Complete(Model(), {{"user", "hi"}}, 3, {});
  EXPECT_LT(capped.Complete(Model(), {{"user", "hi"}}, 4, {}).latency_seconds, 1.0);
}

TEST(ChatClient, GivesUpAfterMaxRetries) {
  FakeTransport t;
  t.replies = {Status(500, "boom")};
  ChatClient c(Fast(), t);
  ChatResult r = c.Complete(Model(), {{"user", "hi"}}, 1, {});
  EXPECT_EQ(r.outcome, ChatOutcome::kHttpError);
  EXPECT_EQ(r.http_attempts, 4);
  EXPECT_THAT(r.error, HasSubstr("HTTP 500: boom (after 4 attempts)"));
}

TEST(ChatClient, NeverRetriesAuthErrorsAndRedactsTheKey) {
  FakeTransport t;
  t.replies = {Status(401, R"({"error": "Incorrect API key provided: sk-secret-12345****"})")};
  ChatClient c(Fast("sk-secret-123456789"), t);
  ChatResult r = c.Complete(Model(), {{"user", "hi"}}, 1, {});
  EXPECT_EQ(r.outcome, ChatOutcome::kHttpError);
  EXPECT_EQ(r.http_attempts, 1);
  EXPECT_TRUE(r.fatal);
  EXPECT_THAT(r.error, HasSubstr("model 'm1' at http://127.0.0.1:9/v1/chat/completions: HTTP 401"));
  EXPECT_THAT(r.error, Not(HasSubstr("sk-secret")));
  EXPECT_THAT(r.error, HasSubstr("[REDACTED]"));
}

TEST(ChatClient, MalformedRepliesAreReported) {
  for (const char* body : {"{not json", R"({"id": 1})", R"({"choices": [{"message": {}}]})"}) {
    FakeTransport t;
    t.replies = {Status(200, body)};
    ChatClient c(Fast(), t);
    ChatResult r = c.Complete(Model(), {{"user", "hi"}}, 1, {});
    EXPECT_EQ(r.outcome, ChatOutcome::kMalformed) << body;
    EXPECT_EQ(r.http_attempts, 1);
  }
}

TEST(ChatClient, StopCancelsTheBackoff) {
  FakeTransport t;
  t.replies = {Status(503)};
  ChatClientOptions o = Fast();
  o.backoff_initial_seconds = 30;
  o.backoff_max_seconds = 30;
  ChatClient c(o, t);
  std::stop_source stop;
  stop.request_stop();
  ChatResult r = c.Complete(Model(), {{"user", "hi"}}, 1, stop.get_token());
  EXPECT_NE(r.outcome, ChatOutcome::kOk);
  EXPECT_LT(r.latency_seconds, 5);
}

TEST(ChatClient, ErrorsCarriedInA200BodyAreClassifiedByTheirCode) {
  FakeTransport t;
  t.replies = {Status(200, R"({"error": {"code": 503, "message": "upstream overloaded"}})"),
               Status(200, Reply("ok"))};
  ChatClient c(Fast(), t);
  ChatResult r = c.Complete(Model(), {{"user", "hi"}}, 1, {});
  EXPECT_EQ(r.outcome, ChatOutcome::kOk);
  EXPECT_EQ(r.http_attempts, 2);
  FakeTransport t2;
  t2.replies = {Status(200, R"({"error": {"code": 401, "message": "No auth credentials found"}})")};
  ChatClient c2(Fast(), t2);
  r = c2.Complete(Model(), {{"user", "hi"}}, 1, {});
  EXPECT_TRUE(r.fatal);
  EXPECT_EQ(r.failure_kind, "auth");
  EXPECT_THAT(r.error, HasSubstr("(in an HTTP 200 reply)"));
}

TEST(ChatClient, ContextOverflowAndUnknownModelsAreNotRetried) {
  FakeTransport t;
  t.replies = {Status(400, R"({"object": "error", "message": "This model's maximum context length is 4096 tokens. However, you requested 9000 tokens", "code": 400})")};
  ChatClient c(Fast(), t);
  ChatResult r = c.Complete(Model(), {{"user", "hi"}}, 1, {});
  EXPECT_TRUE(r.context_overflow);
  EXPECT_FALSE(r.fatal);
  EXPECT_EQ(r.http_attempts, 1);
  FakeTransport t2;
  t2.replies = {Status(400, R"({"error": {"message": "Model Not Exist", "type": "invalid_request_error"}})")};
  ChatClient c2(Fast(), t2);
  r = c2.Complete(Model(), {{"user", "hi"}}, 1, {});
  EXPECT_TRUE(r.fatal);
  EXPECT_EQ(r.failure_kind, "not_found");
  EXPECT_THAT(r.error, HasSubstr("the server does not know this model"));
}

TEST(ChatClient, StreamingAsksForUsageAndReadsTheEvents) {
  FakeTransport t;
  t.replies = {Status(200,
                      "data: {\"choices\":[{\"delta\":{\"reasoning_content\":\"hmm\"}}]}\n\n"
                      "data: {\"choices\":[{\"delta\":{\"content\":\"answer\"},\"finish_reason\":\"stop\"}]}\n\n"
                      "data: [DONE]\n\n")};
  ChatClientOptions o = Fast();
  o.stream = true;
  o.idle_timeout_seconds = 30;
  ChatClient c(o, t);
  ChatResult r = c.Complete(Model(), {{"user", "hi"}}, 1, {});
  EXPECT_EQ(r.outcome, ChatOutcome::kOk);
  EXPECT_EQ(r.text, "answer");
  EXPECT_EQ(r.reasoning, "hmm");
  auto body = nlohmann::json::parse(t.requests[0].body);
  EXPECT_EQ(body["stream"], true);
  EXPECT_EQ(body["stream_options"]["include_usage"], true);
  EXPECT_EQ(t.requests[0].idle_timeout_seconds, 30);
}

}  // namespace
}  // namespace crucible
