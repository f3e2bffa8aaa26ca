#pragma once
// A padded batch of token sequences, row-major [batch, sequence]: what every model consumes.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace spikingbert::models {

struct TokenBatch {
  std::int64_t batch = 0;
  std::int64_t sequence = 0;
  std::vector<std::int64_t> token_ids;       // WordPiece ids, padding = 0
  std::vector<std::int64_t> segment_ids;     // 0 for sentence A, 1 for sentence B
  std::vector<std::int64_t> attention_mask;  // 1 for real tokens, 0 for padding

  std::int64_t rows() const { return batch * sequence; }
};

// The one conversion from a padded row-major layout ([examples, sequence] ids, segments and mask: a
// TokenBatch, or io::EncodedBatch's int32 rows) to what a model consumes: the `length` tokens from
// `offset` (an example's row start) as a batch of one, exactly its real tokens when `length` is its
// mask's count (issue 11: no neuron for padding).
template <class Ids>
TokenBatch example_tokens(const Ids& token_ids, const Ids& segment_ids, const Ids& attention_mask, std::size_t offset,
                          int length) {
  TokenBatch one;
  one.batch = 1;
  one.sequence = length;
  const auto from = static_cast<std::ptrdiff_t>(offset), to = from + length;
  one.token_ids.assign(token_ids.begin() + from, token_ids.begin() + to);
  one.segment_ids.assign(segment_ids.begin() + from, segment_ids.begin() + to);
  one.attention_mask.assign(attention_mask.begin() + from, attention_mask.begin() + to);
  return one;
}

}  // namespace spikingbert::models
