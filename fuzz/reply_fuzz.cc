// libFuzzer target: the chat-completions reply parser (src/llm/
// reply_parser.cc) on arbitrary bodies: JSON objects, server-sent-event
// streams, errors carried in a 200, think blocks. A body is whatever a server
// (or something pretending to be one) sends: every input is a ParsedReply,
// never a crash, a throw or a hang.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "llm/reply_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const crucible::ParsedReply reply = crucible::ParseChatBody(body);
  if (reply.kind == crucible::ParsedReply::Kind::kMalformed && reply.error.empty()) std::abort();
  std::string answer, reasoning;
  crucible::SplitThink(body, answer, reasoning);
  // Splitting only moves text: nothing is invented.
  if (answer.size() + reasoning.size() > body.size()) std::abort();
  (void)crucible::IsContextOverflow(body);
  (void)crucible::IsUnknownModel(body);
  return 0;
}
