// The data model of a candidate program and its evaluation. Records are
// immutable once the orchestrator has published them: share them as
// std::shared_ptr<const Candidate>.
#ifndef CRUCIBLE_CORE_CANDIDATE_H_
#define CRUCIBLE_CORE_CANDIDATE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/outcome.h"

namespace crucible {

class ParsedProgram;  // core/parsed_program.h

using CandidateId = int64_t;
inline constexpr CandidateId kNoCandidate = -1;

// One file of a program, as a path relative to the problem directory.
struct SourceFile {
  std::string path;
  std::string content;
  bool operator==(const SourceFile&) const = default;
};

// A program is the set of files the problem evolves, in problem.yaml order.
struct Program {
  std::vector<SourceFile> files;
  bool operator==(const Program&) const = default;

  // Total size in bytes of all files.
  size_t SizeBytes() const;
  const SourceFile* Find(const std::string& path) const;
};

// Named numbers. Ordered so that serialisation is stable.
using Metrics = std::map<std::string, double>;

// What an evaluation produced (the evaluator protocol, docs/evaluator-protocol.md).
struct EvalResult {
  Outcome outcome = Outcome::kEvaluatorError;
  std::optional<double> score;  // present iff outcome == kOk
  Metrics metrics;
  Metrics features;
  std::string feedback;                              // shown to the proposer
  std::map<std::string, std::string> artifacts;      // name -> text
  std::string stage;                                 // last cascade stage run
  double eval_seconds = 0;                           // wall time of evaluation
};

// How a proposer made a child.
struct ProposalInfo {
  std::string proposer;                 // "initial", "mutate", "llm", ...
  std::vector<std::string> operators;   // e.g. {"perturb_constant", "swap_lines"}
  std::string detail_json = "{}";       // proposer-specific record
  double propose_seconds = 0;
  // Evaluations the proposer ran itself to make this child (the samples of
  // a constant tuning); the engine counts them against the evaluation
  // budget, the store keeps them (run.db's `tunings` table).
  int64_t evaluations = 0;
};

struct Candidate {
  CandidateId id = kNoCandidate;
  CandidateId parent_id = kNoCandidate;
  std::vector<CandidateId> inspiration_ids;
  int island = 0;
  int generation = 0;  // parent's generation + 1; the initial program is 0
  uint64_t seed = 0;   // the per-candidate seed given to proposer and evaluator
  Program program;
  uint64_t source_hash = 0;  // NormalizedProgramHash(program)
  // The program's regions and hash, parsed once (core/parsed_program.h); set
  // by the engine for every candidate it handles, null in records read back
  // by other readers of the store. parsed->program() == program.
  std::shared_ptr<const ParsedProgram> parsed;
  std::string patch;         // unified diff against the parent
  ProposalInfo proposal;
  EvalResult result;
  CandidateId duplicate_of = kNoCandidate;  // set when outcome == kDuplicate
  double created_unix = 0;                  // wall-clock seconds since epoch

  bool HasScore() const { return result.outcome == Outcome::kOk && result.score.has_value(); }
};

}  // namespace crucible

#endif  // CRUCIBLE_CORE_CANDIDATE_H_
