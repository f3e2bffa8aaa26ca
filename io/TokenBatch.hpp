#pragma once
// A padded batch of token sequences, row-major [batch, sequence]: the one token batch type. The readers make it
// (GLUE encoding, io/GlueEncoding; inputs.h5) and every model consumes it (models::TokenBatch is this type).
// One example's unpadded tokens with its label are a training record (training/EncodedExample), not a batch.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <vector>

namespace spikingbert::io {

struct TokenBatch {
  std::int64_t batch = 0;
  std::int64_t sequence = 0;
  std::vector<std::int64_t> token_ids;       // WordPiece ids, [PAD] (id 0) after the final [SEP]
  std::vector<std::int64_t> segment_ids;     // 0 for [CLS] a [SEP], 1 for b [SEP], 0 for padding
  std::vector<std::int64_t> attention_mask;  // 1 for real tokens, 0 for padding

  std::int64_t rows() const { return batch * sequence; }
  // Offset of example `example`'s row in the matrices.
  std::size_t row(std::int64_t example) const { return static_cast<std::size_t>(example * sequence); }

  // Examples [first, first + count) as a batch of their own, rows copied in order.
  TokenBatch examples(std::int64_t first, std::int64_t count) const {
    if (first < 0 || count < 0 || first + count > batch) throw std::out_of_range("TokenBatch::examples: rows outside the batch");
    TokenBatch part;
    part.batch = count;
    part.sequence = sequence;
    copy_cells(part, row(first), row(first + count));
    return part;
  }

  // The first `length` tokens of example `example` as a batch of one: exactly its real tokens when `length` is its
  // mask's count (issue 11: no neuron for padding).
  TokenBatch example_prefix(std::int64_t example, std::int64_t length) const {
    if (example < 0 || example >= batch || length < 0 || length > sequence)
      throw std::out_of_range("TokenBatch::example_prefix: tokens outside the batch");
    TokenBatch one;
    one.batch = 1;
    one.sequence = length;
    copy_cells(one, row(example), row(example) + static_cast<std::size_t>(length));
    return one;
  }

 private:
  void copy_cells(TokenBatch& to, std::size_t from_cell, std::size_t to_cell) const {
    const auto begin = static_cast<std::ptrdiff_t>(from_cell), end = static_cast<std::ptrdiff_t>(to_cell);
    to.token_ids.assign(token_ids.begin() + begin, token_ids.begin() + end);
    to.segment_ids.assign(segment_ids.begin() + begin, segment_ids.begin() + end);
    to.attention_mask.assign(attention_mask.begin() + begin, attention_mask.begin() + end);
  }
};

}  // namespace spikingbert::io
