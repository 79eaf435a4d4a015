// Hashing of sources. The normalised hash identifies programs that differ only
// in comments or insignificant whitespace, so the engine never evaluates the
// same program twice.
#ifndef CRUCIBLE_CORE_HASH_H_
#define CRUCIBLE_CORE_HASH_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "core/candidate.h"
#include "core/lexer.h"

namespace crucible {

uint64_t HashBytes(std::string_view bytes);

// The source with comments removed, trailing whitespace and blank lines
// dropped, and whitespace between tokens removed, except one space where two
// tokens would otherwise merge ("int x", "- -x").
// Python keeps each line's leading indentation (it is significant); C-family
// drops it. String literals are kept byte for byte.
std::string NormalizeSource(std::string_view source, Language language);

// Hash of all files of a program (paths included), each normalised for the
// language of its path.
uint64_t NormalizedProgramHash(const Program& program);

// 16 lowercase hex digits.
std::string HashToHex(uint64_t hash);

}  // namespace crucible

#endif  // CRUCIBLE_CORE_HASH_H_
