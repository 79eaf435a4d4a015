// How a run shows its progress: a live status line on a terminal, plain log
// lines otherwise, or JSON lines (--log-format json) for machines.
#ifndef CRUCIBLE_CLI_PROGRESS_H_
#define CRUCIBLE_CLI_PROGRESS_H_

#include <cstdio>
#include <string>

#include "engine/engine.h"

namespace crucible {

enum class LogFormat { kText, kJson };

class ProgressPrinter final : public EngineObserver {
 public:
  // Writes to `out` (stderr in the CLI). `live` redraws one status line in
  // place (only sensible on a terminal).
  ProgressPrinter(FILE* out, LogFormat format, bool live, bool quiet);

  void OnProgress(const Progress& p) override;
  void OnCandidate(const Candidate& c, std::optional<double> value, bool new_best) override;
  // A plain message ("sandbox: ...").
  void Log(const std::string& message);
  // Ends the live line before other output.
  void Finish();

 private:
  void Emit(const std::string& line);
  std::string StatusLine(const Progress& p) const;

  FILE* out_;
  LogFormat format_;
  bool live_;
  bool quiet_;
  bool line_open_ = false;
  double last_plain_ = -1e9;  // when the last plain progress line was written
};

}  // namespace crucible

#endif  // CRUCIBLE_CLI_PROGRESS_H_
