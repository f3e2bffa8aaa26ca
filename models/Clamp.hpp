#pragma once
// The steady-state rate of an IF neuron with subtractive reset (method doc §4):
//   sigma(v) = clamp(v / V_th, 0, 1).
// Its derivative is 1/V_th where 0 <= v/V_th <= 1 and 0 elsewhere: the bounds are inclusive, as
// torch.clamp's autograd in the reference code (method doc §5.2).
#include <algorithm>
#include <cstdint>

namespace spikingbert::models {

template <class Scalar>
void clamp_forward(Scalar* out, const Scalar* in, std::int64_t count, double threshold) {
  const Scalar vth = static_cast<Scalar>(threshold);
  for (std::int64_t i = 0; i < count; ++i) out[i] = std::clamp(in[i] / vth, Scalar(0), Scalar(1));
}

template <class Scalar>
void clamp_backward(Scalar* d_in, const Scalar* d_out, const Scalar* in, std::int64_t count, double threshold) {
  const Scalar vth = static_cast<Scalar>(threshold);
  for (std::int64_t i = 0; i < count; ++i) {
    const Scalar scaled = in[i] / vth;
    if (scaled >= Scalar(0) && scaled <= Scalar(1)) d_in[i] += d_out[i] / vth;
  }
}

}  // namespace spikingbert::models
