#include "problems/registry.h"

#include <algorithm>

#include "problems/bin_packing/src/harness.h"
#include "problems/cant_be_late/src/harness.h"
#include "problems/circle_packing/src/harness.h"
#include "problems/cloudcast/src/harness.h"
#include "problems/eplb/src/harness.h"
#include "problems/llm_sql/src/harness.h"
#include "problems/prism/src/harness.h"
#include "problems/txn_scheduling/src/harness.h"

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
    v.push_back({"circle_packing_rect_21",
                 "21 circles in a rectangle of perimeter 4 (AlphaEvolve B.13); candidate: "
                 "PackCircles() in C++; sum of radii, strict (tolerance 0)",
                 &circles::RunRect21Harness});
    v.push_back({"circle_packing_square_26",
                 "26 circles in the unit square (AlphaEvolve B.12); candidate: PackCircles() in "
                 "C++; sum of radii, strict (tolerance 0)",
                 &circles::RunSquare26Harness});
    v.push_back({"circle_packing_square_32",
                 "32 circles in the unit square (AlphaEvolve B.12); candidate: PackCircles() in "
                 "C++; sum of radii, strict (tolerance 0)",
                 &circles::RunSquare32Harness});
    v.push_back({"txn_scheduling",
                 "transaction scheduling (ADRS); candidate: ScheduleTransactions() in C++; sum of "
                 "makespans on the 3 published workloads / 6 generated held-out workloads",
                 &txn::RunHarness});
    v.push_back({"cant_be_late",
                 "spot vs on-demand under a deadline (ADRS Can't-Be-Late, single region); "
                 "candidate: a per-tick Policy in C++; mean cost on real AWS spot traces, "
                 "misses fail",
                 &cbl::RunHarness});
    v.push_back({"eplb",
                 "MoE expert replication and placement (EPLB, ADRS); candidate: RebalanceExperts() "
                 "in C++; GPU balancedness on the next window of seeded DeepSeek-V3-shaped traces",
                 &eplb::RunHarness});
    v.push_back({"prism",
                 "GPU model placement (PRISM, ADRS); candidate: PlaceModels() in C++; 1 / mean max "
                 "KVPR on the 50 published cases / hidden seeds + a harder regime",
                 &prism::RunHarness});
    v.push_back({"cloudcast",
                 "multi-cloud broadcast (ADRS Cloudcast); candidate: SearchAlgorithm() in C++; "
                 "total $ over the 5 public configs / 10 generated held-out configs",
                 &cloudcast::RunHarness});
    v.push_back({"llm_sql",
                 "per-row field reordering for prefix-cache reuse (ADRS LLM-SQL); candidate: "
                 "Reorder() in C++; prefix hit rate on beer.csv + 2 synthetic tables / 3 hidden "
                 "synthetic tables",
                 &llmsql::RunHarness});
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
