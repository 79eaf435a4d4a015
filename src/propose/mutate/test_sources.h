// Test-only: sample sources for the mutate/ tests, and helpers to check the
// invariants every child must keep. Each sample has several EVOLVE-BLOCK
// regions and strings and comments full of numbers and operators, inside and
// outside the regions, which no operator may change.
#ifndef CRUCIBLE_PROPOSE_MUTATE_TEST_SOURCES_H_
#define CRUCIBLE_PROPOSE_MUTATE_TEST_SOURCES_H_

#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "core/lexer.h"
#include "propose/mutate/edit_context.h"

namespace crucible::testing_sources {

// clang-format off
inline constexpr std::string_view kCppSource = R"cpp(#include <vector>
#include <cstdint>
// Fixed header: 1 + 2 * 3 < 4 && 5.0f
#define LIMIT 100
static const char* kBanner = "score = 0.5 * x + 3 // not a comment";

struct Item { double size; int id; };

double Score(const std::vector<Item>& items, double capacity) {
  double total = 0.0;
  // EVOLVE-BLOCK-START
  const double alpha = 0.75;  // weight 0.75 * size + 2
  int count = 0;
  unsigned mask = 0xFFu;
  for (const Item& it : items) {
    if (it.size < capacity * 0.5 && it.id % 2 == 0) {
      total += alpha * it.size + 1.5e-3f;
      count += 1;
    }
    total -= it.size / 4;
  }
  std::vector<int> v(3);
  int* p = &count;
  total = total * 2 - count;
  /* block comment: x = y - 1; 2 * 3 */
  const char* msg = "a < b && c > 7";
  // EVOLVE-BLOCK-END
  if (total > LIMIT) total = LIMIT;
  return total + 1;
}

int Pick(int n) {
  int best = 0;
  // EVOLVE-BLOCK-START
  best = n * 3 + 1;
  best = best - 2;
  if (n > 10) best = best / 2;
  auto s = R"raw(x = 1 + 2; y = 3 * 4;)raw";
  best += n;
  best += 1'000;
  // EVOLVE-BLOCK-END
  return best;
}
)cpp";

inline constexpr std::string_view kPythonSource = R"py(import math
# Fixed: 1 + 2 ** 3 // 4
BANNER = "alpha = 0.5 * x + 3  # not a comment"


def score(items, capacity):
    total = 0.0
    # EVOLVE-BLOCK-START
    alpha = 0.75  # weight 0.75 * size + 2
    count = 0
    for size, ident in items:
        if size < capacity * 0.5 and ident % 2 == 0:
            total += alpha * size + 1.5e-3
            count += 1
        total -= size / 4
    doc = """multi-line string
    x = 1 + 2
    """
    total = total ** 2 - count // 3
    if total > 1_000:
        total = 1_000
    # EVOLVE-BLOCK-END
    return total


def pick(n):
    best = 0
    # EVOLVE-BLOCK-START
    best = n * 3 + 1
    best = best - 2
    if n > 10 or n < -5:
        best = best / 2
    s = f"{n} + 1 = {n + 1}"
    # EVOLVE-BLOCK-END
    return best
)py";

// A whole file without markers: all of it is evolvable.
inline constexpr std::string_view kCppNoMarkers = R"cpp(int f(int x) {
  int y = x * 2;  // twice 2
  y = y + 7;
  y -= 3;
  return y < 10 ? y : 10;
}
)cpp";
// clang-format on

// The texts of all strings and comments.
inline std::vector<std::string> StringsAndComments(std::string_view source, Language language) {
  std::vector<std::string> out;
  for (const Token& t : Tokenize(source, language)) {
    if (t.kind == TokenKind::kString || t.kind == TokenKind::kComment) {
      out.emplace_back(t.Text(source));
    }
  }
  return out;
}

// The edit context of `source` (named `path`); a failure fails the test.
inline EditContext Ctx(std::string_view source, std::string_view path) {
  auto ctx = MakeEditContext(source, path);
  EXPECT_TRUE(ctx.ok()) << ctx.status().ToString();
  return *std::move(ctx);
}

}  // namespace crucible::testing_sources

#endif  // CRUCIBLE_PROPOSE_MUTATE_TEST_SOURCES_H_
