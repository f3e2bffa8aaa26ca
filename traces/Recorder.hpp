#pragma once
// The one recording interface of spikingbert, in the spirit of NEST's recording backends: the
// simulator hands plain data (numbers, spans) to a Recorder and knows nothing about files. Backends:
// Hdf5Recorder (streams a trace file, docs/traces.md) and MemoryRecorder (keeps everything, for tests).
//
// Call order for one run (the simulator's side of the contract):
//   begin_run(RunInfo)
//   for each example:
//     begin_example(example_index, tokens)
//     record_word_pieces(pieces)             // optional: the example's tokens as text, one per position
//     for each step s = 0 .. steps-1, for each population p (in any order within the step):
//       record_spikes(p, s, node_ids)        // only if level() >= spikes; may be skipped when no spike
//       record_step(p, s, StepStatistics)    // every step, every population
//     record_final_asr(p, asr)               // only if level() >= neurons; once per population
//     end_example(ExampleOutcome)
//   end_run()
// Steps are 0-based: step s is the (s+1)-th update of method doc §2.1 (t = s+1 there).
// A population is one spiking sub-layer of `width` neurons per token (method doc §1.3). An example has
// its own number of positions (its real tokens: a position that is not in the sentence has no neuron),
// so it holds tokens*width neurons; the node id of neuron n of token k is k*width + n.
#include "io/NeuronParameters.hpp"

#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace spikingbert::traces {

// Each level records everything of the levels before it.
enum class TraceLevel { summary = 0, neurons = 1, spikes = 2 };

// "summary" | "neurons" | "spikes"; anything else is an InputError naming `option`.
TraceLevel parse_trace_level(std::string_view text, std::string_view option = "--trace-level");
std::string_view to_string(TraceLevel level);

struct PopulationInfo {
  std::string name;        // e.g. "embedding", "L0_key" (the sub-layer names of tests/data/tiny/config.json)
  std::int64_t width = 0;  // neurons per token
};

struct RunInfo {
  std::string model;            // model folder or checkpoint path, as given
  std::int64_t steps = 0;       // T (or T_max for adaptive runs): the most steps any example may run
  io::NeuronParameters neuron;  // the neuron model's parameters (V_th, leak, refractory period; method doc §2.1)
  bool feedback = false;        // whether the feedback projection was simulated (config key feedback)
  std::string command_line;     // the full command line that produced the run
  std::string program_version;  // SPIKINGBERT_VERSION
  std::string git_commit;       // of the source tree the program was built from ("unknown" if none)
  std::string kernel = "event"; // the simulation kernel
  std::int64_t batch = 0;       // examples simulated together (a throughput setting: results do not depend on it)
  std::string task;             // e.g. "sst2" (may be empty)
  double convergence_tolerance = 0.01;  // r below which a sub-layer counts as converged (traces/Convergence.hpp)
  std::vector<PopulationInfo> populations;
};

// What the simulator knows about one population after one step. Residuals are the convergence
// residual r_j(t) = ‖a_j(t) − f_j(a(t))‖ of issue 4 item 2 (mean absolute value and max); NaN when
// the caller does not compute them.
struct StepStatistics {
  double mean_asr = 0.0;  // running mean ASR over all neurons of the population after this step
  double residual_mean_abs = std::numeric_limits<double>::quiet_NaN();
  double residual_max = std::numeric_limits<double>::quiet_NaN();
};

struct ExampleOutcome {
  std::int64_t steps = 0;            // steps actually simulated; 0 = infer from the last recorded step + 1
  std::int64_t predicted_label = -1; // -1 when there is no classifier output
  std::int64_t label = -1;           // -1 when the gold label is unknown
};

class Recorder {
 public:
  virtual ~Recorder() = default;

  virtual TraceLevel level() const = 0;
  bool wants_final_asr() const { return level() >= TraceLevel::neurons; }
  bool wants_spikes() const { return level() >= TraceLevel::spikes; }

  virtual void begin_run(const RunInfo& run) = 0;
  // example_index: position of the example in the input; tokens: the positions simulated for it (its real
  // tokens; > 0): every population of the example has tokens*width neurons.
  virtual void begin_example(std::int64_t example_index, std::int64_t tokens) = 0;
  // The example's tokens as text (WordPiece), one per position; optional (backends that keep no text ignore it).
  virtual void record_word_pieces(std::span<const std::string> word_pieces) { (void)word_pieces; }
  virtual void record_step(std::size_t population, std::int64_t step, const StepStatistics& statistics) = 0;
  // node_ids: the neurons of `population` that spiked at `step` (token*width + neuron).
  virtual void record_spikes(std::size_t population, std::int64_t step, std::span<const std::uint32_t> node_ids) = 0;
  // asr: the final ASR of every neuron, row-major [tokens, width] (method doc §2.2).
  virtual void record_final_asr(std::size_t population, std::span<const float> asr) = 0;
  virtual void end_example(const ExampleOutcome& outcome) = 0;
  virtual void end_run() = 0;
};

}  // namespace spikingbert::traces
