// libFuzzer target: the vocabulary loader and the WordPiece tokenizer. The input is
//   vocab.txt bytes 0xFF text_a [0xFF text_b]
// (0xFF never occurs in UTF-8, so it cannot be part of a valid vocabulary or text). The vocabulary part
// goes through Vocabulary::read; the text is tokenised both with it (when it loads) and with a fixed
// small vocabulary, so the tokenizer is fuzzed on every input.
#include "FuzzSupport.hpp"

#include "io/BertTokenizer.hpp"

#include <optional>
#include <stdexcept>
#include <string_view>

namespace {

constexpr int kMaxSequenceLength = 16;  // small, so pair truncation runs often

void tokenize_with(const spikingbert::io::BertTokenizer& tokenizer, std::string_view text_a,
                   std::optional<std::string_view> text_b) {
  SPIKINGBERT_FUZZ_EXPECT_INPUT_ERRORS({
    const auto ids = tokenizer.tokenize(text_a);
    for (const int id : ids) {
      if (id < 0 || static_cast<std::size_t>(id) >= tokenizer.vocabulary().size()) throw std::logic_error("id outside vocabulary");
    }
    const auto encoded = tokenizer.encode(text_a, text_b, kMaxSequenceLength);
    if (encoded.input_ids.size() > static_cast<std::size_t>(kMaxSequenceLength) ||
        encoded.input_ids.size() != encoded.segment_ids.size()) {
      throw std::logic_error("encoding longer than max_seq_length or misaligned segments");
    }
  });
}

const spikingbert::io::BertTokenizer& fixed_tokenizer() {
  static const spikingbert::io::BertTokenizer tokenizer(spikingbert::io::Vocabulary::from_tokens(
      {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "un", "##aff", "##able", "a", "##b", "##c", "cafe", "!",
       ",", "\xe4\xb8\xad", "##s", "running", "run", "##ning", "'", "x"}));
  return tokenizer;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace spikingbert;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto first = input.find('\xff');
  const std::string_view vocabulary_bytes = input.substr(0, first);
  std::string_view text_a = first == std::string_view::npos ? std::string_view{} : input.substr(first + 1);
  std::optional<std::string_view> text_b;
  if (const auto second = text_a.find('\xff'); second != std::string_view::npos) {
    text_b = text_a.substr(second + 1);
    text_a = text_a.substr(0, second);
  }
  const auto& path = fuzz::write_scratch("-vocab.txt", data, vocabulary_bytes.size());
  SPIKINGBERT_FUZZ_EXPECT_INPUT_ERRORS({
    const io::BertTokenizer tokenizer = io::BertTokenizer::from_file(path);
    tokenize_with(tokenizer, text_a, text_b);
  });
  tokenize_with(fixed_tokenizer(), text_a, text_b);
  return 0;
}
