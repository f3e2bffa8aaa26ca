#pragma once
// What every layer kernel shares: row-major Eigen views over flat buffers, and a deterministic way to
// spread rows over oneTBB workers. A kernel's result must not depend on the thread count, so work is cut
// into chunks whose boundaries depend only on the problem size; each chunk is computed the same way
// whichever thread runs it, and reductions are never split across chunks.
// GCC 12 reports a false "may be used uninitialized" inside its own AVX-512 intrinsics (the deliberately
// undefined _mm512_undefined_ps operand) when Eigen's packet transpose is inlined. Middle-end warnings
// follow the location of the intrinsic header, so the suppression must cover its first inclusion.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#include <Eigen/Dense>
#pragma GCC diagnostic pop
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace spikingbert::models {

template <class Scalar>
using RowMatrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class Scalar>
using MatrixView = Eigen::Map<RowMatrix<Scalar>>;
template <class Scalar>
using ConstMatrixView = Eigen::Map<const RowMatrix<Scalar>>;
template <class Scalar>
using VectorView = Eigen::Map<Eigen::Matrix<Scalar, 1, Eigen::Dynamic>>;
template <class Scalar>
using ConstVectorView = Eigen::Map<const Eigen::Matrix<Scalar, 1, Eigen::Dynamic>>;

// Rows per parallel chunk: big enough that a chunk's matrix product amortises the task overhead.
inline constexpr std::int64_t kRowsPerChunk = 64;
// Elements per parallel chunk of an elementwise pass (sigma and sigma' over a population, a finiteness check).
inline constexpr std::int64_t kElementsPerChunk = std::int64_t{1} << 15;

// Calls body(begin, end) on fixed chunks [begin, end) of [0, count), in parallel.
template <class Body>
void for_each_chunk(std::int64_t count, std::int64_t chunk, const Body& body) {
  if (count <= 0) return;
  const std::int64_t chunks = (count + chunk - 1) / chunk;
  if (chunks == 1) {
    body(std::int64_t{0}, count);
    return;
  }
  tbb::parallel_for(std::int64_t{0}, chunks, [&](std::int64_t c) {
    body(c * chunk, std::min(count, (c + 1) * chunk));
  });
}

// Sum of squares in a fixed order (eight interleaved partial sums in double, then added in order), so the
// result does not depend on the buffer's alignment the way a vectorised Eigen reduction does.
template <class Scalar>
double sum_of_squares(const Scalar* values, std::int64_t count) {
  constexpr int kLanes = 8;
  double lanes[kLanes] = {};
  std::int64_t i = 0;
  for (; i + kLanes <= count; i += kLanes) {
    for (int k = 0; k < kLanes; ++k) lanes[k] += static_cast<double>(values[i + k]) * static_cast<double>(values[i + k]);
  }
  for (; i < count; ++i) lanes[0] += static_cast<double>(values[i]) * static_cast<double>(values[i]);
  double total = 0;
  for (int k = 0; k < kLanes; ++k) total += lanes[k];
  return total;
}

}  // namespace spikingbert::models
