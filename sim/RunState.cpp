#include "sim/RunState.hpp"

#include "io/Error.hpp"

#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <array>
#include <stdexcept>
#include <string>

namespace spikingbert::sim {

namespace {
constexpr int kRowsPerTransformTask = 16;  // rows of one step a transform task handles (fixed partitions)
}  // namespace

RunState::RunState(const Network& network, int steps, const std::function<int(PopulationId)>& ring_steps)
    : network_(network) {
  const auto count = static_cast<std::size_t>(network.population_count());
  result.steps = steps;
  result.rows = network.rows();
  result.populations.resize(count);
  rings.resize(count);
  for (std::size_t p = 0; p < count; ++p) {
    const auto id = static_cast<PopulationId>(p);
    const auto size = static_cast<std::size_t>(result.rows) * static_cast<std::size_t>(network.population(id).width);
    result.populations[p].spike_count.assign(size, 0);
    result.populations[p].membrane.assign(size, 0.0f);
    if (network.population(id).neuron.has_refractory_state()) result.populations[p].refractory.assign(size, 0);
    rings[p] = SpikeRing(ring_steps(id), result.rows, network.population(id).width);
  }
}

std::uint64_t RunState::add_bias_and_drive(PopulationId p, float* current, int frames) const {
  const auto& population = network_.population(p);
  const bool has_bias = !population.bias.empty();
  const bool has_drive = !population.drive.empty();
  if (!has_bias && !has_drive) return 0;
  const int width = population.width;
  const int rows = result.rows;
  constexpr int kFramesPerTask = 16;  // fixed partitions: each frame is written by one task
  const int tasks = (frames + kFramesPerTask - 1) / kFramesPerTask;
  tbb::parallel_for(
      tbb::blocked_range<int>(0, tasks, 1),
      [&](const tbb::blocked_range<int>& range) {
        for (int task = range.begin(); task != range.end(); ++task)
          for (int f = task * kFramesPerTask; f < std::min(frames, (task + 1) * kFramesPerTask); ++f) {
            float* row = current + static_cast<std::size_t>(f) * static_cast<std::size_t>(width);
            if (has_bias)
              for (int j = 0; j < width; ++j) row[j] += population.bias[static_cast<std::size_t>(j)];
            if (has_drive) {
              const float* drive = population.drive.data() + static_cast<std::size_t>(f % rows) * static_cast<std::size_t>(width);
              for (int j = 0; j < width; ++j) row[j] += drive[j];
            }
          }
      },
      tbb::simple_partitioner());
  return static_cast<std::uint64_t>(frames) * static_cast<std::uint64_t>(width) *
         ((has_bias ? 1u : 0u) + (has_drive ? 1u : 0u));
}

void RunState::apply_transforms(PopulationId p, int first_step, int steps, float* current,
                                std::vector<OperationCounts>& step_counts) const {
  const auto& population = network_.population(p);
  const int rows = result.rows;
  const auto frame_size = static_cast<std::size_t>(population.width);
  for (const auto& transform : population.transforms) {
    const int group = transform->row_group();
    if (group <= 0 || rows % group != 0)
      throw io::InputError("network", "transform '" + transform->name() + "'", "row group does not divide the rows",
                           "a divisor of " + std::to_string(rows));
    const int groups = rows / group;
    // Row groups per task: about kRowsPerTransformTask rows (a sentence's attention is one group), so that
    // per-row transforms are called once per chunk of rows, not once per row.
    const int groups_per_task = std::max(1, kRowsPerTransformTask / group);
    const int tasks_per_step = (groups + groups_per_task - 1) / groups_per_task;
    std::vector<OperationCounts> task_counts(static_cast<std::size_t>(steps * tasks_per_step));
    tbb::parallel_for(
        tbb::blocked_range<int>(0, steps * tasks_per_step, 1),
        [&](const tbb::blocked_range<int>& range) {
          for (int task = range.begin(); task != range.end(); ++task) {
            const int s = task / tasks_per_step;
            const int first_group = (task % tasks_per_step) * groups_per_task;
            const int first_row = first_group * group;
            TransformContext context{first_step + s, first_row, population.width, &source};
            transform->apply_groups(context, std::min(groups_per_task, groups - first_group),
                                    current + static_cast<std::size_t>(s * rows + first_row) * frame_size,
                                    task_counts[static_cast<std::size_t>(task)]);
          }
        },
        tbb::simple_partitioner());
    for (int task = 0; task < steps * tasks_per_step; ++task)
      step_counts[static_cast<std::size_t>(task / tasks_per_step)] += task_counts[static_cast<std::size_t>(task)];
  }
}

void RunState::integrate_row(PopulationId p, int first_step, int steps, int row, const float* row_current,
                             std::size_t current_stride, ThresholdStatistics& thresholds, std::uint32_t* step_spikes) {
  const auto& population = network_.population(p);
  auto& state = result.populations[static_cast<std::size_t>(p)];
  auto& ring = rings[static_cast<std::size_t>(p)];
  const auto offset = static_cast<std::size_t>(row) * static_cast<std::size_t>(population.width);
  constexpr int kStepsOnStack = 64;  // a time block's steps (16 by default); more take the heap
  std::array<std::uint32_t*, kStepsOnStack> slots_on_stack;
  std::vector<std::uint32_t*> slots_on_heap;
  std::uint32_t** fired = slots_on_stack.data();
  if (steps > kStepsOnStack) {
    slots_on_heap.resize(static_cast<std::size_t>(steps));
    fired = slots_on_heap.data();
  }
  for (int s = 0; s < steps; ++s) fired[s] = ring.slot(first_step + s, row);
  std::int32_t* refractory = state.refractory.empty() ? nullptr : state.refractory.data() + offset;
  update_neurons(population.neuron, steps, row_current, current_stride, state.membrane.data() + offset, refractory,
                 fired, step_spikes, state.spike_count.data() + offset, population.width, thresholds);
  for (int s = 0; s < steps; ++s) ring.set_count(first_step + s, row, step_spikes[s]);
}

SimulationClock::SimulationClock() : wall_start_(std::chrono::steady_clock::now()), cpu_start_(std::clock()) {}

void SimulationClock::stop(RunResult& result) const {
  result.simulation_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start_).count();
  result.simulation_cpu_seconds = static_cast<double>(std::clock() - cpu_start_) / CLOCKS_PER_SEC;
}

RunResult run_in_arena(const Network& network, const KernelOptions& options, const char* kernel_name,
                       const std::function<RunResult()>& simulate) {
  if (!network.finalized()) throw std::logic_error(std::string(kernel_name) + ": network not finalized");
  if (options.threads < 1) throw io::InputError("command line", "--threads", "thread count must be positive", ">= 1");
  tbb::task_arena arena(options.threads);
  RunResult result;
  arena.execute([&] { result = simulate(); });
  return result;
}

}  // namespace spikingbert::sim
