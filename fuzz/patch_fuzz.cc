// libFuzzer target: the LLM reply parser and patch applier (src/propose/llm/
// patch.cc) on arbitrary replies against a fixed parent program. A reply is
// untrusted model output: parse errors are Status, never a crash, and an
// applied diff leaves the fixed regions outside EVOLVE-BLOCKs untouched.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "propose/llm/patch.h"

namespace {

const crucible::Program& Parent() {
  static const crucible::Program parent{{{"main.py",
                                          "import math\n"
                                          "# EVOLVE-BLOCK-START\n"
                                          "def f(x):\n"
                                          "    return x * 2\n"
                                          "# EVOLVE-BLOCK-END\n"
                                          "print(f(3))\n"}}};
  return parent;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view reply(reinterpret_cast<const char*>(data), size);
  if (auto blocks = crucible::ParseDiffBlocks(reply); blocks.ok()) {
    (void)crucible::ApplyDiff(Parent(), *blocks);
  }
  if (auto code = crucible::ParseFencedCode(reply); code.ok()) {
    (void)crucible::ApplyRewrite(Parent(), 0, *code);
  }
  return 0;
}
