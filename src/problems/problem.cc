#include "problems/problem.h"

namespace crucible {

int RunProblemHarness(const Problem& problem, const std::string& candidate_dir) {
  const CandidateApi api = problem.candidate_api();
  return RunCompiledHarness(problem.name(), candidate_dir, api.candidate_name,
                            [&problem](const HarnessEnv& env, const std::string& source) {
                              return problem.Evaluate(env, source);
                            });
}

}  // namespace crucible
