#include "models/PaddedBatchForward.hpp"

#include "io/Error.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>

namespace spikingbert::models {

int real_length(const TokenBatch& batch, int example, const std::string& source) {
  const auto row = static_cast<std::size_t>(example) * static_cast<std::size_t>(batch.sequence);
  int length = 0;
  while (length < batch.sequence && batch.attention_mask[row + static_cast<std::size_t>(length)] != 0) ++length;
  if (length == 0)
    throw io::InputError(source, "inputs/attention_mask[" + std::to_string(example) + "]", "no real token",
                         "1 at token 0 (every example has at least [CLS])");
  for (int k = length; k < batch.sequence; ++k)
    if (batch.attention_mask[row + static_cast<std::size_t>(k)] != 0)
      throw io::InputError(source, "inputs/attention_mask[" + std::to_string(example) + "][" + std::to_string(k) + "]",
                           "a real token after padding", "ones for the real tokens, then zeros for the padding");
  return length;
}

std::vector<std::int64_t> real_lengths(const TokenBatch& batch, const std::string& source) {
  std::vector<std::int64_t> lengths;
  for (int b = 0; b < static_cast<int>(batch.batch); ++b) lengths.push_back(real_length(batch, b, source));
  return lengths;
}

std::vector<float> asr_nan_at_padding(const ForwardResult& result, const TokenBatch& batch, int sublayer, int width) {
  auto asr = result.asr(sublayer);
  const auto row_width = static_cast<std::size_t>(width);
  for (std::size_t row = 0; row < batch.attention_mask.size(); ++row)
    if (batch.attention_mask[row] == 0)
      std::fill_n(asr.begin() + static_cast<std::ptrdiff_t>(row * row_width), row_width,
                  std::numeric_limits<float>::quiet_NaN());
  return asr;
}

ForwardResult forward_real_tokens(const SpikingBert& model, const TokenBatch& batch, const sim::KernelOptions& options,
                                  KernelKind kernel, const std::string& source, GlueExampleHook* hook) {
  if (options.stop_after) throw std::invalid_argument("forward_real_tokens: every example runs all steps (no stop_after)");
  model.validate(batch, source);
  const auto examples = static_cast<int>(batch.batch);
  const auto sequence = static_cast<std::size_t>(batch.sequence);
  const auto lengths = real_lengths(batch, source);  // every mask checked first

  ForwardResult padded;
  padded.batch = examples;
  padded.sequence = static_cast<int>(batch.sequence);
  padded.run.rows = static_cast<int>(batch.rows());
  padded.run.steps = options.steps;
  for (int b = 0; b < examples; ++b) {
    const auto example = batch.example_prefix(b, lengths[static_cast<std::size_t>(b)]);
    sim::KernelOptions run_options = options;
    if (hook) run_options.observer = hook->begin_example(example, b).observer;  // every example runs all T steps
    const auto result = model.forward(example, run_options, kernel);
    if (b == 0) {
      padded.sublayers = result.sublayers;
      padded.run.populations.resize(result.run.populations.size());
    }
    for (std::size_t p = 0; p < result.run.populations.size(); ++p) {
      const auto& from = result.run.populations[p];
      auto& to = padded.run.populations[p];
      const auto width = from.spike_count.size() / static_cast<std::size_t>(example.sequence);
      if (to.spike_count.empty()) {
        to.spike_count.assign(static_cast<std::size_t>(batch.rows()) * width, 0u);
        to.membrane.assign(to.spike_count.size(), 0.0f);
      }
      const auto offset = static_cast<std::size_t>(b) * sequence * width;
      std::copy(from.spike_count.begin(), from.spike_count.end(), to.spike_count.begin() + static_cast<std::ptrdiff_t>(offset));
      std::copy(from.membrane.begin(), from.membrane.end(), to.membrane.begin() + static_cast<std::ptrdiff_t>(offset));
      to.counts += from.counts;
      to.thresholds.merge(from.thresholds);
    }
    padded.run.steps = result.run.steps;
    padded.run.simulation_seconds += result.run.simulation_seconds;
    padded.run.simulation_cpu_seconds += result.run.simulation_cpu_seconds;
    padded.logits.insert(padded.logits.end(), result.logits.begin(), result.logits.end());
    if (hook) {
      const int labels = model.config().num_labels;
      const int predicted = predicted_classes(result.logits, 1, labels, labels == 1).front();
      hook->end_example(example, result, b, predicted);
    }
  }
  padded.steps = padded.run.steps;
  return padded;
}

}  // namespace spikingbert::models
