#pragma once
// GLUE examples to model inputs: every example encoded as the reference's convert_examples_to_features
// does ([CLS] a [SEP] (b [SEP]), truncation, segment ids; see BertTokenizer) and padded to a fixed
// length with [PAD] (id 0), segment 0 and attention mask 0. This is what simulation and training feed
// to the model.
#include "io/BertTokenizer.hpp"
#include "io/GlueExample.hpp"
#include "io/TokenBatch.hpp"

#include <cstdint>
#include <vector>

namespace spikingbert::io {

// Example i is row i of `tokens` (padded to the set's length) with its length, label, score and line.
struct EncodedBatch {
  TokenBatch tokens;
  std::vector<std::int32_t> lengths;  // real tokens per example (sum of its mask row)
  std::vector<std::int32_t> labels;   // class index per example; kNoLabel if unlabeled / regression
  std::vector<double> scores;         // STS-B score per example; NaN otherwise
  std::vector<int> source_lines;      // the example's line in its file

  int count() const { return static_cast<int>(tokens.batch); }
  int max_seq_length() const { return static_cast<int>(tokens.sequence); }
  // Examples [first, first + count) with their rows and per-example fields.
  EncodedBatch examples(int first, int count) const;
  // Example `example`'s real tokens (at least one) as a batch of one: no padding, so no neuron exists for a position
  // that is not in the sentence (issue 11).
  TokenBatch real_tokens(int example) const;
};

// Encodes all examples (in order) to max_seq_length tokens. Throws InputError if max_seq_length is
// below BertTokenizer::kMinimumSequenceLength.
EncodedBatch encode_glue_examples(const BertTokenizer& tokenizer, const std::vector<GlueExample>& examples,
                                  int max_seq_length);

}  // namespace spikingbert::io
