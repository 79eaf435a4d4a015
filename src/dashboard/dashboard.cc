#include "dashboard/dashboard.h"

#include <fmt/format.h>

#include <charconv>
#include <optional>

#include "dashboard/svg.h"

namespace crucible {
namespace {

using nlohmann::json;

DashboardResponse Json(const json& j, int status = 200) {
  return {status, "application/json", j.dump(-1, ' ', false, json::error_handler_t::replace)};
}

DashboardResponse Error(int status, const std::string& message) {
  return Json(json{{"error", message}}, status);
}

int HttpStatusOf(const Status& s) {
  switch (s.code()) {
    case StatusCode::kInvalidArgument: return 400;
    case StatusCode::kNotFound: return 404;
    case StatusCode::kUnavailable: return 503;
    default: return 500;
  }
}

DashboardResponse ErrorOf(const Status& s) { return Error(HttpStatusOf(s), s.message()); }

DashboardResponse Svg(std::string body) { return {200, "image/svg+xml", std::move(body)}; }

bool ParseInt(std::string_view s, int64_t& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

struct Dashboard::Run {
  std::string dir;
  std::mutex mu;  // guards everything below
  std::unique_ptr<RunReader> reader;
  int64_t done = -1;
  Series series;
  std::string score_svg, lineage_svg;
  std::optional<nlohmann::json> proposers;
};

Dashboard::Dashboard(std::vector<std::string> run_dirs) {
  for (std::string& d : run_dirs) {
    auto r = std::make_unique<Run>();
    r->dir = std::move(d);
    runs_.push_back(std::move(r));
  }
}

Dashboard::~Dashboard() = default;

StatusOr<Dashboard::Run*> Dashboard::Get(size_t i) {
  if (i >= runs_.size()) {
    return NotFoundError(fmt::format("no run {} (this dashboard shows {})", i, runs_.size()));
  }
  Run& run = *runs_[i];
  std::lock_guard lock(run.mu);
  if (!run.reader) {
    ASSIGN_OR_RETURN(run.reader, RunReader::Open(run.dir));
  }
  return &run;
}

Status Dashboard::Check(size_t i) { return Get(i).status(); }

Status Dashboard::Refresh(Run& run) {
  // Called with run.mu held.
  ASSIGN_OR_RETURN(const int64_t done, run.reader->DoneCount());
  if (done == run.done) return Status::Ok();
  ASSIGN_OR_RETURN(run.series, run.reader->LoadSeries());
  run.done = done;
  run.score_svg.clear();
  run.lineage_svg.clear();
  run.proposers.reset();
  return Status::Ok();
}

DashboardResponse Dashboard::Handle(const std::string& method, const std::string& path,
                               const std::map<std::string, std::string>& query) {
  if (method != "GET" && method != "HEAD") return Error(405, "the dashboard is read-only");
  if (path == "/" || path == "/index.html") {
    return {200, "text/html; charset=utf-8", std::string(DashboardIndexHtml())};
  }
  if (path == "/app.js") return {200, "text/javascript; charset=utf-8", std::string(DashboardAppJs())};
  if (path == "/style.css") return {200, "text/css; charset=utf-8", std::string(DashboardStyleCss())};
  if (path == "/api/runs") {
    json out = json::array();
    for (size_t i = 0; i < runs_.size(); ++i) {
      auto run = Get(i);
      if (!run.ok()) {
        out.push_back({{"index", i}, {"run_dir", runs_[i]->dir}, {"error", run.status().message()}});
        continue;
      }
      std::lock_guard lock((*run)->mu);
      auto s = (*run)->reader->Summary();
      if (!s.ok()) {
        out.push_back({{"index", i}, {"run_dir", runs_[i]->dir}, {"error", s.status().message()}});
        continue;
      }
      (*s)["index"] = i;
      out.push_back(*s);
    }
    return Json(out);
  }
  if (path == "/api/compare.svg") {
    std::vector<std::pair<std::string, Series>> series;
    std::vector<Objective> objectives;
    for (size_t i = 0; i < runs_.size(); ++i) {
      auto run = Get(i);
      if (!run.ok()) continue;
      std::lock_guard lock((*run)->mu);
      if (Status st = Refresh(**run); !st.ok()) continue;
      series.push_back({fmt::format("#{} {}", i, (*run)->dir), (*run)->series});
      objectives.push_back((*run)->reader->objective());
    }
    return Svg(CompareChartSvg(series, objectives));
  }
  static const std::string kRunPrefix = "/api/runs/";
  if (path.rfind(kRunPrefix, 0) == 0) {
    const std::string rest = path.substr(kRunPrefix.size());
    const size_t slash = rest.find('/');
    int64_t i = 0;
    if (slash == std::string::npos || !ParseInt(rest.substr(0, slash), i) || i < 0) {
      return Error(404, fmt::format("no such endpoint: {}", path));
    }
    return RunRoute(static_cast<size_t>(i), rest.substr(slash + 1), query);
  }
  return Error(404, fmt::format("no such endpoint: {}", path));
}

DashboardResponse Dashboard::RunRoute(size_t i, const std::string& rest,
                                 const std::map<std::string, std::string>& query) {
  auto got = Get(i);
  if (!got.ok()) return ErrorOf(got.status());
  Run& run = **got;
  std::lock_guard lock(run.mu);
  RunReader& reader = *run.reader;
  if (rest == "summary") {
    auto s = reader.Summary();
    if (!s.ok()) return ErrorOf(s.status());
    (*s)["index"] = i;
    return Json(*s);
  }
  if (rest == "score.svg") {
    if (Status st = Refresh(run); !st.ok()) return ErrorOf(st);
    if (run.score_svg.empty()) run.score_svg = ScoreChartSvg(run.series, reader.objective());
    return Svg(run.score_svg);
  }
  if (rest == "lineage.svg") {
    if (Status st = Refresh(run); !st.ok()) return ErrorOf(st);
    if (run.lineage_svg.empty()) {
      auto path = reader.PathToBest();
      if (!path.ok()) return ErrorOf(path.status());
      auto top = reader.TopIds(25);
      if (!top.ok()) return ErrorOf(top.status());
      run.lineage_svg = LineageSvg(run.series, *path, *top, reader.objective());
    }
    return Svg(run.lineage_svg);
  }
  if (rest == "grid.svg") {
    auto grid = reader.LoadGrid();
    if (!grid.ok()) return ErrorOf(grid.status());
    return Svg(GridSvg(*grid, reader.objective()));
  }
  if (rest == "proposers") {
    if (Status st = Refresh(run); !st.ok()) return ErrorOf(st);
    if (!run.proposers) {
      auto p = reader.Proposers();
      if (!p.ok()) return ErrorOf(p.status());
      run.proposers = std::move(*p);
    }
    return Json(*run.proposers);
  }
  if (rest == "scratchpad") {
    int64_t limit = 50;
    if (auto it = query.find("limit"); it != query.end() && !it->second.empty()) {
      if (!ParseInt(it->second, limit) || limit < 1 || limit > 1000) {
        return Error(400, "limit must be an integer in [1, 1000]");
      }
    }
    auto notes = reader.Scratchpad(limit);
    if (!notes.ok()) return ErrorOf(notes.status());
    return Json(*notes);
  }
  if (rest == "fronts") {
    int64_t limit = 100;
    if (auto it = query.find("limit"); it != query.end() && !it->second.empty()) {
      if (!ParseInt(it->second, limit) || limit < 2 || limit > 1000) {
        return Error(400, "limit must be an integer in [2, 1000]");
      }
    }
    auto fronts = reader.Fronts(limit);
    if (!fronts.ok()) return ErrorOf(fronts.status());
    return Json(*fronts);
  }
  if (rest == "candidates") {
    TableQuery q;
    auto get = [&](const char* k) -> std::string {
      auto it = query.find(k);
      return it == query.end() ? std::string() : it->second;
    };
    int64_t v = 0;
    if (!get("offset").empty()) {
      if (!ParseInt(get("offset"), v)) return Error(400, "offset must be an integer");
      q.offset = v;
    }
    if (!get("limit").empty()) {
      if (!ParseInt(get("limit"), v)) return Error(400, "limit must be an integer");
      q.limit = v;
    }
    if (!get("sort").empty()) q.sort = get("sort");
    if (!get("order").empty()) {
      if (get("order") != "asc" && get("order") != "desc") return Error(400, "order must be asc or desc");
      q.descending = get("order") == "desc";
    }
    q.outcome = get("outcome");
    q.proposer = get("proposer");
    if (!get("island").empty()) {
      if (!ParseInt(get("island"), v)) return Error(400, "island must be an integer");
      q.island = static_cast<int>(v);
    }
    auto t = reader.Table(q);
    if (!t.ok()) return ErrorOf(t.status());
    return Json(*t);
  }
  static const std::string kCand = "candidates/";
  if (rest.rfind(kCand, 0) == 0) {
    int64_t id = 0;
    if (!ParseInt(rest.substr(kCand.size()), id) || id < 0) {
      return Error(400, "candidate id must be a non-negative integer");
    }
    auto c = reader.Candidate(id);
    if (!c.ok()) return ErrorOf(c.status());
    return Json(*c);
  }
  return Error(404, fmt::format("no such endpoint: /api/runs/{}/{}", i, rest));
}

}  // namespace crucible
