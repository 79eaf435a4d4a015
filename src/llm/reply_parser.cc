#include "llm/reply_parser.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <vector>

namespace crucible {
namespace {

using nlohmann::json;

std::string Snippet(std::string_view body) {
  std::string s(body.substr(0, 300));
  std::replace(s.begin(), s.end(), '\n', ' ');
  return body.size() > 300 ? s + "..." : s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view TrimLeft(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  return s;
}

std::string StringOr(const json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

void ReadUsage(const json& j, ParsedReply& r) {
  const auto u = j.find("usage");
  if (u == j.end() || !u->is_object()) return;
  if (const auto p = u->find("prompt_tokens"); p != u->end() && p->is_number_integer()) {
    r.prompt_tokens = p->get<int64_t>();
  }
  if (const auto c = u->find("completion_tokens"); c != u->end() && c->is_number_integer()) {
    r.completion_tokens = c->get<int64_t>();
  }
}

// An error object carried in a body: {"error": {...}} or {"error": "..."}
// (OpenAI, llama.cpp, Ollama, proxies) or {"object": "error", ...} (vLLM).
bool ReadError(const json& j, ParsedReply& r) {
  const json* e = nullptr;
  if (const auto it = j.find("error"); it != j.end() && !it->is_null()) e = &*it;
  else if (StringOr(j, "object") == "error") e = &j;
  if (e == nullptr) return false;
  r.kind = ParsedReply::Kind::kError;
  if (e->is_string()) {
    r.error = e->get<std::string>();
    return true;
  }
  r.error = e->is_object() && e->contains("message") && (*e)["message"].is_string()
                ? (*e)["message"].get<std::string>()
                : Snippet(e->dump());
  // Keep the type and code words: classification looks for them.
  for (const char* k : {"type", "code"}) {
    if (e->is_object() && e->contains(k) && (*e)[k].is_string()) r.error += " [" + (*e)[k].get<std::string>() + "]";
  }
  for (const char* k : {"code", "status"}) {
    if (e->is_object() && e->contains(k) && (*e)[k].is_number_integer()) {
      r.error_code = (*e)[k].get<long>();
      break;
    }
  }
  return true;
}

// finish_reason "error" (OpenRouter: the provider failed mid-generation)
// without an error object: an error of the server's, not a reply to parse.
bool FinishedWithError(ParsedReply& r) {
  if (r.finish_reason != "error") return false;
  r.kind = ParsedReply::Kind::kError;
  r.error = "the generation ended with finish_reason 'error'";
  return true;
}

void Finish(ParsedReply& r, const std::string& content, const std::string& reasoning_field) {
  std::string think;
  SplitThink(content, r.answer, think);
  r.reasoning = reasoning_field;
  if (!think.empty()) r.reasoning += (r.reasoning.empty() ? "" : "\n") + think;
  r.kind = ParsedReply::Kind::kReply;
}

ParsedReply ParseJson(std::string_view body) {
  ParsedReply r;
  const json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    r.error = "the reply is not JSON: " + Snippet(body);
    return r;
  }
  ReadUsage(j, r);
  const auto choices = j.find("choices");
  const bool has_choice = choices != j.end() && choices->is_array() && !choices->empty() &&
                          (*choices)[0].is_object();
  if (ReadError(j, r)) return r;  // also beside a choice (OpenRouter's mid-generation error)
  if (!has_choice) {
    r.error = "the reply has no choices: " + Snippet(body);
    return r;
  }
  const json& c = (*choices)[0];
  r.finish_reason = StringOr(c, "finish_reason");
  const auto msg = c.find("message");
  if (msg == c.end() || !msg->is_object() || !msg->contains("content") ||
      !((*msg)["content"].is_string() || (*msg)["content"].is_null())) {
    r.error = "the reply's first choice has no message content: " + Snippet(body);
    return r;
  }
  std::string reasoning = StringOr(*msg, "reasoning_content");
  if (reasoning.empty()) reasoning = StringOr(*msg, "reasoning");
  if (FinishedWithError(r)) return r;
  Finish(r, StringOr(*msg, "content"), reasoning);
  return r;
}

ParsedReply ParseEvents(std::string_view body) {
  ParsedReply r;
  r.streamed = true;
  std::string content, reasoning;
  bool done = false, any = false;
  size_t pos = 0;
  while (pos < body.size()) {
    size_t nl = body.find('\n', pos);
    if (nl == std::string_view::npos) nl = body.size();
    std::string_view line = body.substr(pos, nl - pos);
    pos = nl + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.substr(0, 5) != "data:") continue;  // comments, event:, id:, blank lines
    const std::string_view data = TrimLeft(line.substr(5));
    if (data == "[DONE]") {
      done = true;
      break;
    }
    const json j = json::parse(data, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      r.error = "an event of the stream is not JSON: " + Snippet(data);
      return r;
    }
    any = true;
    // OpenRouter's mid-stream error is a chunk with an `error` AND a choice
    // (finish_reason "error"): the error wins, whatever came before it.
    if (ReadError(j, r)) return r;
    ReadUsage(j, r);
    const auto choices = j.find("choices");
    if (choices == j.end() || !choices->is_array() || choices->empty() || !(*choices)[0].is_object()) {
      continue;  // e.g. the usage-only last chunk
    }
    const json& c = (*choices)[0];
    if (const std::string f = StringOr(c, "finish_reason"); !f.empty()) r.finish_reason = f;
    const json* d = nullptr;
    if (const auto it = c.find("delta"); it != c.end() && it->is_object()) d = &*it;
    else if (const auto m = c.find("message"); m != c.end() && m->is_object()) d = &*m;
    if (d == nullptr) continue;
    content += StringOr(*d, "content");
    std::string rs = StringOr(*d, "reasoning_content");
    reasoning += rs.empty() ? StringOr(*d, "reasoning") : rs;
  }
  if (!any) {
    r.error = "the event stream holds no chunk";
    return r;
  }
  if (!done && r.finish_reason.empty()) {
    r.error = "the event stream ended before its last chunk (no finish_reason, no [DONE])";
    return r;
  }
  if (FinishedWithError(r)) return r;
  Finish(r, content, reasoning);
  return r;
}

}  // namespace

void SplitThink(std::string_view content, std::string& answer, std::string& reasoning) {
  static constexpr std::string_view kOpen = "<think>", kClose = "</think>";
  answer.clear();
  reasoning.clear();
  // A lone closing tag first: the opening one was in the chat template.
  const size_t first_open = content.find(kOpen);
  const size_t first_close = content.find(kClose);
  if (first_close != std::string_view::npos && first_close < first_open) {
    reasoning.append(content.substr(0, first_close));
    content.remove_prefix(first_close + kClose.size());
  }
  while (true) {
    const size_t open = content.find(kOpen);
    if (open == std::string_view::npos) {
      answer.append(content);
      break;
    }
    answer.append(content.substr(0, open));
    content.remove_prefix(open + kOpen.size());
    const size_t close = content.find(kClose);
    if (!reasoning.empty()) reasoning += '\n';
    if (close == std::string_view::npos) {  // cut off while thinking
      reasoning.append(content);
      break;
    }
    reasoning.append(content.substr(0, close));
    content.remove_prefix(close + kClose.size());
  }
  // The answer usually starts after a blank line following </think>.
  const size_t start = answer.find_first_not_of(" \t\r\n");
  answer.erase(0, start == std::string::npos ? answer.size() : start);
}

ParsedReply ParseChatBody(std::string_view body) {
  const std::string_view t = TrimLeft(body);
  if (t.substr(0, 5) == "data:" || t.substr(0, 1) == ":" || t.substr(0, 6) == "event:" ||
      t.substr(0, 3) == "id:") {
    return ParseEvents(t);
  }
  return ParseJson(t);
}

bool IsContextOverflow(std::string_view error_text) {
  const std::string e = Lower(error_text);
  for (const char* needle : {"context_length_exceeded", "maximum context length", "exceed_context_size",
                             "exceeds the available context size", "context size has been exceeded",
                             "context window", "prompt is too long", "input is too long",
                             "too many tokens", "context length"}) {
    if (e.find(needle) != std::string::npos) return true;
  }
  return false;
}

bool IsUnknownModel(std::string_view error_text) {
  const std::string e = Lower(error_text);
  if (e.find("model_not_found") != std::string::npos) return true;
  if (e.find("model") == std::string::npos) return false;
  // OpenRouter-like proxies: "x/y is not a valid model ID" (HTTP 400).
  for (const char* needle : {"not exist", "does not exist", "not found", "unknown model", "no such model",
                             "not a valid model"}) {
    if (e.find(needle) != std::string::npos) return true;
  }
  return false;
}

}  // namespace crucible
