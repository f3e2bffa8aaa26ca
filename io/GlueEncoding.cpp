#include "io/GlueEncoding.hpp"

#include "io/Error.hpp"

#include <algorithm>
#include <stdexcept>

namespace spikingbert::io {
namespace {

// Pads one unpadded encoding into row `example` of `batch` and records its length.
void write_padded_row(const EncodedText& encoded, int pad_id, int example, EncodedBatch& batch) {
  TokenBatch& tokens = batch.tokens;
  const std::size_t length = encoded.input_ids.size();
  if (length > static_cast<std::size_t>(tokens.sequence)) {
    throw std::logic_error("write_padded_row: encoding longer than max_seq_length");
  }
  const auto row = static_cast<std::ptrdiff_t>(tokens.row(example));
  std::fill_n(tokens.token_ids.begin() + row, tokens.sequence, pad_id);
  std::fill_n(tokens.segment_ids.begin() + row, tokens.sequence, 0);
  std::fill_n(tokens.attention_mask.begin() + row, tokens.sequence, 0);
  std::copy(encoded.input_ids.begin(), encoded.input_ids.end(), tokens.token_ids.begin() + row);
  std::copy(encoded.segment_ids.begin(), encoded.segment_ids.end(), tokens.segment_ids.begin() + row);
  std::fill_n(tokens.attention_mask.begin() + row, length, 1);
  batch.lengths[static_cast<std::size_t>(example)] = static_cast<std::int32_t>(length);
}

}  // namespace

EncodedBatch encode_glue_examples(const BertTokenizer& tokenizer, const std::vector<GlueExample>& examples,
                                  int max_seq_length) {
  check_max_seq_length(max_seq_length, "command line", "max_seq_length");
  EncodedBatch batch;
  batch.tokens.batch = static_cast<std::int64_t>(examples.size());
  batch.tokens.sequence = max_seq_length;
  const auto cells = static_cast<std::size_t>(batch.tokens.rows());
  batch.tokens.token_ids.resize(cells);
  batch.tokens.segment_ids.resize(cells);
  batch.tokens.attention_mask.resize(cells);
  batch.lengths.resize(examples.size());
  batch.labels.reserve(examples.size());
  batch.scores.reserve(examples.size());
  batch.source_lines.reserve(examples.size());
  for (std::size_t i = 0; i < examples.size(); ++i) {
    const GlueExample& example = examples[i];
    std::optional<std::string_view> text_b;
    if (example.text_b) text_b = *example.text_b;
    write_padded_row(tokenizer.encode(example.text_a, text_b, max_seq_length), tokenizer.pad_id(), static_cast<int>(i),
                     batch);
    batch.labels.push_back(example.label);
    batch.scores.push_back(example.score);
    batch.source_lines.push_back(example.line);
  }
  return batch;
}

EncodedBatch EncodedBatch::examples(int first, int count) const {
  EncodedBatch part;
  part.tokens = tokens.examples(first, count);
  // A per-example field shorter than the batch (a hand-made set without it) stays empty.
  const auto slice = [&](const auto& values) {
    using Values = std::decay_t<decltype(values)>;
    if (values.size() < static_cast<std::size_t>(first + count)) return Values{};
    return Values(values.begin() + first, values.begin() + first + count);
  };
  part.lengths = slice(lengths);
  part.labels = slice(labels);
  part.scores = slice(scores);
  part.source_lines = slice(source_lines);
  return part;
}

TokenBatch EncodedBatch::real_tokens(int example) const {
  return tokens.example_prefix(example, std::max(1, lengths[static_cast<std::size_t>(example)]));
}

}  // namespace spikingbert::io
