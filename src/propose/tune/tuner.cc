#include "propose/tune/tuner.h"

#include <fmt/format.h>

#include <cmath>
#include <exception>
#include <map>
#include <memory>
#include <pagmo/algorithms/cmaes.hpp>
#include <pagmo/population.hpp>
#include <pagmo/problem.hpp>
#include <utility>

namespace crucible {
namespace {

// What pagmo minimises for a sample that has no objective value (failed to
// compile, crashed, invalid): worse than any real value.
constexpr double kNoValue = 1e300;

// The state of one tuning, shared by the copies pagmo makes of the problem.
struct Session {
  const Program* start = nullptr;
  const std::vector<TunableLiteral>* literals = nullptr;
  const Objective* objective = nullptr;
  const TrainEvaluation* evaluate = nullptr;
  double range = 4;
  std::stop_token stop;
  int64_t max_evaluations = 0;

  int64_t evaluations = 0;
  std::map<std::string, double> known;  // rewritten text of the changed literals -> pagmo fitness
  std::optional<double> best_fitness;   // higher is better
  std::optional<double> best_value;
  std::vector<double> best_x;

  std::string Key(const std::vector<double>& x) const {
    std::string key;
    for (size_t i = 0; i < literals->size(); ++i) {
      key += LiteralText((*literals)[i], x[i], range);
      key += '\n';
    }
    return key;
  }

  double Score(const std::vector<double>& x) {
    const std::string key = Key(x);
    if (auto it = known.find(key); it != known.end()) return it->second;
    // Past the budget or after a stop, a sample is not evaluated; pagmo
    // still finishes its generation (it cannot be interrupted).
    if (stop.stop_requested() || evaluations >= max_evaluations) return kNoValue;
    ++evaluations;
    const Program program = RewriteLiterals(*start, *literals, x, range);
    const EvalResult result = (*evaluate)(program, stop);
    double fitness_to_minimise = kNoValue;
    if (std::optional<double> v = objective->ValueOf(result); v && std::isfinite(*v)) {
      const double fitness = objective->Fitness(*v);
      fitness_to_minimise = -fitness;
      if (!best_fitness || fitness > *best_fitness) {
        best_fitness = fitness;
        best_value = v;
        best_x = x;
      }
    }
    if (!stop.stop_requested()) known.emplace(key, fitness_to_minimise);
    return fitness_to_minimise;
  }
};

// pagmo's user-defined problem: the literal coordinates in [-1, 1]^n.
struct LiteralProblem {
  std::shared_ptr<Session> session;
  size_t dimension = 1;

  pagmo::vector_double fitness(const pagmo::vector_double& x) const {
    return {session->Score(x)};
  }
  std::pair<pagmo::vector_double, pagmo::vector_double> get_bounds() const {
    return {pagmo::vector_double(dimension, -1.0), pagmo::vector_double(dimension, 1.0)};
  }
  std::string get_name() const { return "crucible literal tuning"; }
};

}  // namespace

StatusOr<TuneResult> TuneConstants(const ParsedProgram& start, double start_value,
                                   const Objective& objective, const TrainEvaluation& evaluate,
                                   const TuneOptions& options, uint64_t seed,
                                   std::stop_token stop) {
  RETURN_IF_ERROR(options.Validate());
  const std::vector<TunableLiteral> literals = FindTunableLiterals(start, options.literals);
  if (literals.empty()) return InvalidArgumentError("the program has no tunable literal");

  auto session = std::make_shared<Session>();
  session->start = &start.program();
  session->literals = &literals;
  session->objective = &objective;
  session->evaluate = &evaluate;
  session->range = options.literals.range;
  session->stop = stop;
  session->max_evaluations = options.max_evaluations;
  const std::vector<double> origin(literals.size(), 0.0);
  const double start_fitness = -objective.Fitness(start_value);
  session->known.emplace(session->Key(origin), start_fitness);

  const unsigned generations = static_cast<unsigned>(options.max_evaluations / options.population);
  try {
    pagmo::problem problem{LiteralProblem{session, literals.size()}};
    // The start point, population times: its fitness is known, so building
    // the population costs no evaluation, and CMA-ES's mean starts there.
    pagmo::population population(problem, 0u, static_cast<unsigned>(seed));
    for (int i = 0; i < options.population; ++i) population.push_back(origin, {start_fitness});
    // ftol = xtol = 0: run every generation of the budget (a flat start
    // population would otherwise stop it before the first sample).
    pagmo::cmaes cmaes(generations, -1, -1, -1, -1, options.sigma0, 0, 0, /*memory=*/false,
                       /*force_bounds=*/true, static_cast<unsigned>(seed ^ (seed >> 32)));
    cmaes.evolve(population);
  } catch (const std::exception& e) {
    return InternalError(std::string("pagmo cmaes: ") + e.what());
  }
  if (stop.stop_requested()) return CancelledError("constant tuning cancelled");

  TuneResult result;
  result.evaluations = session->evaluations;
  result.literals = static_cast<int>(literals.size());
  result.start_value = start_value;
  result.program = start.program();
  const bool better = session->best_fitness && *session->best_fitness > objective.Fitness(start_value);
  if (!better) return result;
  result.program = RewriteLiterals(start.program(), literals, session->best_x, session->range);
  result.best_value = session->best_value;
  for (size_t i = 0; i < literals.size(); ++i) {
    std::string to = LiteralText(literals[i], session->best_x[i], session->range);
    if (to == literals[i].text) continue;
    result.changes.push_back({literals[i].file, literals[i].line, literals[i].text, std::move(to)});
  }
  return result;
}

}  // namespace crucible
