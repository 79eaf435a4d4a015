// SVG charts of a run, drawn on the server: the dashboard serves them, the
// static report inlines them and `crucible plot` writes them to a file, so
// all three show the same picture. Every chart is bounded in size whatever
// the number of candidates (the score chart downsamples; the lineage chart
// keeps the paths to the best few candidates).
//
// Interactive hooks: every mark that stands for one candidate carries
// `data-id="ID"` (and the chart root `class="crucible-chart"`); the
// dashboard's script turns a click on it into that candidate's page. The
// SVG is self-contained (no scripts, no external references).
#ifndef CRUCIBLE_DASHBOARD_SVG_H_
#define CRUCIBLE_DASHBOARD_SVG_H_

#include <string>
#include <utility>
#include <vector>

#include "dashboard/run_reader.h"

namespace crucible {

struct ScoreChartOptions {
  int width = 900;
  int height = 440;
  std::string title;  // drawn at the top; "" = none
  // Downsampling: x is cut into this many columns; each keeps, per island,
  // its lowest and highest valid point and one point per failure outcome.
  // Points that improved the running best are always kept.
  int columns = 600;
  bool per_island = true;  // thin running-best line per island

  Status Validate() const;  // width/height >= 200, columns >= 10
};

// Every finished candidate as a point coloured by outcome (failures in a strip
// under the axis), the running best (thick), per-island running bests, and
// held-out results as diamonds. x = evaluation number (completion order).
std::string ScoreChartSvg(const Series& series, const Objective& objective,
                          const ScoreChartOptions& options = {});

// Running best of several runs on one axis (evaluation number).
std::string CompareChartSvg(const std::vector<std::pair<std::string, Series>>& runs,
                            const std::vector<Objective>& objectives, int width = 900,
                            int height = 380);

// The lineage of the best candidates: the union of the ancestor paths of
// `top` (best first; at most `max_nodes` nodes kept), laid out as a tree by
// generation; the path to the best (path.front() == best) is highlighted.
std::string LineageSvg(const Series& series, const std::vector<int64_t>& path,
                       const std::vector<int64_t>& top, const Objective& objective,
                       int max_nodes = 400);

// One heat map per island (first two feature dimensions; further dimensions
// are folded by keeping the best cell).
std::string GridSvg(const Grid& grid, const Objective& objective);

// A colour for each outcome (CSS hex), shared with the page's legend.
std::string OutcomeColour(const std::string& outcome);

}  // namespace crucible

#endif  // CRUCIBLE_DASHBOARD_SVG_H_
