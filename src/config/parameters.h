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
// `out` (left as it is when absent); errors go to `reader`. `parameters:`
// is a mapping NAME: {type, low, high, log, choices, default} in
// declaration order, or a list of such entries with a `name` each (the
// frozen form, SearchSectionsJson).
void ReadSearchSections(YamlReader& reader, const YAML::Node& root, SearchOptions& out);

// The two sections as JSON text of problem.yaml's schema (parameters in the
// list form), for the frozen configuration: {"parameters": [...],
// "search": {...}}; "" when no space is declared, so a configuration
// without one freezes as before.
std::string SearchSectionsJson(const SearchOptions& options);

}  // namespace crucible

#endif  // CRUCIBLE_CONFIG_PARAMETERS_H_
