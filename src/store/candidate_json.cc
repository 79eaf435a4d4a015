#include "store/candidate_json.h"

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <utility>

#include "core/safe_path.h"
#include "fmt/format.h"

namespace crucible::store_json {
namespace {

using Json = nlohmann::json;

// Names are replaced, not rejected, when they are not UTF-8 (see header).
std::string Dump(const Json& json) {
  return json.dump(-1, ' ', /*ensure_ascii=*/false, Json::error_handler_t::replace);
}

// Parses without exceptions; kDataLoss names what was expected.
StatusOr<Json> Parse(std::string_view text, std::string_view what) {
  Json json = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    return DataLossError("malformed " + std::string(what) + ": not JSON");
  }
  return json;
}

Status ShapeError(std::string_view what, std::string_view expected) {
  return DataLossError("malformed " + std::string(what) + ": expected " + std::string(expected));
}

// Length of the UTF-8 sequence introduced by `lead`, or 0 if it cannot lead one.
int SequenceLength(unsigned char lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0;  // continuation byte, overlong lead (c0, c1) or beyond U+10FFFF
}

constexpr char kBase64Alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int Base64Value(char ch) {
  if (ch >= 'A' && ch <= 'Z') return ch - 'A';
  if (ch >= 'a' && ch <= 'z') return ch - 'a' + 26;
  if (ch >= '0' && ch <= '9') return ch - '0' + 52;
  if (ch == '+') return 62;
  if (ch == '/') return 63;
  return -1;
}

// Appends `text` as a JSON string. A hand-written escaper because program
// text is the bulk of every insert and nlohmann's serializer decodes UTF-8
// byte by byte; here bytes that need no escape are copied in runs. `text`
// must be valid UTF-8 (checked by the caller).
void AppendJsonString(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  size_t run = 0;  // start of the pending run of plain bytes
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char ch = static_cast<unsigned char>(text[i]);
    if (ch >= 0x20 && ch != '"' && ch != '\\') continue;
    out.append(text, run, i - run);
    run = i + 1;
    switch (ch) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        out += "\\u00";
        out += kHex[ch >> 4];
        out += kHex[ch & 0xf];
    }
  }
  out.append(text, run, text.size() - run);
  out += '"';
}

Json MetricValue(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  return value;
}

}  // namespace

bool IsValidUtf8(std::string_view bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  size_t n = bytes.size();
  size_t i = 0;
  while (i < n) {
    if (p[i] < 0x80) {
      ++i;
      continue;
    }
    int len = SequenceLength(p[i]);
    if (len == 0 || i + len > n) return false;
    for (int k = 1; k < len; ++k) {
      if ((p[i + k] & 0xc0) != 0x80) return false;
    }
    // The second byte's range excludes overlongs (e0, f0) and surrogates /
    // code points past U+10FFFF (ed, f4).
    if (p[i] == 0xe0 && p[i + 1] < 0xa0) return false;
    if (p[i] == 0xed && p[i + 1] > 0x9f) return false;
    if (p[i] == 0xf0 && p[i + 1] < 0x90) return false;
    if (p[i] == 0xf4 && p[i + 1] > 0x8f) return false;
    i += len;
  }
  return true;
}

std::string Base64Encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t v = (static_cast<unsigned char>(bytes[i]) << 16) |
                 (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                 static_cast<unsigned char>(bytes[i + 2]);
    out += kBase64Alphabet[(v >> 18) & 63];
    out += kBase64Alphabet[(v >> 12) & 63];
    out += kBase64Alphabet[(v >> 6) & 63];
    out += kBase64Alphabet[v & 63];
  }
  size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t v = static_cast<unsigned char>(bytes[i]) << 16;
    if (rest == 2) v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += kBase64Alphabet[(v >> 18) & 63];
    out += kBase64Alphabet[(v >> 12) & 63];
    out += rest == 2 ? kBase64Alphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

StatusOr<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return DataLossError("malformed base64: length not a multiple of 4");
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    bool last = i + 4 == text.size();
    int pad = last ? (text[i + 3] == '=') + (text[i + 2] == '=' && text[i + 3] == '=') : 0;
    uint32_t v = 0;
    for (int k = 0; k < 4; ++k) {
      int d = k >= 4 - pad ? 0 : Base64Value(text[i + k]);
      if (d < 0) return DataLossError("malformed base64: unexpected character");
      v = (v << 6) | static_cast<uint32_t>(d);
    }
    out += static_cast<char>((v >> 16) & 0xff);
    if (pad < 2) out += static_cast<char>((v >> 8) & 0xff);
    if (pad < 1) out += static_cast<char>(v & 0xff);
  }
  return out;
}

bool IsJsonOrEmpty(std::string_view text) {
  return text.empty() || Json::accept(text.begin(), text.end());
}

// ------------------------------------------------------------------ program

std::string EncodeProgram(const Program& program) {
  std::string out = "[";
  out.reserve(program.SizeBytes() + 64 * program.files.size() + 2);
  for (const SourceFile& file : program.files) {
    if (out.size() > 1) out += ',';
    out += "{\"path\":";
    // Paths are names: replaced, not kept, when not UTF-8 (see header).
    if (IsValidUtf8(file.path)) {
      AppendJsonString(out, file.path);
    } else {
      out += Dump(file.path);
    }
    if (IsValidUtf8(file.content)) {
      out += ",\"content\":";
      AppendJsonString(out, file.content);
    } else {
      out += ",\"content_base64\":\"" + Base64Encode(file.content) + "\"";
    }
    out += '}';
  }
  out += ']';
  return out;
}

StatusOr<Program> DecodeProgram(std::string_view text) {
  constexpr std::string_view kWhat = "program";
  ASSIGN_OR_RETURN(Json json, Parse(text, kWhat));
  if (!json.is_array()) return ShapeError(kWhat, "an array");
  Program program;
  for (const Json& file : json) {
    if (!file.is_object() || !file.contains("path") || !file["path"].is_string()) {
      return ShapeError(kWhat, "{\"path\": string, ...} objects");
    }
    SourceFile source{file["path"].get<std::string>(), ""};
    // Paths are written under the run (best/, work dirs): a crafted row must
    // not name "/etc/x" or "../../x".
    if (!IsSafeRelativePath(source.path)) {
      return DataLossError(fmt::format("malformed program: the file path '{}' is not a plain "
                                       "relative path inside the run",
                                       source.path.substr(0, 200)));
    }
    if (auto it = file.find("content"); it != file.end() && it->is_string()) {
      source.content = it->get<std::string>();
    } else if (auto b64 = file.find("content_base64"); b64 != file.end() && b64->is_string()) {
      ASSIGN_OR_RETURN(source.content, Base64Decode(b64->get<std::string>()));
    } else {
      return ShapeError(kWhat, "a string \"content\" or \"content_base64\"");
    }
    program.files.push_back(std::move(source));
  }
  return program;
}

// ---------------------------------------------------------- ids and strings

std::string EncodeIds(const std::vector<CandidateId>& ids) { return Dump(Json(ids)); }

StatusOr<std::vector<CandidateId>> DecodeIds(std::string_view text) {
  constexpr std::string_view kWhat = "candidate id list";
  ASSIGN_OR_RETURN(Json json, Parse(text, kWhat));
  if (!json.is_array()) return ShapeError(kWhat, "an array");
  std::vector<CandidateId> ids;
  ids.reserve(json.size());
  for (const Json& id : json) {
    if (!id.is_number_integer()) return ShapeError(kWhat, "integers");
    ids.push_back(id.get<CandidateId>());
  }
  return ids;
}

std::string EncodeStrings(const std::vector<std::string>& strings) { return Dump(Json(strings)); }

StatusOr<std::vector<std::string>> DecodeStrings(std::string_view text) {
  constexpr std::string_view kWhat = "string list";
  ASSIGN_OR_RETURN(Json json, Parse(text, kWhat));
  if (!json.is_array()) return ShapeError(kWhat, "an array");
  std::vector<std::string> strings;
  strings.reserve(json.size());
  for (const Json& s : json) {
    if (!s.is_string()) return ShapeError(kWhat, "strings");
    strings.push_back(s.get<std::string>());
  }
  return strings;
}

// ------------------------------------------------------------------ metrics

std::string EncodeMetrics(const Metrics& metrics) {
  Json json = Json::object();
  for (const auto& [name, value] : metrics) json[name] = MetricValue(value);
  return Dump(json);
}

StatusOr<Metrics> DecodeMetrics(std::string_view text) {
  constexpr std::string_view kWhat = "metrics";
  ASSIGN_OR_RETURN(Json json, Parse(text, kWhat));
  if (!json.is_object()) return ShapeError(kWhat, "an object");
  Metrics metrics;
  for (const auto& [name, value] : json.items()) {
    if (value.is_number()) {
      metrics[name] = value.get<double>();
    } else if (value == "nan") {
      metrics[name] = std::numeric_limits<double>::quiet_NaN();
    } else if (value == "inf") {
      metrics[name] = std::numeric_limits<double>::infinity();
    } else if (value == "-inf") {
      metrics[name] = -std::numeric_limits<double>::infinity();
    } else {
      return ShapeError(kWhat, "numbers or \"nan\", \"inf\", \"-inf\"");
    }
  }
  return metrics;
}

// ---------------------------------------------------------------- artifacts

std::string EncodeArtifacts(const std::map<std::string, std::string>& artifacts) {
  Json json = Json::object();
  for (const auto& [name, value] : artifacts) {
    if (IsValidUtf8(value)) {
      json[name] = value;
    } else {
      json[name] = {{"base64", Base64Encode(value)}};
    }
  }
  return Dump(json);
}

StatusOr<std::map<std::string, std::string>> DecodeArtifacts(std::string_view text) {
  constexpr std::string_view kWhat = "artifacts";
  ASSIGN_OR_RETURN(Json json, Parse(text, kWhat));
  if (!json.is_object()) return ShapeError(kWhat, "an object");
  std::map<std::string, std::string> artifacts;
  for (const auto& [name, value] : json.items()) {
    if (value.is_string()) {
      artifacts[name] = value.get<std::string>();
    } else if (value.is_object() && value.contains("base64") && value["base64"].is_string()) {
      ASSIGN_OR_RETURN(artifacts[name], Base64Decode(value["base64"].get<std::string>()));
    } else {
      return ShapeError(kWhat, "string values or {\"base64\": string}");
    }
  }
  return artifacts;
}

}  // namespace crucible::store_json
