#include "sim/DepthBlocking.hpp"

#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // GCC 12 false positives in Eigen's AVX-512 code
#include <Eigen/Core>

namespace spikingbert::sim {

namespace {
constexpr int kPacket = Eigen::internal::packet_traits<float>::size;  // floats per SIMD register Eigen uses
}

int dense_partition_columns() { return 12 * kPacket; }

int padded_partition_rows(int columns) {
  // Smallest m >= columns with m % (3 packets) in {0, 2 packets}: only Eigen's 3- and 2-packet
  // kernels run, and both sum in order (checked for many sizes by the dense-vs-event tests).
  int m = (columns + kPacket - 1) / kPacket * kPacket;
  while (m % (3 * kPacket) != 0 && m % (3 * kPacket) != 2 * kPacket) m += kPacket;
  return m;
}

int depth_block(int inputs, int padded_rows, int rows) {
  // Same blocking object (and thus the same kc) as DenseKernel's GEMM call.
  Eigen::internal::gemm_blocking_space<Eigen::ColMajor, float, float, Eigen::Dynamic, Eigen::Dynamic, Eigen::Dynamic, 1,
                                       false>
      blocking(padded_rows, rows, inputs, 1, true);
  return static_cast<int>(blocking.kc());
}

}  // namespace spikingbert::sim
