#include "propose/tune/tuning_proposer.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "propose/tune/sample_batch.h"

namespace crucible {
namespace {

// Queued candidates kept at most (the best ones): a long queue only holds
// candidates that better ones have superseded.
constexpr size_t kMaxQueue = 8;

constexpr std::string_view kTuneProposer = "tune";
constexpr char kStateKey[] = "tune.tuning";

bool WasEvaluated(const Candidate& c) {
  return c.result.outcome != Outcome::kDuplicate && c.result.outcome != Outcome::kRejected;
}

// The tuned program as `start`'s child, with the tuning's record.
Proposal TunedChild(std::shared_ptr<const Candidate> start, TuneResult r) {
  nlohmann::json changes = nlohmann::json::array();
  for (const LiteralChange& c : r.changes) {
    changes.push_back({{"file", start->program.files[c.file].path},
                       {"line", c.line},
                       {"from", c.from},
                       {"to", c.to}});
  }
  nlohmann::json detail = {{"tuned_from", start->id},  {"evaluations", r.evaluations},
                           {"literals", r.literals},  {"start_value", r.start_value},
                           {"changes", changes}};
  if (r.best_value) detail["best_value"] = *r.best_value;
  Proposal p;
  p.program = std::move(r.program);
  p.parent = std::move(start);
  p.info.proposer = std::string(kTuneProposer);
  p.info.operators = {"cmaes"};
  p.info.detail_json = detail.dump();
  p.info.evaluations = r.evaluations;
  return p;
}

}  // namespace

TuningProposer::TuningProposer(std::unique_ptr<Proposer> base, TuningOptions options,
                               Objective objective, ProgramEvaluation evaluate)
    : base_(std::move(base)),
      options_(std::move(options)),
      objective_(std::move(objective)),
      evaluate_(std::move(evaluate)) {}

void TuningProposer::OnResult(const Candidate& child, std::optional<double> child_fitness,
                              std::optional<double> parent_fitness, bool replayed) {
  base_->OnResult(child, child_fitness, parent_fitness, replayed);
  std::lock_guard lock(mu_);
  const bool tuned_child = child.proposal.proposer == kTuneProposer;
  // A child that scores exactly as its parent, whose constants were already
  // searched (tuned, a tuned child, or such a copy), is in effect the same
  // program (an edit of a dead line, say) and is not tuned either: on bin
  // packing such copies became other islands' bests and each cost a tuning
  // that found nothing. A tie with any other candidate is no reason.
  if (tuned_child || (child_fitness && parent_fitness && *child_fitness == *parent_fitness &&
                      tuned_.contains(child.parent_id))) {
    tuned_.insert(child.id);
  }
  if (tuned_child) {
    tuned_.insert(child.parent_id);
    // Its child is recorded: the tuning needs no state any more.
    if (in_flight_ && in_flight_->start->id == child.parent_id) {
      in_flight_.reset();
      in_flight_changed_ = true;
    }
    // A tuning of this session had its samples counted when it finished
    // (Tune()); one replayed or re-queued by a resume did not.
    if (!live_children_.erase(child.id)) {
      spent_ += child.proposal.evaluations;
      ++tunings_;
    }
  }
  if (WasEvaluated(child)) ++evaluated_children_;
  if (!child_fitness || !child.HasScore()) return;
  const double f = *child_fitness;
  bool promising = false;
  // The initial program is every island's first member: an island's best
  // starts at its value, so a first child worse than it is not "a new best".
  if (child.parent_id == kNoCandidate) {
    initial_fitness_ = f;
    promising = true;
  }
  auto best = island_best_.find(child.island);
  const std::optional<double> bar =
      best != island_best_.end() ? std::optional(best->second) : initial_fitness_;
  if (!bar || f > *bar) {
    island_best_[child.island] = f;
    promising |= options_.trigger == TuneTrigger::kIslandBest;
  }
  if (options_.trigger == TuneTrigger::kTopK) {
    const bool room = static_cast<int>(top_.size()) < options_.top_k;
    if (room || f > *top_.begin()) {
      if (!room) top_.erase(top_.begin());
      top_.insert(f);
      promising = true;
    }
  }
  // Tuned children are not tuned again (their literals were just searched).
  if (!promising || tuned_child || tuned_.contains(child.id)) return;
  queue_[child.id] = std::make_shared<const Candidate>(child);
  queue_fitness_[child.id] = f;
  if (replayed) replayed_queued_[child.id] = queue_[child.id];
  while (queue_.size() > kMaxQueue) {
    auto worst = std::min_element(queue_fitness_.begin(), queue_fitness_.end(),
                                  [](const auto& a, const auto& b) { return a.second < b.second; });
    queue_.erase(worst->first);
    queue_fitness_.erase(worst);
  }
}

std::shared_ptr<const Candidate> TuningProposer::TakeJob(int64_t planned_evaluations) {
  std::lock_guard lock(mu_);
  if (busy_ || queue_.empty()) return nullptr;
  // The share counts the planned samples on both sides: tuning may bring
  // its share up to budget_share of everything evaluated, not beyond.
  const double planned = static_cast<double>(planned_evaluations);
  const double total = static_cast<double>(evaluated_children_ + spent_) + planned;
  if (static_cast<double>(spent_) + planned > options_.budget_share * total) return nullptr;
  auto best = std::max_element(queue_fitness_.begin(), queue_fitness_.end(),
                               [](const auto& a, const auto& b) { return a.second < b.second; });
  std::shared_ptr<const Candidate> job = queue_.at(best->first);
  queue_.erase(best->first);
  queue_fitness_.erase(best);
  tuned_.insert(job->id);
  spent_ += planned_evaluations;
  busy_ = true;
  return job;
}

StatusOr<Proposal> TuningProposer::Propose(const ProposalRequest& request, std::stop_token stop) {
  // The samples of a tuning, within what is left of the evaluation budget
  // (one evaluation is kept for the tuned child itself).
  TuneOptions tune = options_.tune;
  if (request.evaluations_left) {
    tune.max_evaluations = static_cast<int>(
        std::min<int64_t>(tune.max_evaluations, *request.evaluations_left - 1));
  }
  // A tuning interrupted by a crash first, as it was planned, within what
  // is left of the budget.
  if (std::optional<Job> resumed = TakeResumed(request.evaluations_left)) {
    return Tune(request, *std::move(resumed), stop);
  }
  if (options_.enabled && tune.max_evaluations >= tune.population) {
    if (std::shared_ptr<const Candidate> start = TakeJob(tune.max_evaluations)) {
      StatusOr<Proposal> tuned = Tune(request, Job{std::move(start), tune, request.seed, {}}, stop);
      // No tunable literal: nothing was spent; the wrapped proposer answers.
      if (tuned.ok() || tuned.status().code() != StatusCode::kInvalidArgument) return tuned;
    }
  }
  return base_->Propose(request, stop);
}

std::optional<TuningProposer::Job> TuningProposer::TakeResumed(
    std::optional<int64_t> evaluations_left) {
  std::lock_guard lock(mu_);
  if (!resumed_ || busy_) return std::nullopt;
  std::optional<Job> job;
  job.swap(resumed_);
  // Its samples, the recorded ones included (they are counted when the
  // child is), stay within the evaluations left, one kept for the child,
  // as a new tuning's would: the budget may have been lowered for the
  // resume, or spent meanwhile by children evaluated beside the tuning.
  const int planned = job->tune.max_evaluations;
  const int64_t allowed = evaluations_left ? *evaluations_left - 1 : planned;
  if (allowed >= planned) {
    busy_ = true;
    return job;
  }
  if (allowed < job->tune.population) {
    // Not one generation fits: the tuning ends here, without a child; its
    // reservation is returned and its state cleared (the samples recorded
    // before the crash go uncounted, like the budget they would exceed).
    spent_ -= planned;
    in_flight_changed_ = true;
    return std::nullopt;
  }
  spent_ -= planned - allowed;  // RestoreState reserved the plan
  job->tune.max_evaluations = static_cast<int>(allowed);
  busy_ = true;
  return job;
}

StatusOr<Proposal> TuningProposer::Tune(const ProposalRequest& request, Job job,
                                        std::stop_token stop) {
  const std::shared_ptr<const Candidate> start = job.start;
  const TuneOptions tune = job.tune;
  {
    std::lock_guard lock(mu_);
    in_flight_ = job;
    in_flight_changed_ = true;
  }
  const double start_value = *objective_.ValueOf(start->result);
  SampleBatch::Evaluate one = [this, id = request.child_id, seed = start->seed](
                                  const TuneSample& sample, std::stop_token s) {
    return evaluate_(id, sample.program, seed, s);
  };
  // A generation's samples at a time, on this thread and on any evaluation
  // slots the engine lends (propose/slot_lender.h); only on lent slots when
  // this thread holds none.
  const bool lent_only = request.lender && !request.lender->OwnerMayRunUnits();
  const BatchTrainEvaluation evaluate = [&](const std::vector<TuneSample>& samples,
                                            std::stop_token s) {
    // Each result is checkpointed as it comes (a resume need not evaluate
    // it again).
    auto record = [this](const TuneSample& sample, const EvalResult& result) {
      std::optional<double> v = objective_.ValueOf(result);
      if (v && !std::isfinite(*v)) v.reset();
      std::lock_guard lock(mu_);
      if (!in_flight_) return;
      in_flight_->samples[sample.key] = v;
      in_flight_changed_ = true;
    };
    auto batch = std::make_shared<SampleBatch>(samples, one, record, s);
    if (request.lender && (samples.size() > 1 || lent_only)) request.lender->Offer(batch);
    std::vector<EvalResult> results =
        batch->Run(lent_only ? SampleBatch::Owner::kOnlyWaits : SampleBatch::Owner::kRunsUnits);
    std::lock_guard lock(mu_);
    max_samples_in_flight_ = std::max(max_samples_in_flight_, batch->max_in_flight());
    return results;
  };
  StatusOr<TuneResult> r = TuneConstantsInBatches(*ParsedSourceOf(*start), start_value, objective_,
                                                  evaluate, tune, job.seed, stop, job.samples);
  {
    std::lock_guard lock(mu_);
    busy_ = false;
    // Cancelled: the run is stopping; the state stays for a resume.
    // Otherwise it stays until the child is recorded (OnResult), unless
    // there will be none.
    if (!r.ok() && r.status().code() != StatusCode::kCancelled) {
      in_flight_.reset();
      in_flight_changed_ = true;
    }
    spent_ += (r.ok() ? r->evaluations : 0) - tune.max_evaluations;
    if (r.ok()) {
      ++tunings_;
      live_children_.insert(request.child_id);
    }
  }
  if (!r.ok()) return r.status();
  return TunedChild(std::move(start), *std::move(r));
}

ProposerCheckpoint TuningProposer::TakeCheckpoint() {
  ProposerCheckpoint cp = base_->TakeCheckpoint();
  std::lock_guard lock(mu_);
  if (in_flight_changed_) {
    cp.state[kStateKey] = InFlightJson();
    in_flight_changed_ = false;
  }
  return cp;
}

std::string TuningProposer::InFlightJson() const {
  if (!in_flight_) return "{}";
  nlohmann::json samples = nlohmann::json::array();
  for (const auto& [key, value] : in_flight_->samples) {
    samples.push_back({key, value ? nlohmann::json(*value) : nlohmann::json()});
  }
  return nlohmann::json{{"from", in_flight_->start->id},
                        {"seed", in_flight_->seed},
                        {"evaluations", in_flight_->tune.max_evaluations},
                        {"samples", samples}}
      .dump();
}

std::vector<std::string> TuningProposer::StateKeys() const {
  std::vector<std::string> keys = base_->StateKeys();
  keys.push_back(kStateKey);
  return keys;
}

Status TuningProposer::RestoreState(const std::map<std::string, std::string>& state) {
  std::map<std::string, std::string> base_state = state;
  base_state.erase(kStateKey);
  RETURN_IF_ERROR(base_->RestoreState(base_state));
  std::lock_guard lock(mu_);
  std::map<CandidateId, std::shared_ptr<const Candidate>> queued;
  queued.swap(replayed_queued_);
  auto it = state.find(kStateKey);
  if (it == state.end()) return Status::Ok();
  const nlohmann::json j = nlohmann::json::parse(it->second, nullptr, false);
  const auto corrupt = [] { return DataLossError("tune.tuning: the tuning in flight's state is corrupt"); };
  if (!j.is_object()) return corrupt();
  if (j.empty()) return Status::Ok();
  if (!j.value("from", nlohmann::json()).is_number_integer() ||
      !j.value("seed", nlohmann::json()).is_number_unsigned() ||
      !j.value("evaluations", nlohmann::json()).is_number_integer() ||
      !j.value("samples", nlohmann::json()).is_array()) {
    return corrupt();
  }
  Job job{nullptr, options_.tune, j["seed"].get<uint64_t>(), {}};
  job.tune.max_evaluations = j["evaluations"].get<int>();
  for (const nlohmann::json& sample : j["samples"]) {
    if (!sample.is_array() || sample.size() != 2 || !sample[0].is_string() ||
        !(sample[1].is_number() || sample[1].is_null())) {
      return corrupt();
    }
    job.samples[sample[0].get<std::string>()] =
        sample[1].is_null() ? std::nullopt : std::optional(sample[1].get<double>());
  }
  const CandidateId from = j["from"].get<CandidateId>();
  auto start = queued.find(from);
  // Its child was recorded (the state is stale), or tuning is off now, or
  // the start is unknown: nothing to continue.
  if (tuned_.contains(from) || !options_.enabled || start == queued.end()) {
    in_flight_changed_ = true;  // clears the state
    return Status::Ok();
  }
  job.start = start->second;
  // Taken as TakeJob would have: reserved, off the queue, tuned once.
  queue_.erase(from);
  queue_fitness_.erase(from);
  tuned_.insert(from);
  spent_ += job.tune.max_evaluations;
  resumed_ = std::move(job);
  return Status::Ok();
}

std::string TuningProposer::UsageSummary() const {
  std::string base = base_->UsageSummary();
  std::lock_guard lock(mu_);
  if (tunings_ == 0) return base;
  std::string mine = fmt::format("tuned {} ({} evals)", tunings_, spent_);
  return base.empty() ? mine : base + ", " + mine;
}

int64_t TuningProposer::tunings() const {
  std::lock_guard lock(mu_);
  return tunings_;
}

int TuningProposer::max_samples_in_flight() const {
  std::lock_guard lock(mu_);
  return max_samples_in_flight_;
}

int64_t TuningProposer::tuning_evaluations() const {
  std::lock_guard lock(mu_);
  return spent_;
}

}  // namespace crucible
