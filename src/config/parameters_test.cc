#include "config/parameters.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace crucible {
namespace {

using ::testing::StartsWith;

Status Read(const std::string& yaml, SearchOptions* out = nullptr) {
  YamlReader r("/p/problem.yaml");
  SearchOptions o;
  ReadSearchSections(r, YAML::Load(yaml), o);
  if (out) *out = o;
  return r.status();
}

TEST(ParametersConfigTest, ReadsEveryKindInDeclarationOrder) {
  SearchOptions o;
  Status s = Read(R"(
parameters:
  zeta: {type: float, low: -1, high: 1, default: 0.25}
  lr: {type: float, low: 1e-4, high: 1, log: true}
  k: {type: int, low: 1, high: 8, default: 3}
  mode: {type: categorical, choices: [fast, safe], default: safe}
search: {strategy: de, population: 12}
)", &o);
  ASSERT_TRUE(s.ok()) << s.ToString();
  const auto& p = o.parameters.parameters();
  ASSERT_EQ(p.size(), 4u);
  EXPECT_EQ(p[0].name, "zeta");  // not sorted
  EXPECT_EQ(p[0].default_value->number, 0.25);
  EXPECT_TRUE(p[1].log);
  EXPECT_EQ(p[1].low, 1e-4);
  EXPECT_EQ(p[2].kind, ParameterKind::kInt);
  EXPECT_EQ(p[3].choices, (std::vector<std::string>{"fast", "safe"}));
  EXPECT_EQ(p[3].default_value->text, "safe");
  EXPECT_EQ(o.strategy, StrategyKind::kDe);
  EXPECT_EQ(o.population, 12);
  // Frozen and back, through the same reader (JSON is YAML), in order.
  StatusOr<SearchOptions> back = SearchOptions::FromJson(o.ToJson());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->ToJson(), o.ToJson());
  SearchOptions thawed;
  ASSERT_TRUE(Read(SearchSectionsJson(o), &thawed).ok()) << SearchSectionsJson(o);
  EXPECT_EQ(thawed.ToJson(), o.ToJson());
  EXPECT_EQ(thawed.parameters.parameters()[0].name, "zeta");
  EXPECT_EQ(SearchSectionsJson(SearchOptions()), "");
}

TEST(ParametersConfigTest, ReadsTheProxyAndFreezesItOnlyWhenOn) {
  const std::string space = "parameters: {k: {type: int, low: 0, high: 3}}\n";
  SearchOptions o;
  ASSERT_TRUE(Read(space + "search: {strategy: cmaes, proxy: {screen: 4, warmup: 15}}", &o).ok());
  EXPECT_EQ(o.proxy.screen, 4);
  EXPECT_EQ(o.proxy.warmup, 15);
  EXPECT_THAT(SearchSectionsJson(o), ::testing::HasSubstr(R"("proxy": {"screen": 4, "warmup": 15})"));
  SearchOptions thawed;
  ASSERT_TRUE(Read(SearchSectionsJson(o), &thawed).ok()) << SearchSectionsJson(o);
  EXPECT_EQ(thawed.proxy.screen, 4);
  StatusOr<SearchOptions> back = SearchOptions::FromJson(o.ToJson());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->proxy.warmup, 15);
  // Off: absent from both frozen forms, so runs without it freeze as before.
  SearchOptions off;
  ASSERT_TRUE(Read(space + "search: {strategy: cmaes, proxy: null}", &off).ok());
  EXPECT_FALSE(off.proxy.enabled());
  EXPECT_THAT(SearchSectionsJson(off), ::testing::Not(::testing::HasSubstr("proxy")));
  EXPECT_THAT(off.ToJson(), ::testing::Not(::testing::HasSubstr("proxy")));
  EXPECT_EQ(o.proxy.EffectiveWarmup(3), 15);
  EXPECT_EQ(off.proxy.EffectiveWarmup(3), 10);
  EXPECT_EQ(off.proxy.EffectiveWarmup(8), 16);
}

TEST(ParametersConfigTest, ProxyErrorsNameTheField) {
  const std::string space = "parameters: {k: {type: int, low: 0, high: 3}}\n";
  auto err = [&](const std::string& search) { return Read(space + search).message(); };
  EXPECT_THAT(err("search: {proxy: {screen: 1}}"), StartsWith("/p/problem.yaml: search.proxy.screen: "));
  EXPECT_THAT(err("search: {proxy: {screen: 101}}"), StartsWith("/p/problem.yaml: search.proxy.screen: "));
  EXPECT_EQ(err("search: {proxy: {warmup: 3}}"),
            "/p/problem.yaml: search.proxy.screen: missing (how many asks per evaluation, 2..100)");
  EXPECT_THAT(err("search: {proxy: {screen: 4, warmup: -1}}"),
              StartsWith("/p/problem.yaml: search.proxy.warmup: "));
  EXPECT_THAT(err("search: {proxy: {screen: 4, model: knn}}"),
              StartsWith("/p/problem.yaml: search.proxy.model: unknown"));
  EXPECT_THAT(err("search: {proxy: 4}"), StartsWith("/p/problem.yaml: search.proxy: "));
  ProxyOptions p;
  p.screen = 1;
  EXPECT_EQ(p.Validate().message(), "search.proxy.screen: must be 0 (off) or 2..100 (got 1)");
}

TEST(ParametersConfigTest, AbsentSectionsLeaveTheDefaults) {
  SearchOptions o;
  ASSERT_TRUE(Read("name: x\n", &o).ok());
  EXPECT_TRUE(o.parameters.empty());
  EXPECT_EQ(o.strategy, StrategyKind::kCmaes);
}

TEST(ParametersConfigTest, ErrorsNameFileAndField) {
  auto err = [](const std::string& yaml) { return Read(yaml).message(); };
  EXPECT_EQ(err("parameters: {k: {type: int, low: 4, high: 2}}"),
            "/p/problem.yaml: parameters.k.high: must be greater than low (got low 4, high 2)");
  EXPECT_EQ(err("parameters: {k: {low: 0, high: 2}}"),
            "/p/problem.yaml: parameters.k.type: missing (float, int or categorical)");
  EXPECT_THAT(err("parameters: {k: {type: integer, low: 0, high: 2}}"),
              StartsWith("/p/problem.yaml: parameters.k.type: must be o"));
  EXPECT_EQ(err("parameters: {k: {type: float, low: 0}}"),
            "/p/problem.yaml: parameters.k: needs low and high");
  EXPECT_THAT(err("parameters: {k: {type: float, low: 0, high: 1, step: 2}}"),
              StartsWith("/p/problem.yaml: parameters.k.step: unknown"));
  EXPECT_EQ(err("parameters: {c: {type: categorical, choices: [a, b], default: z}}"),
            "/p/problem.yaml: parameters.c.default: 'z' is not one of the choices");
  EXPECT_EQ(err("parameters: {c: {type: categorical, low: 0, choices: [a, b]}}"),
            "/p/problem.yaml: parameters.c: a categorical parameter has choices, not low/high");
  EXPECT_EQ(err("parameters: {k: {type: int, low: 0, high: 3, log: true}}"),
            "/p/problem.yaml: parameters.k.log: only a float may be log-scaled");
  EXPECT_EQ(err("parameters: {}"), "/p/problem.yaml: parameters: declares no parameter");
  EXPECT_THAT(err("parameters: {k: {type: int, low: 0, high: 3}}\nsearch: {strategy: hill}"),
              StartsWith("/p/problem.yaml: search.strategy: must be o"));
  EXPECT_EQ(err("parameters: [{type: int, low: 0, high: 3}]"),
            "/p/problem.yaml: parameters[0]: needs a name");
  EXPECT_EQ(err("search: {strategy: de}"),
            "/p/problem.yaml: search: needs a `parameters:` section to search");
  EXPECT_EQ(err("parameters: {k: {type: int, low: 0, high: 3}}\nsearch: {population: -1}"),
            "/p/problem.yaml: search.population: must be >= 0 (got -1)");
}

}  // namespace
}  // namespace crucible
