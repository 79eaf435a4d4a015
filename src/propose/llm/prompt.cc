#include "propose/llm/prompt.h"

#include <fmt/format.h>

#include <cctype>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/file.h"
#include "core/regions.h"
#include "propose/llm/patch.h"
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

std::string MetricsText(const EvalResult& r, size_t max = 6) {
  std::string s;
  size_t n = 0;
  for (const auto& [k, v] : r.metrics) {
    if (n++ == max) break;
    s += fmt::format("{}{}={:.6g}", s.empty() ? "" : ", ", k, v);
  }
  return s;
}

// An inspiration: labelled, with its key metrics, and only the code that
// may change (fixed code is the same in every program).
std::string InspirationText(const Candidate& c, size_t index, const PromptInput& in, size_t max) {
  std::string_view label;
  if (in.num_top) {  // the archive's rule that picked it
    label = index < *in.num_top ? "top: among the best programs so far"
                                : "diverse: a different approach";
  } else {
    const std::optional<double> mine = in.objective.ValueOf(c.result);
    const std::optional<double> parents =
        in.parent ? in.objective.ValueOf(in.parent->result) : std::nullopt;
    const bool top = mine && (!parents || !in.objective.Better(*parents, *mine));
    label = top ? "top: at least as good as the current program" : "diverse: a different approach";
  }
  std::string s = fmt::format("Program #{} ({}; {}", c.id, label, ValueText(c, in.objective.key));
  if (const std::string m = MetricsText(c.result); !m.empty()) s += "; " + m;
  s += "), its evolvable code:\n";
  for (const SourceFile& f : c.program.files) {
    const std::vector<std::string> parts = EvolvableTexts(f.content, f.path);
    std::string code;
    for (const std::string& t : parts) code += t;
    if (code.empty()) continue;
    s += Fence(SourceFile{f.path, code}, max);
  }
  return s;
}

std::string InspirationsText(const PromptInput& in, const PromptLimits& l) {
  std::string s;
  int shown = 0;
  for (size_t i = 0; i < in.inspirations.size(); ++i) {
    const Candidate* c = in.inspirations[i];
    if (shown >= l.max_inspirations) break;
    if (c == nullptr || c == in.parent || c == in.second_parent) continue;
    s += InspirationText(*c, i, in, l.max_inspiration_chars) + "\n";
    ++shown;
  }
  return s.empty() ? "(none yet)" : s;
}

// One earlier child of the parent: what it tried, what came of it, and its
// score against the parent's. Proposer-internal failures are not shown.
std::string AttemptText(const Attempt& a, const PromptInput& in,
                        std::optional<double> parent_value) {
  return AttemptLine(a, in.objective, parent_value);
}

}  // namespace

std::string AttemptLine(const Attempt& a, const Objective& objective,
                        std::optional<double> parent_value) {
  std::string s = fmt::format("- #{} ({}", a.id, a.mode);
  if (!a.change.empty()) s += ": \"" + a.change + "\"";
  s += "): ";
  if (a.outcome == "rejected") return s + "no usable change was made\n";
  if (a.outcome == "duplicate") return s + "the same program as an earlier one\n";
  s += a.outcome;
  if (a.value) {
    s += fmt::format(", {} = {:.10g}", objective.key, *a.value);
    if (parent_value) {
      const double d = *a.value - *parent_value;
      const char* verdict = d == 0 ? "no change" : objective.Better(*a.value, *parent_value)
                                                       ? "better" : "worse";
      s += fmt::format(" ({:+.4g}, {})", d, verdict);
    }
  }
  if (!a.note.empty() && a.outcome != "ok") s += " - " + a.note;
  return s + "\n";
}

namespace {

// A line as quoted in a compact change: trimmed, inner whitespace kept, cut.
std::string Quoted(std::string_view line) {
  const size_t b = line.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return "``";
  line.remove_prefix(b);
  line.remove_suffix(line.size() - line.find_last_not_of(" \t\r") - 1);
  std::string s(line.substr(0, 70));
  if (line.size() > 70) s += "...";
  return "`" + s + "`";  // code as markdown, so the history's quotes stay clear
}

// The one hunk between common leading and trailing lines, described.
std::string HunkText(std::string_view before, std::string_view after, bool& more) {
  const std::vector<std::string_view> a = SplitLines(before), b = SplitLines(after);
  size_t head = 0;
  while (head < a.size() && head < b.size() && a[head] == b[head]) ++head;
  size_t tail = 0;
  while (tail < a.size() - head && tail < b.size() - head &&
         a[a.size() - 1 - tail] == b[b.size() - 1 - tail]) {
    ++tail;
  }
  const size_t removed = a.size() - head - tail, added = b.size() - head - tail;
  if (removed == 0 && added == 0) return "changed only the end of the file's last line";
  // A hunk spanning far apart edits: say so rather than list the middle.
  more = removed > 8 || added > 8;
  if (removed == 1 && added == 1) return "changed " + Quoted(a[head]) + " to " + Quoted(b[head]);
  if (removed == 0) return fmt::format("added {} line{} starting {}", added, added == 1 ? "" : "s",
                                       Quoted(b[head]));
  if (added == 0) return fmt::format("removed {} line{} starting {}", removed,
                                     removed == 1 ? "" : "s", Quoted(a[head]));
  return fmt::format("replaced {} line{} starting {} with {} starting {}", removed,
                     removed == 1 ? "" : "s", Quoted(a[head]), added, Quoted(b[head]));
}

}  // namespace

std::string CompactChange(const Program& before, const Program& after) {
  std::string s;
  size_t changed_files = 0;
  bool more = false;
  for (const SourceFile& f : after.files) {
    const SourceFile* old = before.Find(f.path);
    if (old != nullptr && old->content == f.content) continue;
    if (++changed_files > 1) break;
    s = HunkText(old ? std::string_view(old->content) : std::string_view(), f.content, more);
    if (after.files.size() > 1) s = f.path + ": " + s;
  }
  if (changed_files > 1 || more) s += " (and more)";
  return s;
}

namespace {

std::string HistoryText(const PromptInput& in, const PromptLimits& l) {
  std::string s;
  const std::optional<double> parent_value =
      in.parent ? in.objective.ValueOf(in.parent->result) : std::nullopt;
  const size_t n = in.history.size();
  const size_t from = n > static_cast<size_t>(l.max_history) ? n - l.max_history : 0;
  for (size_t i = from; i < n; ++i) s += AttemptText(in.history[i], in, parent_value);
  return s.empty() ? "(none yet)" : s;
}

// Whether the parent improved on its own parent.
std::string StandingText(const PromptInput& in) {
  if (!in.parent) return "";
  if (in.parent_is_initial) return "This is the initial program.";
  const std::optional<double> v = in.objective.ValueOf(in.parent->result);
  if (!v || !in.grandparent_value) return "";
  if (*v == *in.grandparent_value) return fmt::format("It scored the same as its own parent ({:.10g}).", *v);
  return fmt::format("It {} on its own parent ({:.10g} -> {:.10g}).",
                     in.objective.Better(*v, *in.grandparent_value) ? "improved" : "declined",
                     *in.grandparent_value, *v);
}

StatusOr<std::string> ReadIfExists(const fs::path& p, std::string fallback) {
  std::error_code ec;
  if (!fs::is_regular_file(p, ec)) return fallback;
  StatusOr<std::string> text = ReadFile(p);
  if (!text.ok()) return InvalidArgumentError(fmt::format("prompt template: {}", text.status().message()));
  return text;
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
  ASSIGN_OR_RETURN(t.scratchpad, ReadIfExists(dir / "scratchpad.md", llm_templates::kScratchpad));
  ASSIGN_OR_RETURN(t.novelty_judge,
                   ReadIfExists(dir / "novelty_judge.md", llm_templates::kNoveltyJudge));
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
      {"standing", StandingText(in)},
      {"scratchpad", in.scratchpad.empty()
                         ? std::string()
                         : "# Notes from earlier in this run (what worked, what failed)\n" +
                               in.scratchpad + "\n"},
      {"file", file},
  };
  const std::string& user = in.mode == PatchMode::kDiff      ? t.diff
                            : in.mode == PatchMode::kRewrite ? t.rewrite
                                                             : t.crossover;
  return {{"system", FillTemplate(t.system, vars)}, {"user", FillTemplate(user, vars)}};
}

std::vector<ChatMessage> BuildScratchpadPrompt(const PromptTemplates& t, const std::string& task,
                                               const Objective& objective, const std::string& best,
                                               const std::string& previous,
                                               const std::string& attempts) {
  const std::vector<std::pair<std::string, std::string>> vars = {
      {"task", task.empty() ? std::string("Improve the program.") : task},
      {"objective", fmt::format("objective is {} to {}", objective.key,
                                objective.maximize() ? "maximise" : "minimise")},
      {"best", best},
      {"previous", previous.empty() ? std::string("(empty)") : previous},
      {"attempts", attempts.empty() ? std::string("(none yet)") : attempts},
  };
  return {{"system", FillTemplate(t.system, vars)}, {"user", FillTemplate(t.scratchpad, vars)}};
}

std::vector<ChatMessage> BuildNoveltyJudgePrompt(const PromptTemplates& t, const std::string& task,
                                                 const Objective& objective, CandidateId existing_id,
                                                 const std::string& existing,
                                                 const std::string& proposed,
                                                 const std::string& similarity, size_t max_chars) {
  auto capped = [max_chars](const std::string& code) {
    std::string s = "```\n" + Cap(code, max_chars);
    if (!s.ends_with("\n")) s += "\n";
    return s + "```";
  };
  const std::vector<std::pair<std::string, std::string>> vars = {
      {"task", task.empty() ? std::string("Improve the program.") : task},
      {"objective", fmt::format("objective is {} to {}", objective.key,
                                objective.maximize() ? "maximise" : "minimise")},
      {"similarity", similarity},
      {"existing_id", std::to_string(existing_id)},
      {"existing", capped(existing)},
      {"proposed", capped(proposed)},
  };
  return {{"system", FillTemplate(t.system, vars)}, {"user", FillTemplate(t.novelty_judge, vars)}};
}

std::optional<bool> ParseNoveltyVerdict(std::string_view answer) {
  std::string upper(answer);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  const size_t at = upper.rfind("VERDICT:");
  if (at == std::string::npos) return std::nullopt;
  std::string_view rest = std::string_view(upper).substr(at + 8);
  while (!rest.empty() && (rest.front() == ' ' || rest.front() == '*' || rest.front() == '`' ||
                           rest.front() == '\t')) {
    rest.remove_prefix(1);
  }
  size_t end = 0;
  while (end < rest.size() && std::isalpha(static_cast<unsigned char>(rest[end]))) ++end;
  const std::string_view word = rest.substr(0, end);
  // Anything after the word on its line but emphasis and a period makes it
  // unclear ("VERDICT: SAME or DIFFERENT").
  std::string_view tail = rest.substr(end);
  tail = tail.substr(0, tail.find('\n'));
  while (!tail.empty() && std::string_view("*`. \t\r\n").find(tail.front()) != std::string_view::npos) {
    tail.remove_prefix(1);
  }
  if (!tail.empty()) return std::nullopt;
  if (word == "DIFFERENT") return true;
  if (word == "SAME") return false;
  return std::nullopt;
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
