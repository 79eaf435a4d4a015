// Dashboard: the HTTP API of `crucible serve`, independent of any server
// library so that the static report (report.h) can call the same handlers.
//
// Routes (GET or HEAD only; anything else is 405; unknown paths 404):
//   /                                 the page (embedded asset)
//   /app.js, /style.css               embedded assets
//   /api/runs                         [summary of each run] (an unreadable run: {"error": ...})
//   /api/runs/N/summary               counts per outcome, best (by the run's objective), held-out
//   /api/runs/N/score.svg             score over time (svg.h), downsampled
//   /api/runs/N/lineage.svg           lineage of the best candidates
//   /api/runs/N/grid.svg              MAP-Elites grid per island
//   /api/runs/N/candidates?offset=&limit=&sort=&order=asc|desc&outcome=&proposer=&island=
//   /api/runs/N/candidates/ID         one candidate in full
//   /api/runs/N/proposers             operator and model statistics
//   /api/runs/N/scratchpad?limit=     the LLM scratchpad: current note and history (newest first)
//   /api/compare.svg                  running best of every run
// Nothing is ever read from the file system except the runs' run.db files:
// assets are compiled into the binary.
//
// Runs are opened lazily and re-tried on each request while they fail (a run
// that has not started yet, a damaged file): the error is the response.
// Charts are cached per run until its count of finished candidates changes.
// Thread-safe.
#ifndef CRUCIBLE_DASHBOARD_DASHBOARD_H_
#define CRUCIBLE_DASHBOARD_DASHBOARD_H_

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/status.h"
#include "dashboard/run_reader.h"

namespace crucible {

struct DashboardResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

class Dashboard {
 public:
  explicit Dashboard(std::vector<std::string> run_dirs);
  ~Dashboard();

  // `query` holds the decoded query parameters.
  DashboardResponse Handle(const std::string& method, const std::string& path,
                      const std::map<std::string, std::string>& query);

  size_t num_runs() const { return runs_.size(); }
  // Opens run `i` now; the error of a run that cannot be read.
  Status Check(size_t i);

 private:
  struct Run;
  StatusOr<Run*> Get(size_t i);
  // Refreshes the run's cached series when its finished count moved.
  Status Refresh(Run& run);
  DashboardResponse RunRoute(size_t i, const std::string& rest,
                        const std::map<std::string, std::string>& query);

  std::vector<std::unique_ptr<Run>> runs_;
};

// The embedded assets (generated at build time from src/dashboard/assets/).
std::string_view DashboardIndexHtml();
std::string_view DashboardAppJs();
std::string_view DashboardStyleCss();

}  // namespace crucible

#endif  // CRUCIBLE_DASHBOARD_DASHBOARD_H_
