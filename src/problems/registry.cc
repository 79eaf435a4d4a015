#include "problems/registry.h"

#include <algorithm>

#include "problems/bin_packing/harness.h"

namespace crucible {

const std::vector<BuiltinHarness>& BuiltinHarnesses() {
  // Each built-in problem adds its harness here (issue #4, #5).
  static const std::vector<BuiltinHarness> harnesses = [] {
    std::vector<BuiltinHarness> v;
    v.push_back({"bin_packing",
                 "online 1-D bin packing (FunSearch); candidate: priority() in C++; excess over "
                 "ceil(sum/C) on generated train / OR3 + Weibull 5k held-out",
                 &bin_packing::RunHarness});
    v.push_back({"bin_packing_fast",
                 "bin_packing with the fast bin array (used bins + one empty); scores not "
                 "comparable to published ones",
                 &bin_packing::RunFastHarness});
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
