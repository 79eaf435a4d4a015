// libFuzzer target: the decoders of run.db's JSON columns (src/store/
// candidate_json.cc). A crafted or corrupt row must be refused with a Status,
// never crash; a decoded program never names a path outside its directory.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/safe_path.h"
#include "store/candidate_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto program = crucible::store_json::DecodeProgram(text); program.ok()) {
    for (const crucible::SourceFile& f : program->files) {
      if (!crucible::IsSafeRelativePath(f.path)) std::abort();
    }
    auto again = crucible::store_json::DecodeProgram(crucible::store_json::EncodeProgram(*program));
    if (!again.ok() || again->files.size() != program->files.size()) std::abort();
  }
  (void)crucible::store_json::DecodeIds(text);
  (void)crucible::store_json::DecodeStrings(text);
  (void)crucible::store_json::DecodeMetrics(text);
  (void)crucible::store_json::DecodeArtifacts(text);
  (void)crucible::store_json::Base64Decode(text);
  (void)crucible::store_json::IsValidUtf8(text);
  return 0;
}
