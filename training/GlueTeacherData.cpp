#include "training/GlueTeacherData.hpp"

#include "io/GlueMetrics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <cstdio>
#include <sstream>

namespace spikingbert::training {

std::vector<EncodedExample> encode_glue_dataset(const io::BertTokenizer& tokenizer, const io::GlueDataset& dataset,
                                                int max_seq_length) {
  const bool regression = io::glue_task_info(dataset.task).is_regression();
  std::vector<EncodedExample> examples;
  examples.reserve(dataset.examples.size());
  for (const auto& example : dataset.examples) {
    std::optional<std::string_view> text_b;
    if (example.text_b) text_b = *example.text_b;
    const auto encoded = tokenizer.encode(example.text_a, text_b, max_seq_length);
    EncodedExample out;
    out.token_ids.assign(encoded.input_ids.begin(), encoded.input_ids.end());
    out.segment_ids.assign(encoded.segment_ids.begin(), encoded.segment_ids.end());
    out.label = regression ? static_cast<float>(example.score) : static_cast<float>(example.label);
    examples.push_back(std::move(out));
  }
  return examples;
}

VocabularyPruning prune_vocabulary(const std::vector<EncodedExample>& train, const io::BertTokenizer& tokenizer) {
  const auto vocabulary_size = static_cast<std::int64_t>(tokenizer.vocabulary().size());
  std::vector<char> seen(vocabulary_size, 0);
  for (const auto& example : train) for (const auto id : example.token_ids) seen[id] = 1;
  for (const int special : {tokenizer.pad_id(), tokenizer.unknown_id(), tokenizer.cls_id(), tokenizer.sep_id()}) {
    seen[special] = 1;
  }
  if (const auto mask = tokenizer.vocabulary().find(std::string_view("[MASK]"))) seen[*mask] = 1;
  VocabularyPruning pruning;
  pruning.compact_of.assign(vocabulary_size, -1);
  for (std::int64_t id = 0; id < vocabulary_size; ++id) {
    if (!seen[id]) continue;
    pruning.compact_of[id] = pruning.size();
    pruning.kept.push_back(id);
  }
  const std::int64_t unknown = pruning.compact_of[tokenizer.unknown_id()];
  for (auto& compact : pruning.compact_of) if (compact < 0) compact = unknown;
  return pruning;
}

void to_compact_ids(std::vector<EncodedExample>& examples, const VocabularyPruning& pruning) {
  for (auto& example : examples) for (auto& id : example.token_ids) id = pruning.compact_of[id];
}

std::vector<float> expand_word_embeddings(const std::vector<float>& compact, const VocabularyPruning& pruning,
                                          std::int64_t hidden) {
  const auto vocabulary_size = static_cast<std::int64_t>(pruning.compact_of.size());
  std::vector<float> full(vocabulary_size * hidden);
  for (std::int64_t id = 0; id < vocabulary_size; ++id) {
    std::copy_n(compact.begin() + pruning.compact_of[id] * hidden, hidden, full.begin() + id * hidden);
  }
  return full;
}

std::vector<io::MetricValue> glue_metrics_of(io::GlueTask task, const std::vector<float>& logits,
                                             const std::vector<EncodedExample>& examples) {
  const auto& info = io::glue_task_info(task);
  if (info.is_regression()) {
    std::vector<double> predictions(logits.begin(), logits.end()), scores;
    for (const auto& example : examples) scores.push_back(example.label);
    return io::glue_regression_metrics(predictions, scores);
  }
  const auto classes = static_cast<std::int64_t>(info.labels.size());
  std::vector<int> predictions, labels;
  for (std::size_t i = 0; i < examples.size(); ++i) {
    const float* row = logits.data() + i * classes;
    predictions.push_back(static_cast<int>(std::max_element(row, row + classes) - row));
    labels.push_back(static_cast<int>(examples[i].label));
  }
  return io::glue_metrics(task, predictions, labels);
}

DevMetric glue_dev_metric(io::GlueTask task, const std::vector<EncodedExample>& dev) {
  return [task, &dev](const std::vector<float>& logits) {
    const auto metrics = glue_metrics_of(task, logits, dev);
    return DevScore{io::glue_task_info(task).selection(metrics), io::metrics_text(metrics)};
  };
}

}  // namespace spikingbert::training
