#include "evaluate/protocol.h"

#include <gtest/gtest.h>

namespace crucible {
namespace {

TEST(ProtocolTest, FullValidResult) {
  EvalResult r = ParseEvaluatorJson(
      R"({"score": 0.97, "valid": true, "metrics": {"excess_pct": 2.69}, "features": {"f": 3.2},
          "feedback": "fine", "artifacts": {"a.csv": "x,y"}})");
  ASSERT_EQ(r.outcome, Outcome::kOk) << r.feedback;
  EXPECT_DOUBLE_EQ(*r.score, 0.97);
  EXPECT_DOUBLE_EQ(r.metrics.at("excess_pct"), 2.69);
  EXPECT_DOUBLE_EQ(r.features.at("f"), 3.2);
  EXPECT_EQ(r.feedback, "fine");
  EXPECT_EQ(r.artifacts.at("a.csv"), "x,y");
}

TEST(ProtocolTest, InvalidResultIgnoresScore) {
  EvalResult r = ParseEvaluatorJson(R"({"score": 5, "valid": false, "feedback": "overlap"})");
  EXPECT_EQ(r.outcome, Outcome::kInvalid);
  EXPECT_FALSE(r.score.has_value());
  EXPECT_EQ(r.feedback, "overlap");
}

TEST(ProtocolTest, MalformedOutputIsEvaluatorError) {
  EXPECT_EQ(ParseEvaluatorJson("not json").outcome, Outcome::kEvaluatorError);
  EXPECT_EQ(ParseEvaluatorJson("[1,2]").feedback, "evaluator output must be a JSON object");
  EXPECT_EQ(ParseEvaluatorJson("{}").feedback, "a valid result must have a numeric 'score'");
  EXPECT_EQ(ParseEvaluatorJson(R"({"score": "high"})").feedback,
            "'score' must be a number, got string");
  EXPECT_EQ(ParseEvaluatorJson(R"({"score": 1, "valid": "yes"})").feedback,
            "'valid' must be true or false");
}

TEST(ProtocolTest, BooleansAreNotMetrics) {
  EvalResult r = ParseEvaluatorJson(R"({"score": 1, "metrics": {"timed_out": true}})");
  EXPECT_EQ(r.outcome, Outcome::kEvaluatorError);
  EXPECT_EQ(r.feedback, "'metrics.timed_out' must be a number, got boolean");
}

TEST(ProtocolTest, SelfReportedOutcome) {
  EvalResult r = ParseEvaluatorJson(R"({"outcome": "compile_error", "feedback": "x.cc:3: error"})");
  EXPECT_EQ(r.outcome, Outcome::kCompileError);
  EXPECT_EQ(r.feedback, "x.cc:3: error");
  EXPECT_EQ(ParseEvaluatorJson(R"({"outcome": "duplicate"})").outcome, Outcome::kEvaluatorError);
  EXPECT_EQ(ParseEvaluatorJson(R"({"outcome": "ok", "score": 2})").outcome, Outcome::kOk);
}

TEST(ProtocolTest, LastNonEmptyLine) {
  EXPECT_EQ(LastNonEmptyLine("log line\n{\"score\": 1}\n\n  \n"), "{\"score\": 1}");
  EXPECT_EQ(LastNonEmptyLine("only"), "only");
  EXPECT_EQ(LastNonEmptyLine("\n \n"), "");
  EXPECT_EQ(LastNonEmptyLine(""), "");
}

TEST(ProtocolTest, LongFeedbackKeepsTail) {
  std::string big(kMaxFeedbackBytes * 2, 'x');
  big += "END";
  EvalResult r = ParseEvaluatorJson(R"({"score": 1, "feedback": ")" + big + "\"}");
  EXPECT_LT(r.feedback.size(), kMaxFeedbackBytes + 100);
  EXPECT_TRUE(r.feedback.ends_with("END"));
}

TEST(ProtocolTest, JsonRoundTrip) {
  EvalResult r;
  r.outcome = Outcome::kOk;
  r.score = 1.5;
  r.metrics["m"] = 2;
  EvalResult back = ParseEvaluatorJson(EvalResultToJson(r));
  EXPECT_EQ(back.outcome, Outcome::kOk);
  EXPECT_DOUBLE_EQ(*back.score, 1.5);
  EXPECT_DOUBLE_EQ(back.metrics.at("m"), 2);
}

}  // namespace
}  // namespace crucible
