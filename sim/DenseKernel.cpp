#include "sim/DenseKernel.hpp"

#include "sim/DepthBlocking.hpp"
#include "sim/RunState.hpp"

// GCC 12 reports false "may be used uninitialized" warnings inside Eigen's AVX-512 GEMM kernel
// (intrinsics with deliberately undefined lanes); they are not in this file's code.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <Eigen/Core>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <memory>
#include <stdexcept>

namespace spikingbert::sim {

namespace {

using Blocking = Eigen::internal::gemm_blocking_space<Eigen::ColMajor, float, float, Eigen::Dynamic, Eigen::Dynamic,
                                                      Eigen::Dynamic, 1, false>;
using Gemm = Eigen::internal::general_matrix_matrix_product<Eigen::Index, float, Eigen::ColMajor, false, float,
                                                            Eigen::ColMajor, false, Eigen::ColMajor, 1>;

// One output partition of one projection's GEMM: its weights transposed and zero-padded to
// `padded_rows` rows (sim/DepthBlocking.hpp), its own packing buffers and result buffer.
struct GemmPartition {
  int column_begin = 0, column_end = 0, padded_rows = 0;
  std::vector<float> weights;  // column-major [padded_rows x inputs]
  std::vector<float> result;   // column-major [padded_rows x rows]
  std::unique_ptr<Blocking> blocking;
};

class DenseSimulation {
 public:
  DenseSimulation(const Network& network, const KernelOptions& options)
      : network_(network),
        options_(options),
        rows_(network.rows()),
        steps_(options.steps),
        state_(network, options.steps, [&](PopulationId p) { return network.max_outgoing_delay(p) + 1; }) {
    const auto count = static_cast<std::size_t>(network.population_count());
    matrices_.resize(count);
    std::size_t largest = 0;
    for (std::size_t p = 0; p < count; ++p) {
      const auto size = static_cast<std::size_t>(rows_) *
                        static_cast<std::size_t>(network.population(static_cast<PopulationId>(p)).width);
      matrices_[p].assign(static_cast<std::size_t>(state_.rings[p].capacity()) * size, 0.0f);
      largest = std::max(largest, size);
    }
    current_.resize(largest);
    extra_current_.resize(largest);
    zeros_.assign(largest, 0.0f);
    // Fixed output partitions per dense projection (the event kernel uses the same depth blocks).
    partitions_.resize(network.projections().size());
    for (std::size_t e = 0; e < network.projections().size(); ++e) {
      const auto& projection = network.projections()[e];
      if (projection.kind != ProjectionKind::kDense) continue;
      const int inputs = network.population(projection.source).width;
      const int outputs = network.population(projection.target).width;
      for (int begin = 0; begin < outputs; begin += dense_partition_columns()) {
        GemmPartition part;
        part.column_begin = begin;
        part.column_end = std::min(outputs, begin + dense_partition_columns());
        part.padded_rows = padded_partition_rows(part.column_end - begin);
        const auto padded = static_cast<std::size_t>(part.padded_rows);
        part.weights.assign(padded * static_cast<std::size_t>(inputs), 0.0f);
        for (int i = 0; i < inputs; ++i)
          for (int o = begin; o < part.column_end; ++o)
            part.weights[static_cast<std::size_t>(i) * padded + static_cast<std::size_t>(o - begin)] =
                (*projection.weights)[static_cast<std::size_t>(i) * static_cast<std::size_t>(outputs) +
                                      static_cast<std::size_t>(o)];
        part.result.assign(padded * static_cast<std::size_t>(rows_), 0.0f);
        part.blocking = std::make_unique<Blocking>(part.padded_rows, rows_, inputs, 1, true);
        part.blocking->allocateAll();
        partitions_[e].push_back(std::move(part));
      }
    }
  }

  RunResult run() {
    const SimulationClock clock;
    for (int t = 0; t < steps_; ++t) {
      for (const PopulationId p : network_.update_order()) update_step(p, t);
      if (options_.stop_after && options_.stop_after(t) && t + 1 < steps_) {
        state_.result.steps = t + 1;
        break;
      }
    }
    clock.stop(state_.result);
    return state_.result;
  }

 private:
  // The 0/1 spike matrix [rows][width] of population p at step t (zeros before the start).
  const float* spike_matrix(PopulationId p, int step) const {
    if (step < 0) return zeros_.data();
    const auto& ring = state_.rings[static_cast<std::size_t>(p)];
    const auto size = static_cast<std::size_t>(rows_) * static_cast<std::size_t>(network_.population(p).width);
    return matrices_[static_cast<std::size_t>(p)].data() + static_cast<std::size_t>(step % ring.capacity()) * size;
  }

  // Spikes population p emitted at `step` over all rows (0 before the start).
  std::uint64_t source_spikes(PopulationId p, int step) const {
    if (step < 0) return 0;
    std::uint64_t total = 0;
    for (int r = 0; r < rows_; ++r) total += state_.rings[static_cast<std::size_t>(p)].spikes(step, r).size();
    return total;
  }

  void update_step(PopulationId p, int t) {
    const auto& population = network_.population(p);
    const int width = population.width;
    const auto size = static_cast<std::size_t>(rows_) * static_cast<std::size_t>(width);
    float* current = current_.data();
    OperationCounts counts;

    bool have_current = false;
    for (const int e : network_.incoming(p)) {
      const auto& projection = network_.projections()[static_cast<std::size_t>(e)];
      if (projection.kind != ProjectionKind::kDense) continue;
      const int inputs = network_.population(projection.source).width;
      const float* spikes = spike_matrix(projection.source, t - projection.delay);
      float* destination = have_current ? extra_current_.data() : current;
      auto& partitions = partitions_[static_cast<std::size_t>(e)];
      // current^T [width x rows] = W^T [width x inputs] * S^T [inputs x rows], all column-major views of
      // the row-major W [inputs][width], S [rows][inputs] and current [rows][width].
      tbb::parallel_for(
          tbb::blocked_range<std::size_t>(0, partitions.size(), 1),
          [&](const tbb::blocked_range<std::size_t>& range) {
            for (std::size_t i = range.begin(); i != range.end(); ++i) {
              auto& part = partitions[i];
              std::fill(part.result.begin(), part.result.end(), 0.0f);
              Gemm::run(part.padded_rows, rows_, inputs, part.weights.data(), part.padded_rows, spikes, inputs,
                        part.result.data(), 1, part.padded_rows, 1.0f, *part.blocking, nullptr);
              const int columns = part.column_end - part.column_begin;
              for (int r = 0; r < rows_; ++r)
                std::copy_n(part.result.data() + static_cast<std::size_t>(r) * static_cast<std::size_t>(part.padded_rows),
                            columns, destination + static_cast<std::size_t>(r) * static_cast<std::size_t>(width) +
                                         static_cast<std::size_t>(part.column_begin));
            }
          },
          tbb::simple_partitioner());
      counts.dense_macs += static_cast<std::uint64_t>(rows_) * static_cast<std::uint64_t>(inputs) *
                           static_cast<std::uint64_t>(width);
      // The event kernel's count for the same network: one synaptic event per (input spike, target), taken
      // from the spikes this GEMM multiplied, so both kernels report the same operations and energy.
      counts.synaptic_events += source_spikes(projection.source, t - projection.delay) * static_cast<std::uint64_t>(width);
      if (have_current)
        for (std::size_t j = 0; j < size; ++j) current[j] += extra_current_[j];
      have_current = true;
    }
    if (!have_current) std::fill(current, current + size, 0.0f);

    counts.additions += state_.add_bias_and_drive(p, current, rows_);
    for (const int e : network_.incoming(p)) {
      const auto& projection = network_.projections()[static_cast<std::size_t>(e)];
      if (projection.kind != ProjectionKind::kIdentity) continue;
      const float* spikes = spike_matrix(projection.source, t - projection.delay);
      for (std::size_t j = 0; j < size; ++j) current[j] += projection.identity_weight * spikes[j];
      counts.dense_macs += size;
      counts.synaptic_events += source_spikes(projection.source, t - projection.delay);  // one per spike, as the event kernel
    }

    std::vector<OperationCounts> step_counts(1);
    state_.apply_transforms(p, t, 1, current, step_counts);
    counts += step_counts[0];

    auto& state = state_.result.populations[static_cast<std::size_t>(p)];
    const auto& ring = state_.rings[static_cast<std::size_t>(p)];
    float* matrix = const_cast<float*>(spike_matrix(p, t));
    std::vector<ThresholdStatistics> row_thresholds(static_cast<std::size_t>(rows_));
    std::vector<std::uint32_t> row_spikes(static_cast<std::size_t>(rows_));
    tbb::parallel_for(
        tbb::blocked_range<int>(0, rows_, 1),
        [&](const tbb::blocked_range<int>& range) {
          for (int r = range.begin(); r != range.end(); ++r) {
            const auto offset = static_cast<std::size_t>(r) * static_cast<std::size_t>(width);
            state_.integrate_row(p, t, 1, r, current + offset, 0, row_thresholds[static_cast<std::size_t>(r)],
                                 &row_spikes[static_cast<std::size_t>(r)]);
            // The 0/1 spike matrix the next GEMMs read.
            std::fill(matrix + offset, matrix + offset + static_cast<std::size_t>(width), 0.0f);
            for (const auto i : ring.spikes(t, r)) matrix[offset + i] = 1.0f;
          }
        },
        tbb::simple_partitioner());
    for (int r = 0; r < rows_; ++r) {
      state.thresholds.merge(row_thresholds[static_cast<std::size_t>(r)]);
      counts.spikes += row_spikes[static_cast<std::size_t>(r)];
    }
    state.counts += counts;
    if (options_.observer)
      options_.observer->on_population_step(StepSpikes{&state_.source, p, t, rows_, &state.spike_count}, counts);
  }

  const Network& network_;
  KernelOptions options_;
  int rows_ = 0, steps_ = 0;
  RunState state_;
  std::vector<std::vector<float>> matrices_;
  std::vector<float> current_, extra_current_, zeros_;
  std::vector<std::vector<GemmPartition>> partitions_;
};

}  // namespace

RunResult run_dense_kernel(const Network& network, const KernelOptions& options) {
  return run_in_arena(network, options, "run_dense_kernel", [&] { return DenseSimulation(network, options).run(); });
}

}  // namespace spikingbert::sim
