#include "core/parsed_program.h"

#include <fmt/format.h>

#include "core/hash.h"

namespace crucible {

ParsedProgram::ParsedProgram(Program program, std::optional<uint64_t> known_hash)
    : program_(std::move(program)) {
  files_.reserve(program_.files.size());
  for (const SourceFile& f : program_.files) {
    File parsed;
    StatusOr<std::vector<Region>> regions = ParseRegions(f.content, f.path);
    if (regions.ok()) {
      parsed.regions = *std::move(regions);
    } else {
      parsed.status = regions.status();
    }
    for (const Region& r : parsed.regions) {
      if (r.evolvable) evolvable_bytes_ += r.size();
    }
    size_bytes_ += f.content.size();
    files_.push_back(std::move(parsed));
  }
  hash_ = known_hash ? *known_hash : NormalizedProgramHash(program_);
}

std::vector<std::string_view> ParsedProgram::EvolvableTexts(size_t file) const {
  std::vector<std::string_view> texts;
  const std::string_view content = program_.files[file].content;
  for (const Region& r : files_[file].regions) {
    if (r.evolvable) texts.push_back(content.substr(r.begin, r.size()));
  }
  return texts;
}

std::vector<std::string_view> ParsedProgram::FixedTexts(size_t file) const {
  std::vector<std::string_view> texts;
  const std::string_view content = program_.files[file].content;
  for (const Region& r : files_[file].regions) {
    if (!r.evolvable) texts.push_back(content.substr(r.begin, r.size()));
  }
  return texts;
}

bool ParsedProgram::HasNonEmptyEvolvableRegion(size_t file) const {
  for (const Region& r : files_[file].regions) {
    if (r.evolvable && r.size() > 0) return true;
  }
  return false;
}

std::shared_ptr<const ParsedProgram> ParsedSourceOf(const Candidate& c) {
  return c.parsed ? c.parsed : ParsedProgram::Make(c.program);
}

namespace {

size_t CountEvolvable(const std::vector<Region>& regions) {
  size_t n = 0;
  for (const Region& r : regions) n += r.evolvable;
  return n;
}

// File `i` of both programs, whose paths are equal.
Status CheckFileFixedRegions(const ParsedProgram& parent, const ParsedProgram& child, size_t i) {
  RETURN_IF_ERROR(parent.regions_status(i));
  RETURN_IF_ERROR(child.regions_status(i));
  const std::string& path = parent.program().files[i].path;
  const std::vector<Region>& pr = parent.regions(i);
  const std::vector<Region>& cr = child.regions(i);
  if (pr.size() != cr.size()) {
    return InvalidArgumentError(fmt::format(
        "{}: the child has {} EVOLVE-BLOCK regions, the parent {}; markers must not change", path,
        CountEvolvable(cr), CountEvolvable(pr)));
  }
  const std::string_view p = parent.program().files[i].content;
  const std::string_view c = child.program().files[i].content;
  for (size_t k = 0; k < pr.size(); ++k) {
    if (pr[k].evolvable) continue;
    if (p.substr(pr[k].begin, pr[k].size()) != c.substr(cr[k].begin, cr[k].size())) {
      return InvalidArgumentError(fmt::format(
          "{}: fixed region {} (outside EVOLVE-BLOCK markers) was changed", path, k / 2 + 1));
    }
  }
  return Status::Ok();
}

}  // namespace

Status CheckFixedRegionsIntact(const ParsedProgram& parent, const ParsedProgram& child) {
  const std::vector<SourceFile>& pf = parent.program().files;
  const std::vector<SourceFile>& cf = child.program().files;
  if (pf.size() != cf.size()) {
    return InvalidArgumentError(
        fmt::format("the child has {} files, the parent {}", cf.size(), pf.size()));
  }
  for (size_t i = 0; i < pf.size(); ++i) {
    if (pf[i].path != cf[i].path) {
      return InvalidArgumentError(fmt::format("file {} is '{}' in the child, '{}' in the parent",
                                              i + 1, cf[i].path, pf[i].path));
    }
    RETURN_IF_ERROR(CheckFileFixedRegions(parent, child, i));
  }
  return Status::Ok();
}

}  // namespace crucible
