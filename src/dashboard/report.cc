#include "dashboard/report.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <set>

#include "dashboard/dashboard.h"

namespace crucible {
namespace {

using nlohmann::json;

// JSON text safe inside <script>: no "</" can close the element.
std::string ScriptSafe(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '<' && i + 1 < text.size() && (text[i + 1] == '/' || text[i + 1] == '!')) {
      out += "\\u003c";
    } else {
      out += text[i];
    }
  }
  return out;
}

}  // namespace

Status ReportOptions::Validate() const {
  if (run_dirs.empty()) return InvalidArgumentError("run_dirs: give at least one run directory");
  if (table_rows < 1) return InvalidArgumentError(fmt::format("table_rows must be >= 1 (got {})", table_rows));
  if (candidate_pages < 0) {
    return InvalidArgumentError(fmt::format("candidate_pages must be >= 0 (got {})", candidate_pages));
  }
  return Status::Ok();
}

StatusOr<std::string> BuildReport(const ReportOptions& options) {
  RETURN_IF_ERROR(options.Validate());
  Dashboard dash(options.run_dirs);
  for (size_t i = 0; i < dash.num_runs(); ++i) RETURN_IF_ERROR(dash.Check(i));
  json data = json::object();
  auto get = [&](const std::string& path, std::map<std::string, std::string> query = {}) -> StatusOr<DashboardResponse> {
    DashboardResponse r = dash.Handle("GET", path, query);
    if (r.status != 200) {
      json e = json::parse(r.body, nullptr, false);
      return InternalError(fmt::format("report: {}: {}", path,
                                       e.is_object() ? e.value("error", r.body) : r.body));
    }
    return r;
  };
  auto put = [&](const std::string& path) -> Status {
    ASSIGN_OR_RETURN(DashboardResponse r, get(path));
    data[path] = r.content_type == "application/json" ? json::parse(r.body) : json(r.body);
    return Status::Ok();
  };
  RETURN_IF_ERROR(put("/api/runs"));
  RETURN_IF_ERROR(put("/api/compare.svg"));
  for (size_t i = 0; i < dash.num_runs(); ++i) {
    const std::string base = fmt::format("/api/runs/{}/", i);
    for (const char* p :
         {"summary", "score.svg", "lineage.svg", "grid.svg", "proposers", "scratchpad", "fronts"}) {
      RETURN_IF_ERROR(put(base + p));
    }
    const bool maximize = data[base + "summary"]["objective"]["maximize"].get<bool>();
    json rows = json::array();
    std::set<int64_t> pages;
    for (int offset = 0; offset < options.table_rows; offset += 500) {
      ASSIGN_OR_RETURN(DashboardResponse r,
                       get(base + "candidates",
                           {{"sort", "value"}, {"order", maximize ? "desc" : "asc"},
                            {"offset", std::to_string(offset)},
                            {"limit", std::to_string(std::min(500, options.table_rows - offset))}}));
      json page = json::parse(r.body);
      for (json& row : page["rows"]) {
        if (static_cast<int>(pages.size()) < options.candidate_pages && row["value"].is_number()) {
          pages.insert(row["id"].get<int64_t>());
        }
        rows.push_back(std::move(row));
      }
      if (page["rows"].empty() || offset + 500 >= page["total"].get<int64_t>()) break;
    }
    data[base + "table"] = {{"rows", rows},
                            {"total", data[base + "summary"]["total"]},
                            {"note", fmt::format("the static report holds the {} best candidates; "
                                                 "`crucible serve` shows all",
                                                 rows.size())}};
    // Every ancestor of the best, too: the lineage view links to them.
    const json& best = data[base + "summary"]["best"];
    int64_t id = best.is_object() ? best["id"].get<int64_t>() : -1;
    while (id >= 0 && pages.size() < static_cast<size_t>(options.candidate_pages) + 10000) {
      if (!pages.insert(id).second && id != best["id"].get<int64_t>()) break;
      ASSIGN_OR_RETURN(DashboardResponse r, get(fmt::format("{}candidates/{}", base, id)));
      json c = json::parse(r.body);
      data[fmt::format("{}candidates/{}", base, id)] = c;
      id = c["parent_id"].is_number() ? c["parent_id"].get<int64_t>() : -1;
    }
    for (int64_t p : pages) {
      const std::string key = fmt::format("{}candidates/{}", base, p);
      if (!data.contains(key)) RETURN_IF_ERROR(put(key));
    }
  }
  std::string html;
  html += "<!doctype html>\n<html lang='en'><head><meta charset='utf-8'>\n";
  html += "<meta name='viewport' content='width=device-width, initial-scale=1'>\n";
  html += "<title>crucible report</title>\n<style>\n";
  html += DashboardStyleCss();
  html += "</style></head>\n<body>\n<div id='app'></div>\n";
  html += "<script type='application/json' id='crucible-data'>";
  html += ScriptSafe(data.dump(-1, ' ', false, json::error_handler_t::replace));
  html += "</script>\n<script>\n";
  html += ScriptSafe(std::string(DashboardAppJs()));
  html += "\n</script>\n</body></html>\n";
  return html;
}

}  // namespace crucible
