#include "io/HalfFloat.hpp"

#include <catch2/catch.hpp>

#include <bit>
#include <cmath>
#include <cstdint>

using namespace spikingbert::io;

namespace {
// binary16 value from its definition: (-1)^s * (e == 0 ? m * 2^-24 : (1024 + m) * 2^(e - 25)).
double half_by_definition(std::uint16_t bits) {
  const int sign = bits >> 15;
  const int exponent = (bits >> 10) & 0x1f;
  const int mantissa = bits & 0x3ff;
  const double magnitude = exponent == 0 ? std::ldexp(mantissa, -24) : std::ldexp(1024 + mantissa, exponent - 25);
  return sign ? -magnitude : magnitude;
}
}  // namespace

TEST_CASE("half_to_float is exact for every finite F16 bit pattern", "[io][half]") {
  int checked = 0;
  for (std::uint32_t bits = 0; bits <= 0xffff; ++bits) {
    const auto half = static_cast<std::uint16_t>(bits);
    const int exponent = (half >> 10) & 0x1f;
    const float value = half_to_float(half);
    if (exponent == 0x1f) {
      if ((half & 0x3ff) == 0) {
        CHECK(std::isinf(value));
        CHECK(std::signbit(value) == bool(half >> 15));
      } else {
        CHECK(std::isnan(value));
      }
      continue;
    }
    REQUIRE(static_cast<double>(value) == half_by_definition(half));
    REQUIRE(std::signbit(value) == bool(half >> 15));  // -0 stays -0
    REQUIRE(float_to_half(value) == half);              // and narrowing gives the same bits back
    ++checked;
  }
  CHECK(checked == 2 * 31 * 1024);
}

TEST_CASE("float_to_half rounds to nearest even, overflows to infinity", "[io][half]") {
  CHECK(float_to_half(1.0f + std::ldexp(1.0f, -11)) == 0x3c00);      // halfway, even stays down
  CHECK(float_to_half(1.0f + 3 * std::ldexp(1.0f, -11)) == 0x3c02);  // halfway, odd rounds up
  CHECK(float_to_half(1.0f + std::ldexp(1.0f, -11) + std::ldexp(1.0f, -20)) == 0x3c01);  // above halfway
  CHECK(float_to_half(65504.0f) == 0x7bff);
  CHECK(float_to_half(65519.99f) == 0x7bff);
  CHECK(float_to_half(65520.0f) == 0x7c00);
  CHECK(float_to_half(-1e10f) == 0xfc00);
  CHECK(float_to_half(std::ldexp(1.0f, -25)) == 0x0000);      // halfway to the smallest subnormal: even = 0
  CHECK(float_to_half(3 * std::ldexp(1.0f, -25)) == 0x0002);  // 1.5 ulp -> 2
  CHECK(float_to_half(std::ldexp(1023.5f, -24)) == 0x0400);   // rounds up into the smallest normal
  CHECK(float_to_half(-0.0f) == 0x8000);
  CHECK((float_to_half(std::nanf("")) & 0x7c00) == 0x7c00);
  CHECK((float_to_half(std::nanf("")) & 0x03ff) != 0);
}

TEST_CASE("bfloat16 widens exactly and narrows to nearest even", "[io][half]") {
  CHECK(bfloat16_to_float(0x3f80) == 1.0f);
  CHECK(bfloat16_to_float(0xc0a0) == -5.0f);
  CHECK(bfloat16_to_float(0x3eab) == 0.333984375f);
  CHECK(bfloat16_to_float(0x0001) == std::bit_cast<float>(0x00010000u));  // subnormal
  CHECK(std::isinf(bfloat16_to_float(0xff80)));
  CHECK(std::isnan(bfloat16_to_float(0x7fc0)));
  CHECK(float_to_bfloat16(std::bit_cast<float>(0x3f808000u)) == 0x3f80);  // halfway, even stays down
  CHECK(float_to_bfloat16(std::bit_cast<float>(0x3f818000u)) == 0x3f82);  // halfway, odd rounds up
  CHECK(float_to_bfloat16(std::bit_cast<float>(0x3f808001u)) == 0x3f81);
  CHECK(std::isnan(bfloat16_to_float(float_to_bfloat16(std::nanf("")))));
}
