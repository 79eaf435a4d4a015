// TuneConstants: an inner CMA-ES (pagmo2's cmaes) over the tunable literals
// of one program (tune/literals.h), each sample scored by the caller's
// evaluation function — the run's own sandboxed evaluator on the train split
// — so a tuned program is measured exactly like any other candidate.
//
// The search starts at the program as written (coordinate 0 of every
// literal, whose fitness the caller already knows, so it costs nothing):
// pagmo's population is that point repeated, its mean starts there and the
// first generation samples around it with step sigma0 (coordinates live in
// [-1, 1]). Samples whose text is already known (integers round, so nearby
// coordinates often give the same program) are answered from a cache and
// cost no evaluation. The result is the best program evaluated, which may
// be no better than the start: the caller decides what to do with it.
//
// Batches (ask/tell): pagmo's cmaes calls its fitness one point at a time,
// but draws a whole generation before it uses any value. So the tuner runs
// `cmaes.evolve` against a *lookup* problem that answers from the results
// known so far; the first generation holding unknown samples is the next
// batch, handed to the caller's BatchTrainEvaluation in one call (which may
// evaluate them in parallel). Once they are told, evolve runs again from
// the same seed and population and goes one generation further. The
// samples, their order and the result are exactly those of one sequential
// evolve (the same cmaes, the same random numbers), whatever the batches'
// evaluation order or concurrency. (The same lookup technique as
// search/pagmo_strategy.h, which snapshots per generation with memory on;
// that would draw other random numbers than one multi-generation evolve,
// and change every tuning's samples.)
//
// Determinism: pagmo's generator is seeded from `seed`; with a deterministic
// evaluation function the same call gives the same result. Thread safety:
// a call owns all its state; the evaluation function is called from the
// calling thread.
#ifndef CRUCIBLE_PROPOSE_TUNE_TUNER_H_
#define CRUCIBLE_PROPOSE_TUNE_TUNER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "core/candidate.h"
#include "core/objective.h"
#include "core/parsed_program.h"
#include "core/status.h"
#include "propose/tune/literals.h"

namespace crucible {

// Scores one program on the train split (an EvalResult of the evaluator
// protocol). Called on the tuner's thread.
using TrainEvaluation = std::function<EvalResult(const Program&, std::stop_token)>;

// One sample of a batch: the program and its key (the rewritten text of
// every tunable literal, one per line), which names it across a resume.
struct TuneSample {
  std::string key;
  Program program;
};
// Scores a batch (one CMA-ES generation's new samples), in any order or at
// once; returns the results in the batch's order. After `stop` fired a
// sample may be skipped (any result: the tuning is then cancelled).
using BatchTrainEvaluation =
    std::function<std::vector<EvalResult>(const std::vector<TuneSample>&, std::stop_token)>;
// Objective values of samples an earlier attempt at the same tuning (same
// start, options and seed) evaluated, by key; nullopt for a sample that had
// none. A resumed tuning answers them without an evaluation but counts them,
// so it ends exactly as the uninterrupted one would have.
using RecordedSamples = std::map<std::string, std::optional<double>>;

struct LiteralChange {
  size_t file = 0;
  int line = 0;
  std::string from;
  std::string to;
};

struct TuneResult {
  Program program;                     // the best program evaluated (or the start, if none was better)
  std::vector<LiteralChange> changes;  // literals of `program` that differ from the start
  int64_t evaluations = 0;             // evaluation-function calls made
  int literals = 0;                    // size of the parameter vector
  double start_value = 0;              // the objective value the tuning started from
  std::optional<double> best_value;    // the objective value of `program`, if it was evaluated
  bool improved() const { return !changes.empty(); }
};

// Tunes `start`, whose objective value is `start_value`. Errors:
// InvalidArgument if the options are invalid or the program has no tunable
// literal; Cancelled if `stop` fired.
StatusOr<TuneResult> TuneConstants(const ParsedProgram& start, double start_value,
                                   const Objective& objective, const TrainEvaluation& evaluate,
                                   const TuneOptions& options, uint64_t seed,
                                   std::stop_token stop);
// The same, a generation's new samples at a time, with the samples of an
// interrupted attempt answered from `recorded`.
StatusOr<TuneResult> TuneConstantsInBatches(const ParsedProgram& start, double start_value,
                                            const Objective& objective,
                                            const BatchTrainEvaluation& evaluate,
                                            const TuneOptions& options, uint64_t seed,
                                            std::stop_token stop,
                                            const RecordedSamples& recorded = {});

}  // namespace crucible

#endif  // CRUCIBLE_PROPOSE_TUNE_TUNER_H_
