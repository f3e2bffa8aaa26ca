#include "io/BertTokenizer.hpp"

#include "io/Error.hpp"
#include "io/Utf8.hpp"

namespace spikingbert::io {

BertTokenizer::BertTokenizer(Vocabulary vocabulary)
    : vocabulary_(std::move(vocabulary)),
      wordpiece_(vocabulary_),
      pad_id_(vocabulary_.required_id("[PAD]")),
      cls_id_(vocabulary_.required_id("[CLS]")),
      sep_id_(vocabulary_.required_id("[SEP]")),
      unknown_id_(vocabulary_.required_id("[UNK]")) {}

BertTokenizer::BertTokenizer(BertTokenizer&& other) noexcept
    : vocabulary_(std::move(other.vocabulary_)),
      wordpiece_(vocabulary_),
      pad_id_(other.pad_id_),
      cls_id_(other.cls_id_),
      sep_id_(other.sep_id_),
      unknown_id_(other.unknown_id_) {}

BertTokenizer BertTokenizer::from_file(const std::filesystem::path& vocab_txt) {
  return BertTokenizer(Vocabulary::read(vocab_txt));
}

void BertTokenizer::tokenize(std::u32string_view text, std::vector<int>& ids) const {
  // Per-thread scratch: tokenizing a data set calls this once per sentence.
  thread_local WordList words;
  words.clear();
  basic_.tokenize(text, words);
  for (std::size_t i = 0; i < words.size(); ++i) wordpiece_.tokenize(words[i], ids);
}

std::vector<int> BertTokenizer::tokenize(std::string_view utf8_text) const {
  thread_local std::u32string decoded;
  decoded.clear();
  if (const auto bad = decode_utf8(utf8_text, decoded)) {
    throw InputError("text", "byte " + std::to_string(*bad + 1), "invalid UTF-8", "UTF-8 text");
  }
  std::vector<int> ids;
  tokenize(decoded, ids);
  return ids;
}

void check_max_seq_length(int max_seq_length, const std::string& file, const std::string& place) {
  if (max_seq_length < BertTokenizer::kMinimumSequenceLength) {
    throw InputError(file, place, "max_seq_length " + std::to_string(max_seq_length) + " is too small",
                     "at least " + std::to_string(BertTokenizer::kMinimumSequenceLength));
  }
}

EncodedText BertTokenizer::encode_ids(std::vector<int> ids_a, std::optional<std::vector<int>> ids_b,
                                      int max_seq_length) const {
  check_max_seq_length(max_seq_length, "command line", "max_seq_length");
  const auto limit = [](int value) { return static_cast<std::size_t>(value); };
  if (ids_b) {
    // _truncate_seq_pair: room for [CLS], [SEP], [SEP].
    const std::size_t budget = limit(max_seq_length - 3);
    while (ids_a.size() + ids_b->size() > budget) {
      if (ids_a.size() > ids_b->size()) {
        ids_a.pop_back();
      } else {
        ids_b->pop_back();
      }
    }
  } else if (ids_a.size() > limit(max_seq_length - 2)) {
    ids_a.resize(limit(max_seq_length - 2));
  }
  EncodedText encoded;
  encoded.input_ids.reserve(limit(max_seq_length));
  encoded.input_ids.push_back(cls_id_);
  encoded.input_ids.insert(encoded.input_ids.end(), ids_a.begin(), ids_a.end());
  encoded.input_ids.push_back(sep_id_);
  encoded.segment_ids.assign(encoded.input_ids.size(), 0);
  // The reference appends the second segment only `if tokens_b:`; a text_b that tokenizes to
  // nothing adds no second [SEP].
  if (ids_b && !ids_b->empty()) {
    encoded.input_ids.insert(encoded.input_ids.end(), ids_b->begin(), ids_b->end());
    encoded.input_ids.push_back(sep_id_);
    encoded.segment_ids.resize(encoded.input_ids.size(), 1);
  }
  return encoded;
}

EncodedText BertTokenizer::encode(std::string_view text_a, std::optional<std::string_view> text_b,
                                  int max_seq_length) const {
  std::optional<std::vector<int>> ids_b;
  if (text_b && !text_b->empty()) ids_b = tokenize(*text_b);
  return encode_ids(tokenize(text_a), std::move(ids_b), max_seq_length);
}

}  // namespace spikingbert::io
