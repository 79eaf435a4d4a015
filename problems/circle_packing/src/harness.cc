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

}  // namespace

namespace {

// What candidates commonly include (searches use <random> and <cmath>);
// precompiled once per cache and force-included.
CandidateApi Api() {
  return CandidateApi{kHeaderName,
                      HeaderSource(),
                      DriverSource(),
                      kCandidateFile,
                      {"algorithm", "array", "cmath", "cstddef", "cstdint", "limits", "numeric",
                       "random", "vector"}};
}

}  // namespace

CompileSpec CirclesCompileSpec(std::string candidate_source, std::string cache_dir,
                               std::string work_dir) {
  return MakeCompileSpec(Api(), std::move(candidate_source), std::move(cache_dir),
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

namespace {

// One instance of PackingInstance (validator.h): the problems
// circle_packing_square_26, _square_32 and _rect_21, each with its own
// problem directory (problems/circle_packing/<instance>/).
class CirclePackingProblem final : public Problem {
 public:
  CirclePackingProblem(std::string name, std::string directory, std::string description,
                       std::string_view instance, double initial_score)
      : name_(std::move(name)),
        directory_(std::move(directory)),
        description_(std::move(description)),
        instance_(instance),
        initial_score_(initial_score) {}

  std::string_view name() const override { return name_; }
  std::string_view description() const override { return description_; }
  std::string_view directory() const override { return directory_; }
  CandidateApi candidate_api() const override { return Api(); }
  StatusOr<HarnessReport> Evaluate(const HarnessEnv& env,
                                   const std::string& source) const override {
    const PackingInstance* instance = FindInstance(instance_);
    if (instance == nullptr) {
      return InvalidArgumentError(fmt::format("unknown instance '{}'", instance_));
    }
    EvaluateOptions options;
    if (env.split == "heldout") {
      options.seeds.assign(std::begin(kHeldoutSeeds), std::end(kHeldoutSeeds));
    } else {
      options.seeds = {DeriveSeed(env.seed, 0)};
    }
    options.cache_dir = env.cache_dir;
    options.limits.timeout_seconds = 40.0 * static_cast<double>(options.seeds.size());
    return EvaluateCandidate(source, *instance, options);
  }
  // The shipped initial programs (a regular grid of equal disks); the
  // AlphaEvolve constructions are checked by circle_packing_harness_test.
  std::vector<ReferenceValue> reference_values() const override {
    return {{"initial.cpp", "train", "score", initial_score_, 1e-8, "the shipped grid"}};
  }

 private:
  const std::string name_;
  const std::string directory_;
  const std::string description_;
  const std::string_view instance_;
  const double initial_score_;
};

}  // namespace

std::unique_ptr<Problem> MakeProblem(std::string_view instance) {
  if (instance == "square_26") {
    return std::make_unique<CirclePackingProblem>(
        "circle_packing_square_26", "circle_packing/square_26",
        "26 circles in the unit square (AlphaEvolve B.12); candidate: PackCircles() in C++; "
        "sum of radii, strict (tolerance 0)",
        "square_26", 2.1666666666666665);
  }
  if (instance == "square_32") {
    return std::make_unique<CirclePackingProblem>(
        "circle_packing_square_32", "circle_packing/square_32",
        "32 circles in the unit square (AlphaEvolve B.12); candidate: PackCircles() in C++; "
        "sum of radii, strict (tolerance 0)",
        "square_32", 2.6666666666666665);
  }
  if (instance == "rect_21") {
    return std::make_unique<CirclePackingProblem>(
        "circle_packing_rect_21", "circle_packing/rect_21",
        "21 circles in a rectangle of perimeter 4 (AlphaEvolve B.13); candidate: PackCircles() "
        "in C++; sum of radii, strict (tolerance 0)",
        "rect_21", 2.0999999999999996);
  }
  return nullptr;
}

}  // namespace crucible::circles
