// The warm worker's compiled extension module, embedded in the binary
// (python_support_so.cc); InstallPythonSupport writes it beside worker.py.
#ifndef CRUCIBLE_EVALUATE_PYTHON_SUPPORT_SO_H_
#define CRUCIBLE_EVALUATE_PYTHON_SUPPORT_SO_H_

#include <string_view>

namespace crucible::python_support {

// The bytes of _crucible_warm_fork.abi3.so; empty when it was not built.
std::string_view WarmForkModule();

inline constexpr const char* kWarmForkModulePath = "crucible/_crucible_warm_fork.abi3.so";

}  // namespace crucible::python_support

#endif  // CRUCIBLE_EVALUATE_PYTHON_SUPPORT_SO_H_
