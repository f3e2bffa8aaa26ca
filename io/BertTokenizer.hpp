#pragma once
// The bert-base-uncased tokenizer: BasicTokenizer then WordPiece, and the GLUE encoding of one
// example as the reference's convert_examples_to_features builds it:
//   single: [CLS] a [SEP]            segment ids 0...0, a truncated to max_seq_length - 2 tokens
//   pair:   [CLS] a [SEP] b [SEP]    segment ids 0 for [CLS] a [SEP], 1 for b [SEP]; a and b
//           truncated together to max_seq_length - 3 by dropping the last token of the longer one
//           (of b when equal), the reference's _truncate_seq_pair.
#include "io/BasicTokenizer.hpp"
#include "io/Vocabulary.hpp"
#include "io/WordPieceTokenizer.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace spikingbert::io {

// One encoded example, unpadded: ends at the final [SEP].
struct EncodedText {
  std::vector<int> input_ids;
  std::vector<int> segment_ids;
};

class BertTokenizer {
 public:
  // Smallest max_seq_length the reference's truncation accepts: room for [CLS] [SEP] [SEP] (below it,
  // _truncate_seq_pair would pop from empty lists).
  static constexpr int kMinimumSequenceLength = 3;

  explicit BertTokenizer(Vocabulary vocabulary);
  static BertTokenizer from_file(const std::filesystem::path& vocab_txt);

  // The WordPiece ids of UTF-8 text. Throws InputError ("text", "byte N") for invalid UTF-8.
  std::vector<int> tokenize(std::string_view utf8_text) const;
  // The same for text already decoded to code points.
  void tokenize(std::u32string_view text, std::vector<int>& ids) const;

  // GLUE encoding (see above). `text_b` empty or absent means a single sentence, like the reference's
  // `if example.text_b:`. max_seq_length must be at least kMinimumSequenceLength (InputError otherwise).
  EncodedText encode(std::string_view text_a, std::optional<std::string_view> text_b, int max_seq_length) const;
  EncodedText encode_ids(std::vector<int> ids_a, std::optional<std::vector<int>> ids_b, int max_seq_length) const;

  const Vocabulary& vocabulary() const { return vocabulary_; }
  int pad_id() const { return pad_id_; }
  int cls_id() const { return cls_id_; }
  int sep_id() const { return sep_id_; }
  int unknown_id() const { return unknown_id_; }

  BertTokenizer(const BertTokenizer&) = delete;             // wordpiece_ points into vocabulary_
  BertTokenizer& operator=(const BertTokenizer&) = delete;
  BertTokenizer(BertTokenizer&& other) noexcept;

 private:
  Vocabulary vocabulary_;
  BasicTokenizer basic_;
  WordPieceTokenizer wordpiece_;
  int pad_id_, cls_id_, sep_id_, unknown_id_;
};

// Throws InputError unless kMinimumSequenceLength <= max_seq_length; `file` and `place` locate it.
void check_max_seq_length(int max_seq_length, const std::string& file, const std::string& place);

}  // namespace spikingbert::io
