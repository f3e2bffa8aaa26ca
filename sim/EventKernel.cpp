#include "sim/EventKernel.hpp"

#include "sim/CacheLineAllocator.hpp"
#include "sim/EventScheduler.hpp"
#include "sim/RunState.hpp"
#include "sim/SparseProduct.hpp"
#include "sim/SpikeRing.hpp"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <memory>
#include <stdexcept>

namespace spikingbert::sim {

namespace {

// Steps a population integrates per update; a feedback edge of delay d needs blocks of at most d steps.
int time_block(const Network& network, const KernelOptions& options) {
  int block = std::clamp(options.block_steps, 1, std::max(1, options.steps));
  if (network.smallest_feedback_delay() > 0) block = std::min(block, network.smallest_feedback_delay());
  return block;
}

class EventSimulation {
 public:
  EventSimulation(const Network& network, const KernelOptions& options)
      : network_(network),
        options_(options),
        rows_(network.rows()),
        steps_(options.steps),
        block_(time_block(network, options)),
        state_(network, options.steps,
               [&](PopulationId p) { return block_ + network.max_outgoing_delay(p); }) {
    const auto count = static_cast<std::size_t>(network.population_count());
    position_.resize(count);
    quiescent_.assign(count, 1);
    pending_.assign(count, 0);
    queued_block_.assign(count, -1);
    std::size_t largest = 0;
    for (std::size_t p = 0; p < count; ++p)
      largest = std::max(largest, static_cast<std::size_t>(rows_) *
                                      static_cast<std::size_t>(network.population(static_cast<PopulationId>(p)).width) *
                                      static_cast<std::size_t>(block_));
    for (std::size_t i = 0; i < count; ++i) position_[static_cast<std::size_t>(network.update_order()[i])] =
        static_cast<int>(i);
    // Scratch, fully written before it is read: not cleared, only its pages mapped at set-up rather than
    // by page faults inside the timed simulation (see sim/SpikeRing.cpp).
    current_.resize(largest);
    touch_pages(current_.data(), largest * sizeof(float));
    bool summed_projections = false;  // a population with two dense inputs needs a second buffer
    for (std::size_t p = 0; p < count; ++p) {
      int dense_inputs = 0;
      for (const int e : network.incoming(static_cast<PopulationId>(p)))
        dense_inputs += network.projections()[static_cast<std::size_t>(e)].kind == ProjectionKind::kDense;
      summed_projections = summed_projections || dense_inputs > 1;
    }
    if (summed_projections) {
      extra_current_.resize(largest);
      touch_pages(extra_current_.data(), largest * sizeof(float));
    }
    packed_.resize(network.projections().size());
    for (std::size_t e = 0; e < network.projections().size(); ++e) {
      const auto& projection = network.projections()[e];
      if (projection.kind != ProjectionKind::kDense) continue;
      packed_[e] = projection.packed;
      if (!packed_[e])
        packed_[e] = std::make_shared<const PackedWeights>(pack_weights(
            projection.weights->data(), network.population(projection.source).width, network.population(projection.target).width));
    }
  }

  RunResult run() {
    if (steps_ <= 0) return state_.result;
    const SimulationClock clock;
    const std::int64_t blocks = (steps_ + block_ - 1) / block_;
    for (const PopulationId p : network_.update_order())
      if (network_.population(p).has_drive()) schedule_update(p, 0);
    std::int64_t completed_blocks = 0;  // blocks whose every update has run
    while (!heap_.empty()) {
      const Event event = heap_.top();
      // Events are ordered by block first: the first event of a later block means the earlier ones are done.
      if (options_.stop_after && event.block > completed_blocks) {
        completed_blocks = event.block;
        if (stop_after_block(completed_blocks)) return finish(clock);
      }
      heap_.pop();
      if (event.kind == Event::Kind::kSpikePacket) {
        pending_[static_cast<std::size_t>(event.population)] = 1;
        schedule_update(event.population, event.block);
        continue;
      }
      const PopulationId p = event.population;
      const auto& population = network_.population(p);
      const bool touched = pending_[static_cast<std::size_t>(p)] || population.has_drive() ||
                           !quiescent_[static_cast<std::size_t>(p)];
      pending_[static_cast<std::size_t>(p)] = 0;
      if (touched) update_block(p, event.block);
      // A driven (or still excitable) population schedules its own next block; others wait for packets.
      if (event.block + 1 < blocks && (population.has_drive() || !quiescent_[static_cast<std::size_t>(p)]))
        schedule_update(p, event.block + 1);
    }
    if (options_.stop_after) options_.stop_after(steps_ - 1);  // the last block: the run ends anyway
    return finish(clock);
  }

 private:
  // Asks the early-exit hook after `blocks` complete time blocks; true: the run ends after them.
  bool stop_after_block(std::int64_t blocks) {
    const int last_step = static_cast<int>(std::min<std::int64_t>(blocks * block_, steps_)) - 1;
    if (last_step + 1 >= steps_ || !options_.stop_after(last_step)) return false;
    state_.result.steps = last_step + 1;
    return true;
  }

  RunResult finish(const SimulationClock& clock) {
    clock.stop(state_.result);
    return state_.result;
  }

  void schedule_update(PopulationId p, std::int64_t block) {
    if (queued_block_[static_cast<std::size_t>(p)] >= block) return;
    queued_block_[static_cast<std::size_t>(p)] = block;
    heap_.push(Event{block, position_[static_cast<std::size_t>(p)], Event::Kind::kUpdate,
                     static_cast<std::int32_t>(block * block_), sequence_++, p, -1});
  }

  void send_packets(PopulationId p, int step) {
    for (const int e : outgoing(p)) {
      const auto& projection = network_.projections()[static_cast<std::size_t>(e)];
      const int arrival = step + projection.delay;
      if (arrival >= steps_) continue;
      heap_.push(Event{arrival / block_, position_[static_cast<std::size_t>(projection.target)],
                       Event::Kind::kSpikePacket, arrival, sequence_++, projection.target, p});
    }
  }

  const std::vector<int>& outgoing(PopulationId p) {
    if (outgoing_.empty()) {
      outgoing_.resize(static_cast<std::size_t>(network_.population_count()));
      for (std::size_t e = 0; e < network_.projections().size(); ++e)
        outgoing_[static_cast<std::size_t>(network_.projections()[e].source)].push_back(static_cast<int>(e));
    }
    return outgoing_[static_cast<std::size_t>(p)];
  }

  // Integrates population p over all steps of time block `block` (method doc §2.1 per step).
  void update_block(PopulationId p, std::int64_t block) {
    const auto& population = network_.population(p);
    const int width = population.width;
    const int first_step = static_cast<int>(block * block_);
    const int step_count = std::min(block_, steps_ - first_step);
    const int frames = step_count * rows_;
    const auto frame_size = static_cast<std::size_t>(width);
    const auto block_size = static_cast<std::size_t>(frames) * frame_size;
    float* current = current_.data();
    std::vector<OperationCounts> step_counts(static_cast<std::size_t>(step_count));

    // 1. Dense projections: the first writes the current, later ones are summed separately and added.
    bool have_current = false;
    std::vector<FrameSpikes> frame_spikes(static_cast<std::size_t>(frames));
    for (const int e : network_.incoming(p)) {
      const auto& projection = network_.projections()[static_cast<std::size_t>(e)];
      if (projection.kind != ProjectionKind::kDense) continue;
      const auto& ring = state_.rings[static_cast<std::size_t>(projection.source)];
      const int inputs = network_.population(projection.source).width;
      std::uint64_t expected_events = 0;
      for (int s = 0; s < step_count; ++s) {
        std::uint64_t step_spikes = 0;
        for (int r = 0; r < rows_; ++r) {
          const auto list = ring.spikes(first_step + s - projection.delay, r);
          frame_spikes[static_cast<std::size_t>(s * rows_ + r)] = {list.data(), static_cast<std::uint32_t>(list.size())};
          step_spikes += list.size();
        }
        step_counts[static_cast<std::size_t>(s)].synaptic_events += step_spikes * static_cast<std::uint64_t>(width);
        expected_events += step_spikes * static_cast<std::uint64_t>(width);
      }
      float* destination = have_current ? extra_current_.data() : current;
      const auto& packed = *packed_[static_cast<std::size_t>(e)];
      if (packed.inputs != inputs || packed.outputs != width)
        throw std::logic_error("packed weights do not match the projection");
      const std::uint64_t events = sparse_product(frame_spikes.data(), frames, packed, rows_, destination);
      if (events != expected_events) throw std::logic_error("synaptic event count disagrees with the spikes");
      if (have_current) {
        const float* extra = extra_current_.data();
        parallel_frames(frames, [&](int f) {
          const auto base = static_cast<std::size_t>(f) * frame_size;
          for (std::size_t j = 0; j < frame_size; ++j) current[base + j] += extra[base + j];
        });
      }
      have_current = true;
    }
    if (!have_current) std::fill(current, current + block_size, 0.0f);

    // 2. Bias, constant drive, identity (residual) spikes; in this order in both kernels.
    const std::uint64_t bias_and_drive = state_.add_bias_and_drive(p, current, frames);
    for (auto& c : step_counts) c.additions += bias_and_drive / static_cast<std::uint64_t>(step_count);
    for (const int e : network_.incoming(p)) {
      const auto& projection = network_.projections()[static_cast<std::size_t>(e)];
      if (projection.kind != ProjectionKind::kIdentity) continue;
      const auto& ring = state_.rings[static_cast<std::size_t>(projection.source)];
      for (int s = 0; s < step_count; ++s)
        for (int r = 0; r < rows_; ++r) {
          float* row = current + static_cast<std::size_t>(s * rows_ + r) * frame_size;
          const auto list = ring.spikes(first_step + s - projection.delay, r);
          for (const auto i : list) row[i] += projection.identity_weight;
          step_counts[static_cast<std::size_t>(s)].synaptic_events += list.size();
        }
    }

    // 3. Transforms, each on fixed (step, row group) partitions.
    state_.apply_transforms(p, first_step, step_count, current, step_counts);

    // 4. Neurons: each row integrates the block's steps in order; rows are independent partitions.
    auto& state = state_.result.populations[static_cast<std::size_t>(p)];
    std::vector<ThresholdStatistics> row_thresholds(static_cast<std::size_t>(rows_));
    std::vector<std::uint32_t> row_step_spikes(static_cast<std::size_t>(rows_ * step_count));
    tbb::parallel_for(
        tbb::blocked_range<int>(0, rows_, 1),
        [&](const tbb::blocked_range<int>& range) {
          for (int r = range.begin(); r != range.end(); ++r)
            state_.integrate_row(p, first_step, step_count, r, current + static_cast<std::size_t>(r) * frame_size,
                                 static_cast<std::size_t>(rows_) * frame_size, row_thresholds[static_cast<std::size_t>(r)],
                                 row_step_spikes.data() + static_cast<std::size_t>(r * step_count));
        },
        tbb::simple_partitioner());
    for (int r = 0; r < rows_; ++r) {
      state.thresholds.merge(row_thresholds[static_cast<std::size_t>(r)]);
      for (int s = 0; s < step_count; ++s)
        step_counts[static_cast<std::size_t>(s)].spikes += row_step_spikes[static_cast<std::size_t>(r * step_count + s)];
    }
    // Quiescent: the neuron model's rule (sim/NeuronModel.hpp).
    quiescent_[static_cast<std::size_t>(p)] = population.neuron.quiescent(
        state.membrane.data(), state.refractory.empty() ? nullptr : state.refractory.data(), state.membrane.size());

    // 5. Counters, observers, packets.
    for (int s = 0; s < step_count; ++s) {
      state.counts += step_counts[static_cast<std::size_t>(s)];
      if (options_.observer)
        options_.observer->on_population_step(StepSpikes{&state_.source, p, first_step + s, rows_, &state.spike_count},
                                              step_counts[static_cast<std::size_t>(s)]);
      if (step_counts[static_cast<std::size_t>(s)].spikes > 0) send_packets(p, first_step + s);
    }
  }

  template <class Body>
  void parallel_frames(int frames, const Body& body) {
    constexpr int kFramesPerTask = 16;
    const int tasks = (frames + kFramesPerTask - 1) / kFramesPerTask;
    tbb::parallel_for(
        tbb::blocked_range<int>(0, tasks, 1),
        [&](const tbb::blocked_range<int>& range) {
          for (int task = range.begin(); task != range.end(); ++task)
            for (int f = task * kFramesPerTask; f < std::min(frames, (task + 1) * kFramesPerTask); ++f) body(f);
        },
        tbb::simple_partitioner());
  }

  const Network& network_;
  KernelOptions options_;
  int rows_ = 0, steps_ = 0, block_ = 1;
  RunState state_;
  std::vector<int> position_;
  std::vector<char> quiescent_, pending_;
  std::vector<std::int64_t> queued_block_;
  std::vector<std::vector<int>> outgoing_;
  // Scratch currents [frames of a block][width]; rows start on cache lines (widths are multiples of 16).
  std::vector<float, CacheLineAllocator<float>> current_, extra_current_;
  std::vector<std::shared_ptr<const PackedWeights>> packed_;
  EventHeap heap_;
  std::uint64_t sequence_ = 0;
};

}  // namespace

RunResult run_event_kernel(const Network& network, const KernelOptions& options) {
  return run_in_arena(network, options, "run_event_kernel", [&] { return EventSimulation(network, options).run(); });
}

}  // namespace spikingbert::sim
