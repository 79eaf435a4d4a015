#include "search/parameter_space.h"

#include <algorithm>
#include <cmath>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace crucible {
namespace {

using nlohmann::json;

double Clamp01(double u) { return std::isfinite(u) ? std::clamp(u, 0.0, 1.0) : 0.5; }

// Number of cells of an int or categorical coordinate.
double Cells(const Parameter& p) {
  return p.kind == ParameterKind::kCategorical ? static_cast<double>(p.choices.size())
                                                : p.high - p.low + 1;
}

// The value of a parameter given as JSON, checked against its range; the
// error text names the field (without the "parameters.NAME" prefix).
StatusOr<ParameterValue> ValueFromJson(const Parameter& p, const json& v) {
  ParameterValue out;
  if (p.kind == ParameterKind::kCategorical) {
    if (!v.is_string()) return InvalidArgumentError("must be one of the choices (a string)");
    out.text = v.get<std::string>();
    if (std::find(p.choices.begin(), p.choices.end(), out.text) == p.choices.end()) {
      return InvalidArgumentError(fmt::format("'{}' is not one of the choices", out.text));
    }
    return out;
  }
  if (!v.is_number()) return InvalidArgumentError("must be a number");
  out.number = v.get<double>();
  if (p.kind == ParameterKind::kInt && out.number != std::floor(out.number)) {
    return InvalidArgumentError(fmt::format("must be an integer (got {})", out.number));
  }
  if (!(out.number >= p.low && out.number <= p.high)) {
    return InvalidArgumentError(
        fmt::format("{} is outside [{}, {}]", out.number, p.low, p.high));
  }
  return out;
}

json ValueToJson(const Parameter& p, const ParameterValue& v) {
  if (p.kind == ParameterKind::kCategorical) return v.text;
  if (p.kind == ParameterKind::kInt) return static_cast<int64_t>(v.number);
  return v.number;
}

Status ValidateOne(const Parameter& p) {
  const std::string field = "parameters." + p.name;
  if (p.kind == ParameterKind::kCategorical) {
    if (p.choices.size() < 2) return InvalidArgumentError(field + ".choices: needs at least two");
    std::set<std::string> seen;
    for (const std::string& c : p.choices) {
      if (!seen.insert(c).second) {
        return InvalidArgumentError(fmt::format("{}.choices: '{}' is listed twice", field, c));
      }
    }
    if (p.log) return InvalidArgumentError(field + ".log: only a float may be log-scaled");
  } else {
    if (!std::isfinite(p.low) || !std::isfinite(p.high) || !(p.low < p.high)) {
      return InvalidArgumentError(
          fmt::format("{}.high: must be greater than low (got low {}, high {})", field, p.low, p.high));
    }
    if (p.kind == ParameterKind::kInt) {
      if (p.low != std::floor(p.low) || p.high != std::floor(p.high)) {
        return InvalidArgumentError(field + ".low: an int parameter's bounds must be integers");
      }
      if (p.high - p.low > 1e9) return InvalidArgumentError(field + ".high: range too large");
      if (p.log) return InvalidArgumentError(field + ".log: only a float may be log-scaled");
    }
    if (p.log && p.low <= 0) {
      return InvalidArgumentError(
          fmt::format("{}.low: a log-scaled parameter needs low > 0 (got {})", field, p.low));
    }
  }
  if (p.default_value) {
    StatusOr<ParameterValue> v = ValueFromJson(p, ValueToJson(p, *p.default_value));
    if (!v.ok()) return InvalidArgumentError(field + ".default: " + v.status().message());
  }
  return Status::Ok();
}

}  // namespace

std::string_view ParameterKindName(ParameterKind kind) {
  switch (kind) {
    case ParameterKind::kFloat: return "float";
    case ParameterKind::kInt: return "int";
    case ParameterKind::kCategorical: return "categorical";
  }
  return "float";
}

std::optional<ParameterKind> ParseParameterKind(std::string_view name) {
  for (ParameterKind k : {ParameterKind::kFloat, ParameterKind::kInt, ParameterKind::kCategorical}) {
    if (name == ParameterKindName(k)) return k;
  }
  return std::nullopt;
}

Status ParameterSpace::Validate() const {
  std::set<std::string> names;
  for (const Parameter& p : parameters_) {
    if (p.name.empty()) return InvalidArgumentError("parameters: a parameter has an empty name");
    if (!names.insert(p.name).second) {
      return InvalidArgumentError(fmt::format("parameters.{}: declared twice", p.name));
    }
    RETURN_IF_ERROR(ValidateOne(p));
  }
  return Status::Ok();
}

std::vector<ParameterValue> ParameterSpace::Decode(const std::vector<double>& unit) const {
  std::vector<ParameterValue> out(parameters_.size());
  for (size_t i = 0; i < parameters_.size(); ++i) {
    const Parameter& p = parameters_[i];
    const double u = Clamp01(i < unit.size() ? unit[i] : 0.5);
    if (p.kind == ParameterKind::kFloat) {
      out[i].number = p.log ? std::exp(std::log(p.low) + u * (std::log(p.high) - std::log(p.low)))
                            : p.low + u * (p.high - p.low);
      out[i].number = std::clamp(out[i].number, p.low, p.high);  // exp/log rounding
      continue;
    }
    const double cells = Cells(p);
    const double cell = std::min(std::floor(u * cells), cells - 1);
    if (p.kind == ParameterKind::kInt) {
      out[i].number = p.low + cell;
    } else {
      out[i].text = p.choices[static_cast<size_t>(cell)];
    }
  }
  return out;
}

std::vector<double> ParameterSpace::Encode(const std::vector<ParameterValue>& values) const {
  std::vector<double> out(parameters_.size(), 0.5);
  for (size_t i = 0; i < parameters_.size() && i < values.size(); ++i) {
    const Parameter& p = parameters_[i];
    const ParameterValue& v = values[i];
    if (p.kind == ParameterKind::kFloat) {
      out[i] = p.log ? (std::log(v.number) - std::log(p.low)) / (std::log(p.high) - std::log(p.low))
                     : (v.number - p.low) / (p.high - p.low);
      out[i] = Clamp01(out[i]);
      continue;
    }
    double cell = 0;
    if (p.kind == ParameterKind::kInt) {
      cell = v.number - p.low;
    } else {
      auto it = std::find(p.choices.begin(), p.choices.end(), v.text);
      cell = it == p.choices.end() ? 0 : static_cast<double>(it - p.choices.begin());
    }
    out[i] = Clamp01((cell + 0.5) / Cells(p));
  }
  return out;
}

std::vector<ParameterValue> ParameterSpace::Defaults() const {
  std::vector<ParameterValue> out(parameters_.size());
  for (size_t i = 0; i < parameters_.size(); ++i) {
    const Parameter& p = parameters_[i];
    if (p.default_value) {
      out[i] = *p.default_value;
    } else if (p.kind == ParameterKind::kCategorical) {
      out[i].text = p.choices.front();
    } else if (p.kind == ParameterKind::kInt) {
      out[i].number = std::floor((p.low + p.high) / 2);
    } else {
      out[i].number = p.log ? std::sqrt(p.low * p.high) : (p.low + p.high) / 2;
    }
  }
  return out;
}

std::string ParameterSpace::ValuesToJson(const std::vector<ParameterValue>& values) const {
  // nlohmann's object is ordered by key; the text is made by hand so the
  // file lists parameters in declaration order.
  std::string out = "{";
  for (size_t i = 0; i < parameters_.size() && i < values.size(); ++i) {
    if (i) out += ", ";
    out += json(parameters_[i].name).dump() + ": " + ValueToJson(parameters_[i], values[i]).dump();
  }
  return out + "}\n";
}

StatusOr<std::vector<ParameterValue>> ParameterSpace::ValuesFromJson(std::string_view json_text) const {
  json j = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return InvalidArgumentError("parameters: expected a JSON object of values");
  std::vector<ParameterValue> out;
  for (const Parameter& p : parameters_) {
    auto it = j.find(p.name);
    if (it == j.end()) return InvalidArgumentError(fmt::format("parameters.{}: missing", p.name));
    StatusOr<ParameterValue> v = ValueFromJson(p, *it);
    if (!v.ok()) return InvalidArgumentError(fmt::format("parameters.{}: {}", p.name, v.status().message()));
    out.push_back(*std::move(v));
  }
  if (j.size() != parameters_.size()) {
    // Not a structured binding: clang 15 (scripts/fuzz.sh) cannot capture one.
    for (const auto& item : j.items()) {
      const std::string& key = item.key();
      if (std::none_of(parameters_.begin(), parameters_.end(),
                       [&](const Parameter& p) { return p.name == key; })) {
        return InvalidArgumentError(fmt::format("parameters.{}: not a declared parameter", key));
      }
    }
  }
  return out;
}

std::string ParameterSpace::ToJson() const {
  json arr = json::array();
  for (const Parameter& p : parameters_) {
    json o = {{"name", p.name}, {"type", ParameterKindName(p.kind)}};
    if (p.kind == ParameterKind::kCategorical) {
      o["choices"] = p.choices;
    } else {
      o["low"] = p.low;
      o["high"] = p.high;
      if (p.log) o["log"] = true;
    }
    if (p.default_value) o["default"] = ValueToJson(p, *p.default_value);
    arr.push_back(std::move(o));
  }
  return arr.dump();
}

StatusOr<ParameterSpace> ParameterSpace::FromJson(std::string_view json_text) {
  json arr = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (!arr.is_array()) return InvalidArgumentError("parameters: expected a JSON array");
  std::vector<Parameter> params;
  for (const json& o : arr) {
    if (!o.is_object() || !o.contains("name") || !o["name"].is_string() || !o.contains("type") ||
        !o["type"].is_string()) {
      return InvalidArgumentError("parameters: each entry needs a name and a type");
    }
    Parameter p;
    p.name = o["name"].get<std::string>();
    std::optional<ParameterKind> kind = ParseParameterKind(o["type"].get<std::string>());
    if (!kind) return InvalidArgumentError(fmt::format("parameters.{}.type: unknown", p.name));
    p.kind = *kind;
    if (p.kind == ParameterKind::kCategorical) {
      if (!o.contains("choices") || !o["choices"].is_array()) {
        return InvalidArgumentError(fmt::format("parameters.{}.choices: missing", p.name));
      }
      for (const json& c : o["choices"]) {
        if (!c.is_string()) return InvalidArgumentError(fmt::format("parameters.{}.choices: not text", p.name));
        p.choices.push_back(c.get<std::string>());
      }
    } else {
      if (!o.value("low", json()).is_number() || !o.value("high", json()).is_number()) {
        return InvalidArgumentError(fmt::format("parameters.{}: low and high must be numbers", p.name));
      }
      p.low = o["low"].get<double>();
      p.high = o["high"].get<double>();
      p.log = o.value("log", false);
    }
    if (o.contains("default")) {
      StatusOr<ParameterValue> v = ValueFromJson(p, o["default"]);
      if (!v.ok()) {
        return InvalidArgumentError(fmt::format("parameters.{}.default: {}", p.name, v.status().message()));
      }
      p.default_value = *std::move(v);
    }
    params.push_back(std::move(p));
  }
  ParameterSpace space(std::move(params));
  RETURN_IF_ERROR(space.Validate());
  return space;
}

}  // namespace crucible
