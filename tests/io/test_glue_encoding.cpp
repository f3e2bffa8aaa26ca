#include "io/GlueEncoding.hpp"
#include "io/GlueReader.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <ctime>
#include <iostream>

using namespace spikingbert::io;

namespace {
const BertTokenizer& bert_base_uncased() {
  static const BertTokenizer tokenizer =
      BertTokenizer::from_file(std::string(SPIKINGBERT_SOURCE_DIR) + "/data/vocab/bert-base-uncased.txt");
  return tokenizer;
}
}  // namespace

TEST_CASE("encode_glue_examples pads to fixed-length rows with mask and segments", "[io][encoding]") {
  const BertTokenizer tokenizer(Vocabulary::from_tokens({"[PAD]", "[UNK]", "[CLS]", "[SEP]", "a", "b"}));
  const std::vector<GlueExample> examples{{.line = 2, .text_a = std::string("a b"), .text_b = std::string("b"), .label = 1},
                                          {.line = 3, .text_a = std::string("a a a a a a a a"), .text_b = std::string("b"), .label = 0}};
  const auto batch = encode_glue_examples(tokenizer, examples, 6);
  CHECK(batch.count() == 2);
  CHECK(batch.max_seq_length() == 6);
  CHECK(batch.tokens.token_ids == std::vector<std::int64_t>{2, 4, 5, 3, 5, 3, /**/ 2, 4, 4, 3, 5, 3});
  CHECK(batch.tokens.segment_ids == std::vector<std::int64_t>{0, 0, 0, 0, 1, 1, /**/ 0, 0, 0, 0, 1, 1});
  CHECK(batch.tokens.attention_mask == std::vector<std::int64_t>(12, 1));
  const auto short_batch = encode_glue_examples(tokenizer, examples, 8);
  const auto first_row = [&](const std::vector<std::int64_t>& cells) {
    return std::vector<std::int64_t>(cells.begin(), cells.begin() + 8);
  };
  const std::vector<std::int64_t> expected_ids{2, 4, 5, 3, 5, 3, 0, 0}, expected_mask{1, 1, 1, 1, 1, 1, 0, 0},
      expected_segments{0, 0, 0, 0, 1, 1, 0, 0};
  CHECK(first_row(short_batch.tokens.token_ids) == expected_ids);
  CHECK(first_row(short_batch.tokens.attention_mask) == expected_mask);
  CHECK(first_row(short_batch.tokens.segment_ids) == expected_segments);
  CHECK(short_batch.lengths == std::vector<std::int32_t>{6, 8});
  CHECK(short_batch.labels == std::vector<std::int32_t>{1, 0});
  CHECK(short_batch.source_lines == std::vector<int>{2, 3});

  const auto second = short_batch.examples(1, 1);
  CHECK(second.count() == 1);
  CHECK(second.lengths == std::vector<std::int32_t>{8});
  CHECK(second.labels == std::vector<std::int32_t>{0});
  CHECK(second.tokens.token_ids ==
        std::vector<std::int64_t>(short_batch.tokens.token_ids.begin() + 8, short_batch.tokens.token_ids.end()));
  // The first example's real tokens alone: its 6 tokens, no padding.
  const auto first = short_batch.real_tokens(0);
  CHECK(first.batch == 1);
  CHECK(first.sequence == 6);
  CHECK(first.token_ids == std::vector<std::int64_t>{2, 4, 5, 3, 5, 3});
  CHECK(first.attention_mask == std::vector<std::int64_t>(6, 1));
  CHECK_THROWS_AS(short_batch.tokens.examples(1, 2), std::out_of_range);
}

TEST_CASE("tokenizing SST-2 train (67,349 sentences) is fast", "[io][encoding][speed]") {
  const auto train = read_glue_file(GlueTask::sst2, std::string(SPIKINGBERT_SOURCE_DIR) + "/data/glue/SST-2/train.tsv");
  const auto& tokenizer = bert_base_uncased();
  // Processor time as well as wall time: on the shared 2-core machine the wall time mostly measures
  // the other jobs.
  const std::clock_t processor_start = std::clock();
  const auto start = std::chrono::steady_clock::now();
  const auto batch = encode_glue_examples(tokenizer, train.examples, 64);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double processor_seconds = static_cast<double>(std::clock() - processor_start) / CLOCKS_PER_SEC;
  std::cout << "encoded " << batch.count() << " SST-2 train sentences to [" << batch.count() << ", 64] in " << seconds
            << " s wall, " << processor_seconds << " s processor time\n";
  CHECK(batch.count() == 67349);
  CHECK(processor_seconds < 2.0);
}
