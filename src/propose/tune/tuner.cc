#include "propose/tune/tuner.h"

#include <fmt/format.h>

#include <cmath>
#include <exception>
#include <memory>
#include <pagmo/algorithms/cmaes.hpp>
#include <pagmo/population.hpp>
#include <pagmo/problem.hpp>
#include <set>
#include <utility>

namespace crucible {
namespace {

// What pagmo minimises for a sample that has no objective value (failed to
// compile, crashed, invalid): worse than any real value.
constexpr double kNoValue = 1e300;

std::string KeyOf(const std::vector<TunableLiteral>& literals, const std::vector<double>& x,
                  double range) {
  std::string key;
  for (size_t i = 0; i < literals.size(); ++i) {
    key += LiteralText(literals[i], x[i], range);
    key += '\n';
  }
  return key;
}

// What the lookup problem reads and records; shared by the copies pagmo
// makes of the problem.
struct Lookup {
  const std::vector<TunableLiteral>* literals = nullptr;
  double range = 4;
  const std::map<std::string, double>* known = nullptr;  // key -> pagmo fitness (minimised)
  uint64_t lambda = 1;
  uint64_t calls = 0;  // evolve calls fitness exactly lambda times per generation
  std::optional<uint64_t> missing_generation;  // the first generation with unknown samples
  std::vector<std::pair<std::string, std::vector<double>>> missing;  // its unknown samples, in order
  std::set<std::string> missing_keys;
};

// pagmo's user-defined problem: the literal coordinates in [-1, 1]^n, each
// fitness the known result or, for an unknown sample, a placeholder.
struct LookupProblem {
  std::shared_ptr<Lookup> lookup;
  size_t dimension = 1;

  pagmo::vector_double fitness(const pagmo::vector_double& x) const {
    Lookup& l = *lookup;
    const uint64_t generation = l.calls++ / l.lambda;
    std::string key = KeyOf(*l.literals, x, l.range);
    if (auto it = l.known->find(key); it != l.known->end()) return {it->second};
    if (!l.missing_generation) l.missing_generation = generation;
    if (generation == *l.missing_generation && l.missing_keys.insert(key).second) {
      l.missing.emplace_back(std::move(key), x);
    }
    return {kNoValue};  // later generations are thrown away
  }
  std::pair<pagmo::vector_double, pagmo::vector_double> get_bounds() const {
    return {pagmo::vector_double(dimension, -1.0), pagmo::vector_double(dimension, 1.0)};
  }
  std::string get_name() const { return "crucible literal tuning"; }
};

// The whole tuning's evolve from its start, against what is known; returns
// the first generation's unknown samples (none: the tuning is complete).
std::vector<std::pair<std::string, std::vector<double>>> NextBatch(
    const std::vector<TunableLiteral>& literals, const std::map<std::string, double>& known,
    const TuneOptions& options, uint64_t seed, double start_fitness) {
  auto lookup = std::make_shared<Lookup>();
  lookup->literals = &literals;
  lookup->range = options.literals.range;
  lookup->known = &known;
  lookup->lambda = static_cast<uint64_t>(options.population);
  const unsigned generations = static_cast<unsigned>(options.max_evaluations / options.population);
  pagmo::problem problem{LookupProblem{lookup, literals.size()}};
  // The start point, population times: its fitness is known, so building
  // the population costs no evaluation, and CMA-ES's mean starts there.
  pagmo::population population(problem, 0u, static_cast<unsigned>(seed));
  const std::vector<double> origin(literals.size(), 0.0);
  for (int i = 0; i < options.population; ++i) population.push_back(origin, {start_fitness});
  // ftol = xtol = 0: run every generation of the budget (a flat start
  // population would otherwise stop it before the first sample).
  pagmo::cmaes cmaes(generations, -1, -1, -1, -1, options.sigma0, 0, 0, /*memory=*/false,
                     /*force_bounds=*/true, static_cast<unsigned>(seed ^ (seed >> 32)));
  cmaes.evolve(population);
  return std::move(lookup->missing);
}

// Evaluates the batch one sample at a time, skipping the rest after a stop.
BatchTrainEvaluation OneAtATime(const TrainEvaluation& evaluate) {
  return [&evaluate](const std::vector<TuneSample>& samples, std::stop_token stop) {
    std::vector<EvalResult> results(samples.size());
    for (size_t i = 0; i < samples.size() && !stop.stop_requested(); ++i) {
      results[i] = evaluate(samples[i].program, stop);
    }
    return results;
  };
}

// A sample evaluated (or recorded): its coordinates and objective value.
struct Sample {
  std::vector<double> x;
  std::optional<double> value;
};

// The tuning's result from its samples, in the order the generations asked
// them: the first best, as a sequential tuning found it, if it beats the
// start; otherwise the start itself.
TuneResult ResultOf(const ParsedProgram& start, double start_value, const Objective& objective,
                    const std::vector<TunableLiteral>& literals, double range,
                    const std::vector<std::pair<std::string, Sample>>& evaluated,
                    int64_t evaluations) {
  TuneResult result;
  result.evaluations = evaluations;
  result.literals = static_cast<int>(literals.size());
  result.start_value = start_value;
  result.program = start.program();
  const Sample* best = nullptr;
  std::optional<double> best_fitness;
  for (const auto& [key, sample] : evaluated) {
    if (!sample.value) continue;
    const double f = objective.Fitness(*sample.value);
    if (!best_fitness || f > *best_fitness) {
      best_fitness = f;
      best = &sample;
    }
  }
  if (!best || !(*best_fitness > objective.Fitness(start_value))) return result;
  result.program = RewriteLiterals(start.program(), literals, best->x, range);
  result.best_value = best->value;
  for (size_t i = 0; i < literals.size(); ++i) {
    std::string to = LiteralText(literals[i], best->x[i], range);
    if (to == literals[i].text) continue;
    result.changes.push_back({literals[i].file, literals[i].line, literals[i].text, std::move(to)});
  }
  return result;
}

}  // namespace

StatusOr<TuneResult> TuneConstants(const ParsedProgram& start, double start_value,
                                   const Objective& objective, const TrainEvaluation& evaluate,
                                   const TuneOptions& options, uint64_t seed,
                                   std::stop_token stop) {
  return TuneConstantsInBatches(start, start_value, objective, OneAtATime(evaluate), options, seed,
                                stop);
}

StatusOr<TuneResult> TuneConstantsInBatches(const ParsedProgram& start, double start_value,
                                            const Objective& objective,
                                            const BatchTrainEvaluation& evaluate,
                                            const TuneOptions& options, uint64_t seed,
                                            std::stop_token stop, const RecordedSamples& recorded) {
  RETURN_IF_ERROR(options.Validate());
  const std::vector<TunableLiteral> literals = FindTunableLiterals(start, options.literals);
  if (literals.empty()) return InvalidArgumentError("the program has no tunable literal");
  const double range = options.literals.range;
  const double start_fitness = -objective.Fitness(start_value);

  std::map<std::string, double> known;  // key -> pagmo fitness
  known.emplace(KeyOf(literals, std::vector<double>(literals.size(), 0.0), range), start_fitness);
  // The samples evaluated (or recorded), in the order the generations asked
  // them: the order a sequential evolve would have evaluated them in.
  std::vector<std::pair<std::string, Sample>> evaluated;
  int64_t evaluations = 0;
  // Returns the pagmo fitness of a sample with `value`.
  auto tell = [&](std::string key, std::vector<double> x, std::optional<double> value) {
    ++evaluations;
    double fitness_to_minimise = kNoValue;
    if (value && std::isfinite(*value)) {
      fitness_to_minimise = -objective.Fitness(*value);
    } else {
      value.reset();
    }
    known.emplace(key, fitness_to_minimise);
    evaluated.push_back({std::move(key), Sample{std::move(x), value}});
  };
  try {
    while (true) {
      auto batch = NextBatch(literals, known, options, seed, start_fitness);
      if (batch.empty()) break;
      std::vector<TuneSample> samples;
      std::vector<std::pair<std::string, std::vector<double>>> pending;
      for (auto& [key, x] : batch) {
        if (auto r = recorded.find(key); r != recorded.end()) {
          tell(key, std::move(x), r->second);
        } else if (evaluations + static_cast<int64_t>(samples.size()) >= options.max_evaluations) {
          // Past the budget a sample is not evaluated (unreachable: evolve
          // runs max_evaluations / population generations).
          known.emplace(key, kNoValue);
        } else {
          samples.push_back({key, RewriteLiterals(start.program(), literals, x, range)});
          pending.emplace_back(std::move(key), std::move(x));
        }
      }
      if (samples.empty()) continue;
      std::vector<EvalResult> results = evaluate(samples, stop);
      if (stop.stop_requested()) return CancelledError("constant tuning cancelled");
      if (results.size() != samples.size()) return InternalError("tuning: a batch lost results");
      for (size_t i = 0; i < pending.size(); ++i) {
        tell(std::move(pending[i].first), std::move(pending[i].second),
             objective.ValueOf(results[i]));
      }
    }
  } catch (const std::exception& e) {
    return InternalError(std::string("pagmo cmaes: ") + e.what());
  }
  if (stop.stop_requested()) return CancelledError("constant tuning cancelled");
  return ResultOf(start, start_value, objective, literals, range, evaluated, evaluations);
}

}  // namespace crucible
