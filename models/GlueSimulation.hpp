#pragma once
// Simulating a GLUE set with a SpikingBERT and the event kernel (issue 3 item 3, issue 4 items 3 and 5):
// the orchestration `spikingbert run --task`, `sweep` and `distill` share. It loads and encodes the
// examples, checks them against the model, simulates each alone at its own length (issue 11: no neuron
// for padding; examples of a round run concurrently, one per thread, and are reduced in example order),
// and returns the task metric, per-example results, the mean ASR per sub-layer over real tokens, the kernel's counters per sub-layer and the final-step
// residual of the steady-state map (method doc §9.3). Recording (traces), per-step analysis and
// printing stay with the callers: they see each example through a GlueExampleHook.
#include "io/BertTokenizer.hpp"
#include "io/GlueEncoding.hpp"
#include "io/GlueExample.hpp"
#include "io/GlueMetrics.hpp"
#include "io/GlueTask.hpp"
#include "models/SpikingBert.hpp"
#include "models/SpikingBertEquilibrium.hpp"
#include "models/TokenBatch.hpp"
#include "sim/OperationCounts.hpp"
#include "sim/StepObserver.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <vector>

namespace spikingbert::models {

// The `--random-model` of run and sweep: small enough that the SST-2 dev set runs in about a minute on
// 2 cores, with the bert-base-uncased vocabulary. Its weights are random (models/RandomSpikingBert.hpp),
// calibrated so every sub-layer fires at about kGlueRandomModelTargetAsr (the paper's ~0.15, method doc
// §10 item 10).
inline constexpr int kGlueRandomModelHidden = 64;
inline constexpr int kGlueRandomModelIntermediate = 128;
inline constexpr int kGlueRandomModelHeads = 2;
inline constexpr int kGlueRandomModelLayers = 2;
inline constexpr int kGlueRandomModelPositions = 128;
inline constexpr int kGlueRandomModelSteps = 32;  // default T
inline constexpr double kGlueRandomModelTargetAsr = 0.15;
inline constexpr std::uint32_t kGlueRandomModelSeed = 20240229;

SpikingBert make_glue_random_model(int vocab_size, int num_labels, int threads);
// One line saying plainly that the model is random and untrained, and its shape.
std::string describe_glue_random_model();

// The same weights with another firing threshold V_th (method doc §2.1), for V_th sweeps.
SpikingBert with_threshold(const SpikingBert& model, double vth);

// A GLUE file encoded for a model.
struct GlueSet {
  io::GlueTask task = io::GlueTask::sst2;
  std::string data;     // the file, for messages
  bool labeled = false; // dev/train layout: metrics can be computed
  int max_length = 0;   // tokens per encoded example
  io::EncodedBatch encoded;
  bool is_regression() const { return io::glue_task_info(task).is_regression(); }
  int num_labels() const;
};

struct GlueSetOptions {
  int limit = 0;       // 0: every example
  int max_length = 0;  // 0: the task's default (io::GlueTaskInfo::default_max_length), capped by max_position_embeddings
};

// Reads `data`, keeps the first `limit` examples and encodes them. Throws io::InputError when the
// model does not fit the task (num_labels), the vocabulary (vocab_size; `vocabulary_source` names the
// vocabulary file in the message) or max_length.
GlueSet load_glue_set(const io::ModelConfig& config, const std::string& model_source, io::GlueTask task,
                      const std::filesystem::path& data, const io::BertTokenizer& tokenizer,
                      const std::string& vocabulary_source, const GlueSetOptions& options);
// The same for examples already read (e.g. a validation split carved from a training file): `dataset.file`
// names them in messages.
GlueSet make_glue_set(const io::ModelConfig& config, const std::string& model_source, io::GlueDataset dataset,
                      const io::BertTokenizer& tokenizer, const std::string& vocabulary_source,
                      const GlueSetOptions& options);

// The predicted class of every example of a batch from its logits (argmax, ties to the lowest index);
// -1 for regression tasks.
std::vector<int> predicted_classes(std::span<const float> logits, int batch, int num_labels, bool regression);

// The task's metrics (empty when the set has no labels or no examples).
std::vector<io::MetricValue> glue_set_metrics(const GlueSet& set, std::span<const int> predictions,
                                              std::span<const double> predicted_scores);

// What a caller attaches to one example's simulation: an observer of the kernel (may be null) and an
// early-exit rule (sim::KernelOptions::stop_after; may be empty).
struct GlueExampleWatch {
  sim::StepObserver* observer = nullptr;
  std::function<bool(int last_step)> stop_after;
};

// Callers' view of each example (traces, per-step residuals, adaptive stopping). Both calls come on the
// calling thread in example order; between them, the examples of one round (GlueSimulationOptions::batch)
// are simulated concurrently, so the watches of different examples must not share mutable state.
// `example` stays valid until end_example.
class GlueExampleHook {
 public:
  virtual ~GlueExampleHook() = default;
  virtual GlueExampleWatch begin_example(const TokenBatch& example, int index) = 0;
  virtual void end_example(const TokenBatch& example, const ForwardResult& result, int index, int predicted) = 0;
};

struct GlueSimulationOptions {
  int steps = 0;          // T (T_max when a hook stops examples early); 0: the config's t_conv
  int threads = 1;        // results do not depend on it
  // Examples simulated concurrently per round (one example per thread at a time; progress and Ctrl-C are
  // checked between rounds). A throughput device only: every result is the same for any value.
  int batch = 32;
  int block_steps = 16;   // event kernel time block (1 = step order, what per-step observers need)
  bool final_residual = true;   // evaluate the steady-state map at the final rates
  // The model's steady-state map for the final residual, if the caller has one already (saves building
  // a second copy of the weights); null: built here when final_residual is set.
  const SpikingBertEquilibrium<float>* steady_state = nullptr;
  std::function<void(int done, int total, double seconds)> progress;  // after each round; may be empty
  // Polled after each round; true ends the run there (Ctrl-C): the result then holds the finished rounds
  // (`stopped` set, no metrics). May be empty.
  std::function<bool()> stop_requested;
};

// Every example is simulated alone at its own length, so each number below is a sum of single-sentence
// runs, whatever batch, thread count or trace level produced it.
struct GlueSimulationResult {
  int examples = 0;  // simulated (fewer than the set's when stopped)
  int steps = 0;     // T (T_max)
  bool stopped = false;  // options.stop_requested ended the run early
  double seconds = 0.0;
  std::vector<io::MetricValue> metrics;          // empty without labels
  std::vector<int> predictions;                  // per example (-1 for regression)
  std::vector<double> predicted_scores;          // per example, regression tasks only
  std::vector<float> logits;                     // per example, num_labels values each
  std::vector<std::int64_t> example_steps;       // per example: steps simulated (T unless stopped early)
  std::vector<std::uint64_t> example_synaptic_events, example_spikes;  // per example, all populations
  double mean_steps = 0.0;
  // Per sub-layer: spikes / (neurons x steps) over every example's real tokens and simulated steps, method doc §2.2.
  std::vector<double> mean_asr;
  std::vector<sim::OperationCounts> counts;      // per sub-layer, summed over the run
  std::uint64_t synaptic_events = 0;             // all populations
  std::vector<std::int64_t> simulated_tokens;    // per example: its real tokens, all simulated (the ANN comparison)
  // |a_j(T) - f_j(a(T))| over all simulated neurons of sub-layer j (method doc §9.3); empty if not asked.
  std::vector<double> final_residual_mean_abs, final_residual_max;
  // The sums behind the means, per sub-layer, kept so results of several parts of a set merge exactly
  // (merge_glue_results): integer-valued counts, and the residual sum in units of kResidualUnit (an
  // integer sum does not depend on the order of its terms).
  std::vector<double> real_token_spikes, real_token_neuron_steps, residual_elements;
  std::vector<std::int64_t> residual_units;
};

// Resolution of the residual sums: 2^-32 per element (|a_j - f_j| <= 1, so 2^31 elements fit in int64).
inline constexpr double kResidualUnit = 1.0 / 4294967296.0;

// The steady-state map (method doc §4) of a SpikingBERT's weights, V_th and sizes.
SpikingBertEquilibrium<float> steady_state_map(const SpikingBert& model, const std::string& model_source);

GlueSimulationResult simulate_glue_set(const SpikingBert& model, const std::string& model_source, const GlueSet& set,
                                       const GlueSimulationOptions& options, GlueExampleHook* hook = nullptr);

// Examples [first, first + count) of a set as a set of their own (a rank's share, issue 13).
GlueSet glue_subset(const GlueSet& set, int first, int count);

// The result of a whole set from the results of consecutive parts of it, in example order (each part from
// simulate_glue_set of glue_subset): per-example results concatenated, counts and sums added, means and
// metrics computed from them. The same as simulating the set at once when the parts hold whole batches.
GlueSimulationResult merge_glue_results(const GlueSet& set, const std::vector<GlueSimulationResult>& parts);

}  // namespace spikingbert::models
