#pragma once
// One tokenised GLUE example, unpadded: [CLS] a [SEP] (b [SEP]); label is the class index or, for
// regression (STS-B), the score.
#include <cstdint>
#include <vector>

namespace spikingbert::training {

struct EncodedExample {
  std::vector<std::int64_t> token_ids;
  std::vector<std::int64_t> segment_ids;
  float label = 0;
};

}  // namespace spikingbert::training
