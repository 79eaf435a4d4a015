// The warm worker's extension module (warm_fork.cc, built as
// _crucible_warm_fork.abi3.so), embedded byte for byte so the binary needs
// nothing from the build tree; empty when it was not built (no Python
// headers): worker.py then runs its pure-Python loop.
#include "evaluate/python_support_so.h"

#ifdef CRUCIBLE_WARM_FORK_SO
// .incbin takes the file as it is; the CMake rule rebuilds this object when
// the module changes (OBJECT_DEPENDS).
asm(".section .rodata\n"
    ".balign 16\n"
    "crucible_warm_fork_so_begin:\n"
    ".incbin \"" CRUCIBLE_WARM_FORK_SO "\"\n"
    "crucible_warm_fork_so_end:\n"
    ".previous\n");
extern "C" const char crucible_warm_fork_so_begin[];
extern "C" const char crucible_warm_fork_so_end[];
#endif

namespace crucible::python_support {

std::string_view WarmForkModule() {
#ifdef CRUCIBLE_WARM_FORK_SO
  return std::string_view(crucible_warm_fork_so_begin,
                          static_cast<size_t>(crucible_warm_fork_so_end - crucible_warm_fork_so_begin));
#else
  return {};
#endif
}

}  // namespace crucible::python_support
