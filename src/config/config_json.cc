// The frozen configuration: RunConfig as JSON in problem.yaml's schema, with
// every default explicit. JSON is YAML, so reading it back goes through the
// same parser and validation as problem.yaml.
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>

#include "config/config.h"
#include "config/llm_config.h"
#include "config/parameters.h"
#include "config/tuning_config.h"

namespace crucible {

// In config.cc: the frozen text goes through LoadProblemConfig's parser and
// validation.
StatusOr<RunConfig> ParseFrozenConfig(const YAML::Node& root, const ConfigReadOptions& options);

namespace {

using nlohmann::json;

json OptionalNumber(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

json EvaluatorJson(const RunConfig& c) {
  const SandboxOptions& s = c.sandbox;
  json stages = json::array();
  for (const CascadeStage& st : c.stages) {
    stages.push_back({{"name", st.name}, {"threshold", OptionalNumber(st.threshold)}});
  }
  json e = {{"command", c.evaluator_command},
          {"timeout", s.wall_timeout_seconds},
          {"cpu_seconds", s.cpu_seconds},
          {"memory_mb", static_cast<double>(s.memory_bytes) / (1024.0 * 1024.0)},
          {"file_size_mb", static_cast<double>(s.file_size_bytes) / (1024.0 * 1024.0)},
          {"max_open_files", s.max_open_files},
          {"max_processes", s.max_processes},
          {"isolation", IsolationName(s.network)},
          {"stages", stages},
          {"heldout", c.heldout}};
  if (!c.builtin_evaluator.empty()) {
    e.erase("command");
    e["builtin"] = c.builtin_evaluator;
  }
  if (c.python_evaluator) {
    e.erase("command");
    e["python"] = c.python_evaluator->file;
    e["format"] = PythonEvaluatorFormatName(c.python_evaluator->format);
    e["cascade"] = c.python_evaluator->cascade ? json(*c.python_evaluator->cascade) : json(nullptr);
  }
  e["warm"] = c.warm;
  return e;
}

json ArchiveJson(const ArchiveOptions& a) {
  return {{"islands", a.num_islands},
          {"elite_size", a.elite_size},
          {"selection",
           {{"uniform", a.selection.uniform},
            {"weighted", a.selection.weighted},
            {"elite", a.selection.elite}}},
          {"sharpness", a.weighted_sharpness},
          {"inspirations",
           {{"top", a.num_top_inspirations}, {"diverse", a.num_diverse_inspirations}}},
          {"migration_interval", a.migration_interval},
          {"migration_rate", a.migration_rate}};
}

json FeaturesJson(const ArchiveOptions& a) {
  json features = json::array();
  for (const FeatureDimension& d : a.features) {
    features.push_back(
        {{"name", d.name}, {"bins", d.bins}, {"min", OptionalNumber(d.min)}, {"max", OptionalNumber(d.max)}});
  }
  return features;
}

}  // namespace

std::string ConfigToJson(const RunConfig& c) {
  json j;
  j["name"] = c.name;
  j["description"] = c.description;
  j["problem_dir"] = c.problem_dir;
  j["files"] = c.files;
  j["prompt"] = c.prompt_file;
  j["prompt_text"] = c.prompt_text;
  j["seed"] = c.seed ? json(*c.seed) : json(nullptr);
  j["evaluator"] = EvaluatorJson(c);
  if (c.objectives.empty()) {
    j["objective"] = {{"key", c.objective.key},
                      {"direction", DirectionName(c.objective.direction)}};
  } else {
    json list = json::array();
    for (const Objective& o : c.objectives) {
      list.push_back({{"key", o.key}, {"direction", DirectionName(o.direction)}});
    }
    j["objectives"] = std::move(list);
  }
  j["archive"] = ArchiveJson(c.archive);
  j["features"] = FeaturesJson(c.archive);
  // Only when on: a configuration without tuning freezes as before.
  if (c.tuning.enabled) j["tuning"] = TuningToJson(c.tuning);
  j["mutate"] = {{"max_operators", c.mutate.max_operators},
                 {"float_sigma", c.mutate.float_sigma},
                 {"max_attempts", c.mutate.max_attempts},
                 {"operators", c.mutate.operator_weights}};
  j["proposer"] = ProposerKindName(c.proposer);
  j["llm"] = LlmToJson(c.llm);
  j["budget"] = {{"evaluations", c.budget.evaluations ? json(*c.budget.evaluations) : json(nullptr)},
                 {"time", OptionalNumber(c.budget.seconds)},
                 {"target", OptionalNumber(c.budget.target)}};
  j["limits"] = {{"max_program_kb", static_cast<double>(c.max_program_bytes) / 1024.0}};
  j["executor"] = ExecutorKindName(c.executor);
  const SlurmOptions& s = c.slurm;
  j["slurm"] = {{"partition", s.partition},
                {"account", s.account},
                {"qos", s.qos},
                {"time", s.time},
                {"memory_mb", s.memory_mb},
                {"cpus", s.cpus},
                {"gpus", s.gpus},
                {"sbatch_lines", s.sbatch_lines},
                {"prologue", s.prologue},
                {"max_queued", s.max_queued},
                {"queue_timeout", s.queue_timeout_seconds},
                {"poll_interval", s.poll_seconds},
                {"max_retries", s.max_retries},
                {"result_grace", s.result_grace_seconds},
                {"crucible", s.crucible},
                {"bin_dir", s.bin_dir}};
  // Only when a space is declared: other configurations freeze as before.
  if (std::string search = SearchSectionsJson(c.search); !search.empty()) {
    const json sections = json::parse(search);
    j["parameters"] = sections.at("parameters");
    j["search"] = sections.at("search");
  }
  return j.dump(2);
}

StatusOr<RunConfig> ConfigFromJson(const std::string& json_text, const ConfigReadOptions& options) {
  YAML::Node root;
  try {
    root = YAML::Load(json_text);
  } catch (const YAML::Exception& e) {
    return DataLossError(fmt::format("the frozen configuration is corrupt: {}", e.msg));
  }
  return ParseFrozenConfig(root, options);
}

}  // namespace crucible
