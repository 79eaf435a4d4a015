// problem.yaml's `parameters:` (a declared design space) and `search:` (the
// strategy that searches it), read into SearchOptions (docs/search.md).
// Errors name the file and the dotted field:
//   "/p/problem.yaml: parameters.k.high: must be greater than low (got low 4, high 2)".
#ifndef CRUCIBLE_CONFIG_PARAMETERS_H_
#define CRUCIBLE_CONFIG_PARAMETERS_H_

#include <yaml-cpp/yaml.h>

#include "config/yaml_reader.h"
#include "search/search_options.h"

namespace crucible {

// Reads `parameters:` and `search:` of the problem.yaml root `root` into
// `out` (left as it is when absent); errors go to `reader`.
void ReadSearchSections(YamlReader& reader, const YAML::Node& root, SearchOptions& out);

}  // namespace crucible

#endif  // CRUCIBLE_CONFIG_PARAMETERS_H_
