#include "search/gp_proxy.h"

#include <cmath>
#include <limits>

#include <Eigen/Cholesky>
#include <Eigen/Dense>

namespace crucible {
namespace {

// The grids the fit chooses from. Length scales span "one cell of a small
// int parameter" to "nearly flat over the box"; noise variances (of the
// standardised losses) span "exact simulator" to "noisy evaluator".
constexpr double kLengthScales[] = {0.05, 0.1, 0.15, 0.2, 0.3, 0.45, 0.7, 1.0, 1.5};
constexpr double kNoises[] = {1e-6, 1e-4, 1e-3, 1e-2, 1e-1};

double SquaredDistance(const Eigen::VectorXd& a, const Eigen::VectorXd& b) {
  return (a - b).squaredNorm();
}

}  // namespace

struct GpProxy::Model {
  Eigen::MatrixXd x;   // n x d training points
  Eigen::VectorXd alpha;  // K^-1 (y - mean) / sd
  Eigen::LLT<Eigen::MatrixXd> llt;
  double y_mean = 0, y_sd = 1;
  double length = 0.3, noise = 1e-4;
};

GpProxy::GpProxy() = default;
GpProxy::~GpProxy() = default;
GpProxy::GpProxy(GpProxy&&) noexcept = default;
GpProxy& GpProxy::operator=(GpProxy&&) noexcept = default;

Status GpProxy::Fit(const std::vector<std::vector<double>>& x, const std::vector<double>& y) {
  const size_t n = x.size();
  if (n < 2 || y.size() != n) return InvalidArgumentError("proxy: needs two or more points, one loss each");
  const size_t d = x[0].size();
  auto model = std::make_unique<Model>();
  model->x.resize(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(d));
  Eigen::VectorXd ys(static_cast<Eigen::Index>(n));
  for (size_t i = 0; i < n; ++i) {
    if (x[i].size() != d) return InvalidArgumentError("proxy: points of different dimensions");
    if (!std::isfinite(y[i])) return InvalidArgumentError("proxy: a loss is not finite");
    for (size_t j = 0; j < d; ++j) model->x(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = x[i][j];
    ys(static_cast<Eigen::Index>(i)) = y[i];
  }
  model->y_mean = ys.mean();
  const double var = (ys.array() - model->y_mean).square().sum() / static_cast<double>(n);
  model->y_sd = var > 0 ? std::sqrt(var) : 1.0;
  const Eigen::VectorXd z = (ys.array() - model->y_mean) / model->y_sd;

  // Squared distances once; each grid point only rescales them.
  const Eigen::Index m = static_cast<Eigen::Index>(n);
  Eigen::MatrixXd d2(m, m);
  for (Eigen::Index i = 0; i < m; ++i) {
    for (Eigen::Index j = 0; j <= i; ++j) {
      d2(i, j) = d2(j, i) = SquaredDistance(model->x.row(i).transpose(), model->x.row(j).transpose());
    }
  }
  double best = -std::numeric_limits<double>::infinity();
  for (double length : kLengthScales) {
    for (double noise : kNoises) {
      Eigen::MatrixXd k = (-0.5 / (length * length) * d2.array()).exp().matrix();
      k.diagonal().array() += noise;
      Eigen::LLT<Eigen::MatrixXd> llt(k);
      if (llt.info() != Eigen::Success) continue;
      const Eigen::VectorXd alpha = llt.solve(z);
      // log p(z) = -z'K^-1 z / 2 - log|K| / 2 (+ a constant).
      const double log_det = 2 * llt.matrixL().toDenseMatrix().diagonal().array().log().sum();
      const double lml = -0.5 * z.dot(alpha) - 0.5 * log_det;
      if (!(lml > best)) continue;  // the first of equals wins, and NaN never does
      best = lml;
      model->length = length;
      model->noise = noise;
      model->alpha = alpha;
      model->llt = std::move(llt);
    }
  }
  if (!std::isfinite(best)) return InvalidArgumentError("proxy: no kernel fits the points");
  model_ = std::move(model);
  return Status::Ok();
}

ProxyPrediction GpProxy::Predict(const std::vector<double>& x) const {
  if (!model_) return {};
  const Eigen::Index n = model_->x.rows();
  Eigen::VectorXd p(model_->x.cols());
  for (Eigen::Index j = 0; j < p.size(); ++j) p(j) = x[static_cast<size_t>(j)];
  Eigen::VectorXd k(n);
  const double scale = -0.5 / (model_->length * model_->length);
  for (Eigen::Index i = 0; i < n; ++i) k(i) = std::exp(scale * SquaredDistance(model_->x.row(i).transpose(), p));
  const double mean = k.dot(model_->alpha);
  const double var = std::max(0.0, 1.0 - k.dot(model_->llt.solve(k)));
  return {model_->y_mean + model_->y_sd * mean, model_->y_sd * std::sqrt(var)};
}

double GpProxy::length_scale() const { return model_ ? model_->length : 0; }
double GpProxy::noise() const { return model_ ? model_->noise : 0; }

}  // namespace crucible
