// The `llm:` section of problem.yaml (docs/llm.md): reading it, and its
// frozen JSON form. Private to the config component (config.cc,
// config_json.cc).
#ifndef CRUCIBLE_CONFIG_LLM_CONFIG_H_
#define CRUCIBLE_CONFIG_LLM_CONFIG_H_

#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>

#include "config/choices.h"
#include "config/yaml_reader.h"
#include "propose/llm/llm_options.h"

namespace crucible {

// Reads root["llm"] (absent = not configured) and root["proposer"].
void ParseLlmSection(const YAML::Node& root, YamlReader& r, LlmOptions& llm, ProposerKind& proposer);

// map[key] as a reasoning effort (none, low, medium, high), unchanged when
// absent; also used by the OpenEvolve reader.
void ReadReasoningEffort(const YAML::Node& map, std::string_view key, std::string_view path,
                         YamlReader& r, ReasoningEffort& out);

// The section as JSON, every default explicit; never holds a key, only the
// name of the variable that holds it.
nlohmann::json LlmToJson(const LlmOptions& llm);

}  // namespace crucible

#endif  // CRUCIBLE_CONFIG_LLM_CONFIG_H_
