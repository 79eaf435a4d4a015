// The archive's entry rule: whether and where a finished candidate enters
// the archive. One function, used by the engine when a result comes in and
// when it replays a run on resume, and by the dashboard when it rebuilds a
// run's grid from run.db, so that what is shown is what the engine holds
// (docs/archive.md, "Who enters").
//
// Thread-safe: pure functions of their arguments (PlaceEntry mutates only the
// archive it is given, which has the archive's own threading contract).
#ifndef CRUCIBLE_ARCHIVE_ENTRY_H_
#define CRUCIBLE_ARCHIVE_ENTRY_H_

#include <optional>
#include <string>
#include <string_view>

#include "archive/archive.h"
#include "core/candidate.h"
#include "core/objective.h"

namespace crucible {

// What decides entry besides the candidate: the run's objective and the name
// of the cascade's last stage (config `stages`, last entry).
struct EntryRule {
  Objective objective;
  std::string final_stage = "full";
};

// The archive entry of a finished candidate, or nullopt when it does not
// enter: its outcome is not ok, its result lacks the objective's value, or a
// cascade stopped it before the final stage (its score is a cheaper stage's;
// an empty stage counts as final; the initial program, which has no parent,
// enters whatever stage it reached: the run needs it as the first parent). The island is the candidate's; its cell
// follows from entry.features / metrics / code_length (the bytes of the
// program's evolvable regions, core/parsed_program.h), computed by the archive.
std::optional<ArchiveEntry> ArchiveEntryFor(const Candidate& candidate, const EntryRule& rule);

// Inserts an entry as the engine does: the initial program (no parent) is
// seeded on every island, any other candidate goes to its own island.
InsertResult PlaceEntry(Archive& archive, const ArchiveEntry& entry);

}  // namespace crucible

#endif  // CRUCIBLE_ARCHIVE_ENTRY_H_
