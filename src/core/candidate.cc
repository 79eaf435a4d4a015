#include "core/candidate.h"

namespace crucible {

size_t Program::SizeBytes() const {
  size_t n = 0;
  for (const SourceFile& f : files) n += f.content.size();
  return n;
}

const SourceFile* Program::Find(const std::string& path) const {
  for (const SourceFile& f : files) {
    if (f.path == path) return &f;
  }
  return nullptr;
}

}  // namespace crucible
