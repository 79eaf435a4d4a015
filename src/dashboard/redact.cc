#include "dashboard/redact.h"

#include <cctype>

namespace crucible {
namespace {

bool KeyChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
}

bool StartsWithNoCase(std::string_view s, size_t at, std::string_view prefix) {
  if (s.size() - at < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[at + i])) != prefix[i]) return false;
  }
  return true;
}

size_t TokenEnd(std::string_view s, size_t at) {
  while (at < s.size() && KeyChar(s[at])) ++at;
  return at;
}

}  // namespace

std::string Redact(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    // "sk-" + 16 or more key characters.
    if (text[i] == 's' && (i == 0 || !KeyChar(text[i - 1])) && StartsWithNoCase(text, i, "sk-")) {
      const size_t end = TokenEnd(text, i + 3);
      if (end - (i + 3) >= 16) {
        out += "[redacted]";
        i = end;
        continue;
      }
    }
    // "Bearer <token>".
    if (StartsWithNoCase(text, i, "bearer ")) {
      const size_t end = TokenEnd(text, i + 7);
      if (end - (i + 7) >= 8) {
        out.append(text.substr(i, 7));
        out += "[redacted]";
        i = end;
        continue;
      }
    }
    // api_key / api-key / apikey, then quotes, spaces, ':' or '=', a value.
    for (std::string_view name : {"api_key", "api-key", "apikey", "x-api-key"}) {
      if (!StartsWithNoCase(text, i, name)) continue;
      size_t j = i + name.size();
      while (j < text.size() && (text[j] == '"' || text[j] == '\'' || text[j] == ' ')) ++j;
      if (j >= text.size() || (text[j] != ':' && text[j] != '=')) break;
      ++j;
      while (j < text.size() && (text[j] == '"' || text[j] == '\'' || text[j] == ' ')) ++j;
      const size_t end = TokenEnd(text, j);
      if (end - j >= 8) {
        out.append(text.substr(i, j - i));
        out += "[redacted]";
        i = end;
      }
      break;
    }
    if (i < text.size()) out += text[i++];
  }
  return out;
}

}  // namespace crucible
