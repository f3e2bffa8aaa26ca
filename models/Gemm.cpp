#include "models/Gemm.hpp"

// This file is compiled with other instruction-set flags than the rest of the project (AVX-512), so its
// instantiations of Eigen's templates must not share names with theirs: the linker keeps one copy of each
// inline or template function, and could otherwise hand the AVX2 files AVX-512 code (or this file AVX2
// code, or the event kernel a GEMM blocked differently from sim/DepthBlocking.cpp's). Renaming Eigen's
// namespace for this translation unit gives all of its symbols names of their own. No other project header
// that includes Eigen may be included here.
#define Eigen spikingbert_gemm_eigen
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // GCC 12 false positives in Eigen's AVX-512 code
#include <Eigen/Core>
#pragma GCC diagnostic pop

namespace spikingbert::models {

namespace {

template <class Scalar>
using RowMatrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class Scalar>
using View = Eigen::Map<RowMatrix<Scalar>>;
template <class Scalar>
using ConstView = Eigen::Map<const RowMatrix<Scalar>>;
template <class Scalar>
using ConstStridedView = Eigen::Map<const RowMatrix<Scalar>, 0, Eigen::OuterStride<>>;

}  // namespace

template <class Scalar>
void gemm_a_bt(Scalar* c, const Scalar* a, const Scalar* b, std::int64_t m, std::int64_t k, std::int64_t n) {
  View<Scalar>(c, m, n).noalias() = ConstView<Scalar>(a, m, k) * ConstView<Scalar>(b, n, k).transpose();
}

template <class Scalar>
void gemm_add_a_b(Scalar* c, const Scalar* a, const Scalar* b, std::int64_t m, std::int64_t k, std::int64_t n) {
  View<Scalar>(c, m, n).noalias() += ConstView<Scalar>(a, m, k) * ConstView<Scalar>(b, k, n);
}

template <class Scalar>
void gemm_add_at_b(Scalar* c, const Scalar* a, std::int64_t lda, const Scalar* b, std::int64_t m, std::int64_t k,
                   std::int64_t n) {
  View<Scalar>(c, m, n).noalias() +=
      ConstStridedView<Scalar>(a, k, m, Eigen::OuterStride<>(lda)).transpose() * ConstView<Scalar>(b, k, n);
}

template void gemm_a_bt(float*, const float*, const float*, std::int64_t, std::int64_t, std::int64_t);
template void gemm_a_bt(double*, const double*, const double*, std::int64_t, std::int64_t, std::int64_t);
template void gemm_add_a_b(float*, const float*, const float*, std::int64_t, std::int64_t, std::int64_t);
template void gemm_add_a_b(double*, const double*, const double*, std::int64_t, std::int64_t, std::int64_t);
template void gemm_add_at_b(float*, const float*, std::int64_t, const float*, std::int64_t, std::int64_t, std::int64_t);
template void gemm_add_at_b(double*, const double*, std::int64_t, const double*, std::int64_t, std::int64_t,
                            std::int64_t);

}  // namespace spikingbert::models
