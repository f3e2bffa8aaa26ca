#pragma once
// A deterministic stand-in for the simulator: IF neurons (method doc §2.1, V_th = 1, leak = 1) each
// driven by a constant current c = ((node*7 + population*3 + example*5) mod 11) / 10, so their ASR
// converges to min(c, 1) like 1/T (method doc §10 test 1). Examples have different lengths (3 tokens,
// then 2, alternately), as real sentences do. It drives any Recorder through the full call contract. tests/traces/check_trace.py recomputes the same numbers in Python.
#include "traces/Recorder.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace spikingbert::testing {

inline std::vector<traces::PopulationInfo> synthetic_populations() {
  return {{"embedding", 4}, {"L0_key", 4}, {"L0_intermediate", 8}};
}

// Tokens (positions) of synthetic example e.
inline std::int64_t synthetic_tokens(std::int64_t example) { return 3 - example % 2; }

inline traces::RunInfo synthetic_run_info(std::int64_t steps) {
  traces::RunInfo run;
  run.model = "synthetic-if-neurons";
  run.steps = steps;
  run.neuron = io::NeuronParameters{};  // the reference IF neuron
  run.command_line = "tests_traces synthetic";
  run.program_version = SPIKINGBERT_VERSION;
  run.batch = 1;
  run.task = "synthetic";
  run.populations = synthetic_populations();
  return run;
}

inline double synthetic_current(std::int64_t node, std::int64_t population, std::int64_t example) {
  return static_cast<double>((node * 7 + population * 3 + example * 5) % 11) / 10.0;
}

// Records `examples` examples of `steps` steps. after_example(e) runs after end_example(e);
// step_delay slows the run down (for the SIGKILL test).
inline void record_synthetic_examples(traces::Recorder& recorder, std::int64_t examples, std::int64_t steps,
                                      const std::function<void(std::int64_t)>& after_example = {},
                                      std::chrono::microseconds step_delay = std::chrono::microseconds{0}) {
  const auto populations = synthetic_populations();
  for (std::int64_t example = 0; example < examples; ++example) {
    const auto tokens = synthetic_tokens(example);
    recorder.begin_example(example, tokens);
    std::vector<std::string> pieces;  // "t<example>.<token>"
    for (std::int64_t k = 0; k < tokens; ++k) pieces.push_back("t" + std::to_string(example) + "." + std::to_string(k));
    recorder.record_word_pieces(pieces);
    std::vector<std::vector<double>> membrane(populations.size()), current(populations.size());
    std::vector<std::vector<std::int64_t>> spike_count(populations.size());
    for (std::size_t p = 0; p < populations.size(); ++p) {
      const auto size = static_cast<std::size_t>(tokens * populations[p].width);
      membrane[p].assign(size, 0.0);
      spike_count[p].assign(size, 0);
      for (std::size_t node = 0; node < size; ++node) {
        current[p].push_back(synthetic_current(static_cast<std::int64_t>(node), static_cast<std::int64_t>(p), example));
      }
    }
    for (std::int64_t step = 0; step < steps; ++step) {
      for (std::size_t p = 0; p < populations.size(); ++p) {
        std::vector<std::uint32_t> spiking;
        for (std::size_t node = 0; node < membrane[p].size(); ++node) {
          membrane[p][node] += current[p][node];
          if (membrane[p][node] >= 1.0) {
            membrane[p][node] -= 1.0;
            ++spike_count[p][node];
            spiking.push_back(static_cast<std::uint32_t>(node));
          }
        }
        if (recorder.wants_spikes()) {
          // Handed over in descending order: the recorder must store them sorted.
          std::reverse(spiking.begin(), spiking.end());
          recorder.record_spikes(p, step, spiking);
        }
        double total = 0.0, residual_sum = 0.0, residual_max = 0.0;
        for (std::size_t node = 0; node < membrane[p].size(); ++node) {
          const double asr = static_cast<double>(spike_count[p][node]) / static_cast<double>(step + 1);
          const double residual = std::abs(asr - std::min(current[p][node], 1.0));
          total += asr;
          residual_sum += residual;
          residual_max = std::max(residual_max, residual);
        }
        const auto size = static_cast<double>(membrane[p].size());
        recorder.record_step(p, step, {total / size, residual_sum / size, residual_max});
      }
      if (step_delay.count() > 0) std::this_thread::sleep_for(step_delay);
    }
    if (recorder.wants_final_asr()) {
      for (std::size_t p = 0; p < populations.size(); ++p) {
        std::vector<float> asr;
        for (const auto count : spike_count[p]) asr.push_back(static_cast<float>(count) / static_cast<float>(steps));
        recorder.record_final_asr(p, asr);
      }
    }
    recorder.end_example({steps, example % 2, (example / 2) % 2});
    if (after_example) after_example(example);
  }
}

}  // namespace spikingbert::testing
