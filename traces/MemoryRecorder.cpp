#include "traces/MemoryRecorder.hpp"

#include <stdexcept>

namespace spikingbert::traces {

void MemoryRecorder::end_example(const ExampleOutcome& outcome) {
  buffer_.finish(outcome);
  RecordedExample example;
  example.example_index = buffer_.example_index();
  example.tokens = buffer_.tokens();
  example.steps = buffer_.steps();
  example.predicted_label = buffer_.predicted_label();
  example.label = buffer_.label();
  example.word_pieces = buffer_.word_pieces();
  example.mean_asr = buffer_.mean_asr();
  example.residual_mean_abs = buffer_.residual_mean_abs();
  example.residual_max = buffer_.residual_max();
  for (std::size_t population = 0; population < buffer_.population_count(); ++population) {
    example.spikes.push_back(buffer_.spikes(population));
    example.final_asr.push_back(buffer_.final_asr(population));
  }
  examples_.push_back(std::move(example));
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
