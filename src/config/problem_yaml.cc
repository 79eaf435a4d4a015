// problem.yaml's schema (docs/problem-format.md): the mapping from its keys to
// RunConfig. The frozen configuration uses the same schema.
#include "config/problem_yaml.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "config/llm_config.h"
#include "config/parameters.h"
#include "config/tuning_config.h"

namespace crucible {
namespace {

namespace fs = std::filesystem;

constexpr double kMiB = 1024.0 * 1024.0;

// evaluator.python/format/cascade/warm (docs/openevolve.md).
void ParsePythonEvaluator(const YAML::Node& e, YamlReader& r, RunConfig& c) {
  r.Read(e, "warm", "evaluator", c.warm);
  std::string file;
  r.Read(e, "python", "evaluator", file);
  if (file.empty()) {
    if (e["format"] || e["cascade"]) r.Fail("evaluator", "format and cascade need python: FILE");
    return;
  }
  PythonEvaluator p;
  p.file = fs::path(file).is_absolute() ? file : (fs::path(c.problem_dir) / file).lexically_normal().string();
  r.ReadEnum(e, "format", "evaluator",
             {PythonEvaluatorFormat::kOpenEvolve, PythonEvaluatorFormat::kShinka},
             PythonEvaluatorFormatName, p.format);
  if (const YAML::Node t = e["cascade"]; t && !t.IsNull()) {
    p.cascade.emplace();
    if (!t.IsSequence()) return r.Fail("evaluator.cascade", "must be a list of thresholds");
    for (size_t i = 0; i < t.size(); ++i) {
      double v = 0;
      if (!t[i].IsScalar() || !YAML::convert<double>::decode(t[i], v) || !std::isfinite(v)) {
        return r.Fail(fmt::format("evaluator.cascade[{}]", i), "must be a number");
      }
      p.cascade->push_back(v);
    }
  }
  c.python_evaluator = p;
}

void ParseEvaluator(const YAML::Node& root, YamlReader& r, RunConfig& c) {
  const YAML::Node e = root["evaluator"];
  if (!e) return r.Fail("evaluator", "is required (the command that scores a candidate)");
  if (!r.CheckKeys(e, "evaluator",
                   {"command", "builtin", "python", "format", "cascade", "warm", "timeout",
                    "cpu_seconds", "memory_mb", "file_size_mb", "max_open_files", "max_processes",
                    "isolation", "stages", "heldout"})) {
    return;
  }
  r.ReadWords(e, "command", "evaluator", c.evaluator_command);
  r.Read(e, "builtin", "evaluator", c.builtin_evaluator);
  ParsePythonEvaluator(e, r, c);
  if (r.status().ok() && c.python_evaluator &&
      (!c.evaluator_command.empty() || !c.builtin_evaluator.empty())) {
    r.Fail("evaluator", "has a python evaluator module and a command or builtin; give one");
  }
  if (r.status().ok() && !c.python_evaluator &&
      c.evaluator_command.empty() == c.builtin_evaluator.empty()) {
    r.Fail("evaluator", c.builtin_evaluator.empty()
                            ? "needs a command (e.g. 'python3 evaluate.py') or a builtin evaluator"
                            : "has both a command and a builtin evaluator; give one");
  }
  SandboxOptions& s = c.sandbox;
  r.Read(e, "timeout", "evaluator", s.wall_timeout_seconds, 0.01, 7 * 86400.0);
  r.Read(e, "cpu_seconds", "evaluator", s.cpu_seconds, 0.0);
  double memory_mb = static_cast<double>(s.memory_bytes) / kMiB;
  // Bounded so that the byte count fits: 10^20 MB must name memory_mb, not
  // wrap around into an error about another field.
  constexpr double kMaxMiB = double(1ull << 40);  // 1 EiB
  r.Read(e, "memory_mb", "evaluator", memory_mb, 16.0, kMaxMiB);
  s.memory_bytes = static_cast<uint64_t>(memory_mb * kMiB);
  double file_mb = static_cast<double>(s.file_size_bytes) / kMiB;
  r.Read(e, "file_size_mb", "evaluator", file_mb, 1.0, kMaxMiB);
  s.file_size_bytes = static_cast<uint64_t>(file_mb * kMiB);
  r.Read(e, "max_open_files", "evaluator", s.max_open_files, 16);
  r.Read(e, "max_processes", "evaluator", s.max_processes, 1);
  NetworkIsolation isolation = s.network;
  r.ReadEnum(e, "isolation", "evaluator",
             {NetworkIsolation::kAuto, NetworkIsolation::kRequired, NetworkIsolation::kOff},
             IsolationName, isolation);
  s.network = isolation;
  s.filesystem = FilesystemIsolationLike(isolation);
  r.Read(e, "heldout", "evaluator", c.heldout);
  const YAML::Node stages = e["stages"];
  if (!stages || stages.IsNull()) return;
  if (!stages.IsSequence() || stages.size() == 0) {
    return r.Fail("evaluator.stages", "must be a non-empty list of {name, threshold}");
  }
  c.stages.clear();
  for (size_t i = 0; i < stages.size(); ++i) {
    const std::string path = fmt::format("evaluator.stages[{}]", i);
    r.CheckKeys(stages[i], path, {"name", "threshold"});
    CascadeStage stage;
    r.Read(stages[i], "name", path, stage.name);
    r.Read(stages[i], "threshold", path, stage.threshold);
    if (r.status().ok() && stage.name.empty()) r.Fail(path + ".name", "is required");
    c.stages.push_back(stage);
  }
}

void ParseArchive(const YAML::Node& root, YamlReader& r, ArchiveOptions& a) {
  const YAML::Node n = root["archive"];
  if (n && !n.IsNull() &&
      r.CheckKeys(n, "archive",
                  {"islands", "elite_size", "selection", "sharpness", "inspirations",
                   "migration_interval", "migration_rate"})) {
    r.Read(n, "islands", "archive", a.num_islands, 1, 256);
    r.Read(n, "elite_size", "archive", a.elite_size, 1);
    r.Read(n, "sharpness", "archive", a.weighted_sharpness, 0.0);
    r.Read(n, "migration_interval", "archive", a.migration_interval, 0);
    r.Read(n, "migration_rate", "archive", a.migration_rate, 0.0, 1.0);
    if (const YAML::Node s = n["selection"]; s && !s.IsNull()) {
      r.CheckKeys(s, "archive.selection", {"uniform", "weighted", "elite"});
      r.Read(s, "uniform", "archive.selection", a.selection.uniform, 0.0);
      r.Read(s, "weighted", "archive.selection", a.selection.weighted, 0.0);
      r.Read(s, "elite", "archive.selection", a.selection.elite, 0.0);
    }
    if (const YAML::Node s = n["inspirations"]; s && !s.IsNull()) {
      r.CheckKeys(s, "archive.inspirations", {"top", "diverse"});
      r.Read(s, "top", "archive.inspirations", a.num_top_inspirations, 0, 32);
      r.Read(s, "diverse", "archive.inspirations", a.num_diverse_inspirations, 0, 32);
    }
  }
  const YAML::Node f = root["features"];
  if (!f || f.IsNull()) return;
  if (!f.IsSequence() || f.size() == 0) {
    return r.Fail("features", "must be a non-empty list of {name, bins, min, max}");
  }
  a.features.clear();
  for (size_t i = 0; i < f.size(); ++i) {
    const std::string path = fmt::format("features[{}]", i);
    r.CheckKeys(f[i], path, {"name", "bins", "min", "max"});
    FeatureDimension d;
    r.Read(f[i], "name", path, d.name);
    r.Read(f[i], "bins", path, d.bins, 1, 1000);
    r.Read(f[i], "min", path, d.min);
    r.Read(f[i], "max", path, d.max);
    if (r.status().ok() && d.name.empty()) r.Fail(path + ".name", "is required");
    a.features.push_back(d);
  }
}

void ParseMutate(const YAML::Node& root, YamlReader& r, MutateOptions& m) {
  const YAML::Node n = root["mutate"];
  if (!n || n.IsNull()) return;
  if (!r.CheckKeys(n, "mutate", {"max_operators", "float_sigma", "max_attempts", "operators"})) return;
  r.Read(n, "max_operators", "mutate", m.max_operators, 1, 100);
  r.Read(n, "float_sigma", "mutate", m.float_sigma, 0.0);
  r.Read(n, "max_attempts", "mutate", m.max_attempts, 1, 10000);
  const YAML::Node ops = n["operators"];
  if (!ops || ops.IsNull() || !r.IsMap(ops, "mutate.operators")) return;
  for (const auto& kv : ops) {
    const std::string name = kv.first.Scalar();
    if (!m.operator_weights.contains(name)) {
      std::string known;
      for (const auto& [k, _] : m.operator_weights) known += (known.empty() ? "" : ", ") + k;
      return r.Fail("mutate.operators." + name, "unknown operator (known: " + known + ")");
    }
    r.Read(ops, name, "mutate.operators", m.operator_weights[name], 0.0);
  }
}

void ParseBudget(const YAML::Node& root, YamlReader& r, Budget& b) {
  const YAML::Node n = root["budget"];
  if (!n || n.IsNull()) return;
  if (!r.CheckKeys(n, "budget", {"evaluations", "time", "target"})) return;
  if (n["evaluations"] && !n["evaluations"].IsNull()) {
    int64_t e = 0;
    r.Read(n, "evaluations", "budget", e, 0);
    b.evaluations = e;
  }
  r.Read(n, "time", "budget", b.seconds);
  r.Read(n, "target", "budget", b.target);
}

void ParseSlurm(const YAML::Node& root, YamlReader& r, RunConfig& c) {
  r.ReadEnum(root, "executor", "", {ExecutorKind::kLocal, ExecutorKind::kSlurm}, ExecutorKindName,
             c.executor);
  const YAML::Node n = root["slurm"];
  if (!n || n.IsNull()) return;
  if (!r.CheckKeys(n, "slurm",
                   {"partition", "account", "qos", "time", "memory_mb", "cpus", "gpus",
                    "sbatch_lines", "prologue", "max_queued", "queue_timeout", "poll_interval",
                    "max_retries", "result_grace", "crucible", "bin_dir"})) {
    return;
  }
  SlurmOptions& s = c.slurm;
  r.Read(n, "partition", "slurm", s.partition);
  r.Read(n, "account", "slurm", s.account);
  r.Read(n, "qos", "slurm", s.qos);
  r.Read(n, "time", "slurm", s.time);
  r.Read(n, "memory_mb", "slurm", s.memory_mb, 0);
  r.Read(n, "cpus", "slurm", s.cpus, 1, 4096);
  r.Read(n, "gpus", "slurm", s.gpus, 0, 64);
  if (const YAML::Node l = n["sbatch_lines"]; l && !l.IsNull()) {
    if (!l.IsSequence()) {
      r.Fail("slurm.sbatch_lines", "must be a list of options, one per #SBATCH line");
    } else {
      s.sbatch_lines.clear();
      for (size_t i = 0; i < l.size(); ++i) {
        if (!l[i].IsScalar() || !IsJsonString(l[i].Scalar())) {
          r.Fail(fmt::format("slurm.sbatch_lines[{}]", i),
                 l[i].IsScalar() ? "is not valid UTF-8" : "must be a string");
          break;
        }
        s.sbatch_lines.push_back(l[i].Scalar());
      }
    }
  }
  r.Read(n, "prologue", "slurm", s.prologue);
  r.Read(n, "max_queued", "slurm", s.max_queued, 1, 100000);
  r.Read(n, "queue_timeout", "slurm", s.queue_timeout_seconds, 0.01);
  r.Read(n, "poll_interval", "slurm", s.poll_seconds, 0.01, 600.0);
  r.Read(n, "max_retries", "slurm", s.max_retries, 0, 100);
  r.Read(n, "result_grace", "slurm", s.result_grace_seconds, 0.0);
  r.Read(n, "crucible", "slurm", s.crucible);
  r.Read(n, "bin_dir", "slurm", s.bin_dir);
}

// `objectives:`, a list of {key, direction}: two or more, distinct keys, and
// not beside `objective:` (the first of the list is the objective).
void ParseObjectives(const YAML::Node& root, YamlReader& r, RunConfig& c) {
  const YAML::Node list = root["objectives"];
  if (!list || list.IsNull()) return;
  if (root["objective"] && !root["objective"].IsNull()) {
    r.Fail("objectives", "give either objective or objectives, not both");
    return;
  }
  if (!list.IsSequence() || list.size() < 2) {
    r.Fail("objectives", "must be a list of two or more {key, direction}");
    return;
  }
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string path = "objectives[" + std::to_string(i) + "]";
    if (!r.IsMap(list[i], path)) return;
    r.CheckKeys(list[i], path, {"key", "direction"});
    Objective o;
    r.Read(list[i], "key", path, o.key);
    if (o.key.empty()) r.Fail(JoinPath(path, "key"), "is required");
    r.ReadEnum(list[i], "direction", path, {Direction::kMaximize, Direction::kMinimize},
               DirectionName, o.direction);
    for (const Objective& before : c.objectives) {
      if (before.key == o.key) r.Fail(JoinPath(path, "key"), "repeats " + o.key);
    }
    c.objectives.push_back(std::move(o));
  }
  if (r.status().ok()) c.objective = c.objectives.front();
}

}  // namespace

void ParseProblemYaml(const YAML::Node& root, YamlReader& r, RunConfig& c) {
  r.CheckKeys(root, "",
              {"name", "description", "files", "prompt", "evaluator", "objective", "archive",
               "features", "mutate", "budget", "limits", "problem_dir", "proposer", "llm",
               "executor", "slurm", "prompt_text", "seed", "parameters", "search", "tuning",
               "objectives"});
  if (!r.status().ok()) return;
  r.Read(root, "name", "", c.name);
  if (r.status().ok() && c.name.empty()) r.Fail("name", "is required");
  r.Read(root, "description", "", c.description);
  r.ReadWords(root, "files", "", c.files);
  // A design space (docs/search.md) needs no program: its candidate is the
  // parameters.json crucible writes.
  ReadSearchSections(r, root, c.search);
  if (r.status().ok() && c.files.empty() && c.search.parameters.empty()) {
    r.Fail("files", "is required: the files to evolve (or a `parameters:` space to search)");
  }
  if (!c.search.parameters.empty() &&
      std::find(c.files.begin(), c.files.end(), kParametersFile) != c.files.end()) {
    r.Fail("files", "parameters.json is written from `parameters:`; do not list it");
  }
  r.Read(root, "prompt", "", c.prompt_file);
  r.Read(root, "prompt_text", "", c.prompt_text);
  if (root["seed"] && !root["seed"].IsNull()) {
    int64_t seed = 0;
    r.Read(root, "seed", "", seed, 0);
    c.seed = static_cast<uint64_t>(seed);
  }
  ParseEvaluator(root, r, c);
  ReadTuningSection(r, root, c.tuning);
  if (const YAML::Node o = root["objective"]; o && !o.IsNull()) {
    r.CheckKeys(o, "objective", {"key", "direction"});
    r.Read(o, "key", "objective", c.objective.key);
    r.ReadEnum(o, "direction", "objective", {Direction::kMaximize, Direction::kMinimize},
               DirectionName, c.objective.direction);
  }
  ParseObjectives(root, r, c);
  ParseArchive(root, r, c.archive);
  ParseMutate(root, r, c.mutate);
  ParseLlmSection(root, r, c.llm, c.proposer);
  ParseBudget(root, r, c.budget);
  ParseSlurm(root, r, c);
  if (const YAML::Node l = root["limits"]; l && !l.IsNull()) {
    r.CheckKeys(l, "limits", {"max_program_kb"});
    double kb = static_cast<double>(c.max_program_bytes) / 1024.0;
    // At least one byte (OpenEvolve's max_code_length can be that small, and
    // its tasks freeze through this same reader), at most 1 TiB (so that the
    // conversion to bytes stays in range).
    r.Read(l, "max_program_kb", "limits", kb, 1.0 / 1024.0, 1024.0 * 1024.0 * 1024.0);
    c.max_program_bytes = static_cast<size_t>(kb * 1024.0);
  }
}


}  // namespace crucible
