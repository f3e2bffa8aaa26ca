#pragma once
// `spikingbert run --task T --data FILE`: a SpikingBERT simulated with the event kernel on a GLUE file
// (issue 3 item 3): tokenises, simulates every example at its own length, prints the task metric (when labels exist),
// the mean ASR per sub-layer and the synaptic events; optionally a trace and an energy report.
#include <string>

namespace spikingbert::tools {

struct RunGlueOptions {
  std::string model;           // model folder or checkpoint; empty with random_model
  bool random_model = false;   // a randomly initialised, untrained model (kRandomModel* below)
  std::string task, data, vocab;
  std::string command_line;    // for trace attributes
  int limit = 0;               // 0: every example
  int steps = 0;               // 0: the config's t_conv
  int threads = 1;
  int batch = 0;               // --batch-size: examples simulated at once (throughput only)
  int max_length = 0;          // 0: the task's default, capped by max_position_embeddings
  bool json = false;
  std::string trace, trace_level = "summary";
  std::string energy = "fp32", energy_json;
  std::string predictions;     // CSV, one row per example; empty: none
  // Adaptive steps (issue 4 item 3) and the convergence report; the *_given flags say whether the
  // option was on the command line (any value given must be valid).
  double converge_tol = 0.0;   // not given: traces::kDefaultConvergenceTolerance for the report
  bool converge_tol_given = false;
  int steps_max = 0;           // given: adaptive steps, at most this many per example
  bool steps_max_given = false;
  int stable_steps = 0;        // k of the stopping rule; not given: the default
  bool stable_steps_given = false;
};

void run_spiking_glue(const RunGlueOptions& options);

}  // namespace spikingbert::tools
