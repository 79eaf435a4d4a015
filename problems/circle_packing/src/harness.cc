#include "problems/circle_packing/src/harness.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <limits>

#include "core/rng.h"

namespace crucible::circles {
namespace {

namespace fs = std::filesystem;

// Tolerance used only to tell the candidate how far from valid it is.
constexpr double kFeedbackTolerance = 1e-6;

// Parses "C m x_1 y_1 r_1 ..." strictly (strtod: "nan" and "inf" parse and
// are rejected by the validator with the circle named).
StatusOr<std::vector<Circle>> ParseAnswer(const std::string& line) {
  const char* p = line.c_str() + 1;
  char* end = nullptr;
  const long long m = std::strtoll(p, &end, 10);
  if (end == p || m < 0 || m > 1'000'000) {
    return InvalidArgumentError("malformed answer from the driver");
  }
  p = end;
  std::vector<Circle> circles(static_cast<size_t>(m));
  for (Circle& c : circles) {
    for (double* v : {&c.x, &c.y, &c.r}) {
      *v = std::strtod(p, &end);
      if (end == p) return InvalidArgumentError("malformed answer from the driver");
      p = end;
    }
  }
  if (*p != '\0') return InvalidArgumentError("malformed answer from the driver");
  return circles;
}

std::string ContainerText(const PackingInstance& instance) {
  return instance.container == Container::kUnitSquare
             ? "the unit square"
             : "a rectangle of perimeter 4 (width + height <= 2)";
}

std::string CirclesText(const std::vector<Circle>& circles) {
  std::string s;
  for (const Circle& c : circles) s += fmt::format("{:.17g} {:.17g} {:.17g}\n", c.x, c.y, c.r);
  return s;
}

HarnessReport Score(const PackingInstance& instance, const std::vector<uint64_t>& seeds,
                    const RunOutput& run) {
  std::string_view out = run.stdout_text;
  HarnessReport report;
  double worst = std::numeric_limits<double>::infinity();
  double min_slack = std::numeric_limits<double>::infinity();
  std::string feedback;
  for (size_t k = 0; k < seeds.size(); ++k) {
    const size_t nl = out.find('\n');
    const std::string line(out.substr(0, nl));
    out = nl == std::string_view::npos ? std::string_view() : out.substr(nl + 1);
    const std::string call =
        seeds.size() == 1 ? "" : fmt::format("call {} (seed {}): ", k, seeds[k]);
    if (line.starts_with("E ")) return FailureReport("runtime_error", call + line.substr(2));
    if (!line.starts_with("C ")) {
      return FailureReport(
          "invalid", fmt::format("{}no answer from the candidate ({})", call, run.Describe()));
    }
    StatusOr<std::vector<Circle>> circles = ParseAnswer(line);
    if (!circles.ok()) return FailureReport("invalid", call + circles.status().message());
    const ValidationResult v = ValidatePacking(instance, *circles);
    if (!v.valid) {
      std::string why = call + v.message;
      if (ValidatePacking(instance, *circles, kFeedbackTolerance).valid) {
        why += fmt::format(
            "\n(it would pass with a tolerance of {:g}: the disks are almost valid; the check "
            "has no tolerance, so shrink them slightly)",
            kFeedbackTolerance);
      }
      HarnessReport failed = FailureReport("invalid", why);
      failed.artifacts["circles.txt"] = CirclesText(*circles);
      return failed;
    }
    worst = std::min(worst, v.sum_radii);
    if (seeds.size() > 1) report.metrics[fmt::format("sum_radii.seed_{}", seeds[k])] = v.sum_radii;
    feedback +=
        fmt::format("{}valid: {} circles in {}, sum of radii {:.12f}; smallest slack {:.3g}", call,
                    instance.n, ContainerText(instance), v.sum_radii, v.min_slack);
    if (instance.container == Container::kRectanglePerimeter4) {
      feedback += fmt::format(" (bounding box {:.9f} x {:.9f})", v.width, v.height);
      report.metrics["width"] = v.width;
      report.metrics["height"] = v.height;
    }
    feedback += '\n';
    min_slack = std::min(min_slack, v.min_slack);
    if (k == 0) report.artifacts["circles.txt"] = CirclesText(*circles);
  }
  if (out.find_first_not_of(" \n") != std::string_view::npos) {
    return FailureReport("invalid", "the driver wrote more answers than there were calls");
  }
  report.metrics["sum_radii"] = worst;
  report.metrics["min_slack"] = min_slack;
  report.score = worst;
  report.feedback = feedback;
  return report;
}

int RunInstance(const std::string& candidate_dir, std::string_view name) {
  return RunCompiledHarness(
      "circle_packing", candidate_dir, kCandidateFile,
      [name](const HarnessEnv& env, const std::string& source) -> StatusOr<HarnessReport> {
        const PackingInstance* instance = FindInstance(name);
        if (instance == nullptr)
          return InvalidArgumentError(fmt::format("unknown instance '{}'", name));
        EvaluateOptions options;
        if (env.split == "heldout") {
          options.seeds.assign(std::begin(kHeldoutSeeds), std::end(kHeldoutSeeds));
        } else {
          options.seeds = {DeriveSeed(env.seed, 0)};
        }
        options.cache_dir = env.cache_dir;
        options.limits.timeout_seconds = 40.0 * static_cast<double>(options.seeds.size());
        return EvaluateCandidate(source, *instance, options);
      });
}

}  // namespace

CompileSpec CirclesCompileSpec(std::string candidate_source, std::string cache_dir,
                               std::string work_dir) {
  // What candidates commonly include (searches use <random> and <cmath>);
  // precompiled once per cache and force-included.
  const CandidateApi api{kHeaderName,
                         HeaderSource(),
                         DriverSource(),
                         kCandidateFile,
                         {"algorithm", "array", "cmath", "cstddef", "cstdint", "limits", "numeric",
                          "random", "vector"}};
  return MakeCompileSpec(api, std::move(candidate_source), std::move(cache_dir),
                         std::move(work_dir));
}

HarnessReport EvaluateCandidate(const std::string& source, const PackingInstance& instance,
                                const EvaluateOptions& options) {
  std::string input = fmt::format("{}\n", options.seeds.size());
  for (uint64_t seed : options.seeds) {
    input += fmt::format("{} {} {}\n", instance.n,
                         instance.container == Container::kUnitSquare ? 0 : 1, seed);
  }
  return CompileAndRun(CirclesCompileSpec(source, options.cache_dir, options.work_dir), input,
                       options.limits,
                       [&](const RunOutput& run) { return Score(instance, options.seeds, run); });
}

int RunSquare26Harness(const std::string& candidate_dir) {
  return RunInstance(candidate_dir, "square_26");
}
int RunSquare32Harness(const std::string& candidate_dir) {
  return RunInstance(candidate_dir, "square_32");
}
int RunRect21Harness(const std::string& candidate_dir) {
  return RunInstance(candidate_dir, "rect_21");
}

}  // namespace crucible::circles
