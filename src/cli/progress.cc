#include "cli/progress.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace crucible {
namespace {

// Plain (non-terminal) progress lines are written at most this often.
constexpr double kPlainIntervalSeconds = 10;

std::string OutcomeCounts(const Progress& p) {
  std::string s;
  for (const auto& [o, n] : p.outcomes) {
    if (n == 0) continue;
    s += fmt::format("{}{} {}", s.empty() ? "" : ", ", OutcomeName(o), n);
  }
  return s;
}

nlohmann::json ProgressJson(const Progress& p) {
  nlohmann::json outcomes = nlohmann::json::object();
  for (const auto& [o, n] : p.outcomes) outcomes[std::string(OutcomeName(o))] = n;
  nlohmann::json j = {{"event", "progress"},
                      {"evaluations", p.evaluations},
                      {"in_flight", p.in_flight},
                      {"elapsed_s", p.elapsed_seconds},
                      {"rate_per_s", p.evaluations_per_second},
                      {"outcomes", outcomes}};
  if (p.budget) j["budget"] = *p.budget;
  if (!p.proposer_usage.empty()) j["proposer"] = p.proposer_usage;
  if (p.best_value) {
    j["best"] = *p.best_value;
    j["best_id"] = p.best_id;
  }
  return j;
}

}  // namespace

ProgressPrinter::ProgressPrinter(FILE* out, LogFormat format, bool live, bool quiet)
    : out_(out), format_(format), live_(live && format == LogFormat::kText), quiet_(quiet) {}

std::string ProgressPrinter::StatusLine(const Progress& p) const {
  std::string budget = p.budget ? fmt::format("{}/{}", p.evaluations, *p.budget)
                                : fmt::format("{}", p.evaluations);
  std::string best = p.best_value ? fmt::format("best {:.6g} (#{})", *p.best_value, p.best_id)
                                  : std::string("best -");
  std::string line = fmt::format("[{} evals] {:.1f}/s  {}  in flight {}  {}", budget,
                                 p.evaluations_per_second, best, p.in_flight, OutcomeCounts(p));
  if (!p.proposer_usage.empty()) line += "  | " + p.proposer_usage;
  return line;
}

void ProgressPrinter::Emit(const std::string& line) {
  if (line_open_) {
    std::fputs("\r\x1b[2K", out_);
    line_open_ = false;
  }
  std::fputs(line.c_str(), out_);
  std::fputc('\n', out_);
  std::fflush(out_);
}

void ProgressPrinter::OnProgress(const Progress& p) {
  if (quiet_) return;
  if (format_ == LogFormat::kJson) {
    if (p.elapsed_seconds - last_plain_ < 1.0) return;
    last_plain_ = p.elapsed_seconds;
    return Emit(ProgressJson(p).dump());
  }
  if (live_) {
    std::fputs(("\r\x1b[2K" + StatusLine(p)).c_str(), out_);
    std::fflush(out_);
    line_open_ = true;
    return;
  }
  if (p.elapsed_seconds - last_plain_ < kPlainIntervalSeconds) return;
  last_plain_ = p.elapsed_seconds;
  Emit("progress: " + StatusLine(p));
}

void ProgressPrinter::OnCandidate(const Candidate& c, std::optional<double> objective,
                                  bool new_best) {
  if (quiet_ || !new_best || !objective) return;
  const double value = *objective;
  if (format_ == LogFormat::kJson) {
    nlohmann::json j = {{"event", "new_best"}, {"id", c.id}, {"value", value},
                        {"operators", c.proposal.operators}};
    return Emit(j.dump());
  }
  std::string ops;
  for (const std::string& op : c.proposal.operators) ops += (ops.empty() ? "" : "+") + op;
  Emit(fmt::format("new best: #{} {:.6g} (parent #{}, {})", c.id, value, c.parent_id,
                   ops.empty() ? c.proposal.proposer : ops));
}

void ProgressPrinter::Log(const std::string& message) {
  if (quiet_) return;
  if (format_ == LogFormat::kJson) {
    return Emit(nlohmann::json({{"event", "log"}, {"message", message}}).dump());
  }
  Emit(message);
}

void ProgressPrinter::Finish() {
  if (line_open_) {
    std::fputc('\n', out_);
    std::fflush(out_);
    line_open_ = false;
  }
}

}  // namespace crucible
