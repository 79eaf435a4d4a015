#include "propose/llm/novelty.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/hash.h"
#include "core/lexer.h"

namespace crucible {
namespace {

double Cosine(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size() || a.empty()) return 0;
  double dot = 0, na = 0, nb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    dot += static_cast<double>(a[i]) * b[i];
    na += static_cast<double>(a[i]) * a[i];
    nb += static_cast<double>(b[i]) * b[i];
  }
  return na > 0 && nb > 0 ? dot / std::sqrt(na * nb) : 0;
}

}  // namespace

std::vector<uint64_t> NoveltyIndex::Shingles(const ParsedProgram& program) {
  std::vector<uint64_t> tokens;
  for (size_t i = 0; i < program.num_files(); ++i) {
    const Language lang = LanguageForPath(program.program().files[i].path);
    for (const std::string_view text : program.EvolvableTexts(i)) {
      for (const Token& t : Tokenize(text, lang)) {
        if (t.kind == TokenKind::kWhitespace || t.kind == TokenKind::kNewline ||
            t.kind == TokenKind::kComment) {
          continue;
        }
        tokens.push_back(HashBytes(t.Text(text)));
      }
    }
  }
  std::vector<uint64_t> out;
  if (tokens.size() < 3) {
    out = tokens;
  } else {
    for (size_t i = 0; i + 3 <= tokens.size(); ++i) {
      out.push_back(tokens[i] * 0x9E3779B97F4A7C15ULL ^ (tokens[i + 1] + 0x632BE59BD9B4E019ULL) * 31 ^
                    tokens[i + 2] * 0xBF58476D1CE4E5B9ULL);
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

double NoveltyIndex::Jaccard(const std::vector<uint64_t>& a, const std::vector<uint64_t>& b) {
  if (a.empty() && b.empty()) return 1;
  size_t i = 0, j = 0, common = 0;
  while (i < a.size() && j < b.size()) {
    if (a[i] == b[j]) {
      ++common;
      ++i;
      ++j;
    } else if (a[i] < b[j]) {
      ++i;
    } else {
      ++j;
    }
  }
  return static_cast<double>(common) / static_cast<double>(a.size() + b.size() - common);
}

std::string NoveltyIndex::EvolvableCode(const ParsedProgram& program) {
  std::string out;
  for (size_t i = 0; i < program.num_files(); ++i) {
    const std::vector<std::string_view> parts = program.EvolvableTexts(i);
    if (parts.empty()) continue;
    if (program.num_files() > 1) out += "# " + program.program().files[i].path + "\n";
    for (const std::string_view t : parts) out += t;
  }
  return out;
}

NoveltyIndex::Entry NoveltyIndex::MakeEntry(CandidateId id, const ParsedProgram& program,
                                            const std::vector<float>* embedding,
                                            bool in_flight) const {
  Entry e{id, program.hash(), Shingles(program), embedding ? *embedding : std::vector<float>{},
          in_flight, keep_code_ ? EvolvableCode(program) : std::string()};
  return e;
}

void NoveltyIndex::PushLocked(int island, Entry e) {
  std::deque<Entry>& entries = islands_[island];
  entries.push_back(std::move(e));
  if (entries.size() > max_per_island_) {
    if (entries.front().in_flight) held_.erase(entries.front().id);
    entries.pop_front();
  }
}

void NoveltyIndex::EraseHeldLocked(CandidateId id) {
  auto h = held_.find(id);
  if (h == held_.end()) return;
  std::deque<Entry>& entries = islands_[h->second];
  for (auto it = entries.begin(); it != entries.end(); ++it) {
    if (it->id == id && it->in_flight) {
      entries.erase(it);
      break;
    }
  }
  held_.erase(h);
}

void NoveltyIndex::Add(int island, CandidateId id, const ParsedProgram& program,
                       std::optional<std::vector<float>> embedding) {
  Entry e = MakeEntry(id, program, embedding ? &*embedding : nullptr, false);
  std::lock_guard lock(mu_);
  EraseHeldLocked(id);
  PushLocked(island, std::move(e));
}

void NoveltyIndex::Release(CandidateId id) {
  std::lock_guard lock(mu_);
  EraseHeldLocked(id);
}

size_t NoveltyIndex::held_count() const {
  std::lock_guard lock(mu_);
  return held_.size();
}

std::optional<NoveltyMatch> NoveltyIndex::CheckLocked(int island, uint64_t hash,
                                                      const std::vector<uint64_t>& shingles,
                                                      const std::vector<float>* embedding,
                                                      bool identical_only) const {
  std::vector<const std::deque<Entry>*> lists;
  for (int i : {island, kEveryIsland}) {
    if (auto it = islands_.find(i); it != islands_.end()) lists.push_back(&it->second);
    if (i == kEveryIsland) break;
  }
  auto where = [](const Entry& e) { return e.in_flight ? ", a child still being evaluated" : ""; };
  for (const auto* list : lists) {
    for (const Entry& e : *list) {
      if (e.hash != hash) continue;
      NoveltyMatch m{e.id, 1.0, true, e.in_flight, "", e.code};
      m.reason = fmt::format("identical to program #{}{} (up to comments and whitespace)", e.id,
                             where(e));
      return m;
    }
  }
  if (threshold_ >= 1 || identical_only) return std::nullopt;
  const Entry* best = nullptr;
  double best_sim = 0;
  bool best_by_embedding = false;
  for (const auto* list : lists) {
    for (const Entry& e : *list) {
      const bool by_embedding = embedding && !embedding->empty() && !e.embedding.empty();
      const double sim = by_embedding ? Cosine(*embedding, e.embedding) : Jaccard(shingles, e.shingles);
      if (sim >= threshold_ && (!best || sim > best_sim)) {
        best = &e;
        best_sim = sim;
        best_by_embedding = by_embedding;
      }
    }
  }
  if (!best) return std::nullopt;
  NoveltyMatch m{best->id, best_sim, false, best->in_flight, "", best->code};
  m.reason = fmt::format("{:.1f}% similar to program #{}{} ({}; threshold {:.1f}%)", 100 * best_sim,
                         best->id, where(*best),
                         best_by_embedding ? "embedding cosine" : "token 3-gram Jaccard",
                         100 * threshold_);
  return m;
}

std::optional<NoveltyMatch> NoveltyIndex::Check(int island, const ParsedProgram& program,
                                                const std::vector<float>* embedding,
                                                bool identical_only) const {
  const std::vector<uint64_t> shingles = Shingles(program);
  std::lock_guard lock(mu_);
  return CheckLocked(island, program.hash(), shingles, embedding, identical_only);
}

std::optional<NoveltyMatch> NoveltyIndex::CheckAndHold(int island, CandidateId id,
                                                       const ParsedProgram& program,
                                                       const std::vector<float>* embedding,
                                                       bool identical_only) {
  Entry e = MakeEntry(id, program, embedding, true);
  std::lock_guard lock(mu_);
  std::optional<NoveltyMatch> m =
      CheckLocked(island, e.hash, e.shingles, embedding, identical_only);
  if (m) return m;
  EraseHeldLocked(id);  // a re-asked child of the same id replaces its earlier hold
  held_[id] = island;
  PushLocked(island, std::move(e));
  return std::nullopt;
}

void NoveltyIndex::Hold(int island, CandidateId id, const ParsedProgram& program) {
  Entry e = MakeEntry(id, program, nullptr, true);
  std::lock_guard lock(mu_);
  EraseHeldLocked(id);
  held_[id] = island;
  PushLocked(island, std::move(e));
}

}  // namespace crucible
