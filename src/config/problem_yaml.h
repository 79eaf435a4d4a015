// The problem.yaml schema (docs/problem-format.md), read into a RunConfig.
// Private to the config component: LoadProblemConfig (problem.yaml) and
// ConfigFromJson (the frozen configuration, which has the same schema) use it.
#ifndef CRUCIBLE_CONFIG_PROBLEM_YAML_H_
#define CRUCIBLE_CONFIG_PROBLEM_YAML_H_

#include <yaml-cpp/yaml.h>

#include "config/config.h"
#include "config/yaml_reader.h"

namespace crucible {

// Fills `c` from the mapping `root`, leaving defaults where keys are absent.
// Errors (unknown keys, wrong types, out-of-range values) go to `r`, which
// names the file and the dotted field; the first one is kept.
void ParseProblemYaml(const YAML::Node& root, YamlReader& r, RunConfig& c);

}  // namespace crucible

#endif  // CRUCIBLE_CONFIG_PROBLEM_YAML_H_
