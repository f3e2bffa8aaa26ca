#include "models/VectorMathCheck.hpp"

#include "models/VectorErf.hpp"
#include "models/VectorExp.hpp"

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <thread>

namespace spikingbert::models {

namespace {

constexpr std::size_t kChunk = 1 << 16;  // inputs per batch: fits L1/L2 with its two result arrays

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Compares one chunk (patterns already in `input`), adding to `result`.
void check_chunk(VectorMathFunction function, const std::vector<float>& input, std::size_t n, std::vector<float>& vector_out,
                 std::vector<float>& library_out, VectorMathCheckResult& result) {
  auto start = std::chrono::steady_clock::now();
  if (function == VectorMathFunction::erf) erf_float(input.data(), vector_out.data(), n);
  else exp_float(input.data(), vector_out.data(), n);
  result.vector_seconds += seconds_since(start);
  start = std::chrono::steady_clock::now();
  if (function == VectorMathFunction::erf)
    for (std::size_t i = 0; i < n; ++i) library_out[i] = std::erf(input[i]);
  else
    for (std::size_t i = 0; i < n; ++i) library_out[i] = std::exp(input[i]);
  result.library_seconds += seconds_since(start);
  for (std::size_t i = 0; i < n; ++i) {
    if (std::bit_cast<std::uint32_t>(vector_out[i]) == std::bit_cast<std::uint32_t>(library_out[i])) continue;
    ++result.mismatches;
    if (result.first_mismatches.size() < VectorMathCheckResult::kMaxListed)
      result.first_mismatches.push_back(std::bit_cast<std::uint32_t>(input[i]));
  }
  result.inputs += n;
}

void merge(VectorMathCheckResult& into, const VectorMathCheckResult& part) {
  into.inputs += part.inputs;
  into.mismatches += part.mismatches;
  for (auto pattern : part.first_mismatches)
    if (into.first_mismatches.size() < VectorMathCheckResult::kMaxListed) into.first_mismatches.push_back(pattern);
  into.vector_seconds += part.vector_seconds;
  into.library_seconds += part.library_seconds;
}

}  // namespace

VectorMathCheckResult check_vector_math_range(VectorMathFunction function, std::uint64_t first, std::uint64_t count, int threads) {
  const std::uint64_t chunks = (count + kChunk - 1) / kChunk;
  const int workers = static_cast<int>(std::clamp<std::uint64_t>(static_cast<std::uint64_t>(std::max(threads, 1)), 1, std::max<std::uint64_t>(chunks, 1)));
  std::vector<VectorMathCheckResult> parts(static_cast<std::size_t>(workers));
  const auto work = [&](int w) {
    std::vector<float> input(kChunk), vector_out(kChunk), library_out(kChunk);
    // Chunks interleaved between workers; each worker's list of mismatches stays in input order.
    for (std::uint64_t c = static_cast<std::uint64_t>(w); c < chunks; c += static_cast<std::uint64_t>(workers)) {
      const std::uint64_t begin = first + c * kChunk;
      const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, first + count - begin));
      for (std::size_t i = 0; i < n; ++i) input[i] = std::bit_cast<float>(static_cast<std::uint32_t>(begin + i));
      check_chunk(function, input, n, vector_out, library_out, parts[static_cast<std::size_t>(w)]);
    }
  };
  std::vector<std::thread> pool;
  for (int w = 1; w < workers; ++w) pool.emplace_back(work, w);
  work(0);
  for (auto& thread : pool) thread.join();
  VectorMathCheckResult result;
  for (const auto& part : parts) merge(result, part);
  return result;
}

VectorMathCheckResult check_vector_math_inputs(VectorMathFunction function, const std::vector<std::uint32_t>& patterns) {
  VectorMathCheckResult result;
  std::vector<float> input(kChunk), vector_out(kChunk), library_out(kChunk);
  for (std::size_t begin = 0; begin < patterns.size(); begin += kChunk) {
    const std::size_t n = std::min(kChunk, patterns.size() - begin);
    for (std::size_t i = 0; i < n; ++i) input[i] = std::bit_cast<float>(patterns[begin + i]);
    check_chunk(function, input, n, vector_out, library_out, result);
  }
  return result;
}

}  // namespace spikingbert::models
