// The `spikingbert` Python module (docs/python.md): the library layers with numpy arrays in and out, for
// notebooks. It is a thin binding like tools/: load a model, tokenize, simulate a batch (per-sub-layer ASR,
// spike counts, logits, operation counts and, on request, per-step residuals), evaluate the steady-state
// map, compute gradients, read any HDF5 output (a trace) into numpy. The GIL is released while C++ works
// on copies of the inputs, so other Python threads run meanwhile.
#include "io/BertTokenizer.hpp"
#include "io/Error.hpp"
#include "io/Hdf5File.hpp"
#include "models/ModelFiles.hpp"
#include "models/PaddedBatchForward.hpp"
#include "models/SpikingBert.hpp"
#include "models/SpikingBertEquilibrium.hpp"
#include "models/SpikingBertWeights.hpp"
#include "traces/NeuroBenchMetrics.hpp"
#include "traces/StepResidualObserver.hpp"
#include "training/StudentGradient.hpp"

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace py = pybind11;
namespace sb = spikingbert;

namespace {

// Operation counters in the column order of `spikingbert run`'s operations/counts (tools/commands/run.cpp).
const std::vector<std::pair<const char*, std::uint64_t sb::sim::OperationCounts::*>> kCountFields = {
    {"spikes", &sb::sim::OperationCounts::spikes},
    {"synaptic_events", &sb::sim::OperationCounts::synaptic_events},
    {"additions", &sb::sim::OperationCounts::additions},
    {"multiplications", &sb::sim::OperationCounts::multiplications},
    {"macs", &sb::sim::OperationCounts::macs},
    {"exponentials", &sb::sim::OperationCounts::exponentials},
    {"divisions", &sb::sim::OperationCounts::divisions},
    {"square_roots", &sb::sim::OperationCounts::square_roots},
    {"error_functions", &sb::sim::OperationCounts::error_functions},
    {"dense_macs", &sb::sim::OperationCounts::dense_macs},
    {"selected_accumulates", &sb::sim::OperationCounts::selected_accumulates},
};

py::dict counts_dict(const sb::sim::OperationCounts& counts) {
  py::dict result;
  for (const auto& [name, field] : kCountFields) result[name] = counts.*field;
  return result;
}

template <typename T>
py::array_t<T> to_numpy(const std::vector<T>& values, const std::vector<py::ssize_t>& shape) {
  py::array_t<T> array(shape);
  std::memcpy(array.mutable_data(), values.data(), values.size() * sizeof(T));
  return array;
}

// Per-step residuals of each example of run(residuals=True), simulated alone at its real length:
// one StepResidualObserver per example, its numbers appended in example order.
class ResidualHook final : public sb::models::GlueExampleHook {
 public:
  ResidualHook(const sb::models::SpikingBert& model, const sb::models::SpikingBertEquilibrium<float>& steady_state, int steps)
      : model_(model), steady_state_(steady_state), steps_(steps) {}
  sb::models::GlueExampleWatch begin_example(const sb::models::TokenBatch& example, int) override {
    observer_.emplace(model_, steady_state_, example, model_.build_network(example).sublayers, steps_);
    return {&*observer_, {}};
  }
  void end_example(const sb::models::TokenBatch&, const sb::models::ForwardResult&, int, int) override {
    observer_->finish();
    for (int s = 0; s < steps_; ++s) {
      predicted.push_back(observer_->predicted_label(0, s));
      for (std::size_t j = 0; j < observer_->sublayer_count(); ++j) {
        const auto norms = observer_->residual(0, s, j);
        mean_abs.push_back(norms.mean_abs);
        max_abs.push_back(norms.max_abs);
      }
    }
    observer_.reset();
  }
  std::vector<double> mean_abs, max_abs;
  std::vector<std::int64_t> predicted;

 private:
  const sb::models::SpikingBert& model_;
  const sb::models::SpikingBertEquilibrium<float>& steady_state_;
  int steps_;
  std::optional<sb::traces::StepResidualObserver> observer_;
};

// A [batch, sequence] integer array (any integer dtype, or a list of lists) as int64 values.
std::vector<std::int64_t> token_matrix(const py::handle& object, const char* name, std::int64_t* batch,
                                       std::int64_t* sequence) {
  const auto array = py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>::ensure(object);
  if (!array || array.ndim() != 2)
    throw sb::io::InputError("python", name, "is not a 2-D integer array", "[batch, sequence] token ids");
  if (*batch >= 0 && (array.shape(0) != *batch || array.shape(1) != *sequence))
    throw sb::io::InputError("python", name, "has a different shape from input_ids", "[batch, sequence]");
  *batch = array.shape(0);
  *sequence = array.shape(1);
  return {array.data(), array.data() + array.size()};
}

// input_ids [batch, sequence]; segment_ids default 0; attention_mask default 1 where the id is not padding (0).
sb::models::TokenBatch token_batch(const py::object& input_ids, const py::object& segment_ids,
                                   const py::object& attention_mask) {
  sb::models::TokenBatch batch;
  batch.batch = -1;
  batch.token_ids = token_matrix(input_ids, "input_ids", &batch.batch, &batch.sequence);
  if (segment_ids.is_none()) batch.segment_ids.assign(batch.token_ids.size(), 0);
  else batch.segment_ids = token_matrix(segment_ids, "segment_ids", &batch.batch, &batch.sequence);
  if (attention_mask.is_none()) {
    for (const auto id : batch.token_ids) batch.attention_mask.push_back(id != 0 ? 1 : 0);
  } else {
    batch.attention_mask = token_matrix(attention_mask, "attention_mask", &batch.batch, &batch.sequence);
  }
  return batch;
}

std::filesystem::path module_folder() {
  return std::filesystem::path(py::module_::import("spikingbert").attr("__file__").cast<std::string>()).parent_path();
}

// Shipped data (data/..., models/pretrained/...): <prefix>/share/spikingbert beside an installed module
// (<prefix>/lib/pythonX.Y/dist-packages), else the source tree the build tree was configured from.
std::filesystem::path shipped_file(const std::string& relative) {
  std::vector<std::filesystem::path> candidates{module_folder() / ".." / ".." / ".." / "share" / "spikingbert" / relative,
                                                std::filesystem::path(SPIKINGBERT_SOURCE_DIR) / relative};
  std::string looked;
  for (const auto& candidate : candidates) {
    if (std::filesystem::is_regular_file(candidate)) return candidate.lexically_normal();
    looked += (looked.empty() ? "" : ", ") + candidate.lexically_normal().string();
  }
  throw sb::io::InputError("python", relative, "not found (looked in " + looked + ")", "an explicit path");
}

class Tokenizer {
 public:
  explicit Tokenizer(std::optional<std::string> vocab)
      : tokenizer_(sb::io::BertTokenizer::from_file(vocab ? std::filesystem::path(*vocab)
                                                          : shipped_file("data/vocab/bert-base-uncased.txt"))) {}

  std::vector<int> ids(const std::string& text) const { return tokenizer_.tokenize(text); }
  std::vector<std::string> tokens(const std::vector<int>& ids) const {
    std::vector<std::string> result;
    for (const auto id : ids) {
      if (id < 0 || static_cast<std::size_t>(id) >= tokenizer_.vocabulary().size())
        throw sb::io::InputError("python", "ids", "holds id " + std::to_string(id), "ids of the vocabulary");
      result.push_back(tokenizer_.vocabulary().token(id));
    }
    return result;
  }

  // GLUE encoding of every text (and pair), padded with 0 to the longest encoded example.
  py::dict encode(const std::vector<std::string>& texts, const std::optional<std::vector<std::string>>& pairs,
                  int max_length) const {
    if (pairs && pairs->size() != texts.size())
      throw sb::io::InputError("python", "pairs", "has " + std::to_string(pairs->size()) + " entries",
                               std::to_string(texts.size()) + ", one per text");
    sb::io::check_max_seq_length(max_length, "python", "max_length");
    std::vector<sb::io::EncodedText> encoded;
    std::size_t longest = 0;
    for (std::size_t i = 0; i < texts.size(); ++i) {
      encoded.push_back(tokenizer_.encode(texts[i], pairs ? std::optional<std::string_view>((*pairs)[i]) : std::nullopt,
                                          max_length));
      longest = std::max(longest, encoded.back().input_ids.size());
    }
    const auto rows = static_cast<py::ssize_t>(texts.size()), columns = static_cast<py::ssize_t>(longest);
    py::array_t<std::int64_t> ids({rows, columns}), segments({rows, columns}), mask({rows, columns});
    std::fill_n(ids.mutable_data(), ids.size(), 0);
    std::fill_n(segments.mutable_data(), segments.size(), 0);
    std::fill_n(mask.mutable_data(), mask.size(), 0);
    for (std::size_t i = 0; i < encoded.size(); ++i) {
      for (std::size_t k = 0; k < encoded[i].input_ids.size(); ++k) {
        ids.mutable_at(i, k) = encoded[i].input_ids[k];
        segments.mutable_at(i, k) = encoded[i].segment_ids[k];
        mask.mutable_at(i, k) = 1;
      }
    }
    py::dict batch;
    batch["input_ids"] = ids;
    batch["segment_ids"] = segments;
    batch["attention_mask"] = mask;
    return batch;
  }

 private:
  sb::io::BertTokenizer tokenizer_;
};

class Model {
 public:
  explicit Model(std::optional<std::string> path) {
    source_ = path ? *path : shipped_file("models/pretrained/sst2/student.h5").string();
    auto file = sb::models::read_model_file(source_);
    const auto& config = file.config;
    snn_ = std::make_unique<sb::models::SpikingBert>(config,
                                                     sb::models::weights_from_tensors(config, file.tensors, file.source));
    steady_state_ = std::make_unique<sb::models::SpikingBertEquilibrium<float>>(
        file.config, file.tensors, file.source);
    tensor_names_.reserve(file.tensors.size());
    for (const auto& [name, tensor] : file.tensors) tensor_names_.push_back(name);
  }

  std::vector<std::string> sublayers() const { return names(); }
  py::dict config() const {
    const auto& c = snn_->config();
    py::dict result;
    result["hidden_size"] = c.hidden_size;
    result["intermediate_size"] = c.intermediate_size;
    result["num_attention_heads"] = c.num_attention_heads;
    result["num_hidden_layers"] = c.num_hidden_layers;
    result["num_labels"] = c.num_labels;
    result["vocab_size"] = c.vocab_size;
    result["t_conv"] = c.t_conv;
    result["vth"] = c.vth;
    result["parameter_count"] = snn_->parameter_count();
    result["source"] = source_;
    return result;
  }

  py::dict run(const py::object& input_ids, const py::object& segment_ids, const py::object& attention_mask,
               int steps, const std::string& kernel, int threads, bool residuals) const {
    if (kernel != "event" && kernel != "dense")
      throw sb::io::InputError("python", "kernel", "unknown kernel '" + kernel + "'", "event or dense");
    if (threads < 1) throw sb::io::InputError("python", "threads", "must be positive", ">= 1");
    if (steps < 0) throw sb::io::InputError("python", "steps", "must be positive", ">= 1, or 0 for the config's t_conv");
    const auto batch = token_batch(input_ids, segment_ids, attention_mask);
    snn_->validate(batch, "input_ids");
    sb::sim::KernelOptions options;
    options.steps = steps > 0 ? steps : snn_->config().t_conv;
    options.threads = threads;
    sb::models::ForwardResult result;
    ResidualHook hook(*snn_, *steady_state_, options.steps);
    {
      py::gil_scoped_release release;
      // Per-step residuals evaluate the steady-state map after every step: the kernel's calls in step order.
      if (residuals) options.block_steps = 1;
      // Every example alone at its real length, as `spikingbert run --inputs` (no neuron for padding).
      result = sb::models::forward_real_tokens(*snn_, batch, options,
                                               kernel == "event" ? sb::models::KernelKind::kEvent
                                                                 : sb::models::KernelKind::kDense,
                                               "input_ids", residuals ? &hook : nullptr);
    }
    const auto real_tokens = sb::models::real_lengths(batch, "input_ids");
    const auto sublayer_names = names();
    py::dict asr, spike_count, operations;
    for (std::size_t j = 0; j < sublayer_names.size(); ++j) {
      const int sublayer = static_cast<int>(j);
      const std::vector<py::ssize_t> shape{batch.batch, batch.sequence, snn_->sublayers().width(sublayer)};
      asr[py::str(sublayer_names[j])] =
          to_numpy(sb::models::asr_nan_at_padding(result, batch, sublayer, snn_->sublayers().width(sublayer)), shape);
      spike_count[py::str(sublayer_names[j])] = to_numpy(result.spike_count(sublayer), shape);
      operations[py::str(sublayer_names[j])] =
          counts_dict(result.run.populations.at(static_cast<std::size_t>(result.sublayers[j])).counts);
    }
    py::dict out;
    out["sublayers"] = sublayer_names;
    out["steps"] = options.steps;
    out["kernel"] = kernel;
    out["asr"] = asr;
    out["spike_count"] = spike_count;
    out["logits"] = to_numpy(result.logits, {batch.batch, snn_->config().num_labels});
    out["operations"] = operations;
    out["total_operations"] = counts_dict(result.run.total_counts());
    out["simulation_seconds"] = result.run.simulation_seconds;
    // NeuroBench's metrics of this batch, per sample (docs/energy.md §6), as the energy report's "neurobench".
    std::vector<sb::sim::OperationCounts> sublayer_counts;
    for (const auto population : result.sublayers)
      sublayer_counts.push_back(result.run.populations.at(static_cast<std::size_t>(population)).counts);
    const auto metrics = sb::traces::neurobench_metrics(
        *snn_, sublayer_counts, real_tokens, options.steps);
    out["neurobench"] = py::module_::import("json").attr("loads")(sb::traces::to_json(metrics).dump());
    if (residuals) {
      // [example, step, sub-layer]: method doc §9.3 residuals at the running rates after each step.
      const auto examples = static_cast<py::ssize_t>(batch.batch), step_count = static_cast<py::ssize_t>(options.steps);
      const auto sublayer_count = static_cast<py::ssize_t>(sublayer_names.size());
      out["residual_mean_abs"] = to_numpy(hook.mean_abs, {examples, step_count, sublayer_count});
      out["residual_max"] = to_numpy(hook.max_abs, {examples, step_count, sublayer_count});
      out["step_predictions"] = to_numpy(hook.predicted, {examples, step_count});
    }
    return out;
  }

  // The steady-state map f (method doc §4). rates None: the chained analog twin a = f(a) evaluated in one
  // sweep; a dict of every sub-layer's rates z: f(z), each sub-layer reading z as its inputs.
  py::dict steady_state(const py::object& input_ids, const py::object& segment_ids, const py::object& attention_mask,
                        const py::object& rates) const {
    const auto batch = token_batch(input_ids, segment_ids, attention_mask);
    snn_->validate(batch, "input_ids");
    const auto given = given_rates(rates, batch);
    std::vector<const float*> pointers;
    for (const auto& r : given) pointers.push_back(r.data());
    sb::models::EquilibriumActivations<float> activations;
    {
      py::gil_scoped_release release;
      steady_state_->forward(batch, activations, {}, pointers);
    }
    const auto sublayer_names = names();
    py::dict out;
    for (std::size_t j = 0; j < sublayer_names.size(); ++j) {
      const auto& values = activations.rates[j];
      out[py::str(sublayer_names[j])] = to_numpy(std::vector<float>(values.begin(), values.end()),
                                                 {batch.batch, batch.sequence, snn_->sublayers().width(static_cast<int>(j))});
    }
    return out;
  }

  // One training step's loss and parameter gradients as `spikingbert grad`: the event kernel's rates,
  // the loss on them and the gradient through the steady-state map in `mode` (docs/gradients.md).
  py::dict gradient(const py::object& input_ids, const py::object& segment_ids, const py::object& attention_mask,
                    const py::object& labels, const std::string& mode_name, int steps, int threads) {
    const auto mode = sb::training::parse_gradient_mode(mode_name, "mode");
    if (threads < 1) throw sb::io::InputError("python", "threads", "must be positive", ">= 1");
    if (steps < 0) throw sb::io::InputError("python", "steps", "must be positive", ">= 1, or 0 for the config's t_conv");
    const auto batch = token_batch(input_ids, segment_ids, attention_mask);
    snn_->validate(batch, "input_ids");
    const auto num_labels = snn_->config().num_labels;
    std::vector<std::int64_t> classes;
    std::vector<float> targets_regression;
    if (num_labels == 1) {
      const auto array = py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(labels);
      if (!array || array.ndim() != 1 || array.shape(0) != batch.batch)
        throw sb::io::InputError("python", "labels", "is not a [batch] array", "one real target per example");
      targets_regression.assign(array.data(), array.data() + array.size());
    } else {
      const auto array = py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>::ensure(labels);
      if (!array || array.ndim() != 1 || array.shape(0) != batch.batch)
        throw sb::io::InputError("python", "labels", "is not a [batch] array", "one class index per example");
      classes.assign(array.data(), array.data() + array.size());
      for (const auto label : classes)
        if (label < 0 || label >= num_labels)
          throw sb::io::InputError("python", "labels", "holds label " + std::to_string(label),
                                   "class indices in [0, " + std::to_string(num_labels) + ")");
    }
    sb::training::StudentStep<float> step;
    sb::training::StudentLoss loss;
    int used_steps = 0;
    {
      py::gil_scoped_release release;
      sb::sim::KernelOptions options;
      options.steps = used_steps = steps > 0 ? steps : snn_->config().t_conv;
      options.threads = threads;
      const auto forward = snn_->forward(batch, options, sb::models::KernelKind::kEvent);
      std::vector<std::vector<float>> rates;
      std::vector<const float*> pointers;
      for (std::size_t j = 0; j < forward.sublayers.size(); ++j) rates.push_back(forward.asr(static_cast<int>(j)));
      for (const auto& r : rates) pointers.push_back(r.data());
      sb::training::StudentTargets<float> targets;
      if (num_labels == 1) targets.regression_targets = targets_regression.data();
      else targets.labels = classes.data();
      steady_state_->zero_gradients();
      loss = sb::training::student_loss_and_gradient(*steady_state_, batch, pointers, targets, mode, {}, step);
    }
    py::dict gradients;
    for (const auto& parameter : steady_state_->parameters()) {
      const bool in_file = std::find(tensor_names_.begin(), tensor_names_.end(), parameter.name) != tensor_names_.end();
      if (!in_file && !(parameter.name == steady_state_->feedback_weight_name() && mode == sb::training::GradientMode::feedback))
        continue;
      std::vector<py::ssize_t> shape(parameter.shape.begin(), parameter.shape.end());
      gradients[py::str(parameter.name)] =
          to_numpy(std::vector<float>(parameter.gradient.begin(), parameter.gradient.end()), shape);
    }
    py::dict out;
    out["loss"] = loss.total;
    out["logits"] = to_numpy(step.logits, {batch.batch, num_labels});
    out["gradients"] = gradients;
    out["mode"] = sb::training::to_string(mode);
    out["steps"] = used_steps;
    return out;
  }

 private:
  std::vector<std::string> names() const {
    return snn_->sublayers().names();
  }

  std::vector<std::vector<float>> given_rates(const py::object& rates, const sb::models::TokenBatch& batch) const {
    std::vector<std::vector<float>> given;
    if (rates.is_none()) return given;
    const auto dict = rates.cast<py::dict>();
    for (const auto& name : names()) {
      if (!dict.contains(name))
        throw sb::io::InputError("python", "rates", "has no '" + name + "'", "every sub-layer's rates (run()['asr'])");
      const auto array = py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(dict[py::str(name)]);
      const auto width = snn_->sublayers().width(static_cast<int>(given.size()));
      if (!array || array.size() != batch.rows() * width)
        throw sb::io::InputError("python", "rates['" + name + "']", "has the wrong size",
                                 "[batch, sequence, " + std::to_string(width) + "] rates");
      given.emplace_back(array.data(), array.data() + array.size());
    }
    return given;
  }

  std::string source_;
  std::unique_ptr<sb::models::SpikingBert> snn_;
  std::unique_ptr<sb::models::SpikingBertEquilibrium<float>> steady_state_;
  std::vector<std::string> tensor_names_;
};

// One HDF5 object's attributes as Python values (strings, integers, floats or lists of them).
py::dict attributes(const sb::io::Hdf5Reader& reader, const std::string& path) {
  py::dict result;
  for (const auto& name : reader.list_attributes(path)) {
    try {
      result[py::str(name)] = reader.read_attribute_string(path, name);
      continue;
    } catch (const sb::io::InputError&) {}
    try {
      const auto values = reader.read_attribute_ints(path, name);
      if (values.size() == 1) result[py::str(name)] = values[0];
      else result[py::str(name)] = values;
      continue;
    } catch (const sb::io::InputError&) {}
    try {
      const auto values = reader.read_attribute_doubles(path, name);
      if (values.size() == 1) result[py::str(name)] = values[0];
      else result[py::str(name)] = values;
      continue;
    } catch (const sb::io::InputError&) {}
    try {
      result[py::str(name)] = reader.read_attribute_strings(path, name);
    } catch (const sb::io::InputError&) {}  // a type this reader does not decode: left out
  }
  return result;
}

// Every dataset under `path` (integers as int64, reals as float64, 1-D variable-length strings as lists
// of str) into nested dicts; the attributes of
// each group and dataset under "<name>.attrs" keys of its parent ("attrs" for the root).
void read_group(const sb::io::Hdf5Reader& reader, const std::string& path, py::dict& out) {
  for (const auto& child : reader.list(path)) {
    const auto child_path = path == "/" ? "/" + child : path + "/" + child;
    if (reader.is_group(child_path)) {
      py::dict group;
      read_group(reader, child_path, group);
      out[py::str(child)] = group;
    } else {
      const auto shape = reader.shape(child_path);
      const std::vector<py::ssize_t> dims(shape.begin(), shape.end());
      try {
        out[py::str(child)] = to_numpy(reader.read_ints(child_path).values, dims);
      } catch (const sb::io::InputError&) {
        try {
          out[py::str(child)] = to_numpy(reader.read_doubles(child_path), dims);
        } catch (const sb::io::InputError&) {
          try {
            out[py::str(child)] = reader.read_strings(child_path);  // e.g. names, word pieces: a list of str
          } catch (const sb::io::InputError&) {
            continue;  // compound or fixed-length data: left out
          }
        }
      }
    }
    auto attrs = attributes(reader, child_path);
    if (!attrs.empty()) out[py::str(child + ".attrs")] = attrs;
  }
}

py::dict read_hdf5(const std::string& file) {
  const sb::io::Hdf5Reader reader(file);
  py::dict out;
  read_group(reader, "/", out);
  auto attrs = attributes(reader, "/");
  if (!attrs.empty()) out["attrs"] = attrs;
  return out;
}

}  // namespace

PYBIND11_MODULE(spikingbert, m) {
  m.doc() = "spikingbert: event-driven simulation and training of spiking BERT (docs/python.md)";
  m.attr("__version__") = SPIKINGBERT_VERSION;
  py::register_exception<sb::io::InputError>(m, "InputError", PyExc_ValueError);

  py::class_<Tokenizer>(m, "Tokenizer", "bert-base-uncased WordPiece tokenizer (default: the shipped vocabulary)")
      .def(py::init<std::optional<std::string>>(), py::arg("vocab") = py::none())
      .def("ids", &Tokenizer::ids, py::arg("text"), "WordPiece ids of a text (no [CLS]/[SEP])")
      .def("tokens", &Tokenizer::tokens, py::arg("ids"), "The word pieces of ids")
      .def("encode", &Tokenizer::encode, py::arg("texts"), py::arg("pairs") = py::none(), py::arg("max_length") = 128,
           "GLUE encoding of texts (and pairs): dict of [batch, longest] int64 arrays input_ids, segment_ids, "
           "attention_mask");

  py::class_<Model>(m, "Model", "A SpikingBERT: a model directory or checkpoint (default: the shipped SST-2 student)")
      .def(py::init<std::optional<std::string>>(), py::arg("path") = py::none())
      .def_property_readonly("sublayers", &Model::sublayers, "Sub-layer names, in simulation order")
      .def_property_readonly("config", &Model::config)
      .def("run", &Model::run, py::arg("input_ids"), py::arg("segment_ids") = py::none(),
           py::arg("attention_mask") = py::none(), py::arg("steps") = 0, py::arg("kernel") = "event",
           py::arg("threads") = 1, py::arg("residuals") = false,
           "Simulate T steps (0: the config's t_conv). Returns asr, spike_count and operations per sub-layer, logits, "
           "total_operations; with residuals=True also residual_mean_abs/residual_max [batch, T, sub-layer] and "
           "step_predictions [batch, T]")
      .def("steady_state", &Model::steady_state, py::arg("input_ids"), py::arg("segment_ids") = py::none(),
           py::arg("attention_mask") = py::none(), py::arg("rates") = py::none(),
           "The steady-state map: the analog twin's rates per sub-layer, or f(rates) for given rates")
      .def("gradient", &Model::gradient, py::arg("input_ids"), py::arg("segment_ids") = py::none(),
           py::arg("attention_mask") = py::none(), py::arg("labels") = py::none(), py::arg("mode") = "implicit",
           py::arg("steps") = 0, py::arg("threads") = 1,
           "Loss and parameter gradients (mode: analog-twin, implicit or feedback), as `spikingbert grad`");

  m.def("read_hdf5", &read_hdf5, py::arg("file"),
        "Every dataset of an HDF5 file (a trace, a run or grad output) as nested dicts: numbers as numpy arrays, "
        "string datasets (sub-layer names, word pieces) as lists of str; attributes under '<name>.attrs'");
}
