#pragma once
// The dense matrix products of the encoder blocks (models/Linear.hpp), row-major, in a translation unit of
// their own: Gemm.cpp is built with AVX-512 where the CPU has it (CMakeLists.txt), which doubles Eigen's
// GEMM throughput there (16-float packets), while the rest of the project keeps -mno-avx512f for the GCC
// 12.2 wrong-code bug that tests/io/test_toolchain.cpp pins down. Each call computes exactly what the Eigen
// expression in its comment computes in an AVX2 translation unit, with the summation order of Eigen's
// AVX-512 kernels; results are deterministic (no threading inside a call).
#include <cstdint>

namespace spikingbert::models {

// Defined and instantiated (float, double) in Gemm.cpp only.
// c[m][n] = a[m][k] * b[n][k]^T                    (y = x W^T of a linear layer)
template <class Scalar>
void gemm_a_bt(Scalar* c, const Scalar* a, const Scalar* b, std::int64_t m, std::int64_t k, std::int64_t n);

// c[m][n] += a[m][k] * b[k][n]                     (dx += dy W)
template <class Scalar>
void gemm_add_a_b(Scalar* c, const Scalar* a, const Scalar* b, std::int64_t m, std::int64_t k, std::int64_t n);

// c[m][n] += a[k][m]^T * b[k][n], a's rows lda apart (a block of columns of a wider matrix)   (dW += dy^T x)
template <class Scalar>
void gemm_add_at_b(Scalar* c, const Scalar* a, std::int64_t lda, const Scalar* b, std::int64_t m, std::int64_t k,
                   std::int64_t n);

}  // namespace spikingbert::models
