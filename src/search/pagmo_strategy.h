// The ask/tell adapter around pagmo2's population algorithms.
//
// pagmo's algorithms own their loop: evolve(population) calls the problem's
// fitness for every new point and uses the values at once. crucible needs
// the inverse (hand points out, get results later, many in flight), so the
// adapter runs pagmo against a *lookup* problem whose fitness reads a table
// of told results:
//
//   1. From a snapshot of the algorithm (copied, with its random state and,
//      for CMA-ES/xNES/PSO, its adapted memory) and of the population, run
//      one generation with the lookup problem. Every point missing from the
//      table gets a placeholder and is recorded.
//   2. If points were missing, they are the batch Ask hands out; the
//      snapshot is kept and the generation's result thrown away.
//   3. When the table holds them all, run the generation again from the same
//      snapshot: it draws the same random numbers, requests the same points,
//      and this time every fitness it sees is real. Keep the result as the
//      new snapshot and go on with the next generation.
//
// pagmo's CMA-ES, xNES, DE (rand/1/exp), PSO (pso_gen), SGA and NSGA-II draw
// a whole generation's points before they use any of their fitnesses, so a
// batch is a whole generation. An algorithm that did not would still be
// exact (step 3 repeats until a run finds no missing point), with smaller
// batches. The state is a function of the seed and of the *set* of told
// results: a strategy rebuilt and told the same results is where the
// original was, whatever the order of the tells.
#ifndef CRUCIBLE_SEARCH_PAGMO_STRATEGY_H_
#define CRUCIBLE_SEARCH_PAGMO_STRATEGY_H_

#include <memory>

#include "search/strategy.h"

namespace crucible {

// options.kind is one of cmaes, xnes, de, pso, sga, nsga2; options valid.
std::unique_ptr<Strategy> MakePagmoStrategy(const StrategyOptions& options);

}  // namespace crucible

#endif  // CRUCIBLE_SEARCH_PAGMO_STRATEGY_H_
