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
