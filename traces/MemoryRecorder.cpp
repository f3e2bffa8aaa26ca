#include "traces/MemoryRecorder.hpp"

#include <stdexcept>

namespace spikingbert::traces {

void MemoryRecorder::end_example(const ExampleOutcome& outcome) {
  buffer_.finish(outcome);
  examples_.push_back(record_of(buffer_));
}

std::vector<double> MemoryRecorder::series(const std::vector<double>& table, std::size_t example,
                                           std::size_t population) const {
  if (population >= buffer_.population_count()) throw std::out_of_range("MemoryRecorder: population out of range");
  const auto max_steps = static_cast<std::size_t>(buffer_.max_steps());
  const auto steps = static_cast<std::size_t>(examples_.at(example).steps);
  const auto begin = table.begin() + static_cast<std::ptrdiff_t>(population * max_steps);
  return {begin, begin + static_cast<std::ptrdiff_t>(steps)};
}

std::vector<double> MemoryRecorder::mean_asr_series(std::size_t example, std::size_t population) const {
  return series(examples_.at(example).mean_asr, example, population);
}

std::vector<double> MemoryRecorder::residual_series(std::size_t example, std::size_t population) const {
  return series(examples_.at(example).residual_mean_abs, example, population);
}

}  // namespace spikingbert::traces
