#include "sim/SparseProduct.hpp"

#include "sim/DepthBlocking.hpp"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <cstring>
#include <vector>

namespace spikingbert::sim {

namespace {

// 16 float32 lanes: one AVX-512 register with -march=native on this machine; GCC lowers it to narrower
// registers elsewhere. aligned(4) allows loads from any float address.
using Lanes16 = float __attribute__((vector_size(64), aligned(4)));
constexpr int kLaneWidth = 16;
// Column block of the event kernel: up to 8 x 16 floats accumulate in registers while the weight
// block (inputs x 96 floats, 288 KB for 768 inputs) stays in L2 across a chunk of frames.
constexpr int kMaxLanes = 8;
// Frames per partition: enough work per task, and enough tasks for load balance.
constexpr int kFrameChunk = 32;

// The widest column block (a multiple of 16 floats, at most kMaxLanes vectors) dividing a dense partition.
int column_block_width() {
  const int partition = dense_partition_columns();
  for (int lanes = kMaxLanes; lanes > 1; --lanes)
    if (partition % (lanes * kLaneWidth) == 0) return lanes * kLaneWidth;
  return kLaneWidth;
}

// Sums the spiking weight rows of one frame for `Lanes` x 16 columns starting at `column`.
template <int Lanes>
void accumulate_frame(const FrameSpikes& frame, const float* weights, int inputs, int outputs, int column,
                      int depth_block, float* destination) {
  Lanes16 total[Lanes];
  for (int l = 0; l < Lanes; ++l) total[l] = Lanes16{} ;
  const std::uint32_t* spike = frame.index;
  const std::uint32_t* const end = frame.index + frame.count;
  for (int block_start = 0; block_start < inputs && spike != end; block_start += depth_block) {
    const auto block_end = static_cast<std::uint32_t>(std::min(inputs, block_start + depth_block));
    Lanes16 partial[Lanes];
    for (int l = 0; l < Lanes; ++l) partial[l] = Lanes16{};
    for (; spike != end && *spike < block_end; ++spike) {
      const float* row = weights + static_cast<std::size_t>(*spike) * static_cast<std::size_t>(outputs) + column;
      for (int l = 0; l < Lanes; ++l) partial[l] += *reinterpret_cast<const Lanes16*>(row + l * kLaneWidth);
    }
    // Block sums are added to the running total in order, as the GEMM adds them to its result.
    for (int l = 0; l < Lanes; ++l) total[l] += partial[l];
  }
  std::memcpy(destination + column, total, sizeof(float) * Lanes * kLaneWidth);
}

// Columns beyond the last multiple of 16: the same sums, one column at a time.
void accumulate_frame_tail(const FrameSpikes& frame, const float* weights, int inputs, int outputs, int column,
                           int column_end, int depth_block, float* destination) {
  for (int o = column; o < column_end; ++o) {
    float total = 0.0f;
    const std::uint32_t* spike = frame.index;
    const std::uint32_t* const end = frame.index + frame.count;
    for (int block_start = 0; block_start < inputs && spike != end; block_start += depth_block) {
      const auto block_end = static_cast<std::uint32_t>(std::min(inputs, block_start + depth_block));
      float partial = 0.0f;
      for (; spike != end && *spike < block_end; ++spike)
        partial += weights[static_cast<std::size_t>(*spike) * static_cast<std::size_t>(outputs) + o];
      total += partial;
    }
    destination[o] = total;
  }
}

using FrameKernel = void (*)(const FrameSpikes&, const float*, int, int, int, int, float*);
constexpr FrameKernel kKernels[kMaxLanes + 1] = {nullptr,
                                                 accumulate_frame<1>,
                                                 accumulate_frame<2>,
                                                 accumulate_frame<3>,
                                                 accumulate_frame<4>,
                                                 accumulate_frame<5>,
                                                 accumulate_frame<6>,
                                                 accumulate_frame<7>,
                                                 accumulate_frame<8>};

struct ColumnBlock {
  int begin = 0, end = 0;  // target neurons [begin, end)
  int depth_block = 0;     // Eigen's kc for the dense partition holding this block
};

}  // namespace

std::uint64_t sparse_product(const FrameSpikes* frames, int frame_count, const float* weights, int inputs,
                             int outputs, int rows, float* current) {
  std::vector<ColumnBlock> blocks;
  const int partition_columns = dense_partition_columns();
  const int block_width = column_block_width();
  for (int partition = 0; partition < outputs; partition += partition_columns) {
    const int partition_end = std::min(outputs, partition + partition_columns);
    const int depth = depth_block(inputs, padded_partition_rows(partition_end - partition), rows);
    for (int column = partition; column < partition_end; column += block_width)
      blocks.push_back({column, std::min(partition_end, column + block_width), depth});
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
          std::uint64_t performed = 0;
          for (int f = chunk * kFrameChunk; f < frame_end; ++f) {
            float* destination = current + static_cast<std::size_t>(f) * static_cast<std::size_t>(outputs);
            if (lanes > 0)
              kKernels[lanes](frames[f], weights, inputs, outputs, block.begin, block.depth_block, destination);
            if (vector_end < block.end)
              accumulate_frame_tail(frames[f], weights, inputs, outputs, vector_end, block.end, block.depth_block,
                                    destination);
            performed += static_cast<std::uint64_t>(frames[f].count) * static_cast<std::uint64_t>(block.end - block.begin);
          }
          events[static_cast<std::size_t>(task)] = performed;
        }
      },
      tbb::simple_partitioner());

  std::uint64_t total = 0;
  for (const auto e : events) total += e;
  return total;
}

}  // namespace spikingbert::sim
