// General distillation's inputs (training/GeneralCorpus.hpp, io/TextCorpus.hpp): plain-text lines packed
// into [CLS] ... [SEP] sequences in order, long lines cut, bad files clear errors.
#include "io/BertTokenizer.hpp"
#include "io/Error.hpp"
#include "io/TextCorpus.hpp"
#include "training/GeneralCorpus.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

using namespace spikingbert;
namespace fs = std::filesystem;

namespace {

fs::path write_file(const std::string& name, const std::string& text) {
  const auto path = fs::temp_directory_path() / ("spikingbert-corpus-" + name);
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

io::BertTokenizer word_tokenizer() {
  // [PAD] [UNK] [CLS] [SEP] [MASK] w5 ... w19
  std::string vocabulary = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n";
  for (int i = 5; i < 20; ++i) vocabulary += "w" + std::to_string(i) + "\n";
  return io::BertTokenizer::from_file(write_file("vocab.txt", vocabulary));
}

}  // namespace

TEST_CASE("text corpus: lines of any newline, blank lines and a BOM skipped, bad files are errors", "[training][general]") {
  const auto lines = io::read_text_corpus(write_file("ok.txt", "\xEF\xBB\xBFw5 w6\r\n\n  \nw7\rw8 w9\n"));
  CHECK(lines == std::vector<std::string>{"w5 w6", "w7", "w8 w9"});
  CHECK_THROWS_AS(io::read_text_corpus(write_file("empty.txt", "\n \n")), io::InputError);
  CHECK_THROWS_WITH(io::read_text_corpus(write_file("bad.txt", "w5\nw6 \xFF\n")), Catch::Contains("line 2"));
  CHECK_THROWS_AS(io::read_text_corpus("/nonexistent/corpus.txt"), io::InputError);
}

TEST_CASE("pack_corpus: whole lines while they fit, long lines cut, [CLS] ... [SEP] of at most max length",
          "[training][general]") {
  const auto tokenizer = word_tokenizer();
  // max 6 tokens: 4 pieces a sequence. Lines of 2, 2, 1, 9 and 1 pieces.
  const std::vector<std::string> lines = {"w5 w6", "w7 w8", "w9", "w10 w11 w12 w13 w14 w15 w16 w17 w18", "w19"};
  const auto sequences = training::pack_corpus(tokenizer, lines, 6);
  std::vector<std::vector<std::int64_t>> expected = {
      {2, 5, 6, 7, 8, 3}, {2, 9, 3}, {2, 10, 11, 12, 13, 3}, {2, 14, 15, 16, 17, 3}, {2, 18, 19, 3}};
  REQUIRE(sequences.size() == expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    INFO(i);
    CHECK(sequences[i].token_ids == expected[i]);
    CHECK(sequences[i].segment_ids == std::vector<std::int64_t>(expected[i].size(), 0));
  }
  CHECK_THROWS_AS(training::pack_corpus(tokenizer, lines, 2), std::invalid_argument);
}
