#include "core/file.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <system_error>

namespace crucible {

namespace fs = std::filesystem;

StatusOr<std::string> ReadFile(const fs::path& path, size_t max_bytes) {
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const char* reason = errno != 0 ? std::strerror(errno) : "cannot open";
    return NotFoundError(fmt::format("cannot read {}: {}", path.string(), reason));
  }
  std::string text;
  char buffer[1 << 16];
  while (text.size() <= max_bytes) {
    // One byte past the limit tells a file that is over it (no overflow at
    // kNoSizeLimit: the room is compared before adding).
    const size_t room = max_bytes - text.size();
    const size_t want = room >= sizeof buffer ? sizeof buffer : room + 1;
    in.read(buffer, static_cast<std::streamsize>(want));
    text.append(buffer, static_cast<size_t>(in.gcount()));
    if (in.bad()) return InternalError(fmt::format("cannot read {}: read failed", path.string()));
    if (in.eof()) break;
  }
  if (text.size() > max_bytes) {
    return ResourceExhaustedError(
        fmt::format("{} is larger than {} bytes", path.string(), max_bytes));
  }
  return text;
}

namespace {

// Writes `text` to `path` whole; 0, or the errno of what went wrong.
int WriteWhole(const fs::path& path, std::string_view text) {
  errno = 0;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (out) out.write(text.data(), static_cast<std::streamsize>(text.size()));
  if (out) out.close();
  if (out) return 0;
  return errno != 0 ? errno : EIO;
}

Status CannotWrite(const fs::path& path, std::string_view reason) {
  return FailedPreconditionError(fmt::format("cannot write {}: {}", path.string(), reason));
}

}  // namespace

Status WriteFile(const fs::path& path, std::string_view text) {
  const int error = WriteWhole(path, text);
  return error == 0 ? Status::Ok() : CannotWrite(path, std::strerror(error));
}

Status WriteFileAtomic(const fs::path& path, std::string_view text) {
  const fs::path tmp = fmt::format("{}.tmp{}", path.string(), ::getpid());
  std::error_code ec;
  if (const int error = WriteWhole(tmp, text); error != 0) {
    fs::remove(tmp, ec);
    return CannotWrite(path, std::strerror(error));
  }
  fs::rename(tmp, path, ec);
  if (ec) {
    const std::string reason = ec.message();
    fs::remove(tmp, ec);
    return CannotWrite(path, reason);
  }
  return Status::Ok();
}

}  // namespace crucible
