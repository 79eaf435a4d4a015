#include "propose/llm/prompt.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "propose/llm/templates.h"

namespace crucible {
namespace {

namespace fs = std::filesystem;

std::string Cap(std::string_view text, size_t max) {
  if (text.size() <= max) return std::string(text);
  return fmt::format("{}\n[... {} more characters cut ...]", text.substr(0, max), text.size() - max);
}

std::string Fence(const SourceFile& f, size_t max) {
  const std::string ext = fs::path(f.path).extension().string();
  const std::string lang = ext == ".py" ? "python" : ext.empty() ? "" : ext.substr(1);
  std::string body = Cap(f.content, max);
  if (!body.empty() && body.back() != '\n') body += '\n';
  return fmt::format("{}:\n```{}\n{}```\n", f.path, lang, body);
}

std::string ValueText(const Candidate& c, const std::string& key) {
  const std::optional<double> v = Objective{key}.ValueOf(c.result);
  if (c.result.outcome != Outcome::kOk) return fmt::format("{}", OutcomeName(c.result.outcome));
  return v ? fmt::format("{} = {:.10g}", key, *v) : fmt::format("no {}", key);
}

std::string ProgramText(const Candidate& c, const std::string& key, size_t max) {
  std::string s = fmt::format("Program #{} ({}):\n", c.id, ValueText(c, key));
  for (const SourceFile& f : c.program.files) s += Fence(f, max);
  return s;
}

std::string EvaluationText(const Candidate& c, const PromptLimits& l) {
  const EvalResult& r = c.result;
  std::string s = fmt::format("Outcome: {}", OutcomeName(r.outcome));
  if (r.score) s += fmt::format("; score {:.10g}", *r.score);
  s += "\n";
  if (!r.metrics.empty()) {
    s += "Metrics:";
    for (const auto& [k, v] : r.metrics) s += fmt::format(" {}={:.6g}", k, v);
    s += "\n";
  }
  if (!r.feedback.empty()) s += "Evaluator feedback:\n" + Cap(r.feedback, l.max_feedback_chars) + "\n";
  for (const auto& [name, text] : r.artifacts) {
    s += fmt::format("Artifact {}:\n{}\n", name, Cap(text, l.max_artifact_chars));
  }
  return s;
}

std::string InspirationsText(const PromptInput& in, const PromptLimits& l) {
  std::string s;
  int shown = 0;
  for (const Candidate* c : in.inspirations) {
    if (shown >= l.max_inspirations) break;
    if (c == nullptr || c == in.parent || c == in.second_parent) continue;
    s += ProgramText(*c, in.objective.key, l.max_inspiration_chars) + "\n";
    ++shown;
  }
  return s.empty() ? "(none yet)" : s;
}

std::string HistoryText(const PromptInput& in, const PromptLimits& l) {
  std::string s;
  const size_t n = in.history.size();
  const size_t from = n > static_cast<size_t>(l.max_history) ? n - l.max_history : 0;
  for (size_t i = from; i < n; ++i) {
    const Attempt& a = in.history[i];
    s += fmt::format("- #{} ({}): {}", a.id, a.mode, a.outcome);
    if (a.value) s += fmt::format(", {} = {:.10g}", in.objective.key, *a.value);
    if (!a.note.empty()) s += " - " + a.note;
    s += "\n";
  }
  return s.empty() ? "(none yet)" : s;
}

StatusOr<std::string> ReadIfExists(const fs::path& p, std::string fallback) {
  std::error_code ec;
  if (!fs::is_regular_file(p, ec)) return fallback;
  std::ifstream in(p, std::ios::binary);
  if (!in) return InvalidArgumentError(fmt::format("cannot read prompt template {}", p.string()));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

std::string_view PatchModeName(PatchMode mode) {
  switch (mode) {
    case PatchMode::kDiff: return "diff";
    case PatchMode::kRewrite: return "rewrite";
    case PatchMode::kCrossover: return "crossover";
  }
  return "diff";
}

StatusOr<PromptTemplates> PromptTemplates::Load(const std::string& problem_dir) {
  const fs::path dir = fs::path(problem_dir) / "prompts";
  PromptTemplates t;
  ASSIGN_OR_RETURN(t.system, ReadIfExists(dir / "system.md", llm_templates::kSystem));
  ASSIGN_OR_RETURN(t.diff, ReadIfExists(dir / "diff.md", llm_templates::kDiff));
  ASSIGN_OR_RETURN(t.rewrite, ReadIfExists(dir / "rewrite.md", llm_templates::kRewrite));
  ASSIGN_OR_RETURN(t.crossover, ReadIfExists(dir / "crossover.md", llm_templates::kCrossover));
  ASSIGN_OR_RETURN(t.reask, ReadIfExists(dir / "reask.md", llm_templates::kReask));
  return t;
}

std::string FillTemplate(std::string text,
                         const std::vector<std::pair<std::string, std::string>>& vars) {
  std::string out;
  size_t pos = 0;
  while (true) {
    const size_t open = text.find("{{", pos);
    if (open == std::string::npos) break;
    const size_t close = text.find("}}", open + 2);
    if (close == std::string::npos) break;
    const std::string name = text.substr(open + 2, close - open - 2);
    out.append(text, pos, open - pos);
    bool found = false;
    for (const auto& [k, v] : vars) {
      if (k == name) {
        out += v;  // inserted text is never re-scanned
        found = true;
        break;
      }
    }
    if (!found) out.append(text, open, close + 2 - open);
    pos = close + 2;
  }
  out.append(text, pos, std::string::npos);
  return out;
}

std::vector<ChatMessage> BuildPrompt(const PromptTemplates& t, const PromptInput& in,
                                     const PromptLimits& l) {
  const std::string objective =
      fmt::format("objective is {} to {}", in.objective.key, in.objective.maximize() ? "maximise" : "minimise");
  std::string file;
  if (in.parent && in.rewrite_file < in.parent->program.files.size()) {
    file = in.parent->program.files[in.rewrite_file].path;
  }
  const std::vector<std::pair<std::string, std::string>> vars = {
      {"task", in.task.empty() ? std::string("Improve the program below.") : in.task},
      {"objective", objective},
      {"parent", in.parent ? ProgramText(*in.parent, in.objective.key, l.max_code_chars) : ""},
      {"evaluation", in.parent ? EvaluationText(*in.parent, l) : ""},
      {"second_parent", in.second_parent
                            ? ProgramText(*in.second_parent, in.objective.key, l.max_code_chars)
                            : "(none)"},
      {"inspirations", InspirationsText(in, l)},
      {"history", HistoryText(in, l)},
      {"file", file},
  };
  const std::string& user = in.mode == PatchMode::kDiff      ? t.diff
                            : in.mode == PatchMode::kRewrite ? t.rewrite
                                                             : t.crossover;
  return {{"system", FillTemplate(t.system, vars)}, {"user", FillTemplate(user, vars)}};
}

std::string ReaskMessage(const PromptTemplates& t, const std::string& error) {
  return FillTemplate(t.reask, {{"error", error}});
}

std::string MessagesToJson(const std::vector<ChatMessage>& messages) {
  nlohmann::json a = nlohmann::json::array();
  for (const ChatMessage& m : messages) a.push_back({{"role", m.role}, {"content", m.content}});
  return a.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace crucible
