#pragma once
// A padded batch of token sequences, row-major [batch, sequence]: what every model consumes.
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

}  // namespace spikingbert::models
