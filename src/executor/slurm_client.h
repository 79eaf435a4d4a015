// SlurmClient: the only way crucible talks to Slurm. Every call runs one
// Slurm command (sbatch, squeue, scontrol, sacct, scancel); no call is made
// per job where one call can serve many (Query takes all job ids at once).
// Tests substitute a directory of scripted fakes put first on PATH, or a
// fake implementation of this interface.
//
// Thread-safe: calls may come from several threads at once.
#ifndef CRUCIBLE_EXECUTOR_SLURM_CLIENT_H_
#define CRUCIBLE_EXECUTOR_SLURM_CLIENT_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"

namespace crucible {

// What Slurm says about one job.
struct SlurmJobInfo {
  std::string state;   // PENDING, RUNNING, COMPLETED, TIMEOUT, OUT_OF_MEMORY, ...
  std::string reason;  // squeue's %r (why pending), or sacct's detail ("CANCELLED by 0")
  std::string exit_code;  // "0:0" when known (scontrol/sacct), else ""
};

class SlurmClient {
 public:
  virtual ~SlurmClient() = default;
  // `sbatch --parsable SCRIPT` with SCRIPT's directory as working directory;
  // returns the job id.
  virtual StatusOr<std::string> Submit(const std::string& script_path) = 0;
  // The state of each of `job_ids` Slurm still knows (one squeue call for all
  // of them; for the few squeue has forgotten, scontrol, then sacct when
  // accounting exists). Ids Slurm knows nothing about are absent.
  virtual StatusOr<std::map<std::string, SlurmJobInfo>> Query(
      const std::vector<std::string>& job_ids) = 0;
  // The ids of jobs named `name` Slurm still knows, finished ones included
  // (squeue --states=all -n), for jobs
  // submitted by a coordinator that died before it recorded the id.
  virtual StatusOr<std::vector<std::string>> FindByName(const std::string& name) = 0;
  // Whether the cluster answers (one squeue call); the error says why not.
  virtual Status Ping() = 0;
  // `scancel ID...`; ids of finished jobs are not an error.
  virtual Status Cancel(const std::vector<std::string>& job_ids) = 0;
};

// Runs the real commands. `bin_dir` (may be empty: PATH) is where they are.
std::unique_ptr<SlurmClient> MakeCommandSlurmClient(std::string bin_dir);

// Output of one command run without a shell.
struct CommandOutput {
  int exit_code = -1;  // -1: could not start or killed
  std::string out;
  std::string err;
};
// Runs argv (argv[0] looked up on PATH) with process/child.h, stdin from
// /dev/null; after `timeout_seconds` its process group is killed.
CommandOutput RunCommandCapture(const std::vector<std::string>& argv, double timeout_seconds);

// Slurm state names, as squeue and sacct print them, classified.
bool IsTerminalSlurmState(const std::string& state);

}  // namespace crucible

#endif  // CRUCIBLE_EXECUTOR_SLURM_CLIENT_H_
