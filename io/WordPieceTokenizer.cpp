#include "io/WordPieceTokenizer.hpp"

#include <algorithm>

namespace spikingbert::io {
namespace {
constexpr std::u32string_view kContinuationPrefix = U"##";
}

WordPieceTokenizer::WordPieceTokenizer(const Vocabulary& vocabulary)
    : vocabulary_(&vocabulary), unknown_id_(vocabulary.required_id("[UNK]")) {}

void WordPieceTokenizer::tokenize(std::u32string_view word, std::vector<int>& ids) const {
  if (word.empty()) return;
  if (word.size() > kMaxWordLength) {
    ids.push_back(unknown_id_);
    return;
  }
  // One buffer "##" + word, word[i] at buffer[i + 2]. A first piece [0, end) is buffer[2, end + 2); a
  // continuation piece [start, end) is buffer[start, end + 2) once "##" is written over the two
  // code points before it, which are already consumed. No allocation per candidate.
  std::u32string buffer;
  buffer.reserve(kContinuationPrefix.size() + word.size());
  buffer.append(kContinuationPrefix);
  buffer.append(word);
  // No vocabulary entry is longer than this, so longer candidates need not be looked up.
  const std::size_t longest = vocabulary_->longest_token_length();
  const std::size_t first_new = ids.size();
  std::size_t start = 0;
  while (start < word.size()) {
    const std::size_t prefix = start > 0 ? kContinuationPrefix.size() : 0;
    if (start > 0) {
      buffer[start] = kContinuationPrefix[0];
      buffer[start + 1] = kContinuationPrefix[1];
    }
    const std::size_t first = start > 0 ? start : kContinuationPrefix.size();  // where the candidate begins
    const std::size_t longest_end = longest > prefix ? std::min(word.size(), start + (longest - prefix)) : start;
    const std::u32string_view view(buffer);
    int found = -1;
    std::size_t end = longest_end;
    for (; end > start; --end) {
      if (const auto id = vocabulary_->find(view.substr(first, end + kContinuationPrefix.size() - first))) {
        found = *id;
        break;
      }
    }
    if (found < 0) {  // the word cannot be covered: all of it is [UNK]
      ids.resize(first_new);
      ids.push_back(unknown_id_);
      return;
    }
    ids.push_back(found);
    start = end;
  }
}

}  // namespace spikingbert::io
