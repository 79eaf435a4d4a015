#include "archive/entry.h"

#include "core/regions.h"

namespace crucible {

std::optional<ArchiveEntry> ArchiveEntryFor(const Candidate& c, const EntryRule& rule) {
  if (c.result.outcome != Outcome::kOk) return std::nullopt;
  const std::optional<double> value = rule.objective.ValueOf(c.result);
  if (!value) return std::nullopt;
  // A cascade that stopped early leaves the score of a cheaper stage.
  if (!c.result.stage.empty() && c.result.stage != rule.final_stage) return std::nullopt;
  ArchiveEntry e;
  e.id = c.id;
  e.parent_id = c.parent_id;
  e.island = c.island;
  e.fitness = rule.objective.Fitness(*value);
  e.metrics = c.result.metrics;
  e.features = c.result.features;
  for (const SourceFile& f : c.program.files) {
    for (const std::string& text : EvolvableTexts(f.content, f.path)) e.code_length += text.size();
  }
  return e;
}

InsertResult PlaceEntry(Archive& archive, const ArchiveEntry& entry) {
  if (entry.parent_id == kNoCandidate) return archive.SeedAllIslands(entry);
  return archive.Insert(entry);
}

}  // namespace crucible
