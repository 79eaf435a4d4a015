#include "propose/tune/tuner.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <regex>

namespace crucible {
namespace {

using ::testing::HasSubstr;

// "a = A\nb = B" inside a block; the evaluation scores -(a-1.3)^2 - (b-0.2)^2,
// the optimum a = 1.3, b = 0.2.
Program AbProgram(const std::string& a, const std::string& b) {
  return Program{{{"ab.py", "# EVOLVE-BLOCK-START\na = " + a + "\nb = " + b +
                                "\n# EVOLVE-BLOCK-END\n"}}};
}

double ReadVar(const std::string& text, const std::string& name) {
  std::smatch m;
  const std::regex re(name + " = ([0-9.e+-]+)");
  if (!std::regex_search(text, m, re)) return 1e9;
  return std::strtod(m[1].str().c_str(), nullptr);
}

EvalResult Score(const Program& p) {
  const double a = ReadVar(p.files[0].content, "a");
  const double b = ReadVar(p.files[0].content, "b");
  EvalResult r;
  r.outcome = Outcome::kOk;
  r.score = -(a - 1.3) * (a - 1.3) - (b - 0.2) * (b - 0.2);
  r.stage = "full";
  return r;
}

struct Counted {
  int calls = 0;
  TrainEvaluation Fn() {
    return [this](const Program& p, std::stop_token) {
      ++calls;
      return Score(p);
    };
  }
};

TEST(TunerTest, ImprovesTheConstantsWithinItsBudget) {
  const Program start = AbProgram("0.5", "0.5");
  ParsedProgram parsed(start);
  const double start_value = *Score(start).score;
  Counted counted;
  TuneOptions o;
  o.max_evaluations = 60;
  StatusOr<TuneResult> r =
      TuneConstants(parsed, start_value, Objective{}, counted.Fn(), o, 11, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->literals, 2);
  EXPECT_LE(r->evaluations, 60);
  EXPECT_EQ(r->evaluations, counted.calls);
  ASSERT_TRUE(r->improved());
  ASSERT_TRUE(r->best_value.has_value());
  EXPECT_GT(*r->best_value, start_value + 0.1);
  // The result is the program of that value, measured again.
  EXPECT_DOUBLE_EQ(*Score(r->program).score, *r->best_value);
  EXPECT_EQ(r->changes.front().line, 2);
  EXPECT_EQ(r->changes.front().from, "0.5");
}

TEST(TunerTest, SameSeedSameResult) {
  ParsedProgram parsed(AbProgram("0.5", "0.5"));
  Counted c1, c2;
  TuneOptions o;
  auto r1 = TuneConstants(parsed, -0.73, Objective{}, c1.Fn(), o, 5, {});
  auto r2 = TuneConstants(parsed, -0.73, Objective{}, c2.Fn(), o, 5, {});
  ASSERT_TRUE(r1.ok() && r2.ok());
  EXPECT_EQ(r1->program, r2->program);
  EXPECT_EQ(r1->evaluations, r2->evaluations);
}

TEST(TunerTest, MinimisingObjective) {
  ParsedProgram parsed(AbProgram("0.5", "0.5"));
  Objective cost{"score", Direction::kMinimize};
  // Minimising the score drives a and b away from the optimum.
  auto r = TuneConstants(parsed, -0.73, cost, Counted().Fn(), TuneOptions{}, 3, {});
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->improved());
  EXPECT_LT(*r->best_value, -0.73);
}

TEST(TunerTest, NothingBetterGivesTheStartBack) {
  // Already optimal: every sample is worse.
  const Program start = AbProgram("1.3", "0.2");
  ParsedProgram parsed(start);
  Counted counted;
  auto r = TuneConstants(parsed, 0.0, Objective{}, counted.Fn(), TuneOptions{}, 3, {});
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->improved());
  EXPECT_EQ(r->program, start);
  EXPECT_FALSE(r->best_value.has_value());
  EXPECT_GT(r->evaluations, 0);
}

TEST(TunerTest, FailedSamplesAreWorseThanAnyValue) {
  ParsedProgram parsed(AbProgram("0.5", "0.5"));
  int calls = 0;
  TrainEvaluation failing = [&](const Program&, std::stop_token) {
    ++calls;
    EvalResult r;
    r.outcome = Outcome::kCompileError;
    return r;
  };
  auto r = TuneConstants(parsed, -0.73, Objective{}, failing, TuneOptions{}, 3, {});
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->improved());
  EXPECT_EQ(r->evaluations, calls);
}

TEST(TunerTest, NoTunableLiteralIsInvalidArgument) {
  ParsedProgram parsed(Program{{{"x.py", "# EVOLVE-BLOCK-START\nx = y + 1\n# EVOLVE-BLOCK-END\n"}}});
  auto r = TuneConstants(parsed, 0, Objective{}, Counted().Fn(), TuneOptions{}, 3, {});
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("no tunable literal"));
}

TEST(TunerTest, StopCancels) {
  ParsedProgram parsed(AbProgram("0.5", "0.5"));
  std::stop_source source;
  int calls = 0;
  TrainEvaluation stopping = [&](const Program& p, std::stop_token) {
    if (++calls == 3) source.request_stop();
    return Score(p);
  };
  auto r = TuneConstants(parsed, -0.73, Objective{}, stopping, TuneOptions{}, 3, source.get_token());
  EXPECT_EQ(r.status().code(), StatusCode::kCancelled);
  EXPECT_EQ(calls, 3);
}

// The batches a tuning hands out: each generation's new samples at once.
struct Batched {
  std::vector<size_t> sizes;
  std::vector<std::string> keys;  // in the order the batches listed them
  int calls = 0;
  BatchTrainEvaluation Fn(bool reversed = false) {
    return [this, reversed](const std::vector<TuneSample>& samples, std::stop_token) {
      sizes.push_back(samples.size());
      std::vector<EvalResult> results(samples.size());
      // Evaluated back to front: the order of evaluation must not matter.
      for (size_t k = 0; k < samples.size(); ++k) {
        const size_t i = reversed ? samples.size() - 1 - k : k;
        ++calls;
        results[i] = Score(samples[i].program);
      }
      for (const TuneSample& s : samples) keys.push_back(s.key);
      return results;
    };
  }
};

TEST(TunerTest, BatchesAreGenerationsAndGiveTheSequentialResult) {
  ParsedProgram parsed(AbProgram("0.5", "0.5"));
  TuneOptions o;
  o.max_evaluations = 60;
  o.population = 6;
  Counted sequential;
  auto one = TuneConstants(parsed, -0.73, Objective{}, sequential.Fn(), o, 11, {});
  Batched batched;
  auto all = TuneConstantsInBatches(parsed, -0.73, Objective{}, batched.Fn(/*reversed=*/true), o, 11, {});
  ASSERT_TRUE(one.ok() && all.ok());
  EXPECT_EQ(all->program, one->program);
  EXPECT_EQ(all->evaluations, one->evaluations);
  EXPECT_EQ(all->best_value, one->best_value);
  EXPECT_EQ(batched.calls, sequential.calls);
  // Ten generations of six; a batch holds a generation's new samples (a
  // sample whose text is known is not asked again).
  ASSERT_GE(batched.sizes.size(), 2u);
  EXPECT_LE(batched.sizes.size(), 10u);
  EXPECT_EQ(batched.sizes.front(), 6u);
  for (size_t n : batched.sizes) EXPECT_LE(n, 6u);
}

TEST(TunerTest, RecordedSamplesAreCountedNotEvaluatedAgain) {
  ParsedProgram parsed(AbProgram("0.5", "0.5"));
  TuneOptions o;
  o.max_evaluations = 30;
  Batched full;
  auto uninterrupted = TuneConstantsInBatches(parsed, -0.73, Objective{}, full.Fn(), o, 4, {});
  ASSERT_TRUE(uninterrupted.ok());
  // An attempt killed in the second generation had recorded the first
  // generation and two samples of the second.
  ASSERT_GE(full.keys.size(), 9u);
  RecordedSamples recorded;
  std::vector<std::string> first_keys(full.keys.begin(), full.keys.begin() + 8);
  for (const std::string& key : first_keys) {
    // Score the recorded sample from its key (a = .., b = .. lines).
    const size_t nl = key.find('\n');
    const double a = std::stod(key.substr(0, nl));
    const double b = std::stod(key.substr(nl + 1));
    recorded[key] = -(a - 1.3) * (a - 1.3) - (b - 0.2) * (b - 0.2);
  }
  Batched resumed;
  auto again = TuneConstantsInBatches(parsed, -0.73, Objective{}, resumed.Fn(), o, 4, {}, recorded);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->program, uninterrupted->program);
  EXPECT_EQ(again->evaluations, uninterrupted->evaluations);
  EXPECT_EQ(again->best_value, uninterrupted->best_value);
  EXPECT_EQ(resumed.calls, full.calls - 8);
  for (const std::string& key : resumed.keys) {
    EXPECT_FALSE(recorded.contains(key)) << key;
  }
}

TEST(TunerTest, OptionsErrorsNameTheField) {
  TuneOptions o;
  o.population = 4;
  EXPECT_THAT(o.Validate().message(), HasSubstr("population"));
  o = TuneOptions{};
  o.max_evaluations = 3;
  EXPECT_THAT(o.Validate().message(), HasSubstr("evaluations"));
  o = TuneOptions{};
  o.sigma0 = 0;
  EXPECT_THAT(o.Validate().message(), HasSubstr("sigma0"));
}

}  // namespace
}  // namespace crucible
