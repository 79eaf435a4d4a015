#include "core/hash.h"

#include <xxhash.h>

#include <fmt/format.h>

namespace crucible {

uint64_t HashBytes(std::string_view bytes) { return XXH3_64bits(bytes.data(), bytes.size()); }

namespace {

// Whether two adjacent tokens would read differently without a space between
// them ("int x" vs "intx", "- -x" vs "--x"); other spaces carry no meaning.
bool NeedsSpace(TokenKind before, TokenKind after) {
  auto wordlike = [](TokenKind k) {
    return k == TokenKind::kIdentifier || k == TokenKind::kNumber || k == TokenKind::kString ||
           k == TokenKind::kOther;
  };
  if (wordlike(before) && wordlike(after)) return true;
  return before == TokenKind::kOperator && after == TokenKind::kOperator;
}

}  // namespace

std::string NormalizeSource(std::string_view source, Language language) {
  std::string out;
  out.reserve(source.size());
  std::string line;         // the current output line
  bool at_line_start = true;
  bool pending_space = false;
  TokenKind last = TokenKind::kNewline;  // kind of the last token written on this line
  auto flush_line = [&] {
    // A line holding only indentation is blank.
    if (line.find_first_not_of(" \t") != std::string::npos) {
      out += line;
      out += '\n';
    }
    line.clear();
    at_line_start = true;
    pending_space = false;
  };
  for (const Token& t : Tokenize(source, language)) {
    const std::string_view text = t.Text(source);
    switch (t.kind) {
      case TokenKind::kComment:
        // A block comment may span lines; it separates tokens like a space.
        pending_space = !at_line_start;
        break;
      case TokenKind::kNewline:
        flush_line();
        break;
      case TokenKind::kWhitespace:
        if (at_line_start) {
          if (language == Language::kPython) line += text;
        } else {
          pending_space = true;
        }
        break;
      default:
        if (pending_space && NeedsSpace(last, t.kind)) line += ' ';
        last = t.kind;
        pending_space = false;
        at_line_start = false;
        line += text;
        break;
    }
  }
  flush_line();
  return out;
}

uint64_t NormalizedProgramHash(const Program& program) {
  XXH3_state_t* state = XXH3_createState();
  XXH3_64bits_reset(state);
  for (const SourceFile& f : program.files) {
    XXH3_64bits_update(state, f.path.data(), f.path.size() + 0);
    XXH3_64bits_update(state, "\0", 1);
    const std::string norm = NormalizeSource(f.content, LanguageForPath(f.path));
    XXH3_64bits_update(state, norm.data(), norm.size());
    XXH3_64bits_update(state, "\0", 1);
  }
  const uint64_t h = XXH3_64bits_digest(state);
  XXH3_freeState(state);
  return h;
}

std::string HashToHex(uint64_t hash) { return fmt::format("{:016x}", hash); }

}  // namespace crucible
