#pragma once
// GLUE files to teacher examples: WordPiece encoding ([CLS] a [SEP] (b [SEP]), io/BertTokenizer.hpp),
// vocabulary pruning for small teachers trained from scratch (teacher-calibration.md: only the pieces seen
// in the training set get their own embedding row; every other piece shares [UNK]'s row), and the task's
// dev metric.
#include "io/BertTokenizer.hpp"
#include "io/GlueExample.hpp"
#include "io/GlueMetrics.hpp"
#include "io/GlueTask.hpp"
#include "training/EncodedExample.hpp"
#include "training/TeacherTrainer.hpp"

#include <cstdint>
#include <vector>

namespace spikingbert::training {

// Encodes every example unpadded; label = class index, or the STS-B score for regression.
std::vector<EncodedExample> encode_glue_dataset(const io::BertTokenizer& tokenizer, const io::GlueDataset& dataset,
                                                int max_seq_length);

// compact id <-> original id. The special tokens [PAD] (0), [UNK], [CLS], [SEP], [MASK] are always kept.
struct VocabularyPruning {
  std::vector<std::int64_t> kept;        // original id of each compact id, ascending
  std::vector<std::int64_t> compact_of;  // compact id of each original id ([UNK]'s for pieces not kept)
  std::int64_t size() const { return static_cast<std::int64_t>(kept.size()); }
};
VocabularyPruning prune_vocabulary(const std::vector<EncodedExample>& train, const io::BertTokenizer& tokenizer);
void to_compact_ids(std::vector<EncodedExample>& examples, const VocabularyPruning& pruning);
// The full-vocabulary word table [original vocab, hidden] of a compact one: row i is the compact row of i
// (pieces never seen in training get [UNK]'s row), so the saved teacher takes ordinary WordPiece ids.
std::vector<float> expand_word_embeddings(const std::vector<float>& compact, const VocabularyPruning& pruning,
                                          std::int64_t hidden);

// The task's selection score (io::GlueTaskInfo::selection) and metrics summary of dev logits.
DevMetric glue_dev_metric(io::GlueTask task, const std::vector<EncodedExample>& dev);
// The task's metrics, by name, for a summary line.
std::vector<io::MetricValue> glue_metrics_of(io::GlueTask task, const std::vector<float>& logits,
                                             const std::vector<EncodedExample>& examples);

}  // namespace spikingbert::training
