// The static report of `crucible report`: one self-contained HTML file (the
// dashboard's page, style and script inlined, and the API answers it needs
// embedded as JSON), readable with no server and nothing loaded from the
// network.
//
// What a report holds is bounded whatever the run's size: the charts
// (downsampled as on the server), the candidate table's `table_rows` best
// candidates by the objective (sorted and filtered in the page), and the full
// page (code, diff, metrics, prompts) of the `candidate_pages` best candidates
// and of every ancestor of the best.
#ifndef CRUCIBLE_DASHBOARD_REPORT_H_
#define CRUCIBLE_DASHBOARD_REPORT_H_

#include <string>
#include <vector>

#include "core/status.h"

namespace crucible {

struct ReportOptions {
  std::vector<std::string> run_dirs;
  int table_rows = 2000;
  int candidate_pages = 50;

  // kInvalidArgument naming the field.
  Status Validate() const;
};

// The HTML text. Errors of opening a run (kNotFound, kDataLoss, ...) name it.
StatusOr<std::string> BuildReport(const ReportOptions& options);

}  // namespace crucible

#endif  // CRUCIBLE_DASHBOARD_REPORT_H_
