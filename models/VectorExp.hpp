#pragma once
// exp on float32, 8 lanes at a time, bit for bit equal to the C library's scalar expf (std::exp(float)) on
// every input, for the attention softmax (method doc §1.3) and the erf tail (models/VectorErf.hpp).
// Reproduced: glibc 2.27-2.40's expf as its x86-64 "fma" ifunc variant computes it (the Arm
// optimized-routines algorithm: x N/ln2 = k + r in double with fused multiply-adds, 2^(k/N) from a
// 32-entry table, a cubic in r, one rounding to float); lanes outside its table path (overflow, underflow
// to 0, inf, NaN) take the scalar std::exp. Only where that is the library behind std::exp (glibc 2.27-2.40,
// x86-64 with AVX2 and FMA); elsewhere every call is std::exp. `spikingbert bench --vector-math` compares
// all 2^32 inputs; tests/models/test_vector_erf.cpp samples them.
#include <cstddef>

#if defined(__AVX2__) && defined(__FMA__) && defined(__x86_64__) && defined(__GLIBC__) && __GLIBC__ == 2 && \
    __GLIBC_MINOR__ >= 27 && __GLIBC_MINOR__ <= 40
#define SPIKINGBERT_VECTOR_EXP 1
#include <immintrin.h>
#endif

namespace spikingbert::models {

// out[i] = std::exp(in[i]) for i < count, bit for bit; in and out may be the same array.
void exp_float(const float* in, float* out, std::size_t count);

#ifdef SPIKINGBERT_VECTOR_EXP
// exp of each lane, bit for bit std::exp(float), any input.
__m256 exp8(__m256 x);
// The same for lanes known to lie in [log(2^-150), log(2^128)] (no special case is checked).
__m256 exp8_in_range(__m256 x);
#endif

}  // namespace spikingbert::models
