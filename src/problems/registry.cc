#include "problems/registry.h"

#include <algorithm>

namespace crucible {

const std::vector<BuiltinHarness>& BuiltinHarnesses() {
  // Each built-in problem adds its harness here (issue #4, #5).
  static const std::vector<BuiltinHarness> harnesses = [] {
    std::vector<BuiltinHarness> v;
    std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    return v;
  }();
  return harnesses;
}

const BuiltinHarness* FindBuiltinHarness(std::string_view name) {
  for (const BuiltinHarness& h : BuiltinHarnesses()) {
    if (h.name == name) return &h;
  }
  return nullptr;
}

}  // namespace crucible
