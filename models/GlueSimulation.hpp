#pragma once
// Simulating a GLUE set with a SpikingBERT and the event kernel (issue 3 item 3, issue 4 items 3 and 5):
// the orchestration `spikingbert run --task`, `sweep` and `distill` share. It loads and encodes the
// examples, checks them against the model, simulates them batch by batch, and returns the task metric,
// the mean ASR per sub-layer over real tokens, the kernel's counters per sub-layer and the final-step
// residual of the steady-state map (method doc §9.3). Recording (traces), per-step analysis and
// printing stay with the callers: they see each batch through a GlueBatchHook.
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

// Default tokens per example: the reference's max_seq_length for SST-2 (64) and the other tasks (128).
inline constexpr int kSst2MaxLength = 64;
inline constexpr int kDefaultGlueMaxLength = 128;

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
  int max_length = 0;  // 0: 64 for SST-2, else 128, capped by max_position_embeddings
};

// Reads `data`, keeps the first `limit` examples and encodes them. Throws io::InputError when the
// model does not fit the task (num_labels), the vocabulary (vocab_size; `vocabulary_source` names the
// vocabulary file in the message) or max_length.
GlueSet load_glue_set(const SpikingBertConfig& config, const std::string& model_source, io::GlueTask task,
                      const std::filesystem::path& data, const io::BertTokenizer& tokenizer,
                      const std::string& vocabulary_source, const GlueSetOptions& options);
// The same for examples already read (e.g. a validation split carved from a training file): `dataset.file`
// names them in messages.
GlueSet make_glue_set(const SpikingBertConfig& config, const std::string& model_source, io::GlueDataset dataset,
                      const io::BertTokenizer& tokenizer, const std::string& vocabulary_source,
                      const GlueSetOptions& options);

// Examples [first, first + count) of the set as a model batch. With trim_padding the rows are cut to the
// longest real length among them: padded tokens are masked out of attention (method doc §1.3), so
// dropping trailing padding does not change the real tokens' spikes and saves simulating neurons that
// only pad.
TokenBatch glue_batch(const GlueSet& set, int first, int count, bool trim_padding);

// The predicted class of every example of a batch from its logits (argmax, ties to the lowest index);
// -1 for regression tasks.
std::vector<int> predicted_classes(std::span<const float> logits, int batch, int num_labels, bool regression);

// The task's metrics (empty when the set has no labels or no examples).
std::vector<io::MetricValue> glue_set_metrics(const GlueSet& set, std::span<const int> predictions,
                                              std::span<const double> predicted_scores);

// Callers' view of each batch (traces, per-step residuals). begin_batch returns the kernel's observer
// for the batch (may be null); end_batch sees the forward result and the predictions of its examples.
class GlueBatchHook {
 public:
  virtual ~GlueBatchHook() = default;
  virtual sim::StepObserver* begin_batch(const TokenBatch& batch, int first, int count) = 0;
  virtual void end_batch(const TokenBatch& batch, const ForwardResult& result, int first, int count,
                         std::span<const int> predicted) = 0;
};

struct GlueSimulationOptions {
  int steps = 0;          // T; 0: the config's t_conv
  int threads = 1;        // results do not depend on it
  int batch = 8;          // examples per simulation
  int block_steps = 16;   // event kernel time block (1 = step order, what per-step observers need)
  bool trim_padding = true;     // false: every example at the set's max_length (traces need a fixed seq)
  bool final_residual = true;   // evaluate the steady-state map at the final rates
  // The model's steady-state map for the final residual, if the caller has one already (saves building
  // a second copy of the weights); null: built here when final_residual is set.
  const SpikingBertEquilibrium<float>* steady_state = nullptr;
  std::function<void(int done, int total, double seconds)> progress;  // after each batch; may be empty
  // Polled after each batch; true ends the run there (Ctrl-C): the result then holds the finished batches
  // (`stopped` set, no metrics). May be empty.
  std::function<bool()> stop_requested;
};

struct GlueSimulationResult {
  int examples = 0;  // simulated (fewer than the set's when stopped)
  int steps = 0;
  bool stopped = false;  // options.stop_requested ended the run early
  double seconds = 0.0;
  std::vector<io::MetricValue> metrics;          // empty without labels
  std::vector<int> predictions;                  // per example (-1 for regression)
  std::vector<double> predicted_scores;          // per example, regression tasks only
  std::vector<double> mean_asr;                  // per sub-layer: spikes / (real-token neurons x T), method doc §2.2
  std::vector<sim::OperationCounts> counts;      // per sub-layer, summed over the run
  std::uint64_t synaptic_events = 0;             // all populations
  std::vector<std::int64_t> simulated_tokens;    // per example: rows simulated (for the dense ANN comparison)
  // |a_j(T) - f_j(a(T))| over all simulated neurons of sub-layer j (method doc §9.3); empty if not asked.
  std::vector<double> final_residual_mean_abs, final_residual_max;
};

// The steady-state map (method doc §4) of a SpikingBERT's weights, V_th and sizes.
SpikingBertEquilibrium<float> steady_state_map(const SpikingBert& model, const std::string& model_source);

GlueSimulationResult simulate_glue_set(const SpikingBert& model, const std::string& model_source, const GlueSet& set,
                                       const GlueSimulationOptions& options, GlueBatchHook* hook = nullptr);

}  // namespace spikingbert::models
