#include "sim/DenseKernel.hpp"

#include "io/Error.hpp"
#include "sim/DepthBlocking.hpp"
#include "sim/SpikeRing.hpp"

// GCC 12 reports false "may be used uninitialized" warnings inside Eigen's AVX-512 GEMM kernel
// (intrinsics with deliberately undefined lanes); they are not in this file's code.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <Eigen/Core>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <chrono>
#include <ctime>
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
      : network_(network), options_(options), rows_(network.rows()), steps_(options.steps), source_(rings_) {
    const auto count = static_cast<std::size_t>(network.population_count());
    result_.steps = steps_;
    result_.rows = rows_;
    result_.populations.resize(count);
    rings_.resize(count);
    matrices_.resize(count);
    std::size_t largest = 0;
    for (std::size_t p = 0; p < count; ++p) {
      const auto& population = network.population(static_cast<PopulationId>(p));
      const auto size = static_cast<std::size_t>(rows_) * static_cast<std::size_t>(population.width);
      result_.populations[p].spike_count.assign(size, 0);
      result_.populations[p].membrane.assign(size, 0.0f);
      const int capacity = network.max_outgoing_delay(static_cast<PopulationId>(p)) + 1;
      rings_[p] = SpikeRing(capacity, rows_, population.width);
      matrices_[p].assign(static_cast<std::size_t>(capacity) * size, 0.0f);
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
    const auto start = std::chrono::steady_clock::now();
    const auto cpu_start = std::clock();
    for (int t = 0; t < steps_; ++t)
      for (const PopulationId p : network_.update_order()) update_step(p, t);
    result_.simulation_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    result_.simulation_cpu_seconds = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
    return result_;
  }

 private:
  // The 0/1 spike matrix [rows][width] of population p at step t (zeros before the start).
  const float* spike_matrix(PopulationId p, int step) const {
    if (step < 0) return zeros_.data();
    const auto& ring = rings_[static_cast<std::size_t>(p)];
    const auto size = static_cast<std::size_t>(rows_) * static_cast<std::size_t>(network_.population(p).width);
    return matrices_[static_cast<std::size_t>(p)].data() + static_cast<std::size_t>(step % ring.capacity()) * size;
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
      if (have_current)
        for (std::size_t j = 0; j < size; ++j) current[j] += extra_current_[j];
      have_current = true;
    }
    if (!have_current) std::fill(current, current + size, 0.0f);

    const bool has_bias = !population.bias.empty();
    const bool has_drive = !population.drive.empty();
    for (int r = 0; r < rows_; ++r) {
      float* row = current + static_cast<std::size_t>(r) * static_cast<std::size_t>(width);
      if (has_bias)
        for (int j = 0; j < width; ++j) row[j] += population.bias[static_cast<std::size_t>(j)];
      if (has_drive) {
        const float* drive = population.drive.data() + static_cast<std::size_t>(r) * static_cast<std::size_t>(width);
        for (int j = 0; j < width; ++j) row[j] += drive[j];
      }
    }
    counts.additions += size * ((has_bias ? 1u : 0u) + (has_drive ? 1u : 0u));
    for (const int e : network_.incoming(p)) {
      const auto& projection = network_.projections()[static_cast<std::size_t>(e)];
      if (projection.kind != ProjectionKind::kIdentity) continue;
      const float* spikes = spike_matrix(projection.source, t - projection.delay);
      for (std::size_t j = 0; j < size; ++j) current[j] += projection.identity_weight * spikes[j];
      counts.dense_macs += size;
    }

    for (const auto& transform : population.transforms) {
      const int group = transform->row_group();
      if (group <= 0 || rows_ % group != 0)
        throw io::InputError("network", "transform '" + transform->name() + "'",
                             "row group does not divide the rows", "a divisor of " + std::to_string(rows_));
      const int groups = rows_ / group;
      std::vector<OperationCounts> task_counts(static_cast<std::size_t>(groups));
      tbb::parallel_for(
          tbb::blocked_range<int>(0, groups, 1),
          [&](const tbb::blocked_range<int>& range) {
            for (int g = range.begin(); g != range.end(); ++g) {
              TransformContext context{t, g * group, width, &source_};
              transform->apply(context, current + static_cast<std::size_t>(g * group) * static_cast<std::size_t>(width),
                               task_counts[static_cast<std::size_t>(g)]);
            }
          },
          tbb::simple_partitioner());
      for (const auto& c : task_counts) counts += c;
    }

    auto& state = result_.populations[static_cast<std::size_t>(p)];
    auto& ring = rings_[static_cast<std::size_t>(p)];
    float* matrix = const_cast<float*>(spike_matrix(p, t));
    std::vector<ThresholdStatistics> row_thresholds(static_cast<std::size_t>(rows_));
    std::vector<std::uint32_t> row_spikes(static_cast<std::size_t>(rows_));
    tbb::parallel_for(
        tbb::blocked_range<int>(0, rows_, 1),
        [&](const tbb::blocked_range<int>& range) {
          for (int r = range.begin(); r != range.end(); ++r) {
            const auto offset = static_cast<std::size_t>(r) * static_cast<std::size_t>(width);
            std::uint32_t* fired = ring.slot(t, r);
            const std::uint32_t n = update_neurons(population.neuron, current + offset, state.membrane.data() + offset,
                                                   fired, width, row_thresholds[static_cast<std::size_t>(r)]);
            ring.set_count(t, r, n);
            std::fill(matrix + offset, matrix + offset + static_cast<std::size_t>(width), 0.0f);
            for (std::uint32_t k = 0; k < n; ++k) {
              matrix[offset + fired[k]] = 1.0f;
              ++state.spike_count[offset + fired[k]];
            }
            row_spikes[static_cast<std::size_t>(r)] = n;
          }
        },
        tbb::simple_partitioner());
    for (int r = 0; r < rows_; ++r) {
      state.thresholds.merge(row_thresholds[static_cast<std::size_t>(r)]);
      counts.spikes += row_spikes[static_cast<std::size_t>(r)];
    }
    state.counts += counts;
    if (options_.observer)
      options_.observer->on_population_step(StepSpikes{&source_, p, t, rows_, &state.spike_count}, counts);
  }

  const Network& network_;
  KernelOptions options_;
  int rows_ = 0, steps_ = 0;
  RunResult result_;
  std::vector<SpikeRing> rings_;
  std::vector<std::vector<float>> matrices_;
  RingSpikeSource source_;
  std::vector<float> current_, extra_current_, zeros_;
  std::vector<std::vector<GemmPartition>> partitions_;
};

}  // namespace

RunResult run_dense_kernel(const Network& network, const KernelOptions& options) {
  if (!network.finalized()) throw std::logic_error("run_dense_kernel: network not finalized");
  if (options.threads < 1) throw io::InputError("command line", "--threads", "thread count must be positive", ">= 1");
  tbb::task_arena arena(options.threads);
  RunResult result;
  arena.execute([&] { result = DenseSimulation(network, options).run(); });
  return result;
}

}  // namespace spikingbert::sim
