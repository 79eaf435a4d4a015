// `crucible serve`, `crucible report`, `crucible plot` (src/dashboard/).
#include <fmt/format.h>
#include <pthread.h>
#include <signal.h>

#include <filesystem>
#include <string>

#include "cli/commands.h"
#include "core/file.h"
#include "dashboard/report.h"
#include "dashboard/server.h"
#include "dashboard/svg.h"

namespace crucible {
namespace {

namespace fs = std::filesystem;

// Writes the report atomically; a missing directory is named as such.
Status WriteOutput(const std::string& path, const std::string& text) {
  const fs::path target(path);
  if (target.has_parent_path() && !fs::is_directory(target.parent_path())) {
    return NotFoundError(fmt::format("cannot write {}: directory {} does not exist", path,
                                     target.parent_path().string()));
  }
  return WriteFileAtomic(target, text);
}

// A run directory must exist; a missing or damaged run.db is reported by the
// dashboard itself (and, for serve, re-tried: the run may not have started).
Status CheckRunDirs(const std::vector<std::string>& dirs) {
  for (const std::string& d : dirs) {
    if (!fs::is_directory(d)) return NotFoundError(fmt::format("run directory '{}' does not exist", d));
  }
  return Status::Ok();
}

}  // namespace

int ServeCommand(const std::vector<std::string>& run_dirs, const std::string& host, int port) {
  if (Status s = CheckRunDirs(run_dirs); !s.ok()) return ReportError(s);
  DashboardServerOptions options;
  options.run_dirs = run_dirs;
  options.host = host;
  options.port = port;
  // Block the stop signals in every thread (the server's inherit the mask);
  // this thread waits for them below.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
  auto server = DashboardServer::Start(options);
  if (!server.ok()) return ReportError(server.status());
  for (size_t i = 0; i < run_dirs.size(); ++i) {
    if (Status s = (*server)->dashboard().Check(i); !s.ok()) {
      fmt::print(stderr, "crucible: warning: run #{} ({}): {}\n", i, run_dirs[i], s.message());
    }
  }
  if (!options.IsLoopback()) {
    fmt::print(stderr,
               "crucible: WARNING: serving on {} — anyone who can reach this address can read "
               "these runs (programs, prompts, feedback). There is no authentication. Use "
               "--host 127.0.0.1 unless you mean it.\n",
               host);
  }
  const std::string shown = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  fmt::print("crucible: dashboard of {} run{} at http://{}:{}/ (read-only; Ctrl-C to stop)\n",
             run_dirs.size(), run_dirs.size() == 1 ? "" : "s", shown, (*server)->port());
  std::fflush(stdout);
  int sig = 0;
  sigwait(&set, &sig);
  (*server)->Stop();
  fmt::print(stderr, "crucible: dashboard stopped\n");
  return kExitOk;
}

int ReportCommand(const std::vector<std::string>& run_dirs, const std::string& out) {
  if (Status s = CheckRunDirs(run_dirs); !s.ok()) return ReportError(s);
  ReportOptions options;
  options.run_dirs = run_dirs;
  auto html = BuildReport(options);
  if (!html.ok()) return ReportError(html.status());
  if (Status s = WriteOutput(out, *html); !s.ok()) return ReportError(s);
  fmt::print("report written to {} ({} KiB, self-contained)\n", out, (html->size() + 1023) / 1024);
  return kExitOk;
}

int PlotCommand(const std::string& run_dir, const std::string& out, const std::string& title) {
  auto reader = RunReader::Open(run_dir);
  if (!reader.ok()) return ReportError(reader.status());
  auto series = (*reader)->LoadSeries();
  if (!series.ok()) return ReportError(series.status());
  ScoreChartOptions options;
  options.title = title;
  const std::string svg = ScoreChartSvg(*series, (*reader)->objective(), options);
  if (Status s = WriteOutput(out, svg); !s.ok()) return ReportError(s);
  fmt::print("plot written to {} ({} candidates)\n", out, series->points.size());
  return kExitOk;
}

}  // namespace crucible
