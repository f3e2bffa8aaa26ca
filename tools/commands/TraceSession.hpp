#pragma once
// A trace of a SpikingBERT run (`--trace FILE.h5 --trace-level L`) for both `run` modes: builds the
// Recorder stack (Hdf5Recorder + RunStatistics through RecorderFanout), gives the kernel a
// KernelTraceObserver per batch and, after the batch's forward pass, hands every example to the
// recorders in the order traces/Recorder.hpp asks for.
//
// Under mpirun (issue 13 item 2) each rank records its share of the examples in memory
// (traces::MemoryRecorder); finish() sends every rank's records to rank 0, which replays them in example
// order into the trace file and the run statistics: the one trace is the one a single rank writes
// (docs/scaling.md "Traces"). Only rank 0 opens the file.
#include "io/Vocabulary.hpp"
#include "models/SpikingBert.hpp"
#include "traces/Hdf5Recorder.hpp"
#include "traces/KernelTraceObserver.hpp"
#include "traces/MemoryRecorder.hpp"
#include "traces/RunStatistics.hpp"
#include "traces/StepResidualObserver.hpp"

#include <map>
#include <memory>
#include <optional>
#include <string>

namespace spikingbert::tools {

class TraceSession {
 public:
  // `file` empty: no HDF5 trace (run statistics are still kept).
  // steady_state (may be null): the model's steady-state map; given, every step's convergence residual
  // is evaluated (traces/StepResidualObserver.hpp) and recorded, and the kernel must run in step order
  // (needs_step_order()). convergence_tolerance: the residual below which a sub-layer counts as
  // converged (docs/traces.md /summary/converged_at). batch: the run's --batch (metadata only). vocabulary
  // (may be null): turns each example's token ids into the word pieces the trace stores.
  // The trace's metadata (version, commit, command line) is commands/RunMetadata.hpp's.
  TraceSession(const std::string& file, const std::string& level, const models::SpikingBert& model,
               const std::string& model_source, const std::string& task, int steps,
               const models::SpikingBertEquilibrium<float>* steady_state = nullptr,
               double convergence_tolerance = traces::kDefaultConvergenceTolerance, int batch = 0,
               const io::Vocabulary* vocabulary = nullptr);
  ~TraceSession();
  TraceSession(const TraceSession&) = delete;
  TraceSession& operator=(const TraceSession&) = delete;

  // The observer to pass in sim::KernelOptions for `batch` (which must outlive end_batch), whose first
  // example is example `first_index` of the run. Batches may be in flight together (their kernels run
  // concurrently; each has its own observers); end_batch must then come in example order.
  sim::StepObserver* begin_batch(const models::TokenBatch& batch, std::int64_t first_index = 0);
  // True when per-step residuals are evaluated: run the event kernel with block_steps = 1.
  bool needs_step_order() const { return steady_state_ != nullptr; }
  double convergence_tolerance() const { return convergence_tolerance_; }
  // Records the batch's examples: indices first_index.., predicted and gold labels (-1 if none). Each example's
  // positions are the batch's rows (result.sequence): its real tokens when it is simulated alone at its own
  // length (run --task); the trace holds those positions only (docs/traces.md §3).
  void end_batch(const models::TokenBatch& batch, const models::ForwardResult& result, std::int64_t first_index,
                 const std::vector<std::int64_t>& predicted, const std::vector<std::int64_t>& labels);
  // Finishes the trace file (renamed into place). Collective on several ranks: every rank calls it once its
  // share is simulated; rank 0 then holds every example in statistics() and the file.
  void finish();

  const traces::RunStatistics& statistics() const { return statistics_; }
  bool writes_file() const { return file_ != nullptr; }

 private:
  const models::SpikingBert& model_;
  std::vector<sim::PopulationId> sublayers_;
  std::vector<std::int64_t> widths_;
  int steps_;
  std::unique_ptr<traces::Hdf5Recorder> file_;
  traces::RunStatistics statistics_;
  std::unique_ptr<traces::RecorderFanout> fanout_;  // what the simulation feeds
  // Several ranks: the simulation feeds collected_; finish() replays every rank's records into outputs_.
  std::unique_ptr<traces::MemoryRecorder> collected_;
  std::unique_ptr<traces::RecorderFanout> outputs_;
  const models::SpikingBertEquilibrium<float>* steady_state_;
  double convergence_tolerance_;
  const io::Vocabulary* vocabulary_;
  struct BatchObservers {
    std::optional<traces::KernelTraceObserver> spikes;
    std::optional<traces::StepResidualObserver> residuals;
    int examples = 0;
  };
  std::map<std::int64_t, BatchObservers> in_flight_;  // by the batch's first example index
};

}  // namespace spikingbert::tools
