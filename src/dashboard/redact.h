// Redact: hides anything shaped like an API key before text leaves the
// dashboard. crucible never stores keys in run.db (the LLM proposer reads
// them from the environment), but a prompt, a response, an evaluator's
// feedback or an error text could still quote one; this is the last guard.
#ifndef CRUCIBLE_DASHBOARD_REDACT_H_
#define CRUCIBLE_DASHBOARD_REDACT_H_

#include <string>
#include <string_view>

namespace crucible {

// Replaces "sk-..." style keys (OpenAI, Anthropic, OpenRouter: "sk-" then 16+
// key characters), "Bearer <token>" and "api_key=<value>" / "api-key: <value>"
// values with "[redacted]". Everything else is returned unchanged.
std::string Redact(std::string_view text);

}  // namespace crucible

#endif  // CRUCIBLE_DASHBOARD_REDACT_H_
