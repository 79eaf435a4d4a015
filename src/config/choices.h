// The closed sets of a run's configuration that belong to no lower component:
// which proposer and which executor. Each is an enum; its spelling in
// problem.yaml, the frozen JSON, the command line and messages is given here
// and nowhere else. (The other closed sets have their names beside their
// enums: Direction in core/objective.h, Outcome in core/outcome.h, isolation
// in sandbox/sandbox_options.h, ReasoningEffort in llm/model_spec.h.)
#ifndef CRUCIBLE_CONFIG_CHOICES_H_
#define CRUCIBLE_CONFIG_CHOICES_H_

#include <optional>
#include <string_view>

namespace crucible {

// kAuto: search when problem.yaml declares `parameters:`, else the LLM when
// an endpoint is configured, else mutate. A new run freezes what kAuto
// resolved to (docs/llm.md, docs/search.md).
enum class ProposerKind { kAuto, kMutate, kLlm, kSearch };
// kLocal: this machine's sandbox. kSlurm: one job per evaluation (docs/slurm.md).
enum class ExecutorKind { kLocal, kSlurm };

// "auto" / "mutate" / "llm" / "search".
std::string_view ProposerKindName(ProposerKind kind);
std::optional<ProposerKind> ParseProposerKind(std::string_view name);
// "local" / "slurm".
std::string_view ExecutorKindName(ExecutorKind kind);
std::optional<ExecutorKind> ParseExecutorKind(std::string_view name);

}  // namespace crucible

#endif  // CRUCIBLE_CONFIG_CHOICES_H_
