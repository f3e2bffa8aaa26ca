#pragma once
// How a projection's float32 sums are grouped, shared by the event kernel and the dense twin so that
// both produce bit-identical currents.
//
// The dense twin multiplies with Eigen's GEMM, which splits the input (depth) dimension into blocks of
// kc inputs, sums each block in ascending order and adds the block sums to the result in order. With
// 0/1 spikes a product is exactly 0 or the weight, so the event kernel reproduces the GEMM's rounding
// exactly if it sums the weight rows of the spiking inputs ascending, per depth block, and adds the
// block sums in order. Two details make this hold:
//  - kc depends on the product's sizes (and this CPU's caches), so both kernels ask Eigen's own
//    blocking heuristic (depth_block) for it;
//  - Eigen's kernels for 3 and 2 packets of output rows accumulate strictly in order, but the 1-packet
//    and narrower remainder kernels split the sum into two interleaved accumulators. The dense twin
//    therefore pads each output partition to a row count its 3- and 2-packet kernels cover
//    (padded_partition_rows) with zero weights, and discards the padding.
namespace spikingbert::sim {

// Target neurons per output partition of the dense twin (12 SIMD packets: 192 floats with AVX-512);
// one TBB task each. The event kernel's column blocks never straddle a partition.
int dense_partition_columns();
// Rows the dense twin multiplies for a partition of `columns` target neurons (>= columns).
int padded_partition_rows(int columns);
// Eigen's depth block for a [padded rows x inputs] by [inputs x rows] product.
int depth_block(int inputs, int padded_rows, int rows);

}  // namespace spikingbert::sim
