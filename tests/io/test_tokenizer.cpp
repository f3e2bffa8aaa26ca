#include "io/BertTokenizer.hpp"
#include "io/Error.hpp"
#include "support/RunCommand.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <fstream>

using spikingbert::io::BertTokenizer;
using spikingbert::io::InputError;

namespace {

const BertTokenizer& bert_base_uncased() {
  static const BertTokenizer tokenizer =
      BertTokenizer::from_file(std::string(SPIKINGBERT_SOURCE_DIR) + "/data/vocab/bert-base-uncased.txt");
  return tokenizer;
}

std::vector<std::string> tokens_of(const std::vector<int>& ids) {
  std::vector<std::string> tokens;
  for (const int id : ids) tokens.push_back(bert_base_uncased().vocabulary().token(id));
  return tokens;
}

}  // namespace

TEST_CASE("tokenizer is identical to the reference on every conformance case", "[io][tokenizer]") {
  const auto& tokenizer = bert_base_uncased();
  std::ifstream cases(spikingbert::testing::test_data("tokenizer/cases.jsonl"));
  REQUIRE(cases);
  std::string line;
  int total = 0, identical = 0;
  while (std::getline(cases, line)) {
    ++total;
    const auto expected = nlohmann::json::parse(line);
    std::optional<std::string> text_b;
    if (!expected["text_b"].is_null()) text_b = expected["text_b"].get<std::string>();
    const auto encoded = tokenizer.encode(expected["text_a"].get<std::string>(),
                                          text_b ? std::optional<std::string_view>(*text_b) : std::nullopt,
                                          expected["max_seq_length"].get<int>());
    const bool same = encoded.input_ids == expected["input_ids"].get<std::vector<int>>() &&
                      encoded.segment_ids == expected["segment_ids"].get<std::vector<int>>() &&
                      tokens_of(encoded.input_ids) == expected["tokens"].get<std::vector<std::string>>();
    if (same) {
      ++identical;
    } else {
      UNSCOPED_INFO("case " << total << ": " << line << "\n  got tokens " << nlohmann::json(tokens_of(encoded.input_ids)).dump());
    }
  }
  INFO(identical << " of " << total << " cases identical");
  CHECK(total == 2633);
  CHECK(identical == total);
}

TEST_CASE("WordPiece: greedy longest match, ## continuations, 100-code-point rule", "[io][tokenizer]") {
  const BertTokenizer tokenizer(spikingbert::io::Vocabulary::from_tokens(
      {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "un", "##aff", "##able", "##a", "aff", "x", "##x", "é"}));
  CHECK(tokenizer.tokenize("unaffable") == std::vector<int>{4, 5, 6});
  CHECK(tokenizer.tokenize("affable") == std::vector<int>{8, 6});  // ##able beats ##a
  CHECK(tokenizer.tokenize("affabl") == std::vector<int>{1});      // aff ##a, then no "##b...": all [UNK]
  CHECK(tokenizer.tokenize("UNAFF") == std::vector<int>{4, 5});
  const auto hundred = tokenizer.tokenize(std::string(100, 'x'));
  REQUIRE(hundred.size() == 100);
  CHECK(hundred.front() == 9);
  CHECK(hundred.back() == 10);
  CHECK(tokenizer.tokenize(std::string(101, 'x')) == std::vector<int>{1});
  CHECK(tokenizer.tokenize("x.x") == std::vector<int>{9, 1, 9});  // '.' is a word of its own, not in vocab
}

TEST_CASE("basic tokenizer: Unicode rules of the reference", "[io][tokenizer]") {
  const auto& tokenizer = bert_base_uncased();
  const auto tokens = [&](const std::string& text) { return tokens_of(tokenizer.tokenize(text)); };
  // Accents removed after NFD, Hangul decomposed to jamo, CJK ideographs split, kana not.
  CHECK(tokens("Ångström") == std::vector<std::string>{"ang", "##strom"});
  CHECK(tokens("日本") == std::vector<std::string>{"日", "本"});
  // Capital sigma lowers to final sigma at the end of a word (CPython's str.lower()).
  CHECK(tokenizer.tokenize("ΟΔΟΣ") == tokenizer.tokenize("οδος"));
  CHECK(tokenizer.tokenize("ΟΔΟΣ") != tokenizer.tokenize("οδοσ"));
  // U+2028 (line separator) splits words although it is not cleaned to a space; U+200B vanishes.
  CHECK(tokens("hello\u2028world") == std::vector<std::string>{"hello", "world"});
  CHECK(tokens("hello\u200bworld") == tokens("helloworld"));
  // Special tokens are kept whole and not lower-cased.
  CHECK(tokens("a [SEP] b") == std::vector<std::string>{"a", "[SEP]", "b"});
  CHECK(tokens("[sep]") == std::vector<std::string>{"[", "sep", "]"});
  // Invalid UTF-8 is an error, not silently replaced.
  CHECK_THROWS_AS(tokenizer.tokenize("caf\xE9"), InputError);
  CHECK_THROWS_AS(tokenizer.tokenize("\xED\xA0\x80"), InputError);  // encoded surrogate
}

TEST_CASE("GLUE encoding: [CLS] a [SEP] b [SEP], pair truncation drops from the longer side", "[io][tokenizer]") {
  const BertTokenizer tokenizer(spikingbert::io::Vocabulary::from_tokens({"[PAD]", "[UNK]", "[CLS]", "[SEP]", "a", "b"}));
  const auto single = tokenizer.encode("a a a a a", std::nullopt, 5);
  CHECK(single.input_ids == std::vector<int>{2, 4, 4, 4, 3});
  CHECK(single.segment_ids == std::vector<int>{0, 0, 0, 0, 0});
  // Budget 8 - 3 = 5 tokens: a has 4, b has 3 -> drop from a (longer) to 3, then from b on the tie -> 3 + 2.
  const auto pair = tokenizer.encode("a a a a", std::string_view("b b b"), 8);
  CHECK(pair.input_ids == std::vector<int>{2, 4, 4, 4, 3, 5, 5, 3});
  CHECK(pair.segment_ids == std::vector<int>{0, 0, 0, 0, 0, 1, 1, 1});
  // An empty text_b is a single sentence (the reference's `if example.text_b:`).
  CHECK(tokenizer.encode("a", std::string_view(""), 8).input_ids == std::vector<int>{2, 4, 3});
  // A text_b with no tokens adds no second [SEP] (`if tokens_b:`).
  CHECK(tokenizer.encode("a", std::string_view("   "), 8).input_ids == std::vector<int>{2, 4, 3});
  CHECK_THROWS_AS(tokenizer.encode("a", std::nullopt, 2), InputError);
}

TEST_CASE("vocabulary files: ids are line numbers, bad files are rejected", "[io][tokenizer]") {
  const auto& vocabulary = bert_base_uncased().vocabulary();
  CHECK(vocabulary.size() == 30522);
  CHECK(vocabulary.find(std::string_view("[CLS]")) == 101);
  CHECK(vocabulary.token(7592) == "hello");
  const auto folder = spikingbert::testing::fresh_folder("vocab-errors");
  std::ofstream(folder / "empty.txt").close();
  CHECK_THROWS_WITH(spikingbert::io::Vocabulary::read(folder / "empty.txt"), Catch::Contains("vocabulary is empty"));
  std::ofstream(folder / "nocls.txt") << "[PAD]\n[UNK]\n[SEP]\n";
  CHECK_THROWS_WITH(BertTokenizer::from_file(folder / "nocls.txt"), Catch::Contains("no token '[CLS]'"));
  std::ofstream(folder / "bad.txt") << "[PAD]\nab\xFF\n";
  CHECK_THROWS_WITH(spikingbert::io::Vocabulary::read(folder / "bad.txt"), Catch::Contains("bad.txt:line 2: invalid UTF-8"));
  CHECK_THROWS_AS(spikingbert::io::Vocabulary::read(folder / "missing.txt"), InputError);
}
