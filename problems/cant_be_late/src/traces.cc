#include "problems/cant_be_late/src/traces.h"

#include <fmt/format.h>

#include <charconv>

namespace crucible::cbl {
namespace {

std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    out.push_back(line);
  }
  return out;
}

std::vector<std::string_view> Fields(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') ++i;
    const size_t j = line.find(' ', i);
    const size_t end = j == std::string_view::npos ? line.size() : j;
    if (end > i) out.push_back(line.substr(i, end - i));
    i = end;
  }
  return out;
}

bool ToInt(std::string_view s, int64_t* v) {
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
  return ec == std::errc() && p == s.data() + s.size();
}

const std::vector<std::string> kAdrsEnvs = {"us-west-2a_k80_1", "us-west-2b_k80_1",
                                            "us-west-2a_v100_1", "us-west-2b_v100_1"};
const std::vector<std::string> kLeaderboardEnvs = {"us-west-2a_k80_8",  "us-west-2b_k80_1",
                                                   "us-west-2b_k80_8",  "us-west-2a_v100_1",
                                                   "us-west-2a_v100_8", "us-west-2b_v100_1"};
const std::vector<std::string> kEightEnvs = {"us-west-2a_k80_8", "us-west-2b_k80_8",
                                             "us-west-2a_v100_8", "us-west-2b_v100_8"};
const std::vector<double> kAllDeadlines = {52, 70, 92};
const std::vector<double> kAllOverheads = {0.02, 0.05, 0.1, 0.2, 0.4};

void AddGrid(const TraceSet& traces, const std::vector<std::string>& envs,
             const std::vector<int>& ids, const std::vector<double>& deadlines,
             const std::vector<double>& overheads, std::vector<Scenario>* out) {
  for (const std::string& env : envs) {
    for (int id : ids) {
      for (double d : deadlines) {
        for (double o : overheads) {
          Scenario s;
          s.env = env;
          s.trace_id = id;
          s.start = traces.window_start[static_cast<size_t>(id)];
          s.job = JobSpec{48, d, o};
          out->push_back(std::move(s));
        }
      }
    }
  }
}

}  // namespace

std::string_view TraceSet::Window(const std::string& env, int id) const {
  const std::string& b = base.at(env);
  return std::string_view(b).substr(static_cast<size_t>(window_start.at(static_cast<size_t>(id))),
                                     kWindowTicks);
}

StatusOr<TraceSet> ParseTraceSet(std::string_view base_text, std::string_view windows_text,
                                 std::string_view split_text) {
  TraceSet t;
  for (std::string_view line : Lines(base_text)) {
    const auto f = Fields(line);
    int64_t gap = 0;
    if (f.size() != 3 || !ToInt(f[2], &gap) || gap != 600 ||
        f[1].find_first_not_of("01") != std::string_view::npos) {
      return InvalidArgumentError(fmt::format("base_traces: malformed line '{}'", line.substr(0, 40)));
    }
    t.base[std::string(f[0])] = std::string(f[1]);
  }
  if (t.base.size() != 8) {
    return InvalidArgumentError(fmt::format("base_traces: {} environments, expected 8", t.base.size()));
  }
  for (std::string_view line : Lines(windows_text)) {
    const auto f = Fields(line);
    int64_t id = 0, start = 0, end = 0;
    if (f.size() != 4 || !ToInt(f[0], &id) || !ToInt(f[1], &start) || !ToInt(f[2], &end) ||
        id != static_cast<int64_t>(t.window_start.size()) || end - start != kWindowTicks ||
        start < 0) {
      return InvalidArgumentError(fmt::format("window_starts: malformed line '{}'", line));
    }
    for (const auto& [env, bits] : t.base) {
      if (static_cast<int64_t>(bits.size()) < end) {
        return InvalidArgumentError(fmt::format("window {} ends past the {} trace", id, env));
      }
    }
    t.window_start.push_back(start);
  }
  if (t.window_start.size() != 300) {
    return InvalidArgumentError(
        fmt::format("window_starts: {} windows, expected 300", t.window_start.size()));
  }
  for (std::string_view line : Lines(split_text)) {
    const auto f = Fields(line);
    if (f.empty()) continue;
    std::vector<int>& ids = t.splits[std::string(f[0])];
    for (size_t i = 1; i < f.size(); ++i) {
      int64_t id = 0;
      if (!ToInt(f[i], &id) || id < 0 || id >= 300) {
        return InvalidArgumentError(fmt::format("split: bad trace id '{}'", f[i]));
      }
      ids.push_back(static_cast<int>(id));
    }
  }
  for (const char* name : {"train_time", "heldout_time", "eval30"}) {
    if (!t.splits.contains(name)) {
      return InvalidArgumentError(fmt::format("split: no '{}' line", name));
    }
  }
  return t;
}

const TraceSet& EmbeddedTraceSet() {
  static const TraceSet* set = [] {
    StatusOr<TraceSet> t = ParseTraceSet(EmbeddedBaseTracesText(), EmbeddedWindowStartsText(),
                                         EmbeddedSplitText());
    if (!t.ok()) {
      fmt::print(stderr, "cant_be_late: embedded traces: {}\n", t.status().ToString());
      std::abort();
    }
    return new TraceSet(*std::move(t));
  }();
  return *set;
}

std::string Scenario::Name() const {
  return fmt::format("{}/{} D={} O={}", env, trace_id, job.deadline_hours, job.overhead_hours);
}

std::vector<Scenario> LeaderboardGrid(const TraceSet& traces) {
  std::vector<Scenario> out;
  AddGrid(traces, kLeaderboardEnvs, traces.splits.at("eval30"), {52, 70}, {0.02, 0.05, 0.1},
          &out);
  return out;
}

std::vector<Scenario> AdrsGrid(const TraceSet& traces) {
  std::vector<Scenario> out;
  AddGrid(traces, kAdrsEnvs, traces.splits.at("eval30"), {52, 70, 92}, {0.02, 0.2, 0.4}, &out);
  return out;
}

StatusOr<std::vector<Scenario>> SplitGrid(const TraceSet& traces, const std::string& split) {
  std::vector<Scenario> out;
  if (split == "train") {
    AddGrid(traces, kAdrsEnvs, traces.splits.at("train_time"), kAllDeadlines, kAllOverheads, &out);
  } else if (split == "heldout") {
    AddGrid(traces, kAdrsEnvs, traces.splits.at("heldout_time"), kAllDeadlines, kAllOverheads,
            &out);
    AddGrid(traces, kEightEnvs, traces.splits.at("heldout_time"), kAllDeadlines, kAllOverheads,
            &out);
  } else {
    return InvalidArgumentError("unknown split '" + split + "' (train or heldout)");
  }
  return out;
}

double LeaderboardScore(double mean_cost) {
  const double od = 3.06 * 48, spot = 0.9731 * 48;
  return 100 * (od - mean_cost) / (od - spot);
}

}  // namespace crucible::cbl
