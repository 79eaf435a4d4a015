// CrossoverRegion: see operators.h.
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "propose/mutate/operators.h"
#include "propose/mutate/source_model.h"

namespace crucible {
namespace {

using namespace mutate_internal;

constexpr double kOnePointProbability = 0.5;

// A line boundary inside a region where the text may be cut: no token spans
// it, the code there is outside any ( or [, and `key` says where in the block
// structure it sits (brace depth relative to the region in C-family, the
// indentation of the line in Python), so that the two parents are cut at
// corresponding places.
struct Cut {
  size_t offset;    // first byte of the line after the cut
  double position;  // relative position in the region, 0..1
  long key;
};

std::vector<Cut> CutsIn(const EditContext& ctx, const Region& region) {
  std::vector<Cut> cuts;
  const std::vector<Line> lines = AnalyzeLines(ctx);
  long base_braces = 0;
  bool first = true;
  for (size_t i = 0; i < lines.size(); ++i) {
    const Line& line = lines[i];
    if (line.begin < region.begin || line.begin >= region.end) continue;
    if (first) {
      base_braces = line.brace_depth;
      first = false;
      continue;  // a cut at the region's start would take nothing from the parent
    }
    // The line before the cut and the line after it must not share a token.
    if (line.joined && i > 0 && lines[i - 1].joined) continue;
    if (line.depth_before != 0 || !line.HasCode()) continue;
    const double position =
        static_cast<double>(line.begin - region.begin) / static_cast<double>(region.size());
    const long key = ctx.language == Language::kPython
                         ? static_cast<long>(line.indent)
                         : static_cast<long>(line.brace_depth) - base_braces;
    cuts.push_back({line.begin, position, key});
  }
  return cuts;
}

std::optional<Edit> OnePoint(const EditContext& parent, const Region& pr,
                             const EditContext& inspiration, const Region& ir, int index,
                             Rng& rng) {
  const std::vector<Cut> parent_cuts = CutsIn(parent, pr);
  const std::vector<Cut> inspiration_cuts = CutsIn(inspiration, ir);
  for (size_t k : Shuffled(parent_cuts.size(), rng)) {
    const Cut& pc = parent_cuts[k];
    // The inspiration cut with the same key nearest in relative position.
    const Cut* best = nullptr;
    double best_distance = std::numeric_limits<double>::infinity();
    for (const Cut& ic : inspiration_cuts) {
      const double d = std::abs(ic.position - pc.position);
      if (ic.key == pc.key && d < best_distance) {
        best = &ic;
        best_distance = d;
      }
    }
    if (best == nullptr) continue;
    std::string region_text(parent.source.substr(pr.begin, pc.offset - pr.begin));
    region_text += inspiration.source.substr(best->offset, ir.end - best->offset);
    if (region_text == parent.source.substr(pr.begin, pr.size())) continue;
    Edit edit = MakeEdit(Splice(parent.source, pr.begin, pr.end, region_text),
                         LineNumberAt(parent.source, pc.offset), "", "");
    edit.region = index;
    edit.mode = "one_point";
    edit.inspiration_line = LineNumberAt(inspiration.source, best->offset);
    return edit;
  }
  return std::nullopt;
}

}  // namespace

std::optional<Edit> CrossoverRegion(const EditContext& parent, std::string_view inspiration_source,
                                    Rng& rng) {
  auto inspiration = MakeEditContext(inspiration_source, parent.path);
  if (!inspiration.ok()) return std::nullopt;
  const std::vector<Region> pr = EvolvableRegions(parent.regions);
  const std::vector<Region> ir = EvolvableRegions(inspiration->regions);
  if (pr.size() != ir.size()) return std::nullopt;
  std::vector<size_t> differing;
  for (size_t k = 0; k < pr.size(); ++k) {
    if (parent.source.substr(pr[k].begin, pr[k].size()) !=
        inspiration_source.substr(ir[k].begin, ir[k].size())) {
      differing.push_back(k);
    }
  }
  if (differing.empty()) return std::nullopt;
  const size_t k = differing[rng.Uniform(differing.size())];
  const int index = static_cast<int>(k);
  if (rng.Bernoulli(kOnePointProbability)) {
    if (auto edit = OnePoint(parent, pr[k], *inspiration, ir[k], index, rng)) return edit;
  }
  Edit edit = MakeEdit(Splice(parent.source, pr[k].begin, pr[k].end,
                              inspiration_source.substr(ir[k].begin, ir[k].size())),
                       LineNumberAt(parent.source, pr[k].begin), "", "");
  edit.region = index;
  edit.mode = "region";
  return edit;
}

}  // namespace crucible
