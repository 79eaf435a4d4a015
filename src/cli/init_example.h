// `crucible init DIR`: writes a small working problem directory that
// `crucible run DIR` improves.
#ifndef CRUCIBLE_CLI_INIT_EXAMPLE_H_
#define CRUCIBLE_CLI_INIT_EXAMPLE_H_

#include <string>

#include "core/status.h"

namespace crucible {

// Creates DIR (which must not exist or be empty) with problem.yaml,
// program.py, evaluate.py and prompt.md.
Status WriteExampleProblem(const std::string& dir);

// The same task in OpenEvolve's format (docs/openevolve.md):
// initial_program.py, evaluator.py and config.yaml.
Status WriteOpenEvolveExample(const std::string& dir);

}  // namespace crucible

#endif  // CRUCIBLE_CLI_INIT_EXAMPLE_H_
