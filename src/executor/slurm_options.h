// SlurmOptions: how evaluations are submitted to a Slurm cluster
// (problem.yaml's `slurm:` section, docs/slurm.md).
#ifndef CRUCIBLE_EXECUTOR_SLURM_OPTIONS_H_
#define CRUCIBLE_EXECUTOR_SLURM_OPTIONS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace crucible {

struct SlurmOptions {
  std::string partition;  // empty: the cluster's default partition
  std::string account;    // empty: the user's default account
  std::string qos;        // empty: the default QoS
  // Time limit of one evaluation's job, in sbatch's --time syntax
  // ("MM", "MM:SS", "HH:MM:SS", "D-HH", "D-HH:MM", "D-HH:MM:SS"). Empty:
  // the evaluator's timeout times the number of stages, plus two minutes.
  std::string time;
  // Memory of one job in MiB (--mem). 0: evaluator.memory_mb + 512.
  int64_t memory_mb = 0;
  int cpus = 1;  // --cpus-per-task
  int gpus = 0;  // --gres=gpu:N; nothing is requested when 0
  // Extra #SBATCH lines, one option each ("--constraint=avx2"); a leading
  // "#SBATCH" is optional.
  std::vector<std::string> sbatch_lines;
  // Shell lines run in the job before the evaluation ("module load gcc/12").
  std::string prologue;
  // At most this many jobs of the run queued or running at once.
  int max_queued = 64;
  // A job still pending after this long is cancelled (outcome
  // evaluator_error, saying so).
  double queue_timeout_seconds = 3600;
  // Seconds between two polls of squeue (one call for all jobs).
  double poll_seconds = 1.0;
  // A job lost to a node failure (NODE_FAIL, BOOT_FAIL, PREEMPTED) is
  // submitted again this many times before it counts as evaluator_error.
  int max_retries = 1;
  // How long a finished job's result.json may take to appear on the shared
  // filesystem (NFS attribute caches) before the job counts as failed.
  double result_grace_seconds = 30;
  // The crucible binary the job runs, as the compute nodes see it. Empty:
  // this binary's path (the shared filesystem must show it at that path).
  std::string crucible;
  // Where sbatch, squeue, scontrol, sacct and scancel are. Empty: PATH.
  std::string bin_dir;

  // kInvalidArgument naming the field (slurm.<field>).
  Status Validate() const;
};

// sbatch's --time for `seconds` ("D-HH:MM:SS", rounded up to a minute).
std::string SlurmTimeLimit(double seconds);

}  // namespace crucible

#endif  // CRUCIBLE_EXECUTOR_SLURM_OPTIONS_H_
