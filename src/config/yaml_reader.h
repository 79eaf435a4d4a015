// YamlReader: typed, validated access to a YAML mapping, with errors that
// name the file and the dotted path of the field at fault. Used for
// problem.yaml and the frozen configuration. Not thread-safe.
#ifndef CRUCIBLE_CONFIG_YAML_READER_H_
#define CRUCIBLE_CONFIG_YAML_READER_H_

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace crucible {

class YamlReader {
 public:
  // `file` is used in messages only.
  explicit YamlReader(std::string file) : file_(std::move(file)) {}

  // The first error met, or OK. Reading goes on after an error but only the
  // first is reported: it is the one a user should fix first.
  const Status& status() const { return status_; }

  // Fails unless `node` is a mapping whose keys are all in `known`. Returns
  // whether it is a mapping: only then may the caller subscript it (yaml-cpp
  // throws BadSubscript for a string key on a scalar).
  bool CheckKeys(const YAML::Node& node, std::string_view path,
                 std::initializer_list<std::string_view> known);
  bool IsMap(const YAML::Node& node, std::string_view path);

  // Each reader leaves `out` unchanged when the key is absent (or null).
  void Read(const YAML::Node& map, std::string_view key, std::string_view path, std::string& out);
  void Read(const YAML::Node& map, std::string_view key, std::string_view path, bool& out);
  void Read(const YAML::Node& map, std::string_view key, std::string_view path, double& out,
            std::optional<double> min = {}, std::optional<double> max = {});
  void Read(const YAML::Node& map, std::string_view key, std::string_view path,
            std::optional<double>& out);
  void Read(const YAML::Node& map, std::string_view key, std::string_view path, int64_t& out,
            std::optional<int64_t> min = {}, std::optional<int64_t> max = {});
  void Read(const YAML::Node& map, std::string_view key, std::string_view path, int& out,
            std::optional<int64_t> min = {}, std::optional<int64_t> max = {});
  // A list of strings, or one string split on whitespace.
  void ReadWords(const YAML::Node& map, std::string_view key, std::string_view path,
                 std::vector<std::string>& out);
  // One of `choices`.
  void ReadChoice(const YAML::Node& map, std::string_view key, std::string_view path,
                  std::span<const std::string_view> choices, std::string& out);
  void ReadChoice(const YAML::Node& map, std::string_view key, std::string_view path,
                  std::initializer_list<std::string_view> choices, std::string& out) {
    ReadChoice(map, key, path, std::span<const std::string_view>(choices.begin(), choices.size()),
               out);
  }
  // One of `values`, spelled as `name` spells them (the enum's one spelling,
  // e.g. DirectionName): a closed set read as an enum, never kept as text.
  template <typename Enum>
  void ReadEnum(const YAML::Node& map, std::string_view key, std::string_view path,
                std::initializer_list<Enum> values, std::string_view (*name)(Enum), Enum& out) {
    std::vector<std::string_view> names;
    for (Enum v : values) names.push_back(name(v));
    std::string text(name(out));
    ReadChoice(map, key, path, names, text);
    for (Enum v : values) {
      if (name(v) == text) out = v;
    }
  }

  void Fail(std::string_view path, std::string_view message);

 private:
  std::optional<std::string> Scalar(const YAML::Node& map, std::string_view key,
                                    std::string_view path, std::string_view expected);
  std::string file_;
  Status status_;
};

// The error for a yaml-cpp exception out of a schema walk over `file`: the
// walk checks each node's type before it subscripts or converts it, so this
// is a missing check (a bug, which the fuzzers abort on: fuzz/), reported as
// malformed input rather than a crash.
inline constexpr std::string_view kUnexpectedYamlNote =
    "an input crucible's reader did not expect; please report it";
Status UnexpectedYamlError(std::string_view file, const YAML::Exception& e);
// How many times UnexpectedYamlError has been called in this process. The
// fuzzers ask this rather than search the message for the note: input the
// error quotes could contain the note's text (libFuzzer learns it from the
// comparison), which made a search report a bug that was not there.
std::uint64_t UnexpectedYamlErrorCount();

// Whether `text` can go into the frozen configuration: JSON text is UTF-8,
// and nlohmann's writer throws on anything else. Asked of the writer itself,
// so that the two never disagree.
bool IsJsonString(std::string_view text);

// "a.b" from ("a", "b"); "b" from ("", "b").
std::string JoinPath(std::string_view parent, std::string_view key);

}  // namespace crucible

#endif  // CRUCIBLE_CONFIG_YAML_READER_H_
