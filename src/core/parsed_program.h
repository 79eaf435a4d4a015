// ParsedProgram: a program together with what the pre-check and the rest of
// the loop need to know about its source — per file the EVOLVE-BLOCK regions
// (core/regions.h), hence its evolvable and fixed texts, and the normalised
// hash of the whole program (core/hash.h). It is computed once per child, by
// whoever makes the child first (a proposer that pre-checks it, otherwise the
// engine), and carried with it to the engine and the store, so no later step
// parses or hashes the same source again (docs/engine.md, "Pre-check").
//
// Immutable once built: share it as std::shared_ptr<const ParsedProgram>.
// Regions are byte offsets into the owned program, so copies stay valid.
// Thread-safe for concurrent readers.
#ifndef CRUCIBLE_CORE_PARSED_PROGRAM_H_
#define CRUCIBLE_CORE_PARSED_PROGRAM_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "core/candidate.h"
#include "core/regions.h"
#include "core/status.h"

namespace crucible {

class ParsedProgram {
 public:
  // Parses every file's regions and hashes the program. A file whose markers
  // are malformed keeps its ParseRegions error (regions_status) and has no
  // regions; the hash is computed all the same. `known_hash` skips the
  // hashing when the hash is already known (a candidate read back from the
  // store keeps the hash it was recorded with).
  explicit ParsedProgram(Program program, std::optional<uint64_t> known_hash = std::nullopt);

  static std::shared_ptr<const ParsedProgram> Make(
      Program program, std::optional<uint64_t> known_hash = std::nullopt) {
    return std::make_shared<const ParsedProgram>(std::move(program), known_hash);
  }

  const Program& program() const { return program_; }
  // NormalizedProgramHash(program()).
  uint64_t hash() const { return hash_; }
  // Program::SizeBytes().
  size_t size_bytes() const { return size_bytes_; }
  size_t num_files() const { return files_.size(); }

  // OK, or the ParseRegions error of file `file` (names the path and line).
  const Status& regions_status(size_t file) const { return files_[file].status; }
  // All regions of file `file`, fixed and evolvable (empty if its markers
  // are malformed).
  const std::vector<Region>& regions(size_t file) const { return files_[file].regions; }
  // The texts of its evolvable / fixed regions, in order; views into
  // program(), valid as long as this object.
  std::vector<std::string_view> EvolvableTexts(size_t file) const;
  std::vector<std::string_view> FixedTexts(size_t file) const;
  // Whether file `file` has an evolvable region holding at least one byte.
  bool HasNonEmptyEvolvableRegion(size_t file) const;
  // Total size of all evolvable regions of all files (the archive's code
  // length).
  size_t EvolvableBytes() const { return evolvable_bytes_; }

 private:
  struct File {
    Status status;
    std::vector<Region> regions;
  };
  Program program_;
  std::vector<File> files_;
  uint64_t hash_ = 0;
  size_t size_bytes_ = 0;
  size_t evolvable_bytes_ = 0;
};

// The candidate's ParsedProgram: c.parsed, or (for a candidate made without
// one, e.g. by a test) one parsed now.
std::shared_ptr<const ParsedProgram> ParsedSourceOf(const Candidate& c);

// OK iff `child` has the same files as `parent` (same paths, same order) and
// every file keeps its parent's fixed regions byte for byte, markers
// included (the evolvable regions may change freely). Otherwise
// InvalidArgument naming the file: a different file count or path, markers
// that do not parse (the ParseRegions error), a different number of regions,
// or the first fixed region that was changed. The one implementation of the
// fixed-region rule; precheck/precheck.h applies it to every child.
Status CheckFixedRegionsIntact(const ParsedProgram& parent, const ParsedProgram& child);

}  // namespace crucible

#endif  // CRUCIBLE_CORE_PARSED_PROGRAM_H_
