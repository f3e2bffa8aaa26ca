#pragma once
// GLUE examples to model inputs: every example encoded as the reference's convert_examples_to_features
// does ([CLS] a [SEP] (b [SEP]), truncation, segment ids; see BertTokenizer) and padded to a fixed
// length with [PAD] (id 0), segment 0 and attention mask 0. This is what simulation and training feed
// to the model.
#include "io/BertTokenizer.hpp"
#include "io/GlueExample.hpp"

#include <cstdint>
#include <vector>

namespace spikingbert::io {

// Row-major int32 matrices [count, max_seq_length]; row i is example i.
struct EncodedBatch {
  int count = 0;
  int max_seq_length = 0;
  std::vector<std::int32_t> input_ids;       // token ids, [PAD] after the final [SEP]
  std::vector<std::int32_t> segment_ids;     // 0 for [CLS] a [SEP], 1 for b [SEP], 0 for padding
  std::vector<std::int32_t> attention_mask;  // 1 for real tokens, 0 for padding
  std::vector<std::int32_t> lengths;         // real tokens per example (sum of its mask row)
  std::vector<std::int32_t> labels;          // class index per example; kNoLabel if unlabeled / regression
  std::vector<double> scores;                // STS-B score per example; NaN otherwise
  std::vector<int> source_lines;             // the example's line in its file

  // Offset of example i's row in the matrices.
  std::size_t row(int example) const { return static_cast<std::size_t>(example) * static_cast<std::size_t>(max_seq_length); }
};

// Encodes all examples (in order) to max_seq_length tokens. Throws InputError if max_seq_length is
// below BertTokenizer::kMinimumSequenceLength.
EncodedBatch encode_glue_examples(const BertTokenizer& tokenizer, const std::vector<GlueExample>& examples,
                                  int max_seq_length);

// Consecutive batches of at most batch_size examples (the last may be shorter), rows copied in order.
std::vector<EncodedBatch> split_into_batches(const EncodedBatch& all, int batch_size);

// Pads one unpadded encoding into the rows of `batch` at example index `example`.
void write_padded_row(const EncodedText& encoded, int pad_id, int example, EncodedBatch& batch);

}  // namespace spikingbert::io
