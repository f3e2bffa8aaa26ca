#pragma once
// erf on float32, 8 lanes at a time, bit for bit equal to the C library's scalar erff (std::erf(float)) on
// every input, so the event kernel's GELU (method doc §1.1, §1.3) keeps every spike of the scalar code.
//
// Why a copy of the algorithm and not libmvec: libmvec's vector erff differs from the scalar erff by an ulp
// on some inputs, which moves spikes at threshold ties; a faster erf is only allowed if it changes nothing.
// What is reproduced is glibc 2.27-2.40's erff (the SunPro/fdlibm rational approximations in float32
// arithmetic, without fused multiply-adds) and the expf it calls on x86-64 CPUs with FMA (glibc's "fma"
// ifunc variant of the Arm optimized-routines expf: double arithmetic, 32-entry 2^(i/32) table, cubic).
// The vector path exists only where that is the library behind std::erf (glibc 2.27-2.40 on x86-64 with
// AVX2 and FMA); elsewhere every call is the scalar std::erf. `spikingbert bench --vector-math` compares
// all 2^32 float inputs; tests/models/test_vector_erf.cpp samples millions, with every range boundary.
#include <cmath>
#include <cstddef>
#include <cstdint>

#if defined(__AVX2__) && defined(__FMA__) && defined(__x86_64__) && defined(__GLIBC__) && __GLIBC__ == 2 && \
    __GLIBC_MINOR__ >= 27 && __GLIBC_MINOR__ <= 40
#define SPIKINGBERT_VECTOR_ERF 1
#include <immintrin.h>
#endif

namespace spikingbert::models {

// True when erf_float below runs 8 lanes at a time (false: it calls std::erf per value).
constexpr bool kVectorErf =
#ifdef SPIKINGBERT_VECTOR_ERF
    true;
#else
    false;
#endif

// out[i] = std::erf(in[i]) for i < count, bit for bit; in and out may be the same array.
void erf_float(const float* in, float* out, std::size_t count);

#ifdef SPIKINGBERT_VECTOR_ERF
// erf of each of 8 lanes, bit for bit std::erf(float). Defined in VectorErf.cpp (compiled with
// -ffp-contract=off like the whole project, which the float arithmetic relies on).
__m256 erf8(__m256 x);
// The same for two vectors in place, their computations interleaved (faster per value than two erf8).
void erf16(__m256& low, __m256& high);
#endif

}  // namespace spikingbert::models
