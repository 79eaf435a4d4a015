// PromptLimits: how much of each part the LLM proposer's prompt may hold
// (problem.yaml's llm.prompt, docs/llm.md). A plain value in its own header so
// that the configuration holds it without linking the proposer.
#ifndef CRUCIBLE_PROPOSE_LLM_PROMPT_LIMITS_H_
#define CRUCIBLE_PROPOSE_LLM_PROMPT_LIMITS_H_

#include <cstddef>

namespace crucible {

struct PromptLimits {
  size_t max_code_chars = 60000;       // per program shown
  size_t max_feedback_chars = 4000;
  size_t max_artifact_chars = 2000;    // per artifact
  size_t max_inspiration_chars = 12000;  // code per inspiration
  int max_inspirations = 4;
  int max_history = 6;
};

}  // namespace crucible

#endif  // CRUCIBLE_PROPOSE_LLM_PROMPT_LIMITS_H_
