#include "io/HalfFloat.hpp"

#include <bit>
#include <cmath>

namespace spikingbert::io {
namespace {
// binary16: 1 sign bit, 5 exponent bits (bias 15), 10 mantissa bits.
// binary32: 1 sign bit, 8 exponent bits (bias 127), 23 mantissa bits.
constexpr std::uint32_t kHalfExponentMask = 0x1f;
constexpr std::uint32_t kHalfMantissaMask = 0x3ff;
constexpr int kHalfMantissaBits = 10;
constexpr int kFloatMantissaBits = 23;
constexpr int kMantissaShift = kFloatMantissaBits - kHalfMantissaBits;  // 13
constexpr std::uint32_t kExponentBiasDifference = 127 - 15;            // 112
constexpr int kHalfSubnormalScaleLog2 = -24;                           // value of the last subnormal bit
constexpr std::uint32_t kFloatInfinityBits = 0x7f800000;
constexpr std::uint32_t kFloatAbsMask = 0x7fffffff;
// Smallest float that rounds (ties to even) to half infinity: halfway between 65504 and 65536.
constexpr std::uint32_t kHalfOverflowThresholdBits = 0x477ff000;  // 65520.0f
// Smallest normal half, 2^-14, as float bits.
constexpr std::uint32_t kHalfMinNormalBits = 0x38800000;
}  // namespace

float half_to_float(std::uint16_t bits) {
  const std::uint32_t sign = static_cast<std::uint32_t>(bits & 0x8000) << 16;
  const std::uint32_t exponent = (bits >> kHalfMantissaBits) & kHalfExponentMask;
  const std::uint32_t mantissa = bits & kHalfMantissaMask;
  if (exponent == 0) {
    // Zero or subnormal: mantissa * 2^-24, exact in float32 (at most 10 significant bits).
    const float magnitude = std::ldexp(static_cast<float>(mantissa), kHalfSubnormalScaleLog2);
    return std::bit_cast<float>(sign | std::bit_cast<std::uint32_t>(magnitude));
  }
  if (exponent == kHalfExponentMask) {  // infinity (mantissa 0) or NaN (payload kept)
    return std::bit_cast<float>(sign | kFloatInfinityBits | (mantissa << kMantissaShift));
  }
  return std::bit_cast<float>(sign | ((exponent + kExponentBiasDifference) << kFloatMantissaBits) |
                              (mantissa << kMantissaShift));
}

float bfloat16_to_float(std::uint16_t bits) {
  // bfloat16 is the upper half of a float32.
  return std::bit_cast<float>(static_cast<std::uint32_t>(bits) << 16);
}

std::uint16_t float_to_half(float value) {
  const std::uint32_t bits = std::bit_cast<std::uint32_t>(value);
  const std::uint32_t sign = (bits >> 16) & 0x8000;
  const std::uint32_t magnitude = bits & kFloatAbsMask;
  if (magnitude > kFloatInfinityBits) {  // NaN: keep the top payload bits, force a quiet NaN
    return static_cast<std::uint16_t>(sign | 0x7c00 | 0x200 | ((magnitude >> kMantissaShift) & kHalfMantissaMask));
  }
  if (magnitude >= kHalfOverflowThresholdBits) return static_cast<std::uint16_t>(sign | 0x7c00);
  if (magnitude < kHalfMinNormalBits) {
    // Subnormal or zero: round |value| * 2^24 to the nearest integer, ties to even (the default
    // rounding mode). The product is exact in float32. 1024 becomes the smallest normal, 0x0400.
    const float scaled = std::ldexp(std::bit_cast<float>(magnitude), -kHalfSubnormalScaleLog2);
    return static_cast<std::uint16_t>(sign | static_cast<std::uint32_t>(std::nearbyint(scaled)));
  }
  const std::uint32_t exponent = (magnitude >> kFloatMantissaBits) - kExponentBiasDifference;
  const std::uint32_t mantissa = magnitude & 0x7fffff;
  std::uint32_t half = (exponent << kHalfMantissaBits) | (mantissa >> kMantissaShift);
  const std::uint32_t remainder = mantissa & ((1u << kMantissaShift) - 1);
  const std::uint32_t halfway = 1u << (kMantissaShift - 1);
  // A carry out of the mantissa correctly increments the exponent.
  if (remainder > halfway || (remainder == halfway && (half & 1u))) ++half;
  return static_cast<std::uint16_t>(sign | half);
}

std::uint16_t float_to_bfloat16(float value) {
  const std::uint32_t bits = std::bit_cast<std::uint32_t>(value);
  if ((bits & kFloatAbsMask) > kFloatInfinityBits) {  // NaN: truncate and keep it quiet
    return static_cast<std::uint16_t>((bits >> 16) | 0x40);
  }
  const std::uint32_t rounding_bias = 0x7fff + ((bits >> 16) & 1u);  // ties to even
  return static_cast<std::uint16_t>((bits + rounding_bias) >> 16);
}

}  // namespace spikingbert::io
