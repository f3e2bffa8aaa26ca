#include "sim/SparseProduct.hpp"

#include "sim/DepthBlocking.hpp"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <array>
#include <utility>
#include <cstring>
#include <vector>

namespace spikingbert::sim {

namespace {

// One SIMD register of float32 lanes: 16 with AVX-512 (this file is built with it where the CPU has it),
// else 8 (AVX2). aligned(4) allows loads from any float address. Each column's sum is the same chain of
// float adds whatever the register width, so the results do not depend on it.
#if defined(__AVX512F__)
using Register = float __attribute__((vector_size(64), aligned(4)));
constexpr int kLaneWidth = 16;
constexpr int kRegisters = 32;
#else
using Register = float __attribute__((vector_size(32), aligned(4)));
constexpr int kLaneWidth = 8;
constexpr int kRegisters = 16;
#endif
// Column block of the event kernel: up to 12 registers of floats accumulate in registers. A task sweeps
// its frames once per depth block, so the weight panel (depth block x 192 floats, about 600 KB) stays
// in L2 while all frames of the chunk use it.
constexpr int kMaxLanes = 12;
// Two frames walked side by side need twice the accumulators: only when they fit the register file
// (with room for the loaded rows), else one frame at a time.
constexpr int kMaxPairedLanes = kRegisters / 2 - 2;
// Frames per partition: enough reuse of the weight panel, and enough tasks for load balance.
constexpr int kFrameChunk = 256;

// The widest column block (a multiple of 16 floats, at most kMaxLanes vectors) dividing a dense partition.
int column_block_width() {
  const int partition = dense_partition_columns();
  for (int lanes = kMaxLanes; lanes > 1; --lanes)
    if (partition % (lanes * kLaneWidth) == 0) return lanes * kLaneWidth;
  return kLaneWidth;
}

// Adds the weight row of every spike in [spike, end) below `block_end` to `sum`, ascending; returns the
// first spike not added.
template <int Lanes>
inline const std::uint32_t* add_rows(const std::uint32_t* spike, const std::uint32_t* end, std::uint32_t block_end,
                                     const float* panel, int panel_stride, Register* sum) {
  for (; spike != end && *spike < block_end; ++spike) {
    const float* row = panel + static_cast<std::size_t>(*spike) * static_cast<std::size_t>(panel_stride);
    for (int l = 0; l < Lanes; ++l) sum[l] += *reinterpret_cast<const Register*>(row + l * kLaneWidth);
  }
  return spike;
}

template <int Lanes>
inline void store_block_sum(const Register* sum, bool first_block, float* destination_floats) {
  auto* destination = reinterpret_cast<Register*>(destination_floats);
  if (first_block) {
    for (int l = 0; l < Lanes; ++l) destination[l] = sum[l];  // 0 + first block sum, exactly
  } else {
    for (int l = 0; l < Lanes; ++l) destination[l] += sum[l];
  }
}

// current[f][column .. column + kLaneWidth*Lanes) for frames [frame_begin, frame_end): per depth block, the
// ascending sum of the spiking rows, added to the running total in block order.
// Every column's sum is one chain of dependent float adds (its order fixes the rounding), so one frame
// alone keeps only Lanes chains in flight; two frames are walked side by side to double that when the
// accumulators of both fit in registers (kMaxPairedLanes).
template <int Lanes>
void accumulate_columns(const FrameSpikes* frames, int frame_begin, int frame_end, const float* panel, int panel_stride,
                        int inputs, int outputs, int column, int depth_block, float* current) {
  const std::uint32_t* cursor[kFrameChunk];
  for (int f = frame_begin; f < frame_end; ++f) cursor[f - frame_begin] = frames[f].index;
  const auto destination = [&](int f) {
    return current + static_cast<std::size_t>(f) * static_cast<std::size_t>(outputs) + column;
  };
  for (int block_start = 0; block_start < inputs; block_start += depth_block) {
    const auto block_end = static_cast<std::uint32_t>(std::min(inputs, block_start + depth_block));
    int f = frame_begin;
    for (; Lanes <= kMaxPairedLanes && f + 1 < frame_end; f += 2) {
      Register first[Lanes], second[Lanes];
      for (int l = 0; l < Lanes; ++l) first[l] = second[l] = Register{};
      const std::uint32_t* a = cursor[f - frame_begin];
      const std::uint32_t* b = cursor[f + 1 - frame_begin];
      const std::uint32_t* const a_end = frames[f].index + frames[f].count;
      const std::uint32_t* const b_end = frames[f + 1].index + frames[f + 1].count;
      for (; a != a_end && *a < block_end && b != b_end && *b < block_end; ++a, ++b) {
        const float* row_a = panel + static_cast<std::size_t>(*a) * static_cast<std::size_t>(panel_stride);
        const float* row_b = panel + static_cast<std::size_t>(*b) * static_cast<std::size_t>(panel_stride);
        for (int l = 0; l < Lanes; ++l) {
          first[l] += *reinterpret_cast<const Register*>(row_a + l * kLaneWidth);
          second[l] += *reinterpret_cast<const Register*>(row_b + l * kLaneWidth);
        }
      }
      cursor[f - frame_begin] = add_rows<Lanes>(a, a_end, block_end, panel, panel_stride, first);
      cursor[f + 1 - frame_begin] = add_rows<Lanes>(b, b_end, block_end, panel, panel_stride, second);
      store_block_sum<Lanes>(first, block_start == 0, destination(f));
      store_block_sum<Lanes>(second, block_start == 0, destination(f + 1));
    }
    for (; f < frame_end; ++f) {
      Register sum[Lanes];
      for (int l = 0; l < Lanes; ++l) sum[l] = Register{};
      cursor[f - frame_begin] = add_rows<Lanes>(cursor[f - frame_begin], frames[f].index + frames[f].count, block_end,
                                                panel, panel_stride, sum);
      store_block_sum<Lanes>(sum, block_start == 0, destination(f));
    }
  }
}

// Columns beyond the last multiple of 16: the same sums, one column at a time.
void accumulate_columns_tail(const FrameSpikes* frames, int frame_begin, int frame_end, const float* panel,
                             int panel_stride, int inputs, int outputs, int column, int column_end, int depth_block,
                             float* current) {
  for (int f = frame_begin; f < frame_end; ++f)
    for (int o = column; o < column_end; ++o) {
      float total = 0.0f;
      const std::uint32_t* spike = frames[f].index;
      const std::uint32_t* const end = frames[f].index + frames[f].count;
      for (int block_start = 0; block_start < inputs; block_start += depth_block) {
        const auto block_end = static_cast<std::uint32_t>(std::min(inputs, block_start + depth_block));
        float partial = 0.0f;
        for (; spike != end && *spike < block_end; ++spike)
          partial += panel[static_cast<std::size_t>(*spike) * static_cast<std::size_t>(panel_stride) + (o - column)];
        total += partial;
      }
      current[static_cast<std::size_t>(f) * static_cast<std::size_t>(outputs) + o] = total;
    }
}

using ColumnKernel = void (*)(const FrameSpikes*, int, int, const float*, int, int, int, int, int, float*);
template <std::size_t... L>
constexpr auto make_kernels(std::index_sequence<L...>) {
  return std::array<ColumnKernel, sizeof...(L)>{(L == 0 ? nullptr : accumulate_columns<static_cast<int>(L == 0 ? 1 : L)>)...};
}
constexpr auto kKernels = make_kernels(std::make_index_sequence<kMaxLanes + 1>{});

struct ColumnBlock {
  int begin = 0, end = 0;  // target neurons [begin, end)
  int depth_block = 0;     // Eigen's kc for the dense partition holding this block
};

// Column blocks: dense partitions split into blocks of column_block_width() (the last may be narrower).
std::vector<std::pair<int, int>> column_ranges(int outputs) {
  std::vector<std::pair<int, int>> ranges;
  const int partition_columns = dense_partition_columns();
  const int block_width = column_block_width();
  for (int partition = 0; partition < outputs; partition += partition_columns) {
    const int partition_end = std::min(outputs, partition + partition_columns);
    for (int column = partition; column < partition_end; column += block_width)
      ranges.emplace_back(column, std::min(partition_end, column + block_width));
  }
  return ranges;
}

}  // namespace

PackedWeights pack_weights(const float* weights, int inputs, int outputs) {
  PackedWeights packed;
  packed.inputs = inputs;
  packed.outputs = outputs;
  packed.values.resize(static_cast<std::size_t>(inputs) * static_cast<std::size_t>(outputs));
  for (const auto& [begin, end] : column_ranges(outputs)) {
    float* panel = packed.values.data() + static_cast<std::size_t>(inputs) * static_cast<std::size_t>(begin);
    const int width = end - begin;
    for (int i = 0; i < inputs; ++i)
      std::copy_n(weights + static_cast<std::size_t>(i) * static_cast<std::size_t>(outputs) + begin, width,
                  panel + static_cast<std::size_t>(i) * static_cast<std::size_t>(width));
  }
  return packed;
}

std::uint64_t sparse_product(const FrameSpikes* frames, int frame_count, const PackedWeights& weights, int rows,
                             float* current) {
  const int inputs = weights.inputs, outputs = weights.outputs;
  std::vector<ColumnBlock> blocks;
  for (const auto& [begin, end] : column_ranges(outputs)) {
    const int partition = begin / dense_partition_columns() * dense_partition_columns();
    const int partition_end = std::min(outputs, partition + dense_partition_columns());
    blocks.push_back({begin, end, depth_block(inputs, padded_partition_rows(partition_end - partition), rows)});
  }
  const int chunks = (frame_count + kFrameChunk - 1) / kFrameChunk;
  const int tasks = chunks * static_cast<int>(blocks.size());
  std::vector<std::uint64_t> events(static_cast<std::size_t>(tasks), 0);

  tbb::parallel_for(
      tbb::blocked_range<int>(0, tasks, 1),
      [&](const tbb::blocked_range<int>& range) {
        for (int task = range.begin(); task != range.end(); ++task) {
          const auto& block = blocks[static_cast<std::size_t>(task % static_cast<int>(blocks.size()))];
          const int chunk = task / static_cast<int>(blocks.size());
          const int frame_end = std::min(frame_count, (chunk + 1) * kFrameChunk);
          const int vector_end = block.begin + (block.end - block.begin) / kLaneWidth * kLaneWidth;
          const int lanes = (vector_end - block.begin) / kLaneWidth;
          const int frame_begin = chunk * kFrameChunk;
          const int panel_stride = block.end - block.begin;
          const float* panel = weights.values.data() + static_cast<std::size_t>(inputs) * static_cast<std::size_t>(block.begin);
          if (lanes > 0)
            kKernels[static_cast<std::size_t>(lanes)](frames, frame_begin, frame_end, panel, panel_stride, inputs,
                                                      outputs, block.begin, block.depth_block, current);
          if (vector_end < block.end)
            accumulate_columns_tail(frames, frame_begin, frame_end, panel + (vector_end - block.begin), panel_stride,
                                    inputs, outputs, vector_end, block.end, block.depth_block, current);
          std::uint64_t performed = 0;
          for (int f = frame_begin; f < frame_end; ++f)
            performed += static_cast<std::uint64_t>(frames[f].count) * static_cast<std::uint64_t>(block.end - block.begin);
          events[static_cast<std::size_t>(task)] = performed;
        }
      },
      tbb::simple_partitioner());

  std::uint64_t total = 0;
  for (const auto e : events) total += e;
  return total;
}

}  // namespace spikingbert::sim
