// Reading a chat-completions reply body the way real servers send it
// (docs/llm.md, "What crucible does with each server"):
//   * a JSON object (`choices[0].message`), possibly after blank lines
//     (DeepSeek keeps idle connections alive with them);
//   * a server-sent-event stream (`data: {...}` chunks with `delta`s,
//     `: comment` keep-alives, `data: [DONE]`), whether or not streaming
//     was asked for;
//   * an error carried in a 200 body (`{"error": {...}}`, or vLLM's
//     `{"object": "error", ...}`), also as an event mid-stream.
// Reasoning is kept apart from the answer: the `reasoning_content`
// (vLLM, llama.cpp, DeepSeek) and `reasoning` (Ollama, OpenRouter) fields,
// and `<think>...</think>` blocks in the content (Qwen3 and DeepSeek-R1
// served raw), including an unclosed `<think>` at the end of a truncated
// reply and a lone `</think>` whose opening tag was in the chat template.
// Pure functions; thread-safe.
#ifndef CRUCIBLE_LLM_REPLY_PARSER_H_
#define CRUCIBLE_LLM_REPLY_PARSER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace crucible {

struct ParsedReply {
  enum class Kind { kReply, kError, kMalformed };
  Kind kind = Kind::kMalformed;
  std::string answer;         // content without reasoning (kReply)
  std::string reasoning;      // reasoning fields and think blocks, joined
  std::string finish_reason;  // "stop", "length", ... ('' when not given)
  std::optional<int64_t> prompt_tokens, completion_tokens;  // from usage
  bool streamed = false;      // the body was an event stream
  // kError: the carried error's HTTP-like code (0 when it has none), its
  // message and the whole error object as text (for classification).
  long error_code = 0;
  std::string error;          // kError / kMalformed: why
};

ParsedReply ParseChatBody(std::string_view body);

// `content` split into the answer and the reasoning (think blocks).
void SplitThink(std::string_view content, std::string& answer, std::string& reasoning);

// Whether an error text says the prompt does not fit the model's context:
// OpenAI's `context_length_exceeded`, vLLM's "maximum context length is",
// llama.cpp's `exceed_context_size_error` / "exceeds the available context
// size" / "Context size has been exceeded", and similar wordings.
bool IsContextOverflow(std::string_view error_text);

// Whether an error text says the model does not exist on the server
// (DeepSeek answers "Model Not Exist" with 400, others use 404).
bool IsUnknownModel(std::string_view error_text);

}  // namespace crucible

#endif  // CRUCIBLE_LLM_REPLY_PARSER_H_
