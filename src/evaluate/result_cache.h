// ResultCache: results by normalised source hash, so that an identical child
// is never evaluated twice. Owned by the orchestrator thread; not thread-safe.
#ifndef CRUCIBLE_EVALUATE_RESULT_CACHE_H_
#define CRUCIBLE_EVALUATE_RESULT_CACHE_H_

#include <cstdint>
#include <unordered_map>

#include "core/candidate.h"

namespace crucible {

class ResultCache {
 public:
  struct Entry {
    CandidateId id;  // the candidate that was evaluated
    EvalResult result;
  };

  // Keeps the first result seen for a hash. Artifacts are not cached: they
  // can be large, and the evaluated candidate's record keeps them.
  void Put(uint64_t hash, CandidateId id, const EvalResult& result) {
    auto [it, inserted] = map_.try_emplace(hash, Entry{id, result});
    if (inserted) it->second.result.artifacts.clear();
  }
  const Entry* Find(uint64_t hash) const {
    auto it = map_.find(hash);
    return it == map_.end() ? nullptr : &it->second;
  }
  size_t size() const { return map_.size(); }

 private:
  std::unordered_map<uint64_t, Entry> map_;
};

}  // namespace crucible

#endif  // CRUCIBLE_EVALUATE_RESULT_CACHE_H_
