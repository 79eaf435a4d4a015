// libFuzzer target: the evaluator protocol's JSON parser (src/evaluate/
// protocol.cc) on arbitrary bytes, as an evaluator or a candidate could print
// them. It must never crash, throw or hang, and what it accepts must survive
// a round trip through the store's encoding.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "evaluate/protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const crucible::EvalResult r = crucible::ParseEvaluatorJson(crucible::LastNonEmptyLine(text));
  const std::string json = crucible::EvalResultToJson(r);
  (void)crucible::ParseEvaluatorJson(json);
  (void)crucible::TruncateTail(text, size / 2);
  return 0;
}
