// libFuzzer target: the run configuration parser (src/config/config*.cc) on
// arbitrary YAML/JSON, the path a frozen configuration in run.db (or a
// problem.yaml's text) takes. Malformed input is a Status naming the field.
#include <cstddef>
#include <cstdint>
#include <string>

#include "config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  (void)crucible::ConfigFromJson(text);
  return 0;
}
