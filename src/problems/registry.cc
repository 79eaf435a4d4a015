#include "problems/registry.h"

#include <algorithm>
#include <memory>

#include "problems/bin_packing/src/harness.h"
#include "problems/cant_be_late/src/harness.h"
#include "problems/cant_be_late_policy/src/harness.h"
#include "problems/circle_packing/src/harness.h"
#include "problems/cloudcast/src/harness.h"
#include "problems/eplb/src/harness.h"
#include "problems/llm_sql/src/harness.h"
#include "problems/prism/src/harness.h"
#include "problems/txn_scheduling/src/harness.h"

namespace crucible {
namespace {

// The table: adding a built-in problem is one line here, one include above
// and one name in src/problems/CMakeLists.txt (docs/builtin-problems.md).
std::vector<std::unique_ptr<Problem>> MakeProblems() {
  std::vector<std::unique_ptr<Problem>> v;
  v.push_back(bin_packing::MakeProblem(bin_packing::BinArray::kReference));
  v.push_back(bin_packing::MakeProblem(bin_packing::BinArray::kFast));
  v.push_back(cbl::MakeProblem());
  v.push_back(cblp::MakeProblem());
  v.push_back(circles::MakeProblem("square_26"));
  v.push_back(circles::MakeProblem("square_32"));
  v.push_back(circles::MakeProblem("rect_21"));
  v.push_back(cloudcast::MakeProblem());
  v.push_back(eplb::MakeProblem());
  v.push_back(llmsql::MakeProblem());
  v.push_back(prism::MakeProblem());
  v.push_back(txn::MakeProblem());
  return v;
}

}  // namespace

const std::vector<const Problem*>& BuiltinProblems() {
  struct Table {
    std::vector<std::unique_ptr<Problem>> owned;
    std::vector<const Problem*> sorted;
  };
  static const Table table = [] {
    Table t{MakeProblems(), {}};
    for (const std::unique_ptr<Problem>& p : t.owned) t.sorted.push_back(p.get());
    std::sort(t.sorted.begin(), t.sorted.end(),
              [](const Problem* a, const Problem* b) { return a->name() < b->name(); });
    return t;
  }();
  return table.sorted;
}

const Problem* FindBuiltinProblem(std::string_view name) {
  for (const Problem* p : BuiltinProblems()) {
    if (p->name() == name) return p;
  }
  return nullptr;
}

}  // namespace crucible
