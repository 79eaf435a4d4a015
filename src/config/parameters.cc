#include "config/parameters.h"

#include <string>

#include <fmt/format.h>

namespace crucible {
namespace {

// One value of `default:` for parameter `p` (a number or a choice).
void ReadDefault(YamlReader& r, const YAML::Node& node, const std::string& path, Parameter& p) {
  if (!node["default"] || node["default"].IsNull()) return;
  ParameterValue v;
  if (p.kind == ParameterKind::kCategorical) {
    r.Read(node, "default", path, v.text);
  } else {
    r.Read(node, "default", path, v.number);
  }
  p.default_value = v;
}

// `path` is "parameters.NAME" (the mapping form) or "parameters[i]" (the
// list form, where the entry also holds `name`).
void ReadParameter(YamlReader& r, const std::string& name, const std::string& path,
                   const YAML::Node& node, std::vector<Parameter>& out) {
  if (!r.IsMap(node, path)) return;
  r.CheckKeys(node, path, {"name", "type", "low", "high", "log", "choices", "default"});
  Parameter p;
  p.name = name;
  std::string type;
  r.ReadChoice(node, "type", path, {"float", "int", "categorical"}, type);
  if (type.empty()) {
    r.Fail(JoinPath(path, "type"), "missing (float, int or categorical)");
    return;
  }
  p.kind = *ParseParameterKind(type);
  if (p.kind == ParameterKind::kCategorical) {
    if (node["low"] || node["high"]) r.Fail(path, "a categorical parameter has choices, not low/high");
    r.ReadWords(node, "choices", path, p.choices);
  } else {
    if (node["choices"]) r.Fail(JoinPath(path, "choices"), "only a categorical parameter has choices");
    if (!node["low"] || !node["high"]) r.Fail(path, "needs low and high");
    r.Read(node, "low", path, p.low);
    r.Read(node, "high", path, p.high);
  }
  r.Read(node, "log", path, p.log);
  ReadDefault(r, node, path, p);
  out.push_back(std::move(p));
}

// `search.proxy:` — {screen: K, warmup: N}; absent or null: off.
void ReadProxy(YamlReader& r, const YAML::Node& search, ProxyOptions& out) {
  const YAML::Node proxy = search["proxy"];
  if (!proxy || proxy.IsNull()) return;
  if (!r.IsMap(proxy, "search.proxy")) return;
  r.CheckKeys(proxy, "search.proxy", {"screen", "warmup"});
  if (!proxy["screen"]) return r.Fail("search.proxy.screen", "missing (how many asks per evaluation, 2..100)");
  r.Read(proxy, "screen", "search.proxy", out.screen, 2, 100);
  r.Read(proxy, "warmup", "search.proxy", out.warmup, 0, 1000000);
}

}  // namespace

void ReadSearchSections(YamlReader& r, const YAML::Node& root, SearchOptions& out) {
  if (const YAML::Node params = root["parameters"]; params && !params.IsNull()) {
    std::vector<Parameter> list;
    if (params.IsSequence()) {
      // The list form: the frozen configuration's (JSON objects are not
      // ordered, and the order of parameters is the order of coordinates).
      for (size_t i = 0; i < params.size(); ++i) {
        const std::string path = fmt::format("parameters[{}]", i);
        std::string name;
        if (params[i].IsMap()) r.Read(params[i], "name", path, name);
        if (name.empty()) r.Fail(path, "needs a name");
        ReadParameter(r, name, path, params[i], list);
      }
    } else {
      if (!r.IsMap(params, "parameters")) return;
      for (const auto& kv : params) {
        // A key that is itself a list or mapping has no name (as<string>
        // would throw).
        if (!kv.first.IsScalar()) return r.Fail("parameters", "each key must be a parameter name");
        if (!IsJsonString(kv.first.Scalar())) return r.Fail("parameters", "a name is not valid UTF-8");
        const std::string name = kv.first.Scalar();
        ReadParameter(r, name, JoinPath("parameters", name), kv.second, list);
      }
    }
    if (list.empty()) r.Fail("parameters", "declares no parameter");
    out.parameters = ParameterSpace(std::move(list));
    if (r.status().ok()) {
      if (Status s = out.parameters.Validate(); !s.ok()) {
        // ParameterSpace's messages start with the dotted field.
        const std::string& m = s.message();
        const size_t colon = m.find(": ");
        r.Fail(m.substr(0, colon), colon == std::string::npos ? "" : m.substr(colon + 2));
      }
    }
  }
  if (const YAML::Node search = root["search"]; search && !search.IsNull()) {
    if (!r.IsMap(search, "search")) return;
    r.CheckKeys(search, "search", {"strategy", "population", "proxy"});
    std::string strategy;
    r.ReadChoice(search, "strategy", "search",
                 {"random", "cmaes", "xnes", "de", "pso", "sga", "nsga2", "tpe"}, strategy);
    if (!strategy.empty()) out.strategy = *ParseStrategyKind(strategy);
    r.Read(search, "population", "search", out.population, 0, 100000);
    ReadProxy(r, search, out.proxy);
    if (out.parameters.empty()) r.Fail("search", "needs a `parameters:` section to search");
  }
}

std::string SearchSectionsJson(const SearchOptions& o) {
  if (o.parameters.empty()) return "";
  // The proxy only when on, so a run without one freezes as before.
  const std::string proxy =
      o.proxy.enabled() ? fmt::format(R"(, "proxy": {{"screen": {}, "warmup": {}}})", o.proxy.screen, o.proxy.warmup)
                        : "";
  return fmt::format(R"({{"parameters": {}, "search": {{"strategy": "{}", "population": {}{}}}}})",
                     o.parameters.ToJson(), StrategyKindName(o.strategy), o.population, proxy);
}

}  // namespace crucible
