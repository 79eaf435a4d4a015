#include "archive/entry.h"

#include "core/parsed_program.h"

namespace crucible {

std::optional<ArchiveEntry> ArchiveEntryFor(const Candidate& c, const EntryRule& rule) {
  if (c.result.outcome != Outcome::kOk) return std::nullopt;
  const std::optional<double> value = rule.objective.ValueOf(c.result);
  if (!value) return std::nullopt;
  // A cascade that stopped early leaves the score of a cheaper stage. The
  // initial program enters wherever it stopped: without it the run has no
  // parent at all (OpenEvolve's function_minimization example stops its own
  // initial program at stage 1).
  const bool initial = c.parent_id == kNoCandidate;
  if (!initial && !c.result.stage.empty() && c.result.stage != rule.final_stage) {
    return std::nullopt;
  }
  ArchiveEntry e;
  e.id = c.id;
  e.parent_id = c.parent_id;
  e.island = c.island;
  e.fitness = rule.objective.Fitness(*value);
  e.metrics = c.result.metrics;
  e.features = c.result.features;
  // Parsed once per child (core/parsed_program.h), or now for a candidate
  // read back from the store.
  e.code_length = ParsedSourceOf(c)->EvolvableBytes();
  return e;
}

InsertResult PlaceEntry(Archive& archive, const ArchiveEntry& entry) {
  if (entry.parent_id == kNoCandidate) return archive.SeedAllIslands(entry);
  return archive.Insert(entry);
}

}  // namespace crucible
