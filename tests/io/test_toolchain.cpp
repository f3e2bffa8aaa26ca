// Guards against a wrong-code bug of the compiler this project is built with, which silently
// corrupted test expectations before it was found: GCC 12.2 with AVX-512 enabled (-march=native on an
// AVX-512 machine) stores the constant {1, 1, 1, 1, 1, 1, 0, 0} as eight ones. CMakeLists.txt adds
// -mno-avx512f to -march=native for that reason; this test fails if the bug is back.
#include <catch2/catch.hpp>

#include <cstdint>
#include <numeric>
#include <vector>

TEST_CASE("the compiler keeps constant initialisers intact", "[io][toolchain]") {
  const std::vector<std::int32_t> mask{1, 1, 1, 1, 1, 1, 0, 0};
  CHECK(std::accumulate(mask.begin(), mask.end(), 0) == 6);
  CHECK(mask[6] == 0);
  CHECK(mask[7] == 0);
}
