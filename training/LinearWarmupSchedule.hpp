#pragma once
// Learning-rate multiplier: linear warm-up to 1, then linear decay to 0 (BertAdam's warmup_linear,
// method doc §6.4): with p = step / total_steps and w the warm-up fraction,
//   multiplier = p / w if p < w, else max((p - 1) / (w - 1), 0).
// The step is the optimiser's count *before* its increment, so the very first update uses multiplier 0
// when w > 0, exactly as the reference.
#include <algorithm>
#include <cstdint>

namespace spikingbert::training {

struct LinearWarmupSchedule {
  std::int64_t total_steps = 1;
  double warmup_fraction = 0.1;
  bool constant = false;  // the reference's schedule 'none' (method doc §6.4, task IKD)

  double multiplier(std::int64_t step) const {
    if (constant) return 1.0;
    const double progress = static_cast<double>(step) / static_cast<double>(std::max<std::int64_t>(total_steps, 1));
    if (progress < warmup_fraction) return progress / warmup_fraction;
    return std::max((progress - 1.0) / (warmup_fraction - 1.0), 0.0);
  }
};

}  // namespace spikingbert::training
