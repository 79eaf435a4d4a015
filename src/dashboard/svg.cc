#include "dashboard/svg.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <set>
#include <unordered_map>

namespace crucible {
namespace {

const char* kIslandColours[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

std::string Esc(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string Num(double v) { return fmt::format("{:.6g}", v); }

// Round tick positions covering [lo, hi].
std::vector<double> Ticks(double lo, double hi, int want) {
  std::vector<double> t;
  if (!(hi > lo)) return {lo};
  const double raw = (hi - lo) / std::max(want, 1);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    step = m * mag;
    if (step >= raw) break;
  }
  for (double v = std::ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) {
    t.push_back(std::abs(v) < step * 1e-9 ? 0.0 : v);
  }
  return t;
}

// A perceptually ordered ramp (viridis stops), t in [0, 1].
std::string Ramp(double t) {
  static const double kStops[][3] = {{68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98},
                                     {253, 231, 37}};
  t = std::clamp(std::isfinite(t) ? t : 0.0, 0.0, 1.0) * 4;
  const int i = std::min(static_cast<int>(t), 3);
  const double f = t - i;
  int rgb[3];
  for (int k = 0; k < 3; ++k) rgb[k] = static_cast<int>(kStops[i][k] + (kStops[i + 1][k] - kStops[i][k]) * f);
  return fmt::format("#{:02x}{:02x}{:02x}", rgb[0], rgb[1], rgb[2]);
}

struct Frame {
  double x0, x1, y0, y1;  // data ranges
  double left, top, w, h; // pixel box
  double X(double x) const { return left + (x1 > x0 ? (x - x0) / (x1 - x0) : 0.5) * w; }
  double Y(double y) const {
    return top + h - (y1 > y0 ? (std::clamp(y, y0, y1) - y0) / (y1 - y0) : 0.5) * h;
  }
};

std::string Axes(const Frame& f, const std::string& xlabel, const std::string& ylabel) {
  std::string s;
  s += fmt::format("<rect x='{:.1f}' y='{:.1f}' width='{:.1f}' height='{:.1f}' fill='#fff' "
                   "stroke='#999'/>\n",
                   f.left, f.top, f.w, f.h);
  for (double t : Ticks(f.y0, f.y1, 6)) {
    const double y = f.Y(t);
    s += fmt::format("<line x1='{:.1f}' x2='{:.1f}' y1='{:.1f}' y2='{:.1f}' stroke='#eee'/>"
                     "<text x='{:.1f}' y='{:.1f}' text-anchor='end' class='tick'>{}</text>\n",
                     f.left, f.left + f.w, y, y, f.left - 6, y + 4, Num(t));
  }
  for (double t : Ticks(f.x0, f.x1, 8)) {
    const double x = f.X(t);
    s += fmt::format("<line x1='{:.1f}' x2='{:.1f}' y1='{:.1f}' y2='{:.1f}' stroke='#ccc'/>"
                     "<text x='{:.1f}' y='{:.1f}' text-anchor='middle' class='tick'>{}</text>\n",
                     x, x, f.top + f.h, f.top + f.h + 5, x, f.top + f.h + 18, Num(t));
  }
  s += fmt::format("<text x='{:.1f}' y='{:.1f}' text-anchor='middle' class='label'>{}</text>\n",
                   f.left + f.w / 2, f.top + f.h + 34, Esc(xlabel));
  s += fmt::format("<text transform='translate({:.1f},{:.1f}) rotate(-90)' text-anchor='middle' "
                   "class='label'>{}</text>\n",
                   f.left - 52, f.top + f.h / 2, Esc(ylabel));
  return s;
}

std::string Header(int width, int height, const std::string& kind) {
  return fmt::format(
      "<svg xmlns='http://www.w3.org/2000/svg' class='crucible-chart {}' width='{}' height='{}' "
      "viewBox='0 0 {} {}' font-family='sans-serif' font-size='12'>\n"
      "<style>.tick{{fill:#555;font-size:11px}}.label{{fill:#222;font-size:12px}}"
      ".title{{font-size:14px;font-weight:bold}}[data-id]{{cursor:pointer}}</style>\n"
      "<rect width='100%' height='100%' fill='#fff'/>\n",
      kind, width, height, width, height);
}

std::string StepPath(const std::vector<std::pair<double, double>>& pts, const Frame& f, double x_end) {
  if (pts.empty()) return "";
  std::string d = fmt::format("M{:.1f},{:.1f}", f.X(pts[0].first), f.Y(pts[0].second));
  for (size_t i = 1; i < pts.size(); ++i) {
    d += fmt::format("H{:.1f}V{:.1f}", f.X(pts[i].first), f.Y(pts[i].second));
  }
  d += fmt::format("H{:.1f}", f.X(x_end));
  return d;
}

// The worse end of the value axis ignores the worst 2% so that a few
// disastrous candidates do not flatten the curve (they are drawn at the edge).
std::pair<double, double> ValueRange(std::vector<double> v, bool maximize) {
  if (v.empty()) return {0, 1};
  std::sort(v.begin(), v.end());
  const size_t cut = v.size() / 50;
  double lo = maximize ? v[cut] : v.front();
  double hi = maximize ? v.back() : v[v.size() - 1 - cut];
  if (!(hi > lo)) {
    lo -= 0.5 * (std::abs(lo) + 1);
    hi += 0.5 * (std::abs(hi) + 1);
  }
  const double pad = (hi - lo) * 0.04;
  return {lo - pad, hi + pad};
}

}  // namespace

std::string OutcomeColour(const std::string& outcome) {
  static const std::map<std::string, std::string> kColours = {
      {"ok", "#4e79a7"},           {"invalid", "#f28e2b"},     {"compile_error", "#e15759"},
      {"runtime_error", "#b07aa1"}, {"timeout", "#edc948"},     {"memory_limit", "#9c755f"},
      {"evaluator_error", "#ff9da7"}, {"duplicate", "#bab0ac"}, {"rejected", "#76b7b2"}};
  auto it = kColours.find(outcome);
  return it == kColours.end() ? "#888888" : it->second;
}

Status ScoreChartOptions::Validate() const {
  if (width < 200) return InvalidArgumentError(fmt::format("width must be >= 200 (got {})", width));
  if (height < 200) return InvalidArgumentError(fmt::format("height must be >= 200 (got {})", height));
  if (columns < 10) return InvalidArgumentError(fmt::format("columns must be >= 10 (got {})", columns));
  return Status::Ok();
}

std::string ScoreChartSvg(const Series& series, const Objective& objective,
                          const ScoreChartOptions& options) {
  const auto& pts = series.points;
  const int W = options.width, H = options.height;
  std::string s = Header(W, H, "score-chart");
  const double strip = 26;  // failure strip under the plot
  Frame f{0, std::max<double>(1, static_cast<double>(pts.size())), 0, 1, 72, options.title.empty() ? 16.0 : 34.0,
          W - 72.0 - 150, 0};
  f.h = H - f.top - 60 - strip;
  std::vector<double> values;
  for (const SeriesPoint& p : pts) {
    if (p.value) values.push_back(*p.value);
  }
  for (const auto& h : series.heldout) values.push_back(h.value);
  std::tie(f.y0, f.y1) = ValueRange(values, objective.maximize());
  if (!options.title.empty()) {
    s += fmt::format("<text x='{}' y='20' class='title'>{}</text>\n", f.left, Esc(options.title));
  }
  s += Axes(f, "evaluation (completion order)", fmt::format("{} ({} is better)", objective.key, objective.BetterWord()));
  // Running bests, and the points to keep.
  std::vector<std::pair<double, double>> best_line;
  std::map<int, std::vector<std::pair<double, double>>> island_lines;
  std::optional<double> best;
  std::map<int, double> island_best;
  std::set<size_t> keep;
  std::map<std::pair<int64_t, std::string>, std::pair<size_t, size_t>> column_extremes;  // (col, key)
  std::map<std::pair<int64_t, std::string>, size_t> column_fail;
  const double n = static_cast<double>(pts.size());
  for (size_t i = 0; i < pts.size(); ++i) {
    const SeriesPoint& p = pts[i];
    const int64_t col = static_cast<int64_t>(static_cast<double>(i) / std::max(n, 1.0) * options.columns);
    if (p.value) {
      const double v = *p.value;
      if (!best || objective.Better(v, *best)) {
        best = v;
        best_line.push_back({static_cast<double>(i), v});
      }
      auto ib = island_best.find(p.island);
      if (ib == island_best.end() || objective.Better(v, ib->second)) {
        island_best[p.island] = v;
        island_lines[p.island].push_back({static_cast<double>(i), v});
      }
      auto key = std::make_pair(col, std::to_string(p.island));
      auto it = column_extremes.find(key);
      if (it == column_extremes.end()) {
        column_extremes[key] = {i, i};
      } else {
        if (v < *pts[it->second.first].value) it->second.first = i;
        if (v > *pts[it->second.second].value) it->second.second = i;
      }
    } else {
      column_fail.emplace(std::make_pair(col, p.outcome), i);
    }
  }
  // A step line needs at most its last change per column at this resolution.
  auto compress = [&](std::vector<std::pair<double, double>>& line) {
    std::vector<std::pair<double, double>> out;
    auto col = [&](double x) { return static_cast<int64_t>(x / std::max(n, 1.0) * options.columns); };
    for (size_t k = 0; k < line.size(); ++k) {
      if (k + 1 < line.size() && col(line[k + 1].first) == col(line[k].first)) continue;
      out.push_back(line[k]);
      keep.insert(static_cast<size_t>(line[k].first));
    }
    line = std::move(out);
  };
  compress(best_line);
  for (auto& [island, line] : island_lines) compress(line);
  for (const auto& [k, ext] : column_extremes) {
    keep.insert(ext.first);
    keep.insert(ext.second);
  }
  for (const auto& [k, i] : column_fail) keep.insert(i);
  // Points: valid ones in the plot, failures in the strip (one row per outcome).
  std::map<std::string, int> fail_rows;
  for (size_t i : keep) {
    if (!pts[i].value) fail_rows.emplace(pts[i].outcome, 0);
  }
  int r = 0;
  for (auto& [o, row] : fail_rows) row = r++;
  const double strip_top = f.top + f.h + 42;
  // One group per outcome carries colour and opacity, so each point is only
  // its position and its candidate (this keeps a 10^5-candidate chart small).
  std::map<std::string, std::string> groups;
  for (size_t i : keep) {
    const SeriesPoint& p = pts[i];
    const double x = f.X(static_cast<double>(i));
    const double y = p.value ? f.Y(*p.value)
                             : strip_top + (fail_rows.size() > 1 ? (strip - 4) * fail_rows[p.outcome] /
                                                                        (fail_rows.size() - 1)
                                                                  : strip / 2);
    groups[p.outcome] += fmt::format("<circle cx='{:.0f}' cy='{:.0f}' r='2' data-id='{}' data-v='{}'/>", x, y,
                                     p.id, p.value ? fmt::format("{:.5g}", *p.value) : p.outcome);
  }
  s += "<g class='points'>\n";
  for (const auto& [outcome, body] : groups) {
    s += fmt::format("<g fill='{}' fill-opacity='0.65' class='o-{}'>", OutcomeColour(outcome),
                     outcome);
    s += body;
    s += "</g>\n";
  }
  s += "</g>\n";
  if (!fail_rows.empty()) {
    s += fmt::format("<text x='{:.1f}' y='{:.1f}' text-anchor='end' class='tick'>failed</text>\n",
                     f.left - 6, strip_top + strip / 2 + 4);
  }
  // Island lines, then the overall best.
  if (options.per_island && island_lines.size() > 1) {
    for (const auto& [island, line] : island_lines) {
      s += fmt::format("<path d='{}' fill='none' stroke='{}' stroke-width='1' stroke-opacity='0.8' "
                       "class='island-best' data-island='{}'/>\n",
                       StepPath(line, f, n), kIslandColours[island % 10], island);
    }
  }
  s += fmt::format("<path d='{}' fill='none' stroke='#111' stroke-width='2.2' class='running-best'/>\n",
                   StepPath(best_line, f, n));
  // Held-out results, at the x of their candidate.
  std::unordered_map<int64_t, size_t> index_of;
  for (size_t i = 0; i < pts.size(); ++i) index_of[pts[i].id] = i;
  for (const auto& h : series.heldout) {
    auto it = index_of.find(h.id);
    if (it == index_of.end()) continue;
    const double x = f.X(static_cast<double>(it->second)), y = f.Y(h.value);
    s += fmt::format("<path d='M{:.1f},{:.1f}l6,6l-6,6l-6,-6z' fill='#59a14f' stroke='#fff' "
                     "data-id='{}' class='heldout'><title>held-out {} of #{}: {}</title></path>\n",
                     x, y - 6, h.id, Esc(objective.key), h.id, Num(h.value));
  }
  // Legend.
  double ly = f.top + 4;
  const double lx = f.left + f.w + 14;
  auto legend = [&](const std::string& swatch, const std::string& text) {
    s += swatch;
    s += fmt::format("<text x='{:.1f}' y='{:.1f}' class='tick'>{}</text>\n", lx + 16, ly + 4, Esc(text));
    ly += 17;
  };
  legend(fmt::format("<line x1='{:.1f}' x2='{:.1f}' y1='{:.1f}' y2='{:.1f}' stroke='#111' stroke-width='2.2'/>",
                     lx, lx + 12, ly, ly),
         best ? "best " + Num(*best) : "best: none yet");
  if (!series.heldout.empty()) {
    legend(fmt::format("<path d='M{:.1f},{:.1f}l5,5l-5,5l-5,-5z' fill='#59a14f'/>", lx + 6, ly - 5), "held-out");
  }
  std::map<std::string, int64_t> counts;
  for (const SeriesPoint& p : pts) ++counts[p.outcome];
  for (const auto& [o, c] : counts) {
    legend(fmt::format("<circle cx='{:.1f}' cy='{:.1f}' r='4' fill='{}'/>", lx + 6, ly, OutcomeColour(o)),
           fmt::format("{} {}", o, c));
  }
  if (options.per_island && island_lines.size() > 1) {
    for (const auto& [island, line] : island_lines) {
      legend(fmt::format("<line x1='{:.1f}' x2='{:.1f}' y1='{:.1f}' y2='{:.1f}' stroke='{}'/>", lx,
                         lx + 12, ly, ly, kIslandColours[island % 10]),
             fmt::format("island {} best", island));
    }
  }
  if (pts.size() > keep.size()) {
    legend("", fmt::format("{} of {} points drawn", keep.size(), pts.size()));
  }
  s += "</svg>\n";
  return s;
}

std::string CompareChartSvg(const std::vector<std::pair<std::string, Series>>& runs,
                            const std::vector<Objective>& objectives, int width, int height) {
  std::string s = Header(width, height, "compare-chart");
  Frame f{0, 1, 0, 1, 72, 16, width - 72.0 - 200, height - 16.0 - 50};
  std::vector<std::vector<std::pair<double, double>>> lines(runs.size());
  std::vector<double> values;
  bool maximize = objectives.empty() || objectives[0].maximize();
  for (size_t r = 0; r < runs.size(); ++r) {
    const Objective& o = objectives[r];
    std::optional<double> best;
    const auto& pts = runs[r].second.points;
    f.x1 = std::max(f.x1, static_cast<double>(pts.size()));
    for (size_t i = 0; i < pts.size(); ++i) {
      if (pts[i].value && (!best || o.Better(*pts[i].value, *best))) {
        best = pts[i].value;
        lines[r].push_back({static_cast<double>(i), *best});
        values.push_back(*best);
      }
    }
  }
  std::tie(f.y0, f.y1) = ValueRange(values, maximize);
  s += Axes(f, "evaluation", objectives.empty() ? "best" : "best " + objectives[0].key);
  double ly = f.top + 4;
  for (size_t r = 0; r < runs.size(); ++r) {
    const char* colour = kIslandColours[r % 10];
    s += fmt::format("<path d='{}' fill='none' stroke='{}' stroke-width='2' class='run-best'/>\n",
                     StepPath(lines[r], f, static_cast<double>(runs[r].second.points.size())), colour);
    s += fmt::format("<line x1='{0:.1f}' x2='{1:.1f}' y1='{2:.1f}' y2='{2:.1f}' stroke='{3}' stroke-width='2'/>"
                     "<text x='{4:.1f}' y='{5:.1f}' class='tick'>{6}</text>\n",
                     f.left + f.w + 14, f.left + f.w + 26, ly, colour, f.left + f.w + 30, ly + 4,
                     Esc(runs[r].first));
    ly += 17;
  }
  s += "</svg>\n";
  return s;
}

std::string LineageSvg(const Series& series, const std::vector<int64_t>& path,
                       const std::vector<int64_t>& top, const Objective& objective, int max_nodes) {
  std::unordered_map<int64_t, const SeriesPoint*> by_id;
  for (const SeriesPoint& p : series.points) by_id[p.id] = &p;
  // Union of the ancestor paths of the best candidates, best first, until full.
  std::set<int64_t> nodes;
  for (int64_t leaf : top) {
    std::vector<int64_t> chain;
    for (int64_t id = leaf; id >= 0 && !nodes.count(id);) {
      chain.push_back(id);
      auto it = by_id.find(id);
      id = it == by_id.end() ? -1 : it->second->parent_id;
    }
    if (!nodes.empty() && static_cast<int>(nodes.size() + chain.size()) > max_nodes) continue;
    nodes.insert(chain.begin(), chain.end());
  }
  const std::set<int64_t> on_path(path.begin(), path.end());
  std::map<int64_t, std::vector<int64_t>> children;
  std::vector<int64_t> roots;
  for (int64_t id : nodes) {
    auto it = by_id.find(id);
    const int64_t parent = it == by_id.end() ? -1 : it->second->parent_id;
    if (parent >= 0 && nodes.count(parent)) children[parent].push_back(id);
    else roots.push_back(id);
  }
  // Tidy-ish layout: leaves get consecutive rows in DFS order; a parent sits
  // at the mean of its children. x = generation.
  std::map<int64_t, double> row;
  int max_gen = 0;
  double next_row = 0;
  std::function<double(int64_t)> place = [&](int64_t id) -> double {
    auto it = by_id.find(id);
    if (it != by_id.end()) max_gen = std::max(max_gen, it->second->generation);
    auto c = children.find(id);
    if (c == children.end()) return row[id] = next_row++;
    double sum = 0;
    for (int64_t k : c->second) sum += place(k);
    return row[id] = sum / c->second.size();
  };
  for (int64_t r : roots) place(r);
  const int W = 900;
  const int H = std::clamp(static_cast<int>(next_row * 14 + 60), 200, 2400);
  std::string s = Header(W, H, "lineage-chart");
  if (nodes.empty()) {
    s += "<text x='20' y='40'>No candidate with a value yet.</text></svg>\n";
    return s;
  }
  std::vector<double> values;
  for (int64_t id : nodes) {
    auto it = by_id.find(id);
    if (it != by_id.end() && it->second->value) values.push_back(*it->second->value);
  }
  auto [lo, hi] = ValueRange(values, objective.maximize());
  auto colour = [&](const SeriesPoint* p) {
    if (!p || !p->value) return std::string("#bbbbbb");
    const double t = (*p->value - lo) / (hi - lo);
    return Ramp(objective.maximize() ? t : 1 - t);
  };
  const double left = 40, right = 120, top_margin = 30;
  const double dx = max_gen > 0 ? (W - left - right) / max_gen : 0;
  auto X = [&](int64_t id) {
    auto it = by_id.find(id);
    return left + (it == by_id.end() ? 0 : it->second->generation) * dx;
  };
  auto Y = [&](int64_t id) { return top_margin + row[id] * 14; };
  s += fmt::format("<text x='{}' y='18' class='tick'>generation 0 .. {} (left to right); the {} "
                   "best candidates and their ancestors; red: the path to the best</text>\n",
                   left, max_gen, top.size());
  for (int64_t id : nodes) {
    for (int64_t k : children[id]) {
      const bool hot = on_path.count(id) && on_path.count(k);
      s += fmt::format("<path d='M{:.1f},{:.1f}C{:.1f},{:.1f} {:.1f},{:.1f} {:.1f},{:.1f}' fill='none' "
                       "stroke='{}' stroke-width='{}'/>\n",
                       X(id), Y(id), (X(id) + X(k)) / 2, Y(id), (X(id) + X(k)) / 2, Y(k), X(k), Y(k),
                       hot ? "#d62728" : "#bbb", hot ? 2.5 : 1);
    }
  }
  for (int64_t id : nodes) {
    auto it = by_id.find(id);
    const SeriesPoint* p = it == by_id.end() ? nullptr : it->second;
    const bool hot = on_path.count(id) > 0;
    s += fmt::format("<circle cx='{:.1f}' cy='{:.1f}' r='{}' fill='{}' stroke='{}' data-id='{}'>"
                     "<title>#{} {}</title></circle>\n",
                     X(id), Y(id), hot ? 5 : 4, colour(p), hot ? "#d62728" : "#333", id, id,
                     p && p->value ? Num(*p->value) : (p ? p->outcome : std::string("pending")));
    if (!path.empty() && id == path.front()) {
      s += fmt::format("<text x='{:.1f}' y='{:.1f}' class='label'>best #{}</text>\n", X(id) + 8,
                       Y(id) + 4, id);
    }
  }
  s += "</svg>\n";
  return s;
}

std::string GridSvg(const Grid& grid, const Objective& objective) {
  const int nx = grid.bins.size() >= 1 ? grid.bins[0] : 1;
  const int ny = grid.bins.size() >= 2 ? grid.bins[1] : 1;
  const double cell = std::clamp(260.0 / std::max(nx, ny), 8.0, 40.0);
  const double pw = nx * cell, ph = ny * cell;
  const int per_row = std::max(1, static_cast<int>(880 / (pw + 60)));
  const int rows = (grid.islands + per_row - 1) / per_row;
  const int W = 900, H = static_cast<int>(rows * (ph + 70) + 40);
  std::string s = Header(W, H, "grid-chart");
  // Best cell per island and (x, y).
  std::map<std::tuple<int, int, int>, const GridCell*> best;
  std::vector<double> values;
  for (const GridCell& c : grid.cells) {
    const int x = c.coords.size() >= 1 ? c.coords[0] : 0;
    const int y = c.coords.size() >= 2 ? c.coords[1] : 0;
    auto key = std::make_tuple(c.island, x, y);
    auto it = best.find(key);
    if (it == best.end() || objective.Better(c.value, it->second->value)) best[key] = &c;
    values.push_back(c.value);
  }
  auto [lo, hi] = ValueRange(values, objective.maximize());
  std::string dims;
  for (size_t i = 0; i < grid.dimensions.size(); ++i) {
    dims += fmt::format("{}{} ({} bins)", i ? ", " : "", grid.dimensions[i], grid.bins[i]);
  }
  s += fmt::format("<text x='10' y='18' class='tick'>features: {}; x = first, y = second; colour = "
                   "{} (brighter is better)</text>\n",
                   Esc(dims.empty() ? "none" : dims), Esc(objective.key));
  for (int i = 0; i < grid.islands; ++i) {
    const double ox = 50 + (i % per_row) * (pw + 60), oy = 40 + (i / per_row) * (ph + 70);
    s += fmt::format("<text x='{:.1f}' y='{:.1f}' class='label'>island {}</text>\n", ox, oy + 10, i);
    s += fmt::format("<rect x='{:.1f}' y='{:.1f}' width='{:.1f}' height='{:.1f}' fill='#f4f4f4' "
                     "stroke='#999'/>\n",
                     ox, oy + 18, pw, ph);
    int occupied = 0;
    for (int x = 0; x < nx; ++x) {
      for (int y = 0; y < ny; ++y) {
        auto it = best.find(std::make_tuple(i, x, y));
        if (it == best.end()) continue;
        ++occupied;
        const double t = (it->second->value - lo) / (hi - lo);
        s += fmt::format("<rect x='{:.1f}' y='{:.1f}' width='{:.1f}' height='{:.1f}' fill='{}' "
                         "data-id='{}'><title>cell ({}, {}): #{} {}</title></rect>\n",
                         ox + x * cell, oy + 18 + (ny - 1 - y) * cell, cell - 1, cell - 1,
                         Ramp(objective.maximize() ? t : 1 - t), it->second->id, x, y, it->second->id,
                         Num(it->second->value));
      }
    }
    s += fmt::format("<text x='{:.1f}' y='{:.1f}' class='tick'>{} of {} cells</text>\n", ox,
                     oy + 18 + ph + 14, occupied, nx * ny);
  }
  s += "</svg>\n";
  return s;
}

}  // namespace crucible
