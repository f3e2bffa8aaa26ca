#pragma once
// BERT's basic tokenizer for uncased models (the reference BasicTokenizer with do_lower_case=True):
//   1. clean: drop NUL, U+FFFD and control/format characters (categories C* except \t \n \r), turn
//      whitespace (space, \t, \n, \r, category Zs) into ' ';
//   2. put spaces around CJK ideographs;
//   3. split on whitespace (Python str.split());
//   4. per word, unless it is a special token ([UNK] [SEP] [PAD] [CLS] [MASK]): lower-case (Python
//      str.lower(), final sigma included), NFD-decompose and drop nonspacing marks (category Mn);
//   5. split every punctuation character (ASCII 33-47, 58-64, 91-96, 123-126 and categories P*) off
//      into its own token.
// Works in code points; the tables are in io/UnicodeTables.hpp.
#include <string>
#include <string_view>
#include <vector>

namespace spikingbert::io {

class BasicTokenizer {
 public:
  // Appends the words of `text` to `words` (reuses their storage).
  void tokenize(std::u32string_view text, std::vector<std::u32string>& words) const;

 private:
  // Step 4 and 5 for one whitespace-separated word.
  void split_word(std::u32string_view word, std::vector<std::u32string>& words) const;
};

}  // namespace spikingbert::io
