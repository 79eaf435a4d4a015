#include "executor/slurm_options.h"

#include <fmt/format.h>

#include <cmath>
#include <regex>

namespace crucible {
namespace {

bool PlainWord(const std::string& s) {
  return s.find_first_of(" \t\r\n'\"\\$`;|&<>") == std::string::npos;
}

}  // namespace

Status SlurmOptions::Validate() const {
  if (!PlainWord(partition)) return InvalidArgumentError("slurm.partition: must be one plain word");
  if (!PlainWord(account)) return InvalidArgumentError("slurm.account: must be one plain word");
  if (!PlainWord(qos)) return InvalidArgumentError("slurm.qos: must be one plain word");
  static const std::regex kTime(
      R"(^(\d+|\d+:\d{1,2}|\d+:\d{1,2}:\d{1,2}|\d+-\d{1,2}|\d+-\d{1,2}:\d{1,2}|\d+-\d{1,2}:\d{1,2}:\d{1,2})$)");
  if (!time.empty() && !std::regex_match(time, kTime)) {
    return InvalidArgumentError(fmt::format(
        "slurm.time: '{}' is not a Slurm time (MM, MM:SS, HH:MM:SS, D-HH:MM:SS)", time));
  }
  if (memory_mb < 0) return InvalidArgumentError("slurm.memory_mb: must be >= 0");
  if (cpus < 1) return InvalidArgumentError("slurm.cpus: must be >= 1");
  if (gpus < 0) return InvalidArgumentError("slurm.gpus: must be >= 0");
  for (size_t i = 0; i < sbatch_lines.size(); ++i) {
    const std::string& l = sbatch_lines[i];
    if (l.find_first_of("\r\n") != std::string::npos) {
      return InvalidArgumentError(
          fmt::format("slurm.sbatch_lines[{}]: one option per line, no line breaks", i));
    }
    if (l.empty()) return InvalidArgumentError(fmt::format("slurm.sbatch_lines[{}]: is empty", i));
  }
  if (max_queued < 1) return InvalidArgumentError("slurm.max_queued: must be >= 1");
  if (!(queue_timeout_seconds > 0)) {
    return InvalidArgumentError("slurm.queue_timeout: must be > 0 seconds");
  }
  if (!(poll_seconds >= 0.01) || poll_seconds > 600) {
    return InvalidArgumentError("slurm.poll_interval: must be between 0.01 and 600 seconds");
  }
  if (max_retries < 0) return InvalidArgumentError("slurm.max_retries: must be >= 0");
  if (!(result_grace_seconds >= 0)) return InvalidArgumentError("slurm.result_grace: must be >= 0");
  if (!PlainWord(crucible)) return InvalidArgumentError("slurm.crucible: must be a path without spaces or quotes");
  if (!PlainWord(bin_dir)) return InvalidArgumentError("slurm.bin_dir: must be a path without spaces or quotes");
  return Status::Ok();
}

std::string SlurmTimeLimit(double seconds) {
  const int64_t minutes = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(seconds / 60.0)));
  return fmt::format("{}-{:02}:{:02}:00", minutes / 1440, (minutes / 60) % 24, minutes % 60);
}

}  // namespace crucible
