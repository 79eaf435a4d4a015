// NoveltyIndex: refuses a child that is identical or nearly identical to a
// program already on its island, or to a child still in flight there,
// BEFORE it is evaluated (docs/llm.md, "Novelty"). Identical = same
// normalised source hash (comments and insignificant whitespace ignored);
// nearly identical = Jaccard similarity of the sets of token 3-grams of the
// evolvable code >= threshold. When an embeddings endpoint is configured the
// proposer uses cosine similarity of embeddings instead of the 3-grams (same
// threshold).
//
// Children in flight: a child the proposer hands to the engine is *held* in
// the index (CheckAndHold, atomic with its check, so two proposals made at
// once cannot both pass as copies of each other) until its result: an ok
// child then stays as an evaluated program (Add), any other is dropped
// (Release).
//
// Thread-safe (one mutex): checks run on proposer threads, Add and Release
// on the orchestrator.
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

// Why a program is not novel: the closest program it repeats.
struct NoveltyMatch {
  CandidateId id = kNoCandidate;
  double similarity = 1;   // 1 when identical
  bool identical = false;  // same normalised hash
  bool in_flight = false;  // `id` is a child not evaluated yet
  std::string reason;      // "identical to program #12 ...", "97.1% similar to program #12 ..."
  std::string code;        // its evolvable code (EvolvableCode), when the index keeps code
};

class NoveltyIndex {
 public:
  // Entries on this island are compared with children of every island (the
  // initial program).
  static constexpr int kEveryIsland = -1;

  // `threshold` in (0, 1]; 1 = only identical programs are refused.
  // `max_per_island` bounds memory and the cost of a check (oldest dropped).
  // `keep_code`: entries keep their evolvable code, for a novelty judge to
  // read (NoveltyMatch::code).
  explicit NoveltyIndex(double threshold, size_t max_per_island = 1000, bool keep_code = false)
      : threshold_(threshold), max_per_island_(max_per_island), keep_code_(keep_code) {}

  // An evaluated program; replaces the hold of `id` if there is one.
  // `program`'s hash and regions come from its ParsedProgram (parsed once
  // per child); the Program overloads parse it first.
  void Add(int island, CandidateId id, const ParsedProgram& program,
           std::optional<std::vector<float>> embedding = std::nullopt);
  void Add(int island, CandidateId id, const Program& program,
           std::optional<std::vector<float>> embedding = std::nullopt) {
    Add(island, id, ParsedProgram(program), std::move(embedding));
  }
  // Drops the hold of `id` (its child was not evaluated ok); no-op when none.
  void Release(CandidateId id);

  // The program `program` repeats on `island` (or kEveryIsland), held
  // children included, or nullopt when it is novel. Identical programs are
  // found first; otherwise the MOST similar one at or above the threshold.
  // `identical_only`: near-copies pass (a judge found the program
  // meaningfully different from the most similar one).
  std::optional<NoveltyMatch> Check(int island, const ParsedProgram& program,
                                    const std::vector<float>* embedding = nullptr,
                                    bool identical_only = false) const;
  std::optional<NoveltyMatch> Check(int island, const Program& program,
                                    const std::vector<float>* embedding = nullptr) const {
    return Check(island, ParsedProgram(program), embedding);
  }
  // Check and, when novel, hold `id` on `island` in the same critical section.
  std::optional<NoveltyMatch> CheckAndHold(int island, CandidateId id, const ParsedProgram& program,
                                           const std::vector<float>* embedding = nullptr,
                                           bool identical_only = false);

  // Holds `id` on `island` unchecked: a child in flight this index did not
  // check (made before a resume); replaces an earlier hold of `id`.
  void Hold(int island, CandidateId id, const ParsedProgram& program);

  size_t held_count() const;

  // The token 3-gram shingles (hashed) of the evolvable code of a program.
  static std::vector<uint64_t> Shingles(const ParsedProgram& program);
  static double Jaccard(const std::vector<uint64_t>& a, const std::vector<uint64_t>& b);
  // The evolvable regions of every file, each file's under a "# path" line.
  static std::string EvolvableCode(const ParsedProgram& program);

 private:
  struct Entry {
    CandidateId id;
    uint64_t hash;
    std::vector<uint64_t> shingles;  // sorted, unique
    std::vector<float> embedding;    // empty without an embeddings endpoint
    bool in_flight = false;
    std::string code;  // keep_code_ only
  };
  Entry MakeEntry(CandidateId id, const ParsedProgram& program, const std::vector<float>* embedding,
                  bool in_flight) const;
  std::optional<NoveltyMatch> CheckLocked(int island, uint64_t hash,
                                          const std::vector<uint64_t>& shingles,
                                          const std::vector<float>* embedding,
                                          bool identical_only) const;
  void PushLocked(int island, Entry e);
  void EraseHeldLocked(CandidateId id);

  const double threshold_;
  const size_t max_per_island_;
  const bool keep_code_;
  mutable std::mutex mu_;
  std::map<int, std::deque<Entry>> islands_;  // guarded by mu_
  std::map<CandidateId, int> held_;           // island of each held child; guarded by mu_
};

}  // namespace crucible

#endif  // CRUCIBLE_PROPOSE_LLM_NOVELTY_H_
