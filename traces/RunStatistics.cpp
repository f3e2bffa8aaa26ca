#include "traces/RunStatistics.hpp"

#include <cmath>
#include <cstdio>
#include <limits>
#include <ostream>

namespace spikingbert::traces {

void RunStatistics::begin_run(const RunInfo& run) {
  buffer_.begin_run(run, TraceLevel::summary);
  const auto cells = run.populations.size() * static_cast<std::size_t>(run.steps);
  asr_sum_.assign(cells, 0.0);
  residual_sum_.assign(cells, 0.0);
  asr_count_.assign(cells, 0);
  residual_count_.assign(cells, 0);
  final_asr_sum_.assign(run.populations.size(), 0.0);
}

void RunStatistics::end_example(const ExampleOutcome& outcome) {
  buffer_.finish(outcome);
  const auto max_steps = static_cast<std::size_t>(buffer_.max_steps());
  const auto steps = static_cast<std::size_t>(buffer_.steps());
  for (std::size_t population = 0; population < buffer_.population_count(); ++population) {
    for (std::size_t step = 0; step < steps; ++step) {
      const auto cell = population * max_steps + step;
      if (std::isfinite(buffer_.mean_asr()[cell])) {
        asr_sum_[cell] += buffer_.mean_asr()[cell];
        ++asr_count_[cell];
      }
      if (std::isfinite(buffer_.residual_mean_abs()[cell])) {
        residual_sum_[cell] += buffer_.residual_mean_abs()[cell];
        ++residual_count_[cell];
      }
    }
    const double last = buffer_.mean_asr()[population * max_steps + steps - 1];
    if (std::isfinite(last)) final_asr_sum_[population] += last;
  }
  ++examples_;
  total_steps_ += buffer_.steps();
}

double RunStatistics::mean_steps() const {
  return examples_ > 0 ? static_cast<double>(total_steps_) / static_cast<double>(examples_) : 0.0;
}

std::vector<double> RunStatistics::final_mean_asr() const {
  std::vector<double> mean(final_asr_sum_.size(), 0.0);
  for (std::size_t population = 0; population < mean.size(); ++population) {
    mean[population] = examples_ > 0 ? final_asr_sum_[population] / static_cast<double>(examples_) : 0.0;
  }
  return mean;
}

std::vector<double> RunStatistics::curve(const std::vector<double>& sum, const std::vector<std::int64_t>& count,
                                         std::size_t population) const {
  const auto max_steps = static_cast<std::size_t>(buffer_.max_steps());
  std::vector<double> values(max_steps, std::numeric_limits<double>::quiet_NaN());
  for (std::size_t step = 0; step < max_steps; ++step) {
    const auto cell = population * max_steps + step;
    if (count.at(cell) > 0) values[step] = sum[cell] / static_cast<double>(count[cell]);
  }
  return values;
}

std::vector<SublayerConvergence> RunStatistics::convergence(double tolerance) const {
  std::vector<std::string> names;
  std::vector<std::vector<double>> residuals;
  for (std::size_t population = 0; population < buffer_.run().populations.size(); ++population) {
    auto series = residual_curve(population);
    while (!series.empty() && std::isnan(series.back())) series.pop_back();  // steps no example ran
    if (series.empty()) continue;
    names.push_back(buffer_.run().populations[population].name);
    residuals.push_back(std::move(series));
  }
  return analyse_convergence(names, residuals, tolerance);
}

void RunStatistics::print_convergence_table(std::ostream& out, double tolerance) const {
  char line[256];
  std::snprintf(line, sizeof line, "%-20s %10s %14s %12s %12s\n", "sub-layer", "final ASR", "converged at",
                "floor", "final r");
  out << line;
  const auto asr = final_mean_asr();
  const auto report = convergence(tolerance);
  for (std::size_t population = 0; population < asr.size(); ++population) {
    const auto& name = buffer_.run().populations[population].name;
    const SublayerConvergence* entry = nullptr;
    for (const auto& candidate : report) {
      if (candidate.name == name) entry = &candidate;
    }
    if (entry == nullptr) {
      std::snprintf(line, sizeof line, "%-20s %10.4f %14s %12s %12s\n", name.c_str(), asr[population], "-", "-", "-");
    } else {
      char step[32] = "never";
      if (entry->converged_at) std::snprintf(step, sizeof step, "%lld", static_cast<long long>(*entry->converged_at + 1));
      std::snprintf(line, sizeof line, "%-20s %10.4f %14s %12.4g %12.4g\n", name.c_str(), asr[population], step,
                    entry->floor, entry->final_residual);
    }
    out << line;
  }
  std::snprintf(line, sizeof line, "(mean over %lld examples; converged at = first step t from which the mean residual stays < %g)\n",
                static_cast<long long>(examples_), tolerance);
  out << line;
}

TraceLevel RecorderFanout::level() const {
  TraceLevel highest = TraceLevel::summary;
  for (const auto* recorder : recorders_) highest = std::max(highest, recorder->level());
  return highest;
}
void RecorderFanout::begin_run(const RunInfo& run) {
  for (auto* recorder : recorders_) recorder->begin_run(run);
}
void RecorderFanout::begin_example(std::int64_t example_index, std::int64_t tokens) {
  for (auto* recorder : recorders_) recorder->begin_example(example_index, tokens);
}
void RecorderFanout::record_word_pieces(std::span<const std::string> word_pieces) {
  for (auto* recorder : recorders_) recorder->record_word_pieces(word_pieces);
}
void RecorderFanout::record_step(std::size_t population, std::int64_t step, const StepStatistics& statistics) {
  for (auto* recorder : recorders_) recorder->record_step(population, step, statistics);
}
void RecorderFanout::record_spikes(std::size_t population, std::int64_t step, std::span<const std::uint32_t> node_ids) {
  for (auto* recorder : recorders_) {
    if (recorder->wants_spikes()) recorder->record_spikes(population, step, node_ids);
  }
}
void RecorderFanout::record_final_asr(std::size_t population, std::span<const float> asr) {
  for (auto* recorder : recorders_) {
    if (recorder->wants_final_asr()) recorder->record_final_asr(population, asr);
  }
}
void RecorderFanout::end_example(const ExampleOutcome& outcome) {
  for (auto* recorder : recorders_) recorder->end_example(outcome);
}
void RecorderFanout::end_run() {
  for (auto* recorder : recorders_) recorder->end_run();
}

}  // namespace spikingbert::traces
