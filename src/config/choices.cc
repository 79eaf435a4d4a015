#include "config/choices.h"

namespace crucible {

std::string_view ProposerKindName(ProposerKind kind) {
  switch (kind) {
    case ProposerKind::kAuto: return "auto";
    case ProposerKind::kMutate: return "mutate";
    case ProposerKind::kLlm: return "llm";
    case ProposerKind::kSearch: return "search";
  }
  return "auto";
}

std::optional<ProposerKind> ParseProposerKind(std::string_view name) {
  for (ProposerKind k : {ProposerKind::kAuto, ProposerKind::kMutate, ProposerKind::kLlm,
                         ProposerKind::kSearch}) {
    if (ProposerKindName(k) == name) return k;
  }
  return std::nullopt;
}

std::string_view ExecutorKindName(ExecutorKind kind) {
  switch (kind) {
    case ExecutorKind::kLocal: return "local";
    case ExecutorKind::kSlurm: return "slurm";
  }
  return "local";
}

std::optional<ExecutorKind> ParseExecutorKind(std::string_view name) {
  for (ExecutorKind k : {ExecutorKind::kLocal, ExecutorKind::kSlurm}) {
    if (ExecutorKindName(k) == name) return k;
  }
  return std::nullopt;
}

}  // namespace crucible
