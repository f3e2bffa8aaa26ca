// `spikingbert grad --model DIR --inputs case.h5 --output OUT.h5 --gradient MODE`: one training step's loss

#include "commands/SharedOptions.hpp"
// and parameter gradient on labelled token inputs, in the format of tests/data/tiny/case.h5 (train/loss,
// grad/<parameter name>). Follows docs/gradients.md "The `grad` command": the event kernel simulates the
// SNN, the loss is taken on its rates (Replace semantics, method doc §5.1 (c)), and the steady-state map
// (models/SpikingBertEquilibrium) gives the gradient in the chosen mode (training/StudentGradient).
#include "commands/Commands.hpp"
#include "commands/OptionChecks.hpp"
#include "commands/RunMetadata.hpp"

#include "io/Error.hpp"
#include "io/Hdf5File.hpp"
#include "models/ModelFiles.hpp"
#include "models/SpikingBertEquilibrium.hpp"
#include "models/SpikingBertWeights.hpp"
#include "training/BertAdam.hpp"
#include "training/StudentGradient.hpp"
#include "training/StudentTrainer.hpp"

#include <sys/resource.h>
#include <tbb/global_control.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <stdexcept>

namespace spikingbert::tools {

namespace {

struct GradOptions {
  std::string model, inputs, output, gradient = "implicit";
  int steps = 0;  // 0: the config's t_conv
  int threads = 1;
  int repeat = 0;  // > 0: also time the whole training step this many times (time_training_step)
};

// Labels of the batch from inputs/labels, [batch]: class indices in [0, num_labels) for classification
// (cross-entropy, method doc §6.3), real targets for regression (num_labels == 1, MSE).
struct Labels {
  std::vector<std::int64_t> classes;
  std::vector<float> regression;
};

Labels read_labels(const std::string& file, std::int64_t batch, std::int64_t num_labels) {
  const io::Hdf5Reader reader(file);
  const std::string place = "dataset 'inputs/labels'";
  if (!reader.has("inputs/labels"))
    throw io::InputError(file, place, "missing", "[batch] labels for the loss");
  Labels labels;
  io::Shape shape;
  if (num_labels == 1) {
    const auto values = reader.read_doubles("inputs/labels", &shape);
    labels.regression.assign(values.begin(), values.end());
  } else {
    auto ints = reader.read_ints("inputs/labels");
    shape = ints.shape;
    labels.classes = std::move(ints.values);
  }
  if (shape != io::Shape{batch})
    throw io::InputError(file, place, "has shape " + io::shape_to_string(shape), io::shape_to_string({batch}));
  for (const auto label : labels.classes) {
    if (label < 0 || label >= num_labels)
      throw io::InputError(file, place, "holds label " + std::to_string(label),
                           "class indices in [0, " + std::to_string(num_labels) + ")");
  }
  for (const auto target : labels.regression) {
    if (!std::isfinite(target)) throw io::InputError(file, place, "holds a non-finite target", "finite numbers");
  }
  return labels;
}

// Parameters the loss of this command gives no gradient (the reference's grad_is_none): no internal-layer
// distillation term, so fit_dense (W_td) is unused; the pooler is built but never used (method doc §1.4);
// the feedback projection only carries current in feedback mode.
bool gradient_is_none(const std::string& name, const std::string& feedback_weight, training::GradientMode mode) {
  if (name.rfind("fit_dense.", 0) == 0 || name.rfind("pooler_layer.", 0) == 0) return true;
  return name == feedback_weight && mode != training::GradientMode::feedback;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Peak resident memory of this process so far, in MB (getrusage reports kilobytes on Linux).
double peak_resident_megabytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

// One training step as `distill` takes it, in parts (seconds).
struct StepSeconds {
  double network = 0;     // the event kernel's network from the map's current parameters (spiking_bert_of)
  double simulation = 0;  // T steps of the event kernel
  double gradient = 0;    // loss on the rates and its gradient through the steady-state map
  double update = 0;      // BertAdam
  double total() const { return network + simulation + gradient + update; }
};

// Times the whole training step `repeat` times in this process, model loading excluded, and prints the
// fastest (the least disturbed on a shared machine; tools/bench-vs-reference.sh --what train-step). Every
// repeat starts from the same parameters (the update is undone, untimed) and must give the same loss bit
// for bit, or the step is not deterministic.
void time_training_step(models::SpikingBertEquilibrium<float>& model, const io::ModelConfig& spiking_config,
                        const models::TokenBatch& batch, const training::StudentTargets<float>& targets,
                        training::GradientMode mode, const sim::KernelOptions& options, int repeat) {
  training::AdamSettings settings;
  training::BertAdam<float> optimizer(settings, training::LinearWarmupSchedule{1, 0.0, true});
  optimizer.initialise(model.parameters());
  std::vector<models::AlignedVector<float>> start;
  for (const auto& parameter : model.parameters()) start.push_back(parameter.value);
  training::StudentStep<float> step;
  StepSeconds best;
  double first_loss = 0;
  for (int r = 0; r < repeat; ++r) {
    StepSeconds seconds;
    auto clock = std::chrono::steady_clock::now();
    const auto snn = training::spiking_bert_of(model, spiking_config);
    seconds.network = seconds_since(clock);
    clock = std::chrono::steady_clock::now();
    const auto forward = snn.forward(batch, options, models::KernelKind::kEvent);
    std::vector<std::vector<float>> rates;
    std::vector<const float*> rate_pointers;
    for (std::int64_t j = 0; j < model.sublayers().size(); ++j) rates.push_back(forward.asr(static_cast<int>(j)));
    for (const auto& r : rates) rate_pointers.push_back(r.data());
    seconds.simulation = seconds_since(clock);
    clock = std::chrono::steady_clock::now();
    model.zero_gradients();
    const auto loss = training::student_loss_and_gradient(model, batch, rate_pointers, targets, mode, {}, step);
    seconds.gradient = seconds_since(clock);
    clock = std::chrono::steady_clock::now();
    optimizer.step(model.parameters());
    seconds.update = seconds_since(clock);
    for (std::size_t t = 0; t < start.size(); ++t) model.parameters()[t].value = start[t];
    if (r == 0) first_loss = loss.total;
    if (loss.total != first_loss)
      throw std::runtime_error("grad --repeat: repeat " + std::to_string(r) + " gave another loss (not deterministic)");
    if (r == 0 || seconds.total() < best.total()) best = seconds;
  }
  std::printf("training step (fastest of %d): %.4f s = network %.4f + simulation %.4f + loss and gradient %.4f + "
              "update %.4f; %d threads; peak RSS %.0f MB\n",
              repeat, best.total(), best.network, best.simulation, best.gradient, best.update, options.threads,
              peak_resident_megabytes());
}

void compute_gradient(const GradOptions& o) {
  const auto mode = training::parse_gradient_mode(o.gradient, "--gradient");
  if (o.threads < 1) throw io::InputError("command line", "--threads", "must be positive", ">= 1");
  if (o.steps < 0) throw io::InputError("command line", "--steps", "must be positive", ">= 1");
  if (o.repeat < 0) throw io::InputError("command line", "--repeat", "must not be negative", ">= 0");
  check_outputs({o.model, o.inputs}, {o.output});

  // 1. The model, for the simulator and as the steady-state map, from the same tensors.
  const auto file = models::read_model_file(o.model);
  // The network simulated is the network differentiated: feedback mode simulates the feedback projection (delay
  // 1 step, docs/gradients.md "feedback"); the other modes have none, so a model that simulates one needs it.
  if (file.config.feedback && mode != training::GradientMode::feedback)
    throw io::InputError(o.model, "config 'feedback'", "is true: the model simulates its feedback projection",
                         "--gradient feedback");
  auto spiking_config = file.config;
  spiking_config.feedback = mode == training::GradientMode::feedback;
  const models::SpikingBert snn(spiking_config, models::weights_from_tensors(spiking_config, file.tensors, file.source));
  models::SpikingBertEquilibrium<float> model(file.config, file.tensors, file.source);

  // 2. Tokens and labels.
  const auto batch = models::read_token_batch(o.inputs);
  snn.validate(batch, o.inputs);
  const auto labels = read_labels(o.inputs, batch.batch, file.config.num_labels);

  // 3. The SNN rates (ASR) of all 6L + 1 populations from the event kernel.
  sim::KernelOptions options;
  options.steps = o.steps > 0 ? o.steps : spiking_config.t_conv;
  options.threads = o.threads;
  const auto forward = snn.forward(batch, options, models::KernelKind::kEvent);
  const auto populations = model.sublayers().size();
  std::vector<std::vector<float>> rates;
  std::vector<const float*> rate_pointers;
  for (std::int64_t j = 0; j < populations; ++j) rates.push_back(forward.asr(static_cast<int>(j)));
  for (const auto& r : rates) rate_pointers.push_back(r.data());

  // 4. Loss on the rates and the gradient through the steady-state map.
  training::StudentTargets<float> targets;
  if (file.config.num_labels == 1) targets.regression_targets = labels.regression.data();
  else targets.labels = labels.classes.data();
  training::StudentStep<float> step;
  model.zero_gradients();
  const auto loss = training::student_loss_and_gradient(model, batch, rate_pointers, targets, mode, {}, step);

  // 5. train/loss, train/logits and grad/<name> for every parameter of the model file (and the feedback
  // weight in feedback mode, where it is trained even when the file lacks it).
  io::Hdf5Writer out(o.output);
  out.write_tensor("train/loss", io::Tensor{{}, {static_cast<float>(loss.total)}});
  out.write_tensor("train/logits", io::Tensor{{batch.batch, file.config.num_labels}, step.logits});
  const auto& feedback_weight = model.feedback_weight_name();
  int written = 0, none = 0;
  for (const auto& parameter : model.parameters()) {
    const bool in_file = file.tensors.count(parameter.name) > 0;
    if (!in_file && !(parameter.name == feedback_weight && mode == training::GradientMode::feedback)) continue;
    const bool is_none = gradient_is_none(parameter.name, feedback_weight, mode);
    io::Tensor gradient{parameter.shape, std::vector<float>(parameter.gradient.begin(), parameter.gradient.end())};
    if (is_none) std::fill(gradient.values.begin(), gradient.values.end(), 0.0f);
    const auto path = "grad/" + parameter.name;
    out.write_tensor(path, gradient);
    out.write_attribute(path, "grad_is_none", static_cast<std::int64_t>(is_none ? 1 : 0));
    ++written;
    none += is_none ? 1 : 0;
  }
  out.write_attribute("train", "gradient_mode", training::to_string(mode));
  out.write_attribute("train", "t_conv", static_cast<std::int64_t>(options.steps));
  out.write_attribute("/", "gradient_mode", training::to_string(mode));
  out.write_attribute("/", "t_conv", static_cast<std::int64_t>(options.steps));
  out.write_attribute("/", "kernel", std::string("event"));
  out.write_attribute("/", "batch", static_cast<std::int64_t>(batch.batch));
  out.write_attribute("/", "threads", static_cast<std::int64_t>(o.threads));
  out.write_attribute("train/loss", "description", std::string("loss on the event kernel's rates (docs/gradients.md)"));
  out.write_attribute("train/logits", "axes", std::string("example, label"));
  write_provenance(out);
  if (mode == training::GradientMode::feedback) {
    out.write_attribute("train", "adjoint_iterations", static_cast<std::int64_t>(step.adjoint.iterations));
    out.write_attribute("train", "adjoint_relative_residual", step.adjoint.relative_residual);
  }
  out.commit();
  if (o.repeat > 0) time_training_step(model, spiking_config, batch, targets, mode, options, o.repeat);

  std::printf("simulated %lld x %lld tokens for T = %d steps in %.3f s\n", static_cast<long long>(batch.batch),
              static_cast<long long>(batch.sequence), options.steps, forward.run.simulation_seconds);
  std::printf("loss %.8g (%s gradient); %d gradients written (%d without gradient) to %s\n", loss.total,
              training::to_string(mode).c_str(), written, none, o.output.c_str());
  if (mode == training::GradientMode::feedback) {
    std::printf("adjoint: %d iterations, relative residual %.3g, %s\n", step.adjoint.iterations,
                step.adjoint.relative_residual, step.adjoint.converged ? "converged" : "NOT converged");
  }
}

}  // namespace

void add_grad_command(CLI::App& app) {
  auto options = std::make_shared<GradOptions>();
  auto* command = app.add_subcommand("grad", "Compute training gradients of a spiking model");
  add_student_model_option(command, options->model);
  command->add_option("--inputs", options->inputs,
                      "HDF5 file with inputs/{input_ids,segment_ids,attention_mask,labels}")
      ->required();
  command->add_option("--output", options->output, "HDF5 file to write (train/loss, grad/<parameter name>)")
      ->required();
  command->add_option("--gradient", options->gradient, "analog-twin, implicit or feedback")->capture_default_str();
  add_config_steps_option(command, options->steps);
  add_threads_option(command, options->threads, "Simulation threads");
  command->add_option("--repeat", options->repeat,
                      "Also time the whole training step (network from the parameters, simulation, loss and "
                      "gradient, BertAdam update) this many times in-process and print the fastest");
  add_quiet_option(command);
  command->callback([options] {
    // --threads bounds every parallel part (the gradient's products and the update too), as in distill.
    const tbb::global_control limit(tbb::global_control::max_allowed_parallelism, options->threads);
    compute_gradient(*options);
  });
}

}  // namespace spikingbert::tools
