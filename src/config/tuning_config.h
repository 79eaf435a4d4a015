// problem.yaml's `tuning:` section (constant tuning of evolved programs,
// docs/search.md "Constant tuning") read into TuningOptions, and its frozen
// JSON form. Errors name the file and the dotted field:
//   "/p/problem.yaml: tuning.budget_share: must be <= 1 (got 2)".
#ifndef CRUCIBLE_CONFIG_TUNING_CONFIG_H_
#define CRUCIBLE_CONFIG_TUNING_CONFIG_H_

#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>

#include "config/yaml_reader.h"
#include "propose/tune/tune_options.h"

namespace crucible {

// Reads `tuning:` of the problem.yaml root `root` into `out` (left as it is
// when absent). `tuning: true` / `tuning: false` is short for
// `tuning: {enabled: ...}`; a section given as a map enables tuning unless
// it says `enabled: false`.
void ReadTuningSection(YamlReader& reader, const YAML::Node& root, TuningOptions& out);

// The frozen form: every field explicit, the keys of problem.yaml (the
// frozen configuration is read back by ReadTuningSection, like problem.yaml).
nlohmann::json TuningToJson(const TuningOptions& options);

}  // namespace crucible

#endif  // CRUCIBLE_CONFIG_TUNING_CONFIG_H_
