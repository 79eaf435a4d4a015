#include "llm/reply_parser.h"

#include <gtest/gtest.h>

namespace crucible {
namespace {

using Kind = ParsedReply::Kind;

TEST(SplitThink, SeparatesClosedUnclosedAndTemplateOpenedThinkBlocks) {
  std::string answer, reasoning;
  SplitThink("<think>\ndraft A\n</think>\n\nfinal B", answer, reasoning);
  EXPECT_EQ(answer, "final B");
  EXPECT_EQ(reasoning, "\ndraft A\n");
  SplitThink("<think>still thinking about ```code``` when cut", answer, reasoning);
  EXPECT_EQ(answer, "");
  EXPECT_EQ(reasoning, "still thinking about ```code``` when cut");
  SplitThink("the template opened it\n</think>\nanswer", answer, reasoning);  // DeepSeek-R1
  EXPECT_EQ(answer, "answer");
  EXPECT_EQ(reasoning, "the template opened it\n");
  SplitThink("plain answer", answer, reasoning);
  EXPECT_EQ(answer, "plain answer");
  EXPECT_EQ(reasoning, "");
}

TEST(ParseChatBody, JsonWithReasoningFieldsAndLeadingKeepAliveLines) {
  ParsedReply r = ParseChatBody(
      "\n\n\n{\"choices\":[{\"finish_reason\":\"stop\",\"message\":{\"content\":\"A\","
      "\"reasoning_content\":\"R\"}}],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4}}");
  ASSERT_EQ(r.kind, Kind::kReply) << r.error;
  EXPECT_EQ(r.answer, "A");
  EXPECT_EQ(r.reasoning, "R");
  EXPECT_EQ(*r.completion_tokens, 4);
  r = ParseChatBody(R"({"choices":[{"finish_reason":"length","message":{"content":"","reasoning":"O"}}]})");
  ASSERT_EQ(r.kind, Kind::kReply);
  EXPECT_EQ(r.reasoning, "O");
  EXPECT_EQ(r.finish_reason, "length");
  EXPECT_FALSE(r.prompt_tokens);
}

TEST(ParseChatBody, EventStreamsWithCommentsDeltasUsageAndDone) {
  const char* body =
      ": OPENROUTER PROCESSING\n\n"
      "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"reasoning\":\"th\"}}]}\n\n"
      "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"<think>x</think>he\"}}]}\r\n\r\n"
      "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"llo\"},\"finish_reason\":\"stop\"}]}\n\n"
      "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":6}}\n\n"
      "data: [DONE]\n\n";
  ParsedReply r = ParseChatBody(body);
  ASSERT_EQ(r.kind, Kind::kReply) << r.error;
  EXPECT_TRUE(r.streamed);
  EXPECT_EQ(r.answer, "hello");
  EXPECT_EQ(r.reasoning, "th\nx");
  EXPECT_EQ(r.finish_reason, "stop");
  EXPECT_EQ(*r.prompt_tokens, 5);
}

TEST(ParseChatBody, CutStreamsAreMalformedAndErrorsInBodiesAreErrors) {
  EXPECT_EQ(ParseChatBody("data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n").kind,
            Kind::kMalformed);
  ParsedReply r = ParseChatBody("data: {\"error\":{\"message\":\"upstream died\",\"code\":502}}\n\n");
  EXPECT_EQ(r.kind, Kind::kError);
  EXPECT_EQ(r.error_code, 502);
  r = ParseChatBody(R"({"object":"error","message":"This model's maximum context length is 4096 tokens.","type":"BadRequestError","code":400})");
  EXPECT_EQ(r.kind, Kind::kError);
  EXPECT_EQ(r.error_code, 400);
  EXPECT_TRUE(IsContextOverflow(r.error));
  r = ParseChatBody(R"({"error":{"message":"x","type":"invalid_request_error","code":"context_length_exceeded"}})");
  EXPECT_EQ(r.kind, Kind::kError);
  EXPECT_TRUE(IsContextOverflow(r.error));
  EXPECT_EQ(ParseChatBody(R"({"id": 1})").kind, Kind::kMalformed);
}

TEST(ParseChatBody, OpenRoutersMidGenerationErrorIsAnErrorNotAReply) {
  // As OpenRouter documents it: some content, then a chunk holding both an
  // error and a choice with finish_reason "error".
  ParsedReply r = ParseChatBody(
      ": OPENROUTER PROCESSING\n\n"
      "data: {\"choices\":[{\"delta\":{\"content\":\"Tune the\"},\"finish_reason\":null}]}\n\n"
      "data: {\"error\":{\"code\":502,\"message\":\"Provider returned error\"},"
      "\"choices\":[{\"delta\":{\"content\":\"\"},\"finish_reason\":\"error\"}]}\n\n");
  EXPECT_EQ(r.kind, Kind::kError);
  EXPECT_EQ(r.error_code, 502);
  EXPECT_EQ(r.error, "Provider returned error");
  // The same beside a choice in a whole body, and finish_reason "error" alone.
  r = ParseChatBody(R"({"error":{"code":502,"message":"down"},"choices":[{"message":{"content":"x"},"finish_reason":"error"}]})");
  EXPECT_EQ(r.kind, Kind::kError);
  EXPECT_EQ(r.error_code, 502);
  r = ParseChatBody(R"({"choices":[{"message":{"content":"x"},"finish_reason":"error"}]})");
  EXPECT_EQ(r.kind, Kind::kError);
  r = ParseChatBody("data: {\"choices\":[{\"delta\":{\"content\":\"x\"},\"finish_reason\":\"error\"}]}\n\n"
                    "data: [DONE]\n\n");
  EXPECT_EQ(r.kind, Kind::kError);
  // A null error is no error.
  r = ParseChatBody(R"({"error":null,"choices":[{"message":{"content":"x"},"finish_reason":"stop"}]})");
  EXPECT_EQ(r.kind, Kind::kReply);
  EXPECT_EQ(r.answer, "x");
}

TEST(ErrorWordings, OverflowAndUnknownModel) {
  EXPECT_TRUE(IsContextOverflow(
      "the request exceeds the available context size. try increasing the context size"));
  EXPECT_TRUE(IsContextOverflow("request (4390 tokens) exceeds the available context size (4096 tokens)"));
  EXPECT_FALSE(IsContextOverflow("Incorrect API key provided"));
  EXPECT_TRUE(IsUnknownModel("Model Not Exist"));
  EXPECT_TRUE(IsUnknownModel("model \"qwen9\" not found, try pulling it first"));
  EXPECT_TRUE(IsUnknownModel("The model `x` does not exist."));
  // OpenRouter-like proxies (HTTP 400).
  EXPECT_TRUE(IsUnknownModel("meta-llama/llama-9 is not a valid model ID"));
  EXPECT_FALSE(IsUnknownModel("rate limited"));
}

}  // namespace
}  // namespace crucible
