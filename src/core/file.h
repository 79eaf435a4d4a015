// Whole-file reads and writes with a Status, the one way crucible reads a
// file into memory or writes one out. Errors name the path and the cause, so
// a read-only or full disk never passes for "written" and a FIFO or
// /dev/zero named by a user is not read without bound.
#ifndef CRUCIBLE_CORE_FILE_H_
#define CRUCIBLE_CORE_FILE_H_

#include <cstddef>
#include <filesystem>
#include <limits>
#include <string>
#include <string_view>

#include "core/status.h"

namespace crucible {

inline constexpr size_t kNoSizeLimit = std::numeric_limits<size_t>::max();

// The whole file. NotFound when it cannot be opened (missing, unreadable, a
// directory); Internal on a read error; ResourceExhausted when it holds more
// than `max_bytes` (only max_bytes + 1 bytes are ever read).
StatusOr<std::string> ReadFile(const std::filesystem::path& path,
                               size_t max_bytes = kNoSizeLimit);

// Writes `text` to `path` whole (truncating), or says why not, with errno's
// reason (FailedPrecondition: read-only, no space, no such directory).
Status WriteFile(const std::filesystem::path& path, std::string_view text);

// Writes through a temporary file beside `path` (named with this process's
// id, so concurrent writers do not share it) and a rename, so a reader sees
// the old file or the new one, never half of one.
Status WriteFileAtomic(const std::filesystem::path& path, std::string_view text);

}  // namespace crucible

#endif  // CRUCIBLE_CORE_FILE_H_
