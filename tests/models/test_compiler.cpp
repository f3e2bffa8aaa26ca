// A guard for the build flags: GCC 12.2 targeting 512-bit vectors miscompiles some constant vectors
// (an 8 x 64-bit initializer {1,1,1,1,1,0,0,0} became eight ones). The project builds with
// -mprefer-vector-width=256 (CMakeLists.txt); this test fails if that protection is lost.
#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

TEST_CASE("compiler: 8 x 64-bit constant initializers are built correctly") {
  const std::vector<std::int64_t> mask = {1, 1, 1, 1, 1, 0, 0, 0};
  const std::vector<double> values = {1, 1, 1, 1, 1, 0, 0, 0};
  std::int64_t mask_sum = 0;
  double value_sum = 0;
  for (auto m : mask) mask_sum += m;
  for (auto v : values) value_sum += v;
  CHECK(mask_sum == 5);
  CHECK(value_sum == 5.0);
  CHECK(mask[7] == 0);
  CHECK(values[5] == 0.0);
}
