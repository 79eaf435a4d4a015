#include "search/parameter_space.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace crucible {
namespace {

using ::testing::HasSubstr;

Parameter Num(std::string name, ParameterKind kind, double low, double high, bool log = false) {
  Parameter p;
  p.name = std::move(name);
  p.kind = kind;
  p.low = low;
  p.high = high;
  p.log = log;
  return p;
}

Parameter Choice(std::string name, std::vector<std::string> choices) {
  Parameter p;
  p.name = std::move(name);
  p.kind = ParameterKind::kCategorical;
  p.choices = std::move(choices);
  return p;
}

ParameterValue Number(double v) {
  ParameterValue out;
  out.number = v;
  return out;
}

ParameterSpace Space() {
  Parameter mode = Choice("mode", {"fast", "safe", "lazy"});
  mode.default_value = ParameterValue();
  mode.default_value->text = "safe";
  return ParameterSpace({Num("alpha", ParameterKind::kFloat, -1, 3),
                         Num("lr", ParameterKind::kFloat, 1e-4, 1, /*log=*/true),
                         Num("k", ParameterKind::kInt, 2, 5), mode});
}

TEST(ParameterSpaceTest, DecodeMapsEachKind) {
  ParameterSpace s = Space();
  ASSERT_TRUE(s.Validate().ok());
  std::vector<ParameterValue> v = s.Decode({0.25, 0.5, 0.99, 0.34});
  EXPECT_DOUBLE_EQ(v[0].number, 0.0);
  EXPECT_NEAR(v[1].number, 1e-2, 1e-12);  // geometric middle
  EXPECT_EQ(v[2].number, 5);
  EXPECT_EQ(v[3].text, "safe");
  // The ends of the box stay inside the ranges; out-of-box points clamp.
  v = s.Decode({1.0, 1.0, 1.0, 1.0});
  EXPECT_EQ(v[2].number, 5);
  EXPECT_EQ(v[3].text, "lazy");
  v = s.Decode({-3, 7, 0, 0});
  EXPECT_EQ(v[0].number, -1);
  EXPECT_EQ(v[1].number, 1);
  EXPECT_EQ(v[2].number, 2);
  EXPECT_EQ(v[3].text, "fast");
}

TEST(ParameterSpaceTest, IntegersAndChoicesOwnEqualCells) {
  ParameterSpace s = Space();
  std::map<double, int> ints;
  std::map<std::string, int> modes;
  for (int i = 0; i < 1200; ++i) {
    const double u = (i + 0.5) / 1200;
    std::vector<ParameterValue> v = s.Decode({0, 0, u, u});
    ++ints[v[2].number];
    ++modes[v[3].text];
  }
  EXPECT_EQ(ints, (std::map<double, int>{{2, 300}, {3, 300}, {4, 300}, {5, 300}}));
  EXPECT_EQ(modes, (std::map<std::string, int>{{"fast", 400}, {"safe", 400}, {"lazy", 400}}));
}

TEST(ParameterSpaceTest, EncodeThenDecodeGivesTheValuesBack) {
  ParameterSpace s = Space();
  std::vector<ParameterValue> d = s.Defaults();
  EXPECT_DOUBLE_EQ(d[0].number, 1);
  EXPECT_EQ(d[2].number, 3);  // floor of the middle of [2, 5]
  EXPECT_EQ(d[3].text, "safe");
  std::vector<ParameterValue> back = s.Decode(s.Encode(d));
  EXPECT_DOUBLE_EQ(back[0].number, d[0].number);
  EXPECT_NEAR(back[1].number, d[1].number, 1e-12);
  EXPECT_EQ(back[2], d[2]);
  EXPECT_EQ(back[3], d[3]);
}

TEST(ParameterSpaceTest, ValuesJsonRoundTripsInDeclarationOrder) {
  ParameterSpace s = Space();
  std::vector<ParameterValue> v = s.Decode({0.123456789, 0.3, 0.6, 0.9});
  const std::string text = s.ValuesToJson(v);
  EXPECT_EQ(text.find("\"alpha\""), 1u);
  EXPECT_THAT(text, HasSubstr("\"k\": 4"));  // an int prints without a fraction
  StatusOr<std::vector<ParameterValue>> back = s.ValuesFromJson(text);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, v);  // exact, doubles included
}

TEST(ParameterSpaceTest, ValuesFromJsonNamesTheField) {
  ParameterSpace s = Space();
  auto err = [&](const std::string& text) { return s.ValuesFromJson(text).status().message(); };
  EXPECT_EQ(err(R"({"alpha": 0, "lr": 0.1, "k": 3})"), "parameters.mode: missing");
  EXPECT_EQ(err(R"({"alpha": 9, "lr": 0.1, "k": 3, "mode": "fast"})"),
            "parameters.alpha: 9 is outside [-1, 3]");
  EXPECT_EQ(err(R"({"alpha": 0, "lr": 0.1, "k": 3.5, "mode": "fast"})"),
            "parameters.k: must be an integer (got 3.5)");
  EXPECT_EQ(err(R"({"alpha": 0, "lr": 0.1, "k": 3, "mode": "slow"})"),
            "parameters.mode: 'slow' is not one of the choices");
  EXPECT_EQ(err(R"({"alpha": 0, "lr": 0.1, "k": 3, "mode": "fast", "x": 1})"),
            "parameters.x: not a declared parameter");
  EXPECT_EQ(err("[1]"), "parameters: expected a JSON object of values");
}

TEST(ParameterSpaceTest, ValidateNamesTheField) {
  auto err = [](Parameter p) { return ParameterSpace({p}).Validate().message(); };
  EXPECT_EQ(err(Num("a", ParameterKind::kFloat, 2, 1)),
            "parameters.a.high: must be greater than low (got low 2, high 1)");
  EXPECT_EQ(err(Num("a", ParameterKind::kFloat, 0, 1, /*log=*/true)),
            "parameters.a.low: a log-scaled parameter needs low > 0 (got 0)");
  EXPECT_EQ(err(Num("n", ParameterKind::kInt, 0.5, 3)),
            "parameters.n.low: an int parameter's bounds must be integers");
  EXPECT_EQ(err(Choice("c", {"x"})), "parameters.c.choices: needs at least two");
  EXPECT_EQ(err(Choice("c", {"x", "y", "x"})), "parameters.c.choices: 'x' is listed twice");
  Parameter d = Num("a", ParameterKind::kFloat, 0, 1);
  d.default_value = Number(2);
  EXPECT_EQ(err(d), "parameters.a.default: 2 is outside [0, 1]");
  const Parameter a = Num("a", ParameterKind::kFloat, 0, 1);
  EXPECT_EQ(ParameterSpace({a, a}).Validate().message(), "parameters.a: declared twice");
}

TEST(ParameterSpaceTest, SpaceJsonRoundTrips) {
  ParameterSpace s = Space();
  StatusOr<ParameterSpace> back = ParameterSpace::FromJson(s.ToJson());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->ToJson(), s.ToJson());
  EXPECT_EQ(back->parameters()[3].default_value->text, "safe");
  EXPECT_TRUE(back->parameters()[1].log);
}

}  // namespace
}  // namespace crucible
