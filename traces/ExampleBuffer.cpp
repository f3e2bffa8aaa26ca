#include "traces/ExampleBuffer.hpp"

#include <algorithm>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>

namespace spikingbert::traces {
namespace {
constexpr double kNotRecorded = std::numeric_limits<double>::quiet_NaN();

[[noreturn]] void contract_error(const std::string& what) {
  throw std::logic_error("trace recorder: " + what);
}
}  // namespace

void ExampleBuffer::begin_run(const RunInfo& run, TraceLevel level) {
  if (in_run_) contract_error("begin_run called twice");
  if (run.steps <= 0) contract_error("begin_run needs steps (T) > 0");
  if (run.populations.empty()) contract_error("begin_run needs at least one population");
  for (const auto& population : run.populations) {
    if (population.name.empty() || population.name.find('/') != std::string::npos) {
      contract_error("population name '" + population.name + "' must be non-empty and contain no '/'");
    }
    if (population.width <= 0) contract_error("population '" + population.name + "' needs width > 0");
  }
  run_ = run;
  level_ = level;
  in_run_ = true;
}

void ExampleBuffer::begin_example(std::int64_t example_index, std::int64_t tokens) {
  if (!in_run_) contract_error("begin_example before begin_run");
  if (in_example_) contract_error("begin_example inside an example (end_example missing)");
  if (tokens <= 0) contract_error("begin_example: an example needs at least one token");
  for (const auto& population : run_.populations) {
    if (tokens * population.width > std::int64_t{std::numeric_limits<std::uint32_t>::max()}) {
      contract_error("population '" + population.name + "' has more neurons than 32-bit node ids hold");
    }
  }
  const auto populations = population_count();
  example_index_ = example_index;
  tokens_ = tokens;
  steps_ = 0;
  predicted_label_ = label_ = -1;
  last_recorded_step_ = -1;
  const auto cells = populations * static_cast<std::size_t>(run_.steps);
  mean_asr_.assign(cells, kNotRecorded);
  residual_mean_abs_.assign(cells, kNotRecorded);
  residual_max_.assign(cells, kNotRecorded);
  spikes_.assign(populations, {});
  final_asr_.assign(populations, {});
  word_pieces_.clear();
  in_example_ = true;
}

void ExampleBuffer::record_word_pieces(std::span<const std::string> word_pieces) {
  if (!in_example_) contract_error("record_word_pieces outside begin_example/end_example");
  if (static_cast<std::int64_t>(word_pieces.size()) != tokens_) {
    contract_error("record_word_pieces: " + std::to_string(word_pieces.size()) + " pieces for " +
                   std::to_string(tokens_) + " tokens");
  }
  word_pieces_.assign(word_pieces.begin(), word_pieces.end());
}

void ExampleBuffer::check_population(std::size_t population, const char* call) const {
  if (!in_example_) contract_error(std::string(call) + " outside begin_example/end_example");
  if (population >= population_count()) {
    contract_error(std::string(call) + ": population " + std::to_string(population) + " out of range");
  }
}

void ExampleBuffer::check_step(std::int64_t step, const char* call) const {
  if (step < 0 || step >= run_.steps) {
    contract_error(std::string(call) + ": step " + std::to_string(step) + " outside [0, " +
                   std::to_string(run_.steps) + ")");
  }
}

void ExampleBuffer::record_step(std::size_t population, std::int64_t step, const StepStatistics& statistics) {
  check_population(population, "record_step");
  check_step(step, "record_step");
  const auto cell = population * static_cast<std::size_t>(run_.steps) + static_cast<std::size_t>(step);
  mean_asr_[cell] = statistics.mean_asr;
  residual_mean_abs_[cell] = statistics.residual_mean_abs;
  residual_max_[cell] = statistics.residual_max;
  last_recorded_step_ = std::max(last_recorded_step_, step);
}

void ExampleBuffer::record_spikes(std::size_t population, std::int64_t step,
                                  std::span<const std::uint32_t> node_ids) {
  check_population(population, "record_spikes");
  check_step(step, "record_spikes");
  if (level_ < TraceLevel::spikes) return;  // not asked for: nothing kept
  const auto size = static_cast<std::uint64_t>(tokens_ * run_.populations[population].width);
  auto& buffer = spikes_[population];
  for (const auto node : node_ids) {
    if (node >= size) {
      contract_error("record_spikes: node id " + std::to_string(node) + " >= population size " +
                     std::to_string(size) + " ('" + run_.populations[population].name + "')");
    }
  }
  buffer.node_ids.insert(buffer.node_ids.end(), node_ids.begin(), node_ids.end());
  buffer.steps.insert(buffer.steps.end(), node_ids.size(), step);
  last_recorded_step_ = std::max(last_recorded_step_, step);
}

void ExampleBuffer::record_final_asr(std::size_t population, std::span<const float> asr) {
  check_population(population, "record_final_asr");
  if (level_ < TraceLevel::neurons) return;
  const auto expected = static_cast<std::size_t>(tokens_ * run_.populations[population].width);
  if (asr.size() != expected) {
    contract_error("record_final_asr: '" + run_.populations[population].name + "' got " +
                   std::to_string(asr.size()) + " values, expected tokens*width = " + std::to_string(expected));
  }
  final_asr_[population].assign(asr.begin(), asr.end());
}

void ExampleBuffer::finish(const ExampleOutcome& outcome) {
  if (!in_example_) contract_error("end_example without begin_example");
  steps_ = outcome.steps > 0 ? outcome.steps : last_recorded_step_ + 1;
  if (steps_ <= 0) contract_error("end_example: no step was recorded and outcome.steps is 0");
  if (steps_ > run_.steps) contract_error("end_example: steps " + std::to_string(steps_) + " > T");
  if (last_recorded_step_ >= steps_) contract_error("end_example: a step >= outcome.steps was recorded");
  predicted_label_ = outcome.predicted_label;
  label_ = outcome.label;
  if (level_ >= TraceLevel::neurons) {
    for (std::size_t population = 0; population < population_count(); ++population) {
      if (final_asr_[population].empty()) {
        contract_error("end_example: no final ASR for '" + run_.populations[population].name + "'");
      }
    }
  }
  for (auto& buffer : spikes_) {
    std::vector<std::size_t> order(buffer.node_ids.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::sort(order.begin(), order.end(), [&](std::size_t left, std::size_t right) {
      if (buffer.steps[left] != buffer.steps[right]) return buffer.steps[left] < buffer.steps[right];
      return buffer.node_ids[left] < buffer.node_ids[right];
    });
    PopulationSpikes sorted;
    sorted.steps.reserve(order.size());
    sorted.node_ids.reserve(order.size());
    for (const auto index : order) {
      sorted.steps.push_back(buffer.steps[index]);
      sorted.node_ids.push_back(buffer.node_ids[index]);
    }
    buffer = std::move(sorted);
  }
  in_example_ = false;
}

void ExampleBuffer::end_run() {
  if (!in_run_) contract_error("end_run without begin_run");
  if (in_example_) contract_error("end_run inside an example (end_example missing)");
  in_run_ = false;
}

}  // namespace spikingbert::traces
