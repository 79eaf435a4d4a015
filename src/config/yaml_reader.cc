#include "config/yaml_reader.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstdint>
#include <cmath>
#include <set>
#include <sstream>

namespace crucible {

std::string JoinPath(std::string_view parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  return fmt::format("{}.{}", parent, key);
}

bool IsJsonString(std::string_view text) {
  try {
    (void)nlohmann::json(text).dump();
    return true;
  } catch (const nlohmann::json::type_error&) {
    return false;
  }
}

namespace {
std::atomic<std::uint64_t> unexpected_yaml_errors{0};
}  // namespace

std::uint64_t UnexpectedYamlErrorCount() { return unexpected_yaml_errors.load(); }

Status UnexpectedYamlError(std::string_view file, const YAML::Exception& e) {
  unexpected_yaml_errors.fetch_add(1);
  return InvalidArgumentError(fmt::format("{}: cannot be read: {} ({})", file, e.what(),
                                          kUnexpectedYamlNote));
}

void YamlReader::Fail(std::string_view path, std::string_view message) {
  if (!status_.ok()) return;
  status_ = InvalidArgumentError(
      path.empty() ? fmt::format("{}: {}", file_, message)
                   : fmt::format("{}: {}: {}", file_, path, message));
}

bool YamlReader::IsMap(const YAML::Node& node, std::string_view path) {
  if (node.IsMap()) return true;
  Fail(path, "must be a mapping of keys to values");
  return false;
}

bool YamlReader::CheckKeys(const YAML::Node& node, std::string_view path,
                           std::initializer_list<std::string_view> known) {
  if (!IsMap(node, path)) return false;
  std::set<std::string> seen;
  for (const auto& kv : node) {
    const std::string key = kv.first.Scalar();
    if (!seen.insert(key).second) {
      Fail(JoinPath(path, key), "appears twice (YAML would silently keep only one)");
      return true;
    }
    bool ok = false;
    for (std::string_view k : known) ok |= (k == key);
    if (!ok) {
      std::string list;
      for (std::string_view k : known) list += (list.empty() ? "" : ", ") + std::string(k);
      Fail(JoinPath(path, key), fmt::format("unknown key (known keys here: {})", list));
      return true;
    }
  }
  return true;
}

std::optional<std::string> YamlReader::Scalar(const YAML::Node& map, std::string_view key,
                                              std::string_view path, std::string_view expected) {
  if (!map.IsMap()) return std::nullopt;
  const YAML::Node node = map[std::string(key)];
  if (!node || node.IsNull()) return std::nullopt;
  if (!node.IsScalar()) {
    Fail(JoinPath(path, key), fmt::format("expected {}", expected));
    return std::nullopt;
  }
  if (!IsJsonString(node.Scalar())) {
    Fail(JoinPath(path, key), "is not valid UTF-8");
    return std::nullopt;
  }
  return node.Scalar();
}

void YamlReader::Read(const YAML::Node& map, std::string_view key, std::string_view path,
                      std::string& out) {
  if (auto s = Scalar(map, key, path, "a string")) out = *s;
}

void YamlReader::Read(const YAML::Node& map, std::string_view key, std::string_view path,
                      bool& out) {
  auto s = Scalar(map, key, path, "true or false");
  if (!s) return;
  if (*s == "true" || *s == "yes" || *s == "on") out = true;
  else if (*s == "false" || *s == "no" || *s == "off") out = false;
  else Fail(JoinPath(path, key), fmt::format("expected true or false, got '{}'", *s));
}

void YamlReader::Read(const YAML::Node& map, std::string_view key, std::string_view path,
                      double& out, std::optional<double> min, std::optional<double> max) {
  auto s = Scalar(map, key, path, "a number");
  if (!s) return;
  const std::string field = JoinPath(path, key);
  std::istringstream in(*s);
  double v;
  in >> v;
  if (in.fail() || !in.eof() || !std::isfinite(v)) {
    Fail(field, fmt::format("expected a number, got '{}'", *s));
    return;
  }
  if (min && v < *min) return Fail(field, fmt::format("must be >= {:g} (got {:g})", *min, v));
  if (max && v > *max) return Fail(field, fmt::format("must be <= {:g} (got {:g})", *max, v));
  out = v;
}

void YamlReader::Read(const YAML::Node& map, std::string_view key, std::string_view path,
                      std::optional<double>& out) {
  if (!Scalar(map, key, path, "a number")) return;
  double v = 0;
  Read(map, key, path, v);
  if (status_.ok()) out = v;
}

void YamlReader::Read(const YAML::Node& map, std::string_view key, std::string_view path,
                      int64_t& out, std::optional<int64_t> min, std::optional<int64_t> max) {
  auto s = Scalar(map, key, path, "an integer");
  if (!s) return;
  const std::string field = JoinPath(path, key);
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), v);
  if (ec != std::errc() || end != s->data() + s->size()) {
    Fail(field, fmt::format("expected an integer, got '{}'", *s));
    return;
  }
  if (min && v < *min) return Fail(field, fmt::format("must be >= {} (got {})", *min, v));
  if (max && v > *max) return Fail(field, fmt::format("must be <= {} (got {})", *max, v));
  out = v;
}

void YamlReader::Read(const YAML::Node& map, std::string_view key, std::string_view path, int& out,
                      std::optional<int64_t> min, std::optional<int64_t> max) {
  int64_t v = out;
  // Bounded both ways: -10^12 must name the field, not wrap into an int.
  Read(map, key, path, v, std::max<int64_t>(min.value_or(INT32_MIN), INT32_MIN),
       std::min<int64_t>(max.value_or(INT32_MAX), INT32_MAX));
  out = static_cast<int>(v);
}

void YamlReader::ReadWords(const YAML::Node& map, std::string_view key, std::string_view path,
                           std::vector<std::string>& out) {
  if (!map.IsMap()) return;
  const YAML::Node node = map[std::string(key)];
  if (!node || node.IsNull()) return;
  const std::string field = JoinPath(path, key);
  std::vector<std::string> words;
  if (node.IsScalar()) {
    if (!IsJsonString(node.Scalar())) return Fail(field, "is not valid UTF-8");
    std::istringstream in(node.Scalar());
    for (std::string w; in >> w;) words.push_back(w);
  } else if (node.IsSequence()) {
    for (size_t i = 0; i < node.size(); ++i) {
      if (!node[i].IsScalar() || !IsJsonString(node[i].Scalar())) {
        Fail(fmt::format("{}[{}]", field, i),
             node[i].IsScalar() ? "is not valid UTF-8" : "expected a string");
        return;
      }
      words.push_back(node[i].Scalar());
    }
  } else {
    Fail(field, "expected a string or a list of strings");
    return;
  }
  out = std::move(words);
}

void YamlReader::ReadChoice(const YAML::Node& map, std::string_view key, std::string_view path,
                            std::span<const std::string_view> choices, std::string& out) {
  std::string v;
  Read(map, key, path, v);
  if (v.empty()) return;
  for (std::string_view c : choices) {
    if (c == v) {
      out = v;
      return;
    }
  }
  std::string list;
  for (std::string_view c : choices) list += (list.empty() ? "" : ", ") + std::string(c);
  Fail(JoinPath(path, key), fmt::format("must be one of {} (got '{}')", list, v));
}

}  // namespace crucible
