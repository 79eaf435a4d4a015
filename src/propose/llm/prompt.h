// Prompt building for the LLM proposer (docs/llm.md, "Prompts").
//
// A prompt is a system message (templates/system.md with the problem's
// prompt.md as {{task}}) and a user message from the mode's template
// (diff.md, rewrite.md, crossover.md) whose placeholders are filled here:
// {{parent}} the parent's files with its score; {{evaluation}} its metrics,
// feedback and artifacts (capped); {{inspirations}} other programs with
// their scores; {{history}} the parent's recent children and what happened
// to them; {{second_parent}} for crossover; {{file}} the file to rewrite;
// {{objective}} what is optimised. A problem overrides any template with
// PROBLEM/prompts/<name>.md. Only train-split results are ever shown: the
// candidates given here carry nothing else.
// Pure functions; thread-safe.
#ifndef CRUCIBLE_PROPOSE_LLM_PROMPT_H_
#define CRUCIBLE_PROPOSE_LLM_PROMPT_H_

#include <optional>
#include <string>
#include "core/objective.h"
#include <vector>

#include "core/candidate.h"
#include "core/status.h"
#include "llm/chat_client.h"
#include "propose/llm/prompt_limits.h"

namespace crucible {

enum class PatchMode { kDiff, kRewrite, kCrossover };
std::string_view PatchModeName(PatchMode mode);  // diff | rewrite | crossover

struct PromptTemplates {
  std::string system, diff, rewrite, crossover, reask, scratchpad, novelty_judge;
  // The built-in templates, each replaced by PROBLEM/prompts/<name>.md when
  // that file exists.
  static StatusOr<PromptTemplates> Load(const std::string& problem_dir);
};

// One earlier child of the parent, for {{history}}.
struct Attempt {
  CandidateId id = kNoCandidate;
  std::string mode;
  std::string outcome;                 // ok, compile_error, duplicate, rejected, ...
  std::optional<double> value;         // its objective value
  std::string note;                    // first line of its feedback (evaluated children only)
  std::string change;                  // the model's one-line summary of its change, else
                                       // CompactChange's ('' if neither)
};

struct PromptInput {
  PatchMode mode = PatchMode::kDiff;
  const Candidate* parent = nullptr;
  const Candidate* second_parent = nullptr;  // crossover
  std::vector<const Candidate*> inspirations;
  // How many of `inspirations` (the first) the archive picked as the
  // island's best: they are labelled "top", the rest "diverse". nullopt
  // (unknown): labelled by value, "top" when at least as good as the parent.
  std::optional<size_t> num_top;
  std::vector<Attempt> history;
  std::string task;            // the problem's prompt.md ('' when none)
  Objective objective;
  size_t rewrite_file = 0;     // index of the file a rewrite/crossover replaces
  // The objective value of the parent's own parent, for the parent's
  // standing (improved or declined); nullopt when unknown or none.
  std::optional<double> grandparent_value;
  bool parent_is_initial = false;
  std::string scratchpad;      // the run's current scratchpad note ('' = none)
};

std::vector<ChatMessage> BuildPrompt(const PromptTemplates& templates, const PromptInput& input,
                                     const PromptLimits& limits);

// The user message that re-asks after an unusable reply.
std::string ReaskMessage(const PromptTemplates& templates, const std::string& error);


// The scratchpad request (templates/scratchpad.md): the system message of
// the task and a user message with the previous note, the best value and
// recent attempts (one line each).
std::vector<ChatMessage> BuildScratchpadPrompt(const PromptTemplates& templates,
                                               const std::string& task, const Objective& objective,
                                               const std::string& best, const std::string& previous,
                                               const std::string& attempts);

// The novelty judge's request (templates/novelty_judge.md, ShinkaEvolve's
// LLM check of near-duplicates): the evolvable code of the existing program
// and of the new one (each capped at `max_chars`), and how similar they are.
std::vector<ChatMessage> BuildNoveltyJudgePrompt(const PromptTemplates& templates,
                                                 const std::string& task, const Objective& objective,
                                                 CandidateId existing_id, const std::string& existing,
                                                 const std::string& proposed,
                                                 const std::string& similarity, size_t max_chars);
// The judge's verdict: true = meaningfully different, false = the same
// program, nullopt = no verdict line (`VERDICT: DIFFERENT|SAME`, the last
// one counts; case, markdown emphasis and a trailing period are tolerated).
std::optional<bool> ParseNoveltyVerdict(std::string_view answer);

// One attempt as a line of the history or of the scratchpad request.
std::string AttemptLine(const Attempt& a, const Objective& objective,
                        std::optional<double> parent_value);

// What changed from `before` to `after`, in one line (at most ~200
// characters), for the history of a child whose reply had no summary line:
// changed `a` to `b`; replaced 3 lines starting `a` with 2 starting `b`;
// added 2 lines starting `b`; removed ... (lines trimmed and cut at 70
// characters, in backticks); the file is named when the
// program has several. Only the first changed file and hunk are described
// (with "and more" when there are others); '' when nothing changed.
std::string CompactChange(const Program& before, const Program& after);

// The messages as the JSON text stored in llm_calls.prompt.
std::string MessagesToJson(const std::vector<ChatMessage>& messages);

// Replaces each {{name}} of `text` by vars[name]; unknown names stay.
std::string FillTemplate(std::string text, const std::vector<std::pair<std::string, std::string>>& vars);

}  // namespace crucible

#endif  // CRUCIBLE_PROPOSE_LLM_PROMPT_H_
