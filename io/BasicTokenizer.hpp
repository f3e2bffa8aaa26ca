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

// Words back to back in one buffer, so tokenizing a sentence allocates nothing once warmed up.
struct WordList {
  std::u32string characters;
  std::vector<std::size_t> ends;  // word i is characters[ends[i-1], ends[i])

  void clear() { characters.clear(); ends.clear(); }
  std::size_t size() const { return ends.size(); }
  std::u32string_view operator[](std::size_t i) const {
    const std::size_t begin = i == 0 ? 0 : ends[i - 1];
    return std::u32string_view(characters).substr(begin, ends[i] - begin);
  }
  void push(std::u32string_view word) {
    characters.append(word);
    ends.push_back(characters.size());
  }
};

class BasicTokenizer {
 public:
  // Appends the words of `text` to `words`.
  void tokenize(std::u32string_view text, WordList& words) const;

 private:
  // Step 4 and 5 for one whitespace-separated word.
  void split_word(std::u32string_view word, WordList& words) const;
};

}  // namespace spikingbert::io
