// The options of constant tuning (issue #14, item 2; docs/search.md
// "Constant tuning"): which literals, the inner CMA-ES, and when to tune.
// Options only, without pagmo, so the configuration can hold them without
// linking the optimiser (the implementation: tuner.h, tuning_proposer.h).
#ifndef CRUCIBLE_PROPOSE_TUNE_TUNE_OPTIONS_H_
#define CRUCIBLE_PROPOSE_TUNE_TUNE_OPTIONS_H_

#include <optional>
#include <string_view>

#include "core/status.h"

namespace crucible {

struct LiteralOptions {
  int max_literals = 16;  // the first this many sites, in file and source order
  bool integers = true;   // tune decimal integers >= 2 as well as floats
  double range = 4.0;     // a literal moves within [v0 / range, v0 * range]

  // InvalidArgument naming the field: max_literals < 1, range not > 1.
  Status Validate() const;
};

struct TuneOptions {
  LiteralOptions literals;
  int max_evaluations = 30;  // per tuned program; a whole number of generations is run
  int population = 6;        // CMA-ES lambda (pagmo needs >= 5)
  double sigma0 = 0.3;       // initial step, in coordinates of [-1, 1]

  // InvalidArgument naming the field.
  Status Validate() const;
};

enum class TuneTrigger {
  kIslandBest,  // a candidate that beats every earlier one of its island
  kTopK,        // a candidate among the run's `top_k` best so far
};
std::string_view TuneTriggerName(TuneTrigger trigger);
std::optional<TuneTrigger> ParseTuneTrigger(std::string_view name);

struct TuningOptions {
  bool enabled = false;  // off by default: problem.yaml's `tuning:` turns it on
  TuneTrigger trigger = TuneTrigger::kIslandBest;
  int top_k = 5;              // kTopK
  double budget_share = 0.3;  // of all evaluations so far, at most this share on tuning
  TuneOptions tune;

  // InvalidArgument naming the field.
  Status Validate() const;
};

}  // namespace crucible

#endif  // CRUCIBLE_PROPOSE_TUNE_TUNE_OPTIONS_H_
