// NoveltyIndex: refuses a child that is identical or nearly identical to a
// program already on its island, BEFORE it is evaluated (docs/llm.md,
// "Novelty"). Identical = same normalised source hash (comments and
// insignificant whitespace ignored); nearly identical = Jaccard similarity of
// the sets of token 3-grams of the evolvable code >= threshold. When an
// embeddings endpoint is configured the proposer uses cosine similarity of
// embeddings instead of the 3-grams (same threshold).
//
// Thread-safe (one mutex): Check() runs on proposer threads, Add() on the
// orchestrator.
#ifndef CRUCIBLE_PROPOSE_LLM_NOVELTY_H_
#define CRUCIBLE_PROPOSE_LLM_NOVELTY_H_

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/candidate.h"
#include "core/parsed_program.h"

namespace crucible {

class NoveltyIndex {
 public:
  // `threshold` in (0, 1]; 1 = only identical programs are refused.
  // `max_per_island` bounds memory and the cost of a check (oldest dropped).
  explicit NoveltyIndex(double threshold, size_t max_per_island = 1000)
      : threshold_(threshold), max_per_island_(max_per_island) {}

  // `program`'s hash and regions come from its ParsedProgram (parsed once
  // per child); the Program overloads parse it first.
  void Add(int island, CandidateId id, const ParsedProgram& program,
           std::optional<std::vector<float>> embedding = std::nullopt);
  void Add(int island, CandidateId id, const Program& program,
           std::optional<std::vector<float>> embedding = std::nullopt) {
    Add(island, id, ParsedProgram(program), std::move(embedding));
  }

  // Why `program` is not novel on `island` ("identical to #12 ...", "97.1%
  // similar to #12"), or nullopt when it is novel.
  std::optional<std::string> Check(int island, const ParsedProgram& program,
                                   const std::vector<float>* embedding = nullptr) const;
  std::optional<std::string> Check(int island, const Program& program,
                                   const std::vector<float>* embedding = nullptr) const {
    return Check(island, ParsedProgram(program), embedding);
  }

  // The token 3-gram shingles (hashed) of the evolvable code of a program.
  static std::vector<uint64_t> Shingles(const ParsedProgram& program);
  static double Jaccard(const std::vector<uint64_t>& a, const std::vector<uint64_t>& b);

 private:
  struct Entry {
    CandidateId id;
    uint64_t hash;
    std::vector<uint64_t> shingles;  // sorted, unique
    std::vector<float> embedding;    // empty without an embeddings endpoint
  };
  const double threshold_;
  const size_t max_per_island_;
  mutable std::mutex mu_;
  std::map<int, std::deque<Entry>> islands_;  // guarded by mu_
};

}  // namespace crucible

#endif  // CRUCIBLE_PROPOSE_LLM_NOVELTY_H_
