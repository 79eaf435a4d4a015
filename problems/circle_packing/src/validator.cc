#include "problems/circle_packing/src/validator.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>

namespace crucible::circles {
namespace {

std::string Describe(size_t i, const Circle& c) {
  return fmt::format("circle {} (x={}, y={}, r={})", i, c.x, c.y, c.r);
}

// The first non-finite component, or nullptr.
const char* NonFiniteComponent(const Circle& c) {
  if (!std::isfinite(c.x)) return "x";
  if (!std::isfinite(c.y)) return "y";
  if (!std::isfinite(c.r)) return "r";
  return nullptr;
}

std::string Containment(size_t i, const Circle& c, double tol, double& min_slack) {
  // Each test is "valid condition holds", so NaN fails (it cannot get here,
  // but the phrasing is the spec's defence in depth).
  const struct {
    double value;  // must be >= -tol
    const char* what;
  } walls[] = {{c.x - c.r, "left side: x - r"},
               {c.y - c.r, "bottom side: y - r"},
               {1 - (c.x + c.r), "right side: 1 - (x + r)"},
               {1 - (c.y + c.r), "top side: 1 - (y + r)"}};
  for (const auto& w : walls) {
    if (!(w.value >= -tol)) {
      return fmt::format("{} crosses the {} = {:.17g} < 0", Describe(i, c), w.what, w.value);
    }
    min_slack = std::min(min_slack, w.value);
  }
  return "";
}

}  // namespace

const std::vector<PackingInstance>& PublishedInstances() {
  static const std::vector<PackingInstance> instances = {
      {"square_26", Container::kUnitSquare, 26},
      {"square_32", Container::kUnitSquare, 32},
      {"rect_21", Container::kRectanglePerimeter4, 21},
  };
  return instances;
}

const PackingInstance* FindInstance(std::string_view name) {
  for (const PackingInstance& p : PublishedInstances()) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

ValidationResult ValidatePacking(const PackingInstance& instance, std::span<const Circle> circles,
                                 double tol) {
  ValidationResult result;
  auto fail = [&](std::string message) {
    result.message = std::move(message);
    return result;
  };
  if (circles.size() != static_cast<size_t>(instance.n)) {
    return fail(fmt::format("expected exactly {} circles, got {}", instance.n, circles.size()));
  }
  for (size_t i = 0; i < circles.size(); ++i) {
    if (const char* what = NonFiniteComponent(circles[i])) {
      return fail(fmt::format("{}: {} is not finite", Describe(i, circles[i]), what));
    }
    if (!(circles[i].r >= 0)) {
      return fail(fmt::format("{}: negative radius", Describe(i, circles[i])));
    }
  }
  double min_slack = std::numeric_limits<double>::infinity();
  if (instance.container == Container::kUnitSquare) {
    for (size_t i = 0; i < circles.size(); ++i) {
      if (std::string m = Containment(i, circles[i], tol, min_slack); !m.empty()) return fail(m);
    }
  } else {
    double min_x = std::numeric_limits<double>::infinity(), max_x = -min_x;
    double min_y = min_x, max_y = -min_x;
    for (const Circle& c : circles) {
      min_x = std::min(min_x, c.x - c.r);
      max_x = std::max(max_x, c.x + c.r);
      min_y = std::min(min_y, c.y - c.r);
      max_y = std::max(max_y, c.y + c.r);
    }
    result.width = max_x - min_x;
    result.height = max_y - min_y;
    const double perimeter_slack = 2 - (result.width + result.height);
    if (!(result.width + result.height <= 2 + tol)) {
      return fail(fmt::format(
          "the circles' bounding box is {:.17g} x {:.17g}: width + height = {:.17g} > 2",
          result.width, result.height, result.width + result.height));
    }
    min_slack = std::min(min_slack, perimeter_slack);
  }
  for (size_t i = 0; i < circles.size(); ++i) {
    for (size_t j = i + 1; j < circles.size(); ++j) {
      const double dx = circles[i].x - circles[j].x;
      const double dy = circles[i].y - circles[j].y;
      // Exactly the reference expression: plain sqrt, no hypot, no squared
      // form, no contraction (this file is built with -ffp-contract=off).
      const double dist = std::sqrt(dx * dx + dy * dy);
      const double radii = circles[i].r + circles[j].r;
      if (!(dist >= radii - tol)) {
        return fail(
            fmt::format("circles {} and {} overlap: centre distance {:.17g} < r{} + r{} = {:.17g}",
                        i, j, dist, i, j, radii));
      }
      min_slack = std::min(min_slack, dist - radii);
    }
  }
  double sum = 0;
  for (const Circle& c : circles) sum += c.r;
  result.valid = true;
  result.sum_radii = sum;
  result.min_slack = min_slack;
  return result;
}

StatusOr<std::vector<Circle>> ParseCircles(std::string_view text) {
  std::vector<Circle> circles;
  int line_no = 0;
  while (!text.empty()) {
    const size_t eol = text.find('\n');
    const std::string line(text.substr(0, eol));
    text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    double v[3];
    const char* p = line.c_str();
    for (int k = 0; k < 3; ++k) {
      char* end = nullptr;
      errno = 0;
      v[k] = std::strtod(p, &end);
      if (end == p) {
        return InvalidArgumentError(
            fmt::format("line {}: expected 3 numbers 'x y r', got '{}'", line_no, line));
      }
      p = end;
    }
    if (std::string_view(p).find_first_not_of(" \t\r") != std::string_view::npos) {
      return InvalidArgumentError(
          fmt::format("line {}: expected 3 numbers 'x y r', got '{}'", line_no, line));
    }
    circles.push_back(Circle{v[0], v[1], v[2]});
  }
  return circles;
}

}  // namespace crucible::circles
