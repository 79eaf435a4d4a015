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

void NoveltyIndex::Add(int island, CandidateId id, const ParsedProgram& program,
                       std::optional<std::vector<float>> embedding) {
  Entry e{id, program.hash(), Shingles(program),
          embedding ? std::move(*embedding) : std::vector<float>{}};
  std::lock_guard lock(mu_);
  std::deque<Entry>& entries = islands_[island];
  entries.push_back(std::move(e));
  if (entries.size() > max_per_island_) entries.pop_front();
}

std::optional<std::string> NoveltyIndex::Check(int island, const ParsedProgram& program,
                                               const std::vector<float>* embedding) const {
  const uint64_t hash = program.hash();
  const std::vector<uint64_t> shingles = Shingles(program);
  std::lock_guard lock(mu_);
  auto it = islands_.find(island);
  if (it == islands_.end()) return std::nullopt;
  for (const Entry& e : it->second) {
    if (e.hash == hash) {
      return fmt::format("identical to program #{} (up to comments and whitespace)", e.id);
    }
  }
  if (threshold_ >= 1) return std::nullopt;
  for (const Entry& e : it->second) {
    const bool by_embedding = embedding && !embedding->empty() && !e.embedding.empty();
    const double sim = by_embedding ? Cosine(*embedding, e.embedding) : Jaccard(shingles, e.shingles);
    if (sim >= threshold_) {
      return fmt::format("{:.1f}% similar to program #{} ({}; threshold {:.1f}%)", 100 * sim, e.id,
                         by_embedding ? "embedding cosine" : "token 3-gram Jaccard",
                         100 * threshold_);
    }
  }
  return std::nullopt;
}

}  // namespace crucible
