#include "io/GlueEncoding.hpp"

#include "io/Error.hpp"

#include <algorithm>
#include <stdexcept>

namespace spikingbert::io {

void write_padded_row(const EncodedText& encoded, int pad_id, int example, EncodedBatch& batch) {
  const std::size_t length = encoded.input_ids.size();
  if (length > static_cast<std::size_t>(batch.max_seq_length)) {
    throw std::logic_error("write_padded_row: encoding longer than max_seq_length");
  }
  const std::size_t row = batch.row(example);
  std::fill_n(batch.input_ids.begin() + static_cast<std::ptrdiff_t>(row), batch.max_seq_length, pad_id);
  std::fill_n(batch.segment_ids.begin() + static_cast<std::ptrdiff_t>(row), batch.max_seq_length, 0);
  std::fill_n(batch.attention_mask.begin() + static_cast<std::ptrdiff_t>(row), batch.max_seq_length, 0);
  std::copy(encoded.input_ids.begin(), encoded.input_ids.end(), batch.input_ids.begin() + static_cast<std::ptrdiff_t>(row));
  std::copy(encoded.segment_ids.begin(), encoded.segment_ids.end(),
            batch.segment_ids.begin() + static_cast<std::ptrdiff_t>(row));
  std::fill_n(batch.attention_mask.begin() + static_cast<std::ptrdiff_t>(row), length, 1);
  batch.lengths[static_cast<std::size_t>(example)] = static_cast<std::int32_t>(length);
}

EncodedBatch encode_glue_examples(const BertTokenizer& tokenizer, const std::vector<GlueExample>& examples,
                                  int max_seq_length) {
  check_max_seq_length(max_seq_length, "command line", "max_seq_length");
  EncodedBatch batch;
  batch.count = static_cast<int>(examples.size());
  batch.max_seq_length = max_seq_length;
  const std::size_t cells = examples.size() * static_cast<std::size_t>(max_seq_length);
  batch.input_ids.resize(cells);
  batch.segment_ids.resize(cells);
  batch.attention_mask.resize(cells);
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

std::vector<EncodedBatch> split_into_batches(const EncodedBatch& all, int batch_size) {
  if (batch_size <= 0) throw std::invalid_argument("split_into_batches: batch_size must be positive");
  std::vector<EncodedBatch> batches;
  for (int first = 0; first < all.count; first += batch_size) {
    const int count = std::min(batch_size, all.count - first);
    EncodedBatch batch;
    batch.count = count;
    batch.max_seq_length = all.max_seq_length;
    const auto cells_begin = static_cast<std::ptrdiff_t>(all.row(first));
    const auto cells_end = static_cast<std::ptrdiff_t>(all.row(first + count));
    batch.input_ids.assign(all.input_ids.begin() + cells_begin, all.input_ids.begin() + cells_end);
    batch.segment_ids.assign(all.segment_ids.begin() + cells_begin, all.segment_ids.begin() + cells_end);
    batch.attention_mask.assign(all.attention_mask.begin() + cells_begin, all.attention_mask.begin() + cells_end);
    batch.lengths.assign(all.lengths.begin() + first, all.lengths.begin() + first + count);
    batch.labels.assign(all.labels.begin() + first, all.labels.begin() + first + count);
    batch.scores.assign(all.scores.begin() + first, all.scores.begin() + first + count);
    batch.source_lines.assign(all.source_lines.begin() + first, all.source_lines.begin() + first + count);
    batches.push_back(std::move(batch));
  }
  return batches;
}

}  // namespace spikingbert::io
