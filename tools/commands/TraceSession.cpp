#include "commands/TraceSession.hpp"

#include "commands/RunMetadata.hpp"
#include "traces/RecordedExample.hpp"
#include "training/Communicator.hpp"

#include <algorithm>

#include <span>
#include <stdexcept>

namespace spikingbert::tools {

TraceSession::TraceSession(const std::string& file, const std::string& level, const models::SpikingBert& model,
                           const std::string& model_source, const std::string& task, int steps,
                           const models::SpikingBertEquilibrium<float>* steady_state, double convergence_tolerance,
                           int batch, const io::Vocabulary* vocabulary)
    : model_(model), steps_(steps), steady_state_(steady_state),
      convergence_tolerance_(convergence_tolerance), vocabulary_(vocabulary) {
  const auto trace_level = traces::parse_trace_level(level);
  sublayers_ = model.sublayers().populations();  // the same for every batch (models/SubLayerTable.hpp)
  const auto& config = model.config();
  const auto names = model.sublayers().names();
  traces::RunInfo run;
  run.model = model_source;
  run.steps = steps;
  run.neuron = config;  // the config's io::NeuronParameters
  run.feedback = config.feedback;
  run.command_line = command_line();
  run.program_version = SPIKINGBERT_VERSION;
  run.git_commit = git_commit();
  run.kernel = "event";  // traced runs use the event kernel (docs/traces.md §5)
  run.batch = batch;
  run.task = task;
  run.convergence_tolerance = convergence_tolerance;
  for (std::size_t j = 0; j < names.size(); ++j) {
    widths_.push_back(model.sublayers().width(static_cast<int>(j)));
    run.populations.push_back({names[j], widths_.back()});
  }
  auto& world = training::world();
  std::vector<traces::Recorder*> recorders{&statistics_};
  if (!file.empty() && world.is_root()) {
    file_ = std::make_unique<traces::Hdf5Recorder>(file, trace_level);
    recorders.push_back(file_.get());
  }
  if (world.size() > 1) {
    outputs_ = std::make_unique<traces::RecorderFanout>(recorders);
    outputs_->begin_run(run);  // rank 0 claims the trace file before any work
    collected_ = std::make_unique<traces::MemoryRecorder>(trace_level);
    recorders = {collected_.get()};
  }
  fanout_ = std::make_unique<traces::RecorderFanout>(recorders);
  fanout_->begin_run(run);
}

TraceSession::~TraceSession() = default;

sim::StepObserver* TraceSession::begin_batch(const models::TokenBatch& batch, std::int64_t first_index) {
  auto& observers = in_flight_[first_index];
  observers.examples = static_cast<int>(batch.batch);
  observers.spikes.emplace(sublayers_, widths_, observers.examples, static_cast<int>(batch.sequence), steps_,
                           fanout_->wants_spikes());
  if (!steady_state_) return &*observers.spikes;
  observers.residuals.emplace(model_, *steady_state_, batch, sublayers_, steps_, &*observers.spikes);
  return &*observers.residuals;
}

void TraceSession::end_batch(const models::TokenBatch& batch, const models::ForwardResult& result, std::int64_t first_index,
                             const std::vector<std::int64_t>& predicted, const std::vector<std::int64_t>& labels) {
  if (result.sublayers != sublayers_) throw std::logic_error("TraceSession: the network's sub-layers changed");
  const auto found = in_flight_.find(first_index);
  if (found == in_flight_.end()) throw std::logic_error("TraceSession: end_batch without begin_batch");
  auto& observers = found->second;
  std::vector<std::vector<float>> final_asr;
  if (fanout_->wants_final_asr())
    for (std::size_t j = 0; j < sublayers_.size(); ++j) final_asr.push_back(result.asr(static_cast<int>(j)));
  if (observers.residuals) observers.residuals->finish();
  for (int b = 0; b < observers.examples; ++b) {
    const auto i = static_cast<std::size_t>(b);
    // The example's positions are the batch's rows: its real tokens when it is simulated alone (run --task).
    fanout_->begin_example(first_index + b, result.sequence);
    if (vocabulary_) {
      std::vector<std::string> pieces;
      for (std::int64_t k = 0; k < batch.sequence; ++k) {
        const auto id = batch.token_ids[static_cast<std::size_t>(b * batch.sequence + k)];
        pieces.push_back(id >= 0 && id < static_cast<std::int64_t>(vocabulary_->size()) ? vocabulary_->token(static_cast<int>(id))
                                                                                         : std::string());
      }
      fanout_->record_word_pieces(pieces);
    }
    observers.spikes->replay_example(b, *fanout_, observers.residuals ? &*observers.residuals : nullptr);
    for (std::size_t j = 0; j < final_asr.size(); ++j) {
      const auto simulated = static_cast<std::size_t>(result.sequence) * static_cast<std::size_t>(widths_[j]);
      fanout_->record_final_asr(j, std::span<const float>(final_asr[j].data() + i * simulated, simulated));
    }
    traces::ExampleOutcome outcome;
    outcome.steps = result.steps;
    outcome.predicted_label = predicted[i];
    outcome.label = labels[i];
    fanout_->end_example(outcome);
  }
  in_flight_.erase(found);
}

void TraceSession::finish() {
  fanout_->end_run();
  if (!collected_) return;
  // Every rank's records to rank 0 (the others send nothing), then replayed in example order: the file and
  // the statistics see exactly the calls a single rank makes.
  auto& world = training::world();
  std::vector<std::vector<std::byte>> to_each(static_cast<std::size_t>(world.size()));
  to_each[0] = traces::to_bytes(collected_->examples());
  const auto received = world.all_to_all_bytes(to_each);
  if (world.is_root()) {
    std::vector<traces::RecordedExample> examples;
    for (const auto& bytes : received)
      for (auto& example : traces::from_bytes(bytes)) examples.push_back(std::move(example));
    std::stable_sort(examples.begin(), examples.end(),
                     [](const auto& a, const auto& b) { return a.example_index < b.example_index; });
    for (const auto& example : examples) traces::replay(example, steps_, *outputs_);
  }
  outputs_->end_run();
}

}  // namespace spikingbert::tools
