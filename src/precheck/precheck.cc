#include "precheck/precheck.h"

#include <fmt/format.h>

namespace crucible {

Status PrecheckOptions::Validate() const {
  if (max_program_bytes == 0) {
    return InvalidArgumentError("PrecheckOptions.max_program_bytes must be > 0");
  }
  return Status::Ok();
}

Outcome PrecheckVerdict::outcome() const {
  switch (kind) {
    case Kind::kPass: return Outcome::kOk;
    case Kind::kRejected: return Outcome::kRejected;
    case Kind::kDuplicate: return Outcome::kDuplicate;
  }
  return Outcome::kRejected;
}

namespace {

PrecheckVerdict Rejected(std::string reason) {
  PrecheckVerdict v;
  v.kind = PrecheckVerdict::Kind::kRejected;
  v.reason = std::move(reason);
  return v;
}

}  // namespace

PrecheckVerdict Prechecker::CheckSource(const ParsedProgram& parent,
                                        const ParsedProgram& child) const {
  if (child.size_bytes() > o_.max_program_bytes) {
    return Rejected(fmt::format("the program is {} bytes, over the limit of {}",
                                child.size_bytes(), o_.max_program_bytes));
  }
  if (Status s = CheckFixedRegionsIntact(parent, child); !s.ok()) return Rejected(s.message());
  return {};
}

PrecheckVerdict Prechecker::Check(const ParsedProgram& parent, const ParsedProgram& child) const {
  PrecheckVerdict v = CheckSource(parent, child);
  if (!v.passed()) return v;
  std::lock_guard lock(mu_);
  if (auto it = known_.find(child.hash()); it != known_.end()) {
    v.kind = PrecheckVerdict::Kind::kDuplicate;
    v.reason = fmt::format("identical to candidate {}", it->second.id);
    v.duplicate_of = it->second.id;
    v.known_result = it->second.result;
    return v;
  }
  if (auto it = in_flight_.find(child.hash()); it != in_flight_.end()) {
    v.kind = PrecheckVerdict::Kind::kDuplicate;
    v.reason = fmt::format("identical to candidate {}, which is being evaluated", it->second);
    v.duplicate_of = it->second;
  }
  return v;
}

void Prechecker::MarkInFlight(uint64_t hash, CandidateId id) {
  std::lock_guard lock(mu_);
  in_flight_[hash] = id;
}

void Prechecker::MarkEvaluated(uint64_t hash, CandidateId id, const EvalResult& result) {
  std::lock_guard lock(mu_);
  if (auto [it, inserted] = known_.try_emplace(hash, Known{id, result}); inserted) {
    it->second.result.artifacts.clear();
  }
  if (auto it = in_flight_.find(hash); it != in_flight_.end() && it->second == id) {
    in_flight_.erase(it);
  }
}

size_t Prechecker::known_count() const {
  std::lock_guard lock(mu_);
  return known_.size();
}

size_t Prechecker::in_flight_count() const {
  std::lock_guard lock(mu_);
  return in_flight_.size();
}

}  // namespace crucible
