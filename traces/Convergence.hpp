#pragma once
// Convergence analysis of spiking rates (issue 4 item 2, method doc §9.3 and §10 tests 2-3), as plain
// functions on residual series. A residual series r(t), t = 0..T-1, is ‖a_j(t) − f_j(a(t))‖ of one
// sub-layer j: its running ASR against its steady-state equation (method doc §4) evaluated at the
// current ASRs of its inputs. Linear sub-layers decay like 1/T; nonlinear ones (attention, LayerNorm,
// GELU) keep a floor that does not vanish (method doc §9.3). These functions report both.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace spikingbert::traces {

// Mean absolute and maximum absolute difference between running ASRs and the steady-state values
// f_j(a) of the same neurons (equal lengths; empty input gives zeros).
struct ResidualNorms {
  double mean_abs = 0.0;
  double max_abs = 0.0;
};
ResidualNorms residual_norms(std::span<const float> running_asr, std::span<const float> steady_state);

// The tolerance a sub-layer's mean absolute residual must stay below to count as converged, unless the
// user gives another (`run --converge-tol`): 0.01 is one spike per hundred steps of difference per neuron.
inline constexpr double kDefaultConvergenceTolerance = 0.01;

// The first step from which every later residual stays strictly below `tolerance`; nullopt if the
// last residual is not below it (never settled). NaN counts as "not below".
std::optional<std::int64_t> convergence_step(std::span<const double> residual, double tolerance);

// The residual floor: the median of the last `tail_fraction` of the series (at least one value).
// method doc §9.3: nonlinear sub-layers keep this floor; linear ones drive it towards 0 as T grows.
inline constexpr double kDefaultFloorTailFraction = 0.25;
double residual_floor(std::span<const double> residual, double tail_fraction = kDefaultFloorTailFraction);

struct SublayerConvergence {
  std::string name;
  std::optional<std::int64_t> converged_at;  // convergence_step(residual, tolerance)
  double floor = 0.0;                        // residual_floor(residual)
  double final_residual = 0.0;               // residual at the last step
};
// One entry per named series (names and series have equal length).
std::vector<SublayerConvergence> analyse_convergence(const std::vector<std::string>& names,
                                                     const std::vector<std::vector<double>>& residuals,
                                                     double tolerance);

// The 1/T check of method doc §10 test 2: given residuals r(T) measured at several T, the products
// T·r(T) stay roughly constant and the log-log slope of r against T is about −1.
struct InverseTCheck {
  std::vector<double> scaled;   // T·r(T) for each T
  double scaled_min = 0.0;
  double scaled_max = 0.0;
  double log_log_slope = 0.0;   // least-squares slope of log r against log T
  // True when max/min of T·r is at most `spread` and the slope lies within `slope_tolerance` of −1.
  bool falls_like_inverse_t(double spread, double slope_tolerance) const;
};
InverseTCheck check_inverse_t(std::span<const std::int64_t> steps, std::span<const double> residual);

// Adaptive time steps (issue 4 item 3): stop an example once the predicted label has not changed and
// the residual of the watched sub-layer (the last Output sub-layer) has stayed below `tolerance`
// for `patience` consecutive steps.
class StoppingRule {
 public:
  StoppingRule(double tolerance, std::int64_t patience);
  // Feed one step; returns true when the example may stop after this step.
  bool observe(std::int64_t predicted_label, double residual);
  void reset();
  std::int64_t stable_steps() const { return stable_steps_; }

 private:
  double tolerance_;
  std::int64_t patience_;
  std::int64_t stable_steps_ = 0;
  std::int64_t last_label_ = -1;
  bool has_label_ = false;
};

}  // namespace spikingbert::traces
