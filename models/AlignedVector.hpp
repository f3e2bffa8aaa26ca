#pragma once
// The buffer type of model tensors and activations: a std::vector whose storage starts on Eigen's maximum
// alignment. Eigen's vectorised reductions and small products peel leading elements according to the
// address alignment, so with ordinary vectors the rounding (and so a training run) changed from run to run
// with where the allocator put a buffer. Fixed alignment makes every run bitwise reproducible.
#include "models/KernelSupport.hpp"

#include <vector>

namespace spikingbert::models {

template <class Scalar>
using AlignedVector = std::vector<Scalar, Eigen::aligned_allocator<Scalar>>;

}  // namespace spikingbert::models
