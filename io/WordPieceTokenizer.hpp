#pragma once
// Greedy longest-match-first WordPiece (the reference WordpieceTokenizer): a word is covered from the
// left by the longest vocabulary entries, continuation pieces carrying the "##" prefix. A word longer
// than 100 code points, or one that cannot be covered, becomes the single token [UNK].
#include "io/Vocabulary.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace spikingbert::io {

class WordPieceTokenizer {
 public:
  // The reference's max_input_chars_per_word.
  static constexpr std::size_t kMaxWordLength = 100;

  // `vocabulary` must outlive the tokenizer.
  explicit WordPieceTokenizer(const Vocabulary& vocabulary);

  // Appends the ids of the pieces of one word to `ids`.
  void tokenize(std::u32string_view word, std::vector<int>& ids) const;

 private:
  const Vocabulary* vocabulary_;
  int unknown_id_;
};

}  // namespace spikingbert::io
