#include "config/openevolve_task.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <regex>
#include <set>

#include "config/llm_config.h"
#include "config/yaml_reader.h"
#include "core/file.h"

namespace crucible {
namespace {

namespace fs = std::filesystem;

// OpenEvolve's keys that crucible does not use, and why (docs/openevolve.md
// has the whole table, used keys included). A key of the file that is in
// neither this table nor the mapped set is listed as unknown.
const std::map<std::string, std::string, std::less<>>& UnusedReasons() {
  static const auto* reasons = new std::map<std::string, std::string, std::less<>>{
      {"checkpoint_interval", "every candidate is committed to RUN/run.db; --resume continues"},
      {"log_level", "crucible's log is the run's event log"},
      {"log_dir", "crucible's log is the run's event log"},
      {"language", "the evolved file's contents are used as they are"},
      {"file_suffix", "the initial program's own name is used"},
      {"diff_pattern", "crucible's diff format is fixed (docs/llm.md)"},
      {"early_stopping_patience", "no counterpart; use --target or --time"},
      {"convergence_threshold", "no counterpart; use --target or --time"},
      {"early_stopping_metric", "no counterpart; use --target or --time"},
      {"max_tasks_per_child", "each candidate is evaluated in a fresh process"},
      {"llm.top_p", "crucible sends no top_p"},
      {"llm.evaluator_models", "LLM feedback on programs is not implemented"},
      {"llm.manual_mode", "no counterpart"},
      {"llm.api_key", "a key is never read from a file; put it in OPENAI_API_KEY (llm.api_key_env)"},
      {"llm.system_message", "prompt.system_message is the task description"},
      {"prompt.template_dir", "crucible's templates are PROBLEM/prompts/*.md (docs/llm.md)"},
      {"prompt.evaluator_system_message", "LLM feedback on programs is not implemented"},
      {"prompt.use_template_stochasticity", "no counterpart"},
      {"prompt.template_variations", "no counterpart"},
      {"prompt.use_meta_prompting", "no counterpart"},
      {"prompt.meta_prompt_weight", "no counterpart"},
      {"prompt.artifact_security_filter", "no counterpart"},
      {"prompt.programs_as_changes_description", "no counterpart"},
      {"prompt.system_message_changes_description", "no counterpart"},
      {"prompt.initial_changes_description", "no counterpart"},
      {"prompt.suggest_simplification_after_chars", "no counterpart"},
      {"prompt.include_changes_under_chars", "no counterpart"},
      {"prompt.concise_implementation_max_lines", "no counterpart"},
      {"prompt.comprehensive_implementation_min_lines", "no counterpart"},
      {"prompt.diff_summary_max_line_len", "no counterpart"},
      {"prompt.diff_summary_max_lines", "no counterpart"},
      {"prompt.code_length_threshold", "no counterpart"},
      {"database.db_path", "every candidate is kept in RUN/run.db"},
      {"database.in_memory", "every candidate is kept in RUN/run.db"},
      {"database.log_prompts", "every LLM call is kept in run.db's llm_calls"},
      {"database.population_size", "the archive has no population cap (MAP-Elites cells + elites)"},
      {"database.elite_selection_ratio", "no counterpart"},
      {"database.diversity_metric", "no counterpart"},
      {"database.diversity_reference_size", "no counterpart"},
      {"database.artifacts_base_path", "artifacts are kept in run.db"},
      {"database.artifact_size_threshold", "artifacts are kept in run.db (64 KiB each)"},
      {"database.cleanup_old_artifacts", "artifacts are kept in run.db"},
      {"database.artifact_retention_days", "artifacts are kept in run.db"},
      {"database.max_snapshot_artifacts", "artifacts are kept in run.db"},
      {"evaluator.max_retries", "a failed evaluation is a recorded outcome, not retried"},
      {"evaluator.cpu_limit", "no counterpart (the sandbox's CPU limit follows the timeout)"},
      {"evaluator.parallel_evaluations", "use --jobs"},
      {"evaluator.distributed", "use --executor slurm (docs/slurm.md)"},
      {"evaluator.use_llm_feedback", "LLM feedback on programs is not implemented"},
      {"evaluator.llm_feedback_weight", "LLM feedback on programs is not implemented"},
      {"evaluator.enable_artifacts", "artifacts are always kept"},
      {"evaluator.max_artifact_storage", "artifacts are kept in run.db (64 KiB each)"},
      {"evolution_trace", "the run's database is the trace (crucible export)"},
  };
  return *reasons;
}

// Records which keys of the file were read, so that the rest can be listed.
class KeyLedger {
 public:
  void Used(std::string path) { used_.insert(std::move(path)); }

  // Every key of `node` (recursively into mappings) not marked used.
  void Collect(const YAML::Node& node, const std::string& path, std::vector<std::string>& out) const {
    if (!node.IsMap()) return;
    for (const auto& kv : node) {
      const std::string key = JoinPath(path, kv.first.as<std::string>(""));
      if (used_.count(key)) continue;
      const auto& reasons = UnusedReasons();
      if (auto it = reasons.find(key); it != reasons.end()) {
        out.push_back(fmt::format("{} ({})", key, it->second));
      } else if (kv.second.IsMap() && IsSection(key)) {
        Collect(kv.second, key, out);
      } else {
        out.push_back(fmt::format("{} (not an OpenEvolve key crucible knows)", key));
      }
    }
  }

 private:
  static bool IsSection(std::string_view key) {
    return key == "llm" || key == "prompt" || key == "database" || key == "evaluator";
  }
  std::set<std::string> used_;
};

// Reads `key` of `map` (at dotted `path`) into `out` and marks it used.
template <typename T>
void Take(YamlReader& r, KeyLedger& ledger, const YAML::Node& map, std::string_view key,
          std::string_view path, T& out) {
  if (!map.IsMap() || !map[std::string(key)]) return;
  ledger.Used(JoinPath(path, key));
  r.Read(map, key, path, out);
}

std::string ResolveFile(const std::string& given, const char* fallback) {
  return given.empty() ? std::string(fallback) : given;
}

void MapModels(const YAML::Node& llm, YamlReader& r, KeyLedger& ledger, LlmOptions& o) {
  double temperature = 0.7;
  int max_tokens = 4096;
  ReasoningEffort effort = ReasoningEffort::kNone;
  Take(r, ledger, llm, "temperature", "llm", temperature);
  Take(r, ledger, llm, "max_tokens", "llm", max_tokens);
  if (llm.IsMap() && llm["reasoning_effort"]) {
    ledger.Used("llm.reasoning_effort");
    ReadReasoningEffort(llm, "reasoning_effort", "llm", r, effort);
  }
  auto model = [&](std::string name, double weight) {
    ModelSpec m;
    m.name = std::move(name);
    m.weight = weight;
    m.temperature = temperature;
    m.max_tokens = max_tokens;
    m.reasoning_effort = effort;
    return m;
  };
  if (const YAML::Node models = llm["models"]; models && models.IsSequence()) {
    ledger.Used("llm.models");
    for (size_t i = 0; i < models.size(); ++i) {
      const std::string path = fmt::format("llm.models[{}]", i);
      ModelSpec m = model("", 1.0);
      r.Read(models[i], "name", path, m.name);
      r.Read(models[i], "weight", path, m.weight, 0.0);
      r.Read(models[i], "temperature", path, m.temperature, 0.0);
      r.Read(models[i], "max_tokens", path, m.max_tokens, 1);
      ReadReasoningEffort(models[i], "reasoning_effort", path, r, m.reasoning_effort);
      // As problem.yaml requires: a nameless model would freeze into a
      // configuration that --resume refuses.
      if (r.status().ok() && m.name.empty()) r.Fail(path + ".name", "is required");
      o.models.push_back(m);
    }
  }
  std::string primary, secondary;
  double primary_weight = 1.0, secondary_weight = 0.0;
  Take(r, ledger, llm, "primary_model", "llm", primary);
  Take(r, ledger, llm, "primary_model_weight", "llm", primary_weight);
  Take(r, ledger, llm, "secondary_model", "llm", secondary);
  Take(r, ledger, llm, "secondary_model_weight", "llm", secondary_weight);
  // OpenEvolve's LLMConfig: primary/secondary replace the list when given.
  if (!primary.empty()) {
    o.models.clear();
    o.models.push_back(model(primary, primary_weight));
    if (!secondary.empty() && secondary_weight > 0) {
      o.models.push_back(model(secondary, secondary_weight));
    }
  }
}

void MapLlm(const YAML::Node& root, YamlReader& r, KeyLedger& ledger, RunConfig& c) {
  const YAML::Node llm = root["llm"];
  if (!llm || !llm.IsMap()) return;
  // An endpoint only when the file names one: OpenEvolve's default
  // (api.openai.com) is not an explicit choice (docs/llm.md).
  Take(r, ledger, llm, "api_base", "llm", c.llm.base_url);
  Take(r, ledger, llm, "timeout", "llm", c.llm.timeout_seconds);
  Take(r, ledger, llm, "retries", "llm", c.llm.retries);
  Take(r, ledger, llm, "retry_delay", "llm", c.llm.backoff_initial_seconds);
  MapModels(llm, r, ledger, c.llm);
}

void MapPrompt(const YAML::Node& root, YamlReader& r, KeyLedger& ledger, RunConfig& c) {
  const YAML::Node p = root["prompt"];
  if (!p || !p.IsMap()) return;
  std::string system;
  Take(r, ledger, p, "system_message", "prompt", system);
  // "system_message" is OpenEvolve's name of its default template, not a text.
  if (system != "system_message") c.prompt_text = system;
  Take(r, ledger, p, "num_top_programs", "prompt", c.archive.num_top_inspirations);
  Take(r, ledger, p, "num_diverse_programs", "prompt", c.archive.num_diverse_inspirations);
  bool include_artifacts = true;
  Take(r, ledger, p, "include_artifacts", "prompt", include_artifacts);
  int artifact_bytes = static_cast<int>(c.llm.prompt.max_artifact_chars);
  Take(r, ledger, p, "max_artifact_bytes", "prompt", artifact_bytes);
  c.llm.prompt.max_artifact_chars = include_artifacts ? artifact_bytes : 0;
}

void MapFeatures(const YAML::Node& db, YamlReader& r, KeyLedger& ledger, ArchiveOptions& a) {
  std::vector<std::string> names = {"complexity", "diversity"};  // OpenEvolve's default
  if (db["feature_dimensions"]) {
    ledger.Used("database.feature_dimensions");
    r.ReadWords(db, "feature_dimensions", "database", names);
  }
  std::map<std::string, int> bins;
  int all_bins = 10;
  if (const YAML::Node b = db["feature_bins"]; b) {
    ledger.Used("database.feature_bins");
    if (b.IsMap()) {
      for (const auto& kv : b) {
        int n = 10;
        r.Read(b, kv.first.as<std::string>(""), "database.feature_bins", n, 1, 1000);
        bins[kv.first.as<std::string>("")] = n;
      }
    } else {
      r.Read(db, "feature_bins", "database", all_bins, 1, 1000);
    }
  }
  a.features.clear();
  for (const std::string& name : names) {
    // OpenEvolve's built-in "complexity" is the code's length, as crucible's
    // code_length; its "diversity" (edit distance to a reference set) has
    // no counterpart and is left out (docs/openevolve.md).
    if (name == "diversity") continue;
    const std::string crucible_name = name == "complexity" ? "code_length" : name;
    a.features.push_back({crucible_name, bins.count(name) ? bins[name] : all_bins, {}, {}});
  }
  if (a.features.empty()) a.features.push_back({"code_length", all_bins, {}, {}});
}

// OpenEvolve's database.novelty_llm is an LLM object given from Python (in
// YAML: null, off). Any other YAML value turns crucible's novelty judge on
// (docs/llm.md, "The novelty judge"): true/false, or a model name, which
// becomes the judge's model (it must be one of llm.models, as
// llm.novelty.judge_model must).
void MapNoveltyLlm(const YAML::Node& db, YamlReader& r, KeyLedger& ledger, LlmOptions& o) {
  const YAML::Node v = db["novelty_llm"];
  if (!v) return;
  ledger.Used("database.novelty_llm");
  if (v.IsNull()) return;
  bool on = false;
  if (v.IsScalar() && YAML::convert<bool>::decode(v, on)) {
    o.novelty_judge = on;
    return;
  }
  r.Read(db, "novelty_llm", "database", o.novelty_judge_model);
  o.novelty_judge = true;
}

void MapDatabase(const YAML::Node& root, YamlReader& r, KeyLedger& ledger, RunConfig& c) {
  ArchiveOptions& a = c.archive;
  a.num_islands = 5;  // OpenEvolve's defaults, where crucible's differ
  int archive_size = 100;
  double exploration = 0.2, exploitation = 0.7;
  const YAML::Node db = root["database"];
  if (db && db.IsMap()) {
    Take(r, ledger, db, "num_islands", "database", a.num_islands);
    Take(r, ledger, db, "archive_size", "database", archive_size);
    Take(r, ledger, db, "exploration_ratio", "database", exploration);
    Take(r, ledger, db, "exploitation_ratio", "database", exploitation);
    Take(r, ledger, db, "migration_interval", "database", a.migration_interval);
    Take(r, ledger, db, "migration_rate", "database", a.migration_rate);
    Take(r, ledger, db, "similarity_threshold", "database", c.llm.novelty_threshold);
    Take(r, ledger, db, "embedding_model", "database", c.llm.embeddings_model);
    MapNoveltyLlm(db, r, ledger, c.llm);
    if (db["random_seed"] && !db["random_seed"].IsNull()) {
      int64_t seed = 0;
      Take(r, ledger, db, "random_seed", "database", seed);
      if (!root["random_seed"]) c.seed = static_cast<uint64_t>(seed);  // the top-level one wins
    } else if (db["random_seed"]) {
      ledger.Used("database.random_seed");
    }
    MapFeatures(db, r, ledger, a);
  } else {
    MapFeatures(YAML::Node(YAML::NodeType::Map), r, ledger, a);
  }
  // OpenEvolve: exploration = a random program of the island, exploitation
  // = one of the elite archive, the rest = any program: crucible's uniform
  // and elite policies.
  a.selection.elite = std::max(0.0, exploitation);
  a.selection.uniform = std::max(0.0, 1.0 - a.selection.elite);
  a.selection.weighted = 0;
  // OpenEvolve's archive is one for the run; crucible keeps elites per island.
  a.elite_size = std::max(1, archive_size / std::max(1, a.num_islands));
}

// Whether the module's source defines `name` at top level (`def NAME(` or
// `async def NAME(`): OpenEvolve tests hasattr() on the imported module, which
// crucible cannot do before the run; a function bound some other way (an
// import, an assignment) is not seen.
bool DefinesFunction(const std::string& source, const std::string& name) {
  const std::regex def("^(async[ \\t]+)?def[ \\t]+" + name + "[ \\t]*\\(", std::regex::multiline);
  return std::regex_search(source, def);
}

}  // namespace

std::vector<CascadeStage> OpenEvolveCascadeStages(const std::string& evaluator_file,
                                                  const std::vector<double>& thresholds) {
  const std::string source = ReadFile(evaluator_file).value_or("");
  if (!DefinesFunction(source, "evaluate_stage1")) return {{"full", std::nullopt}};
  // Stage N+1 runs only after stage N passed cascade_thresholds[N-1]; the
  // adapter applies OpenEvolve's test and ends the cascade itself
  // ("continue": false), so crucible's stages carry no threshold.
  std::vector<CascadeStage> stages = {{"stage1", std::nullopt}};
  for (size_t n = 2; n <= 3 && thresholds.size() >= n - 1; ++n) {
    if (!DefinesFunction(source, fmt::format("evaluate_stage{}", n))) break;
    stages.push_back({fmt::format("stage{}", n), std::nullopt});
  }
  return stages;
}

namespace {

void MapEvaluator(const YAML::Node& root, YamlReader& r, KeyLedger& ledger, RunConfig& c) {
  double timeout = 300;  // OpenEvolve's defaults
  bool cascade = true;
  std::vector<double> thresholds = {0.5, 0.75, 0.9};
  std::optional<double> memory_mb;
  const YAML::Node e = root["evaluator"];
  if (e && e.IsMap()) {
    Take(r, ledger, e, "timeout", "evaluator", timeout);
    Take(r, ledger, e, "cascade_evaluation", "evaluator", cascade);
    if (e["cascade_thresholds"]) {
      ledger.Used("evaluator.cascade_thresholds");
      const YAML::Node t = e["cascade_thresholds"];
      thresholds.clear();
      for (size_t i = 0; t.IsSequence() && i < t.size(); ++i) {
        thresholds.push_back(t[i].as<double>(std::nan("")));
      }
      if (!t.IsSequence() || std::any_of(thresholds.begin(), thresholds.end(),
                                         [](double x) { return !std::isfinite(x); })) {
        r.Fail("evaluator.cascade_thresholds", "must be a list of numbers");
      }
    }
    if (e["memory_limit_mb"] && !e["memory_limit_mb"].IsNull()) {
      // Bounded as problem.yaml's memory_mb, so that the byte count fits.
      double mb = 0;
      ledger.Used("evaluator.memory_limit_mb");
      r.Read(e, "memory_limit_mb", "evaluator", mb, 16.0, double(1ull << 40));
      memory_mb = mb;
    } else if (e["memory_limit_mb"]) {
      ledger.Used("evaluator.memory_limit_mb");
    }
  }
  PythonEvaluator& p = *c.python_evaluator;
  if (cascade) {
    p.cascade = thresholds;
    c.stages = OpenEvolveCascadeStages(p.file, thresholds);
  }
  // OpenEvolve's timeout bounds each call of evaluate() or of one stage's
  // function; each crucible stage is one such call in a sandbox of its own.
  c.sandbox.wall_timeout_seconds = timeout;
  if (memory_mb) c.sandbox.memory_bytes = static_cast<uint64_t>(*memory_mb * 1024 * 1024);
}

void MapRoot(const YAML::Node& root, YamlReader& r, KeyLedger& ledger, RunConfig& c) {
  int64_t iterations = 10000;  // OpenEvolve's defaults
  Take(r, ledger, root, "max_iterations", "", iterations);
  c.budget.evaluations = iterations;
  c.seed = 42;
  if (root["random_seed"] && !root["random_seed"].IsNull()) {
    int64_t seed = 0;
    Take(r, ledger, root, "random_seed", "", seed);
    c.seed = static_cast<uint64_t>(seed);
  } else if (root["random_seed"]) {
    ledger.Used("random_seed");
  }
  bool diff = true;
  Take(r, ledger, root, "diff_based_evolution", "", diff);
  c.llm.diff_weight = diff ? 1.0 : 0.0;
  c.llm.rewrite_weight = diff ? 0.0 : 1.0;
  c.llm.crossover_weight = 0.0;
  int64_t max_code = 10000;
  Take(r, ledger, root, "max_code_length", "", max_code);
  // The bound of problem.yaml's limits.max_program_kb (1 TiB), which the
  // frozen configuration is read back with.
  if (max_code > (int64_t{1} << 40)) r.Fail("max_code_length", "must be at most 1099511627776");
  c.max_program_bytes = static_cast<size_t>(std::max<int64_t>(max_code, 1));
  MapLlm(root, r, ledger, c);
  MapPrompt(root, r, ledger, c);
  MapDatabase(root, r, ledger, c);
  MapEvaluator(root, r, ledger, c);
}

fs::path InDir(const fs::path& dir, const std::string& name) {
  return fs::path(name).is_absolute() ? fs::path(name) : dir / name;
}

// The parts common to both formats: the problem directory, the evolved
// file, the Python evaluator.
StatusOr<RunConfig> BaseConfig(const fs::path& dir, const std::string& initial,
                               const std::string& evaluator, PythonEvaluatorFormat format) {
  for (const std::string& path : {dir.string(), initial, evaluator}) {
    if (!IsJsonString(path)) {
      return InvalidArgumentError(
          fmt::format("'{}': the path is not valid UTF-8 (run.db stores it as JSON)", path));
    }
  }
  for (const std::string& f : {initial, evaluator}) {
    if (!fs::is_regular_file(InDir(dir, f))) {
      return NotFoundError(fmt::format("{}: no {} here", dir.string(), f));
    }
  }
  if (fs::path(initial).is_absolute()) {
    return InvalidArgumentError(fmt::format(
        "--initial {}: must name a file inside the task directory {}", initial, dir.string()));
  }
  RunConfig c;
  c.problem_dir = dir.string();
  c.name = dir.filename().string();
  c.files = {initial};
  PythonEvaluator p;
  p.format = format;
  p.file = fs::absolute(InDir(dir, evaluator)).lexically_normal().string();
  c.python_evaluator = p;
  c.stages = {{"full", std::nullopt}};
  c.objective = Objective{"score", Direction::kMaximize};
  return c;
}

fs::path AbsoluteDir(const std::string& dir) {
  std::error_code ec;
  fs::path p = fs::weakly_canonical(fs::absolute(dir), ec);
  return ec ? fs::absolute(dir).lexically_normal() : p;
}

}  // namespace

TaskFormat DetectTaskFormat(const std::string& dir, const TaskFiles& files) {
  const fs::path d = dir;
  if (fs::exists(d / "problem.yaml")) return TaskFormat::kCrucible;
  auto has = [&](const std::string& given, const char* fallback) {
    return fs::is_regular_file(InDir(d, given.empty() ? fallback : given));
  };
  if (has(files.initial, "initial_program.py") && has(files.evaluator, "evaluator.py")) {
    return TaskFormat::kOpenEvolve;
  }
  if (has(files.initial, "initial.py") && has(files.evaluator, "evaluate.py")) {
    return TaskFormat::kShinka;
  }
  return TaskFormat::kCrucible;
}

namespace {

// The range checks of crucible's own keys live in problem.yaml's reader,
// which also reads the frozen configuration back on --resume. The mapping
// above reads OpenEvolve's keys with OpenEvolve's own (wider) ranges, so a
// mapped value crucible cannot take (a temperature of 5, say) is refused
// here, at start, naming crucible's key, rather than on the first resume.
Status CheckThaws(const RunConfig& config, const std::string& source) {
  StatusOr<RunConfig> thawed = ConfigFromJson(ConfigToJson(config));
  if (thawed.ok()) return Status();
  std::string why = thawed.status().message();
  if (const std::string prefix = "frozen configuration: "; why.starts_with(prefix)) {
    why.erase(0, prefix.size());
  }
  return InvalidArgumentError(fmt::format(
      "{}: a value crucible cannot take, under crucible's name for it (docs/openevolve.md "
      "maps each key): {}", source, why));
}

}  // namespace

StatusOr<ForeignTask> LoadOpenEvolveTask(const std::string& dir_arg, const TaskFiles& files) {
  const fs::path dir = AbsoluteDir(dir_arg);
  ForeignTask task;
  ASSIGN_OR_RETURN(task.config,
                   BaseConfig(dir, ResolveFile(files.initial, "initial_program.py"),
                              ResolveFile(files.evaluator, "evaluator.py"),
                              PythonEvaluatorFormat::kOpenEvolve));
  fs::path config_path = InDir(dir, files.config.empty() ? "config.yaml" : files.config);
  YAML::Node root(YAML::NodeType::Map);
  if (fs::is_regular_file(config_path)) {
    try {
      root = YAML::LoadFile(config_path.string());
    } catch (const YAML::Exception& e) {
      return InvalidArgumentError(fmt::format("{}: {}", config_path.string(), e.what()));
    }
    if (root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
    if (!root.IsMap()) {
      return InvalidArgumentError(fmt::format("{}: must be a mapping", config_path.string()));
    }
  } else if (!files.config.empty()) {
    return NotFoundError(fmt::format("--config {}: no such file", config_path.string()));
  }
  YamlReader r(config_path.string());
  KeyLedger ledger;
  try {
    MapRoot(root, r, ledger, task.config);
    RETURN_IF_ERROR(r.status());
    ledger.Collect(root, "", task.unused_keys);
  } catch (const YAML::Exception& e) {
    return UnexpectedYamlError(config_path.string(), e);
  }
  RETURN_IF_ERROR(ValidateConfig(task.config, config_path.string()));
  RETURN_IF_ERROR(CheckThaws(task.config, config_path.string()));
  return task;
}

StatusOr<ForeignTask> LoadShinkaTask(const std::string& dir_arg, const TaskFiles& files) {
  const fs::path dir = AbsoluteDir(dir_arg);
  ForeignTask task;
  ASSIGN_OR_RETURN(task.config,
                   BaseConfig(dir, ResolveFile(files.initial, "initial.py"),
                              ResolveFile(files.evaluator, "evaluate.py"),
                              PythonEvaluatorFormat::kShinka));
  if (!files.config.empty()) {
    task.unused_keys.push_back(fmt::format(
        "{} (ShinkaEvolve's Hydra configuration is not read; use problem.yaml keys as flags)",
        files.config));
  }
  return task;
}

StatusOr<ForeignTask> LoadAnyTask(const std::string& dir, const TaskFiles& files,
                                  const ConfigReadOptions& options) {
  switch (DetectTaskFormat(dir, files)) {
    case TaskFormat::kOpenEvolve:
      return LoadOpenEvolveTask(dir, files);
    case TaskFormat::kShinka:
      return LoadShinkaTask(dir, files);
    case TaskFormat::kCrucible:
      break;
  }
  if (!files.config.empty() || !files.initial.empty() || !files.evaluator.empty()) {
    if (fs::exists(fs::path(dir) / "problem.yaml")) {
      return InvalidArgumentError(fmt::format(
          "{} has a problem.yaml: --config, --initial and --evaluator are for OpenEvolve and "
          "ShinkaEvolve task directories (docs/openevolve.md)", dir));
    }
    return NotFoundError(fmt::format(
        "{}: neither a problem.yaml nor the initial program and evaluator named by --initial and "
        "--evaluator", dir));
  }
  ForeignTask task;
  ASSIGN_OR_RETURN(task.config, LoadProblemConfig(dir, options));
  return task;
}

std::string DescribeUnusedKeys(const ForeignTask& task) {
  if (task.unused_keys.empty()) return "";
  std::string out = "configuration keys not used by crucible (docs/openevolve.md):";
  for (const std::string& k : task.unused_keys) out += "\n  " + k;
  return out;
}

}  // namespace crucible
