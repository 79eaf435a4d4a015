#include "core/regions.h"

#include <fmt/format.h>

#include "core/parsed_program.h"

namespace crucible {
namespace {

struct Line {
  size_t begin;
  size_t end;  // one past the newline (or end of content)
};

std::vector<Line> SplitLines(std::string_view content) {
  std::vector<Line> lines;
  size_t pos = 0;
  while (pos < content.size()) {
    size_t nl = content.find('\n', pos);
    size_t end = nl == std::string_view::npos ? content.size() : nl + 1;
    lines.push_back({pos, end});
    pos = end;
  }
  return lines;
}

enum class Marker { kNone, kStart, kEnd, kMalformed };

// A marker counts only on a line that is a comment: optional indentation, then
// `//` or `#`, then the marker word.
Marker ClassifyLine(std::string_view line) {
  const bool has_start = line.find(kEvolveStartMarker) != std::string_view::npos;
  const bool has_end = line.find(kEvolveEndMarker) != std::string_view::npos;
  if (!has_start && !has_end) return Marker::kNone;
  size_t i = line.find_first_not_of(" \t");
  if (i == std::string_view::npos) return Marker::kNone;
  std::string_view rest = line.substr(i);
  if (rest.starts_with("//")) {
    rest.remove_prefix(2);
  } else if (rest.starts_with("#")) {
    rest.remove_prefix(1);
  } else {
    return Marker::kMalformed;
  }
  size_t j = rest.find_first_not_of(" \t");
  if (j == std::string_view::npos) return Marker::kMalformed;
  rest = rest.substr(j);
  if (rest.starts_with(kEvolveStartMarker)) return Marker::kStart;
  if (rest.starts_with(kEvolveEndMarker)) return Marker::kEnd;
  return Marker::kMalformed;
}

}  // namespace

StatusOr<std::vector<Region>> ParseRegions(std::string_view content, std::string_view path) {
  std::vector<Region> regions;
  const std::vector<Line> lines = SplitLines(content);
  bool inside = false;
  bool any_marker = false;
  size_t region_begin = 0;
  size_t start_line = 0;
  for (size_t n = 0; n < lines.size(); ++n) {
    const Line& l = lines[n];
    const Marker m = ClassifyLine(content.substr(l.begin, l.end - l.begin));
    switch (m) {
      case Marker::kNone:
        break;
      case Marker::kMalformed:
        return InvalidArgumentError(fmt::format(
            "{}:{}: an EVOLVE-BLOCK marker must be alone in a '//' or '#' comment line", path,
            n + 1));
      case Marker::kStart:
        if (inside) {
          return InvalidArgumentError(fmt::format(
              "{}:{}: EVOLVE-BLOCK-START inside the block opened at line {}", path, n + 1,
              start_line + 1));
        }
        any_marker = true;
        inside = true;
        start_line = n;
        regions.push_back({region_begin, l.end, false});
        region_begin = l.end;
        break;
      case Marker::kEnd:
        if (!inside) {
          return InvalidArgumentError(
              fmt::format("{}:{}: EVOLVE-BLOCK-END without EVOLVE-BLOCK-START", path, n + 1));
        }
        inside = false;
        regions.push_back({region_begin, l.begin, true});
        region_begin = l.begin;
        break;
    }
  }
  if (inside) {
    return InvalidArgumentError(fmt::format(
        "{}:{}: EVOLVE-BLOCK-START is never closed by EVOLVE-BLOCK-END", path, start_line + 1));
  }
  if (!any_marker) return std::vector<Region>{{0, content.size(), true}};
  regions.push_back({region_begin, content.size(), false});
  return regions;
}

std::vector<Region> EvolvableRegions(const std::vector<Region>& regions) {
  std::vector<Region> out;
  for (const Region& r : regions) {
    if (r.evolvable) out.push_back(r);
  }
  return out;
}

std::vector<std::string> EvolvableTexts(std::string_view content, std::string_view path) {
  std::vector<std::string> texts;
  auto regions = ParseRegions(content, path);
  if (!regions.ok()) return texts;
  for (const Region& r : *regions) {
    if (r.evolvable) texts.emplace_back(content.substr(r.begin, r.size()));
  }
  return texts;
}

// Both wrap the one implementation over parsed programs (parsed_program.h);
// the hash is not needed for the comparison, so it is not computed.
Status CheckFixedRegionsIntact(std::string_view parent, std::string_view child,
                               std::string_view path) {
  const std::string p(path);
  return CheckFixedRegionsIntact(ParsedProgram(Program{{{p, std::string(parent)}}}, 0),
                                 ParsedProgram(Program{{{p, std::string(child)}}}, 0));
}

Status CheckProgramFixedRegions(const Program& parent, const Program& child) {
  return CheckFixedRegionsIntact(ParsedProgram(parent, 0), ParsedProgram(child, 0));
}

StatusOr<std::string> ReplaceEvolvableRegion(std::string_view content, std::string_view path,
                                             size_t index, std::string_view text) {
  ASSIGN_OR_RETURN(std::vector<Region> regions, ParseRegions(content, path));
  size_t seen = 0;
  for (const Region& r : regions) {
    if (!r.evolvable) continue;
    if (seen++ == index) {
      std::string out(content.substr(0, r.begin));
      out += text;
      out += content.substr(r.end);
      return out;
    }
  }
  return InvalidArgumentError(fmt::format("{}: no evolvable region {}", path, index + 1));
}

}  // namespace crucible
