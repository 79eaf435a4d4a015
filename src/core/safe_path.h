// Whether a file path read from somewhere untrusted (run.db, a proposer's
// reply) may name a file under a directory crucible writes into: relative,
// no "." / ".." / empty components, no NUL. "a/b.py" yes; "/abs",
// "../x", "a/../../x", "a//b" no.
#ifndef CRUCIBLE_CORE_SAFE_PATH_H_
#define CRUCIBLE_CORE_SAFE_PATH_H_

#include <string_view>

namespace crucible {

inline bool IsSafeRelativePath(std::string_view path) {
  if (path.empty() || path.size() > 4096 || path.front() == '/') return false;
  if (path.find('\0') != std::string_view::npos) return false;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view part = path.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    start = end + 1;
  }
  return true;
}

}  // namespace crucible

#endif  // CRUCIBLE_CORE_SAFE_PATH_H_
