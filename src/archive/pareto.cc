#include "archive/pareto.h"

#include <algorithm>
#include <cmath>
#include <exception>
#include <limits>
#include <pagmo/utils/hypervolume.hpp>
#include <pagmo/utils/multi_objective.hpp>

namespace crucible {
namespace {

// pagmo minimises: losses are negated fitnesses.
std::vector<pagmo::vector_double> Losses(const std::vector<ParetoMember>& members) {
  std::vector<pagmo::vector_double> out;
  out.reserve(members.size());
  for (const ParetoMember& m : members) {
    pagmo::vector_double l;
    for (double f : m.fitness) l.push_back(-f);
    out.push_back(std::move(l));
  }
  return out;
}

// a before b in NSGA-II's crowded comparison.
bool Crowded(const ParetoMember& a, const ParetoMember& b) {
  if (a.rank != b.rank) return a.rank < b.rank;
  return a.crowding > b.crowding;
}

}  // namespace

std::optional<std::vector<double>> FitnessVector(const std::vector<Objective>& objectives,
                                                 const EvalResult& result) {
  std::vector<double> out;
  out.reserve(objectives.size());
  for (const Objective& o : objectives) {
    std::optional<double> v = o.ValueOf(result);
    if (!v || !std::isfinite(*v)) return std::nullopt;
    out.push_back(o.Fitness(*v));
  }
  return out;
}

ParetoPopulation::ParetoPopulation(size_t objectives, size_t capacity)
    : objectives_(objectives), capacity_(std::max<size_t>(capacity, 2)) {}

bool ParetoPopulation::Insert(CandidateId id, std::vector<double> fitness) {
  if (fitness.size() != objectives_ || Contains(id)) return false;
  members_.push_back(ParetoMember{id, std::move(fitness), 0, 0});
  Rank();
  if (members_.size() > capacity_) {
    // NSGA-II's environmental selection: keep the best `capacity` by
    // (rank, crowding); the order of the rest is kept.
    const std::vector<pagmo::pop_size_t> keep =
        pagmo::select_best_N_mo(Losses(members_), capacity_);
    std::vector<bool> kept(members_.size(), false);
    for (pagmo::pop_size_t k : keep) kept[k] = true;
    std::vector<ParetoMember> next;
    for (size_t i = 0; i < members_.size(); ++i) {
      if (kept[i]) next.push_back(std::move(members_[i]));
    }
    members_ = std::move(next);
    Rank();
  }
  for (const ParetoMember& m : members_) {
    if (m.id == id) return m.rank == 0;
  }
  return false;
}

void ParetoPopulation::Rank() {
  if (members_.empty()) return;
  if (members_.size() == 1) {
    members_[0].rank = 0;
    members_[0].crowding = std::numeric_limits<double>::infinity();
    return;
  }
  const std::vector<pagmo::vector_double> losses = Losses(members_);
  const auto fronts = std::get<0>(pagmo::fast_non_dominated_sorting(losses));
  for (size_t r = 0; r < fronts.size(); ++r) {
    const auto& front = fronts[r];
    std::vector<double> crowding(front.size(), std::numeric_limits<double>::infinity());
    // pagmo's crowding distance needs at least two points.
    if (front.size() >= 2) {
      std::vector<pagmo::vector_double> points;
      for (pagmo::pop_size_t i : front) points.push_back(losses[i]);
      crowding = pagmo::crowding_distance(points);
    }
    for (size_t k = 0; k < front.size(); ++k) {
      members_[front[k]].rank = static_cast<int>(r);
      members_[front[k]].crowding = crowding[k];
    }
  }
}

CandidateId ParetoPopulation::Tournament(Rng& rng) const {
  if (members_.empty()) return kNoCandidate;
  const ParetoMember& a = members_[rng.Uniform(members_.size())];
  const ParetoMember& b = members_[rng.Uniform(members_.size())];
  return Crowded(b, a) ? b.id : a.id;
}

std::vector<ParetoMember> ParetoPopulation::Front() const {
  std::vector<ParetoMember> out;
  for (const ParetoMember& m : members_) {
    if (m.rank == 0) out.push_back(m);
  }
  return out;
}

bool ParetoPopulation::Contains(CandidateId id) const {
  return std::any_of(members_.begin(), members_.end(),
                     [id](const ParetoMember& m) { return m.id == id; });
}

std::vector<ParetoMember> NonDominated(const std::vector<ParetoMember>& points) {
  std::vector<ParetoMember> out;
  for (size_t i = 0; i < points.size(); ++i) {
    bool dominated = false;
    for (size_t j = 0; j < points.size() && !dominated; ++j) {
      if (i == j) continue;
      const auto& a = points[j].fitness;
      const auto& b = points[i].fitness;
      bool all_ge = a.size() == b.size();
      bool one_gt = false;
      for (size_t k = 0; all_ge && k < a.size(); ++k) {
        all_ge = a[k] >= b[k];
        one_gt |= a[k] > b[k];
      }
      // Equal vectors: the earlier one stands for both.
      dominated = all_ge && (one_gt || j < i);
    }
    if (!dominated) out.push_back(points[i]);
  }
  return out;
}

double Hypervolume(const std::vector<ParetoMember>& front, const std::vector<double>& reference) {
  std::vector<pagmo::vector_double> points;
  for (const ParetoMember& m : front) {
    if (m.fitness.size() != reference.size()) continue;
    bool beats = true;
    for (size_t k = 0; k < reference.size(); ++k) beats &= m.fitness[k] > reference[k];
    if (!beats) continue;
    pagmo::vector_double l;
    for (double f : m.fitness) l.push_back(-f);
    points.push_back(std::move(l));
  }
  if (points.empty()) return 0;
  pagmo::vector_double ref;
  for (double r : reference) ref.push_back(-r);
  try {
    return pagmo::hypervolume(points, /*verify=*/true).compute(ref);
  } catch (const std::exception&) {
    return 0;  // unreachable: every point strictly dominates the reference
  }
}

}  // namespace crucible
