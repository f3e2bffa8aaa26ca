#include "training/GeneralCorpus.hpp"

#include <algorithm>
#include <stdexcept>

namespace spikingbert::training {

std::vector<EncodedExample> pack_corpus(const io::BertTokenizer& tokenizer, const std::vector<std::string>& lines,
                                        int max_seq_length) {
  constexpr int kSpecialTokens = 2;  // [CLS] and [SEP]
  if (max_seq_length <= kSpecialTokens) throw std::invalid_argument("pack_corpus: max_seq_length must exceed 2");
  const std::size_t capacity = static_cast<std::size_t>(max_seq_length - kSpecialTokens);
  std::vector<EncodedExample> sequences;
  std::vector<std::int64_t> pieces;  // of the sequence being filled
  auto flush = [&] {
    if (pieces.empty()) return;
    EncodedExample example;
    example.token_ids.push_back(tokenizer.cls_id());
    example.token_ids.insert(example.token_ids.end(), pieces.begin(), pieces.end());
    example.token_ids.push_back(tokenizer.sep_id());
    example.segment_ids.assign(example.token_ids.size(), 0);
    sequences.push_back(std::move(example));
    pieces.clear();
  };
  for (const auto& line : lines) {
    const auto ids = tokenizer.tokenize(line);
    if (ids.empty()) continue;
    if (pieces.size() + ids.size() > capacity) flush();
    for (std::size_t at = 0; at < ids.size(); at += capacity) {  // a line longer than a sequence is cut
      const std::size_t end = std::min(ids.size(), at + capacity);
      if (at > 0) flush();
      pieces.insert(pieces.end(), ids.begin() + static_cast<std::ptrdiff_t>(at), ids.begin() + static_cast<std::ptrdiff_t>(end));
    }
  }
  flush();
  return sequences;
}

}  // namespace spikingbert::training
