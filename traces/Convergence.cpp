#include "traces/Convergence.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace spikingbert::traces {

ResidualNorms residual_norms(std::span<const float> running_asr, std::span<const float> steady_state) {
  if (running_asr.size() != steady_state.size()) {
    throw std::invalid_argument("residual_norms: running ASR and steady state differ in length");
  }
  ResidualNorms norms;
  if (running_asr.empty()) return norms;
  double sum = 0.0;  // in double: the mean over up to ~10^5 neurons must not lose the small residuals
  for (std::size_t i = 0; i < running_asr.size(); ++i) {
    const double difference = std::abs(static_cast<double>(running_asr[i]) - static_cast<double>(steady_state[i]));
    sum += difference;
    norms.max_abs = std::max(norms.max_abs, difference);
  }
  norms.mean_abs = sum / static_cast<double>(running_asr.size());
  return norms;
}

std::optional<std::int64_t> convergence_step(std::span<const double> residual, double tolerance) {
  // Walk back from the end while residuals are below tolerance (NaN compares false: not below).
  std::int64_t first_settled = static_cast<std::int64_t>(residual.size());
  while (first_settled > 0 && residual[static_cast<std::size_t>(first_settled - 1)] < tolerance) --first_settled;
  if (first_settled == static_cast<std::int64_t>(residual.size())) return std::nullopt;
  return first_settled;
}

double residual_floor(std::span<const double> residual, double tail_fraction) {
  if (residual.empty()) throw std::invalid_argument("residual_floor: empty series");
  if (!(tail_fraction > 0.0 && tail_fraction <= 1.0)) {
    throw std::invalid_argument("residual_floor: tail_fraction must be in (0, 1]");
  }
  const auto count = std::max<std::size_t>(
      1, static_cast<std::size_t>(std::ceil(tail_fraction * static_cast<double>(residual.size()))));
  std::vector<double> tail(residual.end() - static_cast<std::ptrdiff_t>(count), residual.end());
  std::sort(tail.begin(), tail.end());
  const auto middle = tail.size() / 2;
  return tail.size() % 2 == 1 ? tail[middle] : 0.5 * (tail[middle - 1] + tail[middle]);
}

std::vector<SublayerConvergence> analyse_convergence(const std::vector<std::string>& names,
                                                     const std::vector<std::vector<double>>& residuals,
                                                     double tolerance) {
  if (names.size() != residuals.size()) throw std::invalid_argument("analyse_convergence: names and series differ");
  std::vector<SublayerConvergence> report;
  for (std::size_t i = 0; i < names.size(); ++i) {
    SublayerConvergence entry;
    entry.name = names[i];
    entry.converged_at = convergence_step(residuals[i], tolerance);
    entry.floor = residual_floor(residuals[i]);
    entry.final_residual = residuals[i].back();
    report.push_back(entry);
  }
  return report;
}

bool InverseTCheck::falls_like_inverse_t(double spread, double slope_tolerance) const {
  return scaled_min > 0.0 && scaled_max / scaled_min <= spread && std::abs(log_log_slope + 1.0) <= slope_tolerance;
}

InverseTCheck check_inverse_t(std::span<const std::int64_t> steps, std::span<const double> residual) {
  if (steps.size() != residual.size() || steps.size() < 2) {
    throw std::invalid_argument("check_inverse_t: need at least two (T, r) pairs of equal count");
  }
  InverseTCheck check;
  double mean_x = 0.0, mean_y = 0.0;
  const auto n = static_cast<double>(steps.size());
  for (std::size_t i = 0; i < steps.size(); ++i) {
    if (steps[i] <= 0 || !(residual[i] > 0.0)) throw std::invalid_argument("check_inverse_t: T and r must be > 0");
    check.scaled.push_back(static_cast<double>(steps[i]) * residual[i]);
    mean_x += std::log(static_cast<double>(steps[i])) / n;
    mean_y += std::log(residual[i]) / n;
  }
  double covariance = 0.0, variance = 0.0;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const double dx = std::log(static_cast<double>(steps[i])) - mean_x;
    covariance += dx * (std::log(residual[i]) - mean_y);
    variance += dx * dx;
  }
  if (variance == 0.0) throw std::invalid_argument("check_inverse_t: all T are equal");
  check.log_log_slope = covariance / variance;
  check.scaled_min = *std::min_element(check.scaled.begin(), check.scaled.end());
  check.scaled_max = *std::max_element(check.scaled.begin(), check.scaled.end());
  return check;
}

StoppingRule::StoppingRule(double tolerance, std::int64_t patience) : tolerance_(tolerance), patience_(patience) {
  if (!(tolerance > 0.0) || patience < 1) throw std::invalid_argument("StoppingRule: tolerance > 0, patience >= 1");
}

bool StoppingRule::observe(std::int64_t predicted_label, double residual) {
  const bool same_label = has_label_ && predicted_label == last_label_;
  // A changed label restarts the count at this step; a residual at or above tolerance (or NaN) resets it.
  if (residual < tolerance_) {
    stable_steps_ = same_label ? stable_steps_ + 1 : 1;
  } else {
    stable_steps_ = 0;
  }
  last_label_ = predicted_label;
  has_label_ = true;
  return stable_steps_ >= patience_;
}

void StoppingRule::reset() {
  stable_steps_ = 0;
  last_label_ = -1;
  has_label_ = false;
}

}  // namespace spikingbert::traces
