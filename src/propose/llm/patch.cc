#include "propose/llm/patch.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "core/regions.h"

namespace crucible {

std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    lines.push_back(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return lines;
}

namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// A line with outer whitespace dropped and inner runs collapsed to one space.
std::string Squash(std::string_view line) {
  std::string out;
  bool space = false;
  for (char ch : Trim(line)) {
    if (ch == ' ' || ch == '\t' || ch == '\r') {
      space = true;
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += ch;
  }
  return out;
}

bool StartsWithRun(std::string_view line, char ch, size_t n) {
  if (line.size() < n) return false;
  for (size_t i = 0; i < n; ++i) {
    if (line[i] != ch) return false;
  }
  return true;
}

bool IsSearchLine(std::string_view l) {
  l = Trim(l);
  return StartsWithRun(l, '<', 5) && l.find("SEARCH") != std::string_view::npos;
}
bool IsDividerLine(std::string_view l) {
  l = Trim(l);
  return StartsWithRun(l, '=', 5) && l.find_first_not_of('=') == std::string_view::npos;
}
bool IsReplaceLine(std::string_view l) {
  l = Trim(l);
  return StartsWithRun(l, '>', 5) && l.find("REPLACE") != std::string_view::npos;
}

std::string Join(const std::vector<std::string_view>& lines, size_t from, size_t to) {
  std::string s;
  for (size_t i = from; i < to; ++i) {
    s.append(lines[i]);
    s += '\n';
  }
  return s;
}

std::string_view Indent(std::string_view line) {
  return line.substr(0, line.find_first_not_of(" \t"));
}

struct Match {
  size_t begin = 0, end = 0;  // byte range in the file
  bool tolerant = false;
  std::string replacement;
};

bool InsideOneEvolvable(const std::vector<Region>& regions, size_t begin, size_t end) {
  for (const Region& r : regions) {
    if (r.evolvable && r.begin <= begin && end <= r.end) return true;
  }
  return false;
}

// Byte offsets of the line starts of `content`, plus content.size().
std::vector<size_t> LineStarts(std::string_view content) {
  std::vector<size_t> starts = {0};
  for (size_t i = 0; i < content.size(); ++i) {
    if (content[i] == '\n' && i + 1 < content.size()) starts.push_back(i + 1);
  }
  starts.push_back(content.size());
  return starts;
}

// Re-indents `replace` from the search text's indentation to the matched one.
std::string Reindent(std::string_view replace, std::string_view from, std::string_view to) {
  std::string out;
  for (std::string_view line : SplitLines(replace)) {
    if (!from.empty() && line.substr(0, from.size()) == from) {
      out.append(to);
      out.append(line.substr(from.size()));
    } else if (from.empty() && !Trim(line).empty()) {
      out.append(to);
      out.append(line);
    } else {
      out.append(line);
    }
    out += '\n';
  }
  return out;
}

// Where `block` applies in `content`; `touches_fixed` is set when it matched
// only across fixed code.
std::optional<Match> FindBlock(std::string_view content, const std::vector<Region>& regions,
                               const SearchReplace& block, bool& touches_fixed) {
  // Exact: every occurrence, first one inside an evolvable region wins.
  for (size_t p = content.find(block.search); p != std::string_view::npos;
       p = content.find(block.search, p + 1)) {
    if (p > 0 && content[p - 1] != '\n') continue;  // whole lines only, never mid-line
    if (InsideOneEvolvable(regions, p, p + block.search.size())) {
      return Match{p, p + block.search.size(), false, block.replace};
    }
    touches_fixed = true;
  }
  // Tolerant: the same lines up to whitespace, blank search lines ignored at
  // the edges.
  std::vector<std::string_view> want_raw = SplitLines(block.search);
  std::vector<std::string> want;
  std::string_view first_indent;
  bool have_first = false;
  for (std::string_view l : want_raw) {
    std::string s = Squash(l);
    if (s.empty() && want.empty()) continue;
    if (!have_first) {
      first_indent = Indent(l);
      have_first = true;
    }
    want.push_back(std::move(s));
  }
  while (!want.empty() && want.back().empty()) want.pop_back();
  if (want.empty()) return std::nullopt;
  const std::vector<size_t> starts = LineStarts(content);
  const std::vector<std::string_view> lines = SplitLines(content);
  for (size_t i = 0; i + want.size() <= lines.size(); ++i) {
    bool same = true;
    for (size_t k = 0; k < want.size() && same; ++k) same = Squash(lines[i + k]) == want[k];
    if (!same) continue;
    const size_t begin = starts[i];
    const size_t end = starts[i + want.size()];  // the matched lines with their newlines
    if (!InsideOneEvolvable(regions, begin, end)) {
      touches_fixed = true;
      continue;
    }
    std::string replacement = Reindent(block.replace, first_indent, Indent(lines[i]));
    // Keep the file's own ending when the match runs to an unterminated end.
    if (end == content.size() && (content.empty() || content.back() != '\n') &&
        !replacement.empty() && replacement.back() == '\n') {
      replacement.pop_back();
    }
    return Match{begin, end, true, std::move(replacement)};
  }
  return std::nullopt;
}

bool IsFenceLine(std::string_view l) { return Trim(l).substr(0, 3) == "```"; }

// Lines [from, to) without ``` fence lines at either edge: models often
// fence the code inside a block.
std::string JoinUnfenced(const std::vector<std::string_view>& lines, size_t from, size_t to) {
  while (from < to && IsFenceLine(lines[from])) ++from;
  while (to > from && IsFenceLine(lines[to - 1])) --to;
  return Join(lines, from, to);
}

// Whether a rewrite without markers is really the whole file with its
// marker lines dropped: it repeats the fixed code around the region.
bool RepeatsFixedCode(std::string_view file, const std::vector<Region>& regions,
                      std::string_view code) {
  std::vector<std::string> code_lines;
  for (std::string_view l : SplitLines(code)) code_lines.emplace_back(Trim(l));
  int fixed = 0, repeated = 0;
  for (const Region& r : regions) {
    if (r.evolvable) continue;
    for (std::string_view l : SplitLines(file.substr(r.begin, r.size()))) {
      l = Trim(l);
      if (l.size() < 4 || l.find("EVOLVE-BLOCK") != std::string_view::npos) continue;
      ++fixed;
      repeated += std::find(code_lines.begin(), code_lines.end(), l) != code_lines.end();
    }
  }
  return fixed > 0 && 2 * repeated >= fixed;
}

}  // namespace

StatusOr<std::vector<SearchReplace>> ParseDiffBlocks(std::string_view reply) {
  const std::vector<std::string_view> lines = SplitLines(reply);
  std::vector<SearchReplace> blocks;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (!IsSearchLine(lines[i])) continue;
    size_t divider = i + 1;
    while (divider < lines.size() && !IsDividerLine(lines[divider])) {
      if (IsSearchLine(lines[divider]) || IsReplaceLine(lines[divider])) break;
      ++divider;
    }
    if (divider >= lines.size() || !IsDividerLine(lines[divider])) {
      return InvalidArgumentError(fmt::format(
          "block {}: SEARCH without a ======= line after it", blocks.size() + 1));
    }
    size_t end = divider + 1;
    while (end < lines.size() && !IsReplaceLine(lines[end])) {
      if (IsSearchLine(lines[end])) break;
      ++end;
    }
    if (end >= lines.size() || !IsReplaceLine(lines[end])) {
      return InvalidArgumentError(
          fmt::format("block {}: no >>>>>>> REPLACE line closes it", blocks.size() + 1));
    }
    blocks.push_back({JoinUnfenced(lines, i + 1, divider), JoinUnfenced(lines, divider + 1, end)});
    i = end;
  }
  return blocks;
}

StatusOr<std::string> ParseFencedCode(std::string_view reply) {
  const std::vector<std::string_view> lines = SplitLines(reply);
  std::optional<std::string> best;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (Trim(lines[i]).substr(0, 3) != "```") continue;
    size_t j = i + 1;
    while (j < lines.size() && Trim(lines[j]) != "```") ++j;
    if (j >= lines.size()) break;  // unterminated: a truncated reply
    std::string body = Join(lines, i + 1, j);
    if (!best || body.size() > best->size()) best = std::move(body);
    i = j;
  }
  if (!best) return NotFoundError("the reply has no complete ``` fenced code block");
  return *best;
}

PatchResult ApplyDiff(const Program& parent, const std::vector<SearchReplace>& blocks) {
  PatchResult r;
  r.program = parent;
  for (size_t b = 0; b < blocks.size(); ++b) {
    const SearchReplace& block = blocks[b];
    if (Trim(block.search).empty()) {
      r.failures.push_back(fmt::format("block {}: the SEARCH part is empty", b + 1));
      continue;
    }
    bool touches_fixed = false;
    bool done = false;
    for (SourceFile& f : r.program.files) {
      StatusOr<std::vector<Region>> regions = ParseRegions(f.content, f.path);
      if (!regions.ok()) continue;
      std::optional<Match> m = FindBlock(f.content, *regions, block, touches_fixed);
      if (!m) continue;
      f.content.replace(m->begin, m->end - m->begin, m->replacement);
      // A replacement may not forge or remove markers.
      if (Status s = CheckFixedRegionsIntact(
              parent.Find(f.path) ? parent.Find(f.path)->content : "", f.content, f.path);
          !s.ok()) {
        r.failures.push_back(fmt::format("block {}: refused, it would change a fixed region: {}",
                                         b + 1, s.message()));
        done = true;
        break;
      }
      ++r.applied;
      r.tolerant += m->tolerant;
      done = true;
      break;
    }
    if (done) continue;
    const std::string first_line(Trim(SplitLines(block.search).front()));
    r.failures.push_back(
        touches_fixed
            ? fmt::format("block {}: refused, the SEARCH text ('{}') lies in a fixed region "
                          "(outside EVOLVE-BLOCK-START/END); only evolvable code may change",
                          b + 1, first_line)
            : fmt::format("block {}: the SEARCH text (starting '{}') matches nothing in the "
                          "program, not even up to whitespace",
                          b + 1, first_line));
  }
  return r;
}

StatusOr<Program> ApplyRewrite(const Program& parent, size_t file_index, std::string_view code) {
  if (file_index >= parent.files.size()) return InvalidArgumentError("no such file");
  Program child = parent;
  SourceFile& f = child.files[file_index];
  ASSIGN_OR_RETURN(std::vector<Region> regions, ParseRegions(f.content, f.path));
  const std::vector<Region> evolvable = EvolvableRegions(regions);
  const bool has_markers = code.find(kEvolveStartMarker) != std::string_view::npos;
  if (!has_markers) {
    if (regions.size() > 1 && RepeatsFixedCode(f.content, regions, code)) {
      return InvalidArgumentError(fmt::format(
          "the rewrite of {} repeats the code outside the EVOLVE-BLOCK but drops the "
          "EVOLVE-BLOCK-START/END marker lines: give the whole file with its marker lines exactly "
          "as they are",
          f.path));
    }
    if (evolvable.size() != 1) {
      return InvalidArgumentError(fmt::format(
          "{} has {} evolvable regions: give the whole file with its EVOLVE-BLOCK markers", f.path,
          evolvable.size()));
    }
    std::string text(code);
    if (regions.size() > 1 && !text.empty() && text.back() != '\n') text += '\n';
    ASSIGN_OR_RETURN(f.content, ReplaceEvolvableRegion(f.content, f.path, 0, text));
    return child;
  }
  StatusOr<std::vector<Region>> theirs = ParseRegions(code, f.path);
  if (!theirs.ok()) return InvalidArgumentError("the rewritten file's markers: " + theirs.status().message());
  const std::vector<Region> their_evolvable = EvolvableRegions(*theirs);
  if (their_evolvable.size() != evolvable.size()) {
    return InvalidArgumentError(fmt::format(
        "the rewrite has {} EVOLVE-BLOCK regions but {} has {}", their_evolvable.size(), f.path,
        evolvable.size()));
  }
  // From the last region backwards, so earlier offsets stay valid.
  for (size_t k = evolvable.size(); k-- > 0;) {
    const Region& r = their_evolvable[k];
    ASSIGN_OR_RETURN(f.content, ReplaceEvolvableRegion(f.content, f.path, k,
                                                       code.substr(r.begin, r.size())));
  }
  return child;
}

}  // namespace crucible
