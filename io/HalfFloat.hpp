#pragma once
// Exact conversions between IEEE 754 binary16 (F16), bfloat16 (BF16) and float32.
// Widening is exact for every bit pattern (zeros, subnormals, normals, infinities; NaNs stay NaN
// with their sign and payload bits). Narrowing rounds to nearest, ties to even, as torch and numpy do.
#include <cstdint>

namespace spikingbert::io {

float half_to_float(std::uint16_t bits);
float bfloat16_to_float(std::uint16_t bits);
std::uint16_t float_to_half(float value);
std::uint16_t float_to_bfloat16(float value);

}  // namespace spikingbert::io
