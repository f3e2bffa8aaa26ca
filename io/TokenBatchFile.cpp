#include "io/TokenBatchFile.hpp"

#include "io/Error.hpp"
#include "io/Hdf5File.hpp"

#include <vector>

namespace spikingbert::io {
namespace {

void check_range(const std::vector<std::int64_t>& values, std::int64_t end, const std::string& source,
                 const std::string& dataset, const std::string& what,  // what: "token " or ""
                 const std::string& expected) {
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (values[i] < 0 || values[i] >= end)
      throw InputError(source, "dataset '" + dataset + "'", "element " + std::to_string(i) + " is " + what +
                       std::to_string(values[i]), expected);
  }
}

}  // namespace

TokenBatch read_token_batch(const std::filesystem::path& inputs_h5) {
  const Hdf5Reader reader(inputs_h5);
  const std::string file = inputs_h5.string();
  const std::string group = reader.has("inputs/input_ids") ? "inputs/" : "";
  auto ids = reader.read_ints(group + "input_ids");
  if (ids.shape.size() != 2)
    throw InputError(file, "dataset '" + group + "input_ids'", "shape " + shape_to_string(ids.shape), "[batch, sequence]");
  if (ids.shape[0] < 1 || ids.shape[1] < 1)
    throw InputError(file, "dataset '" + group + "input_ids'", "shape " + shape_to_string(ids.shape),
                     "at least one sequence of at least one token");
  TokenBatch batch;
  batch.batch = ids.shape[0];
  batch.sequence = ids.shape[1];
  // Absent segment ids are sentence A (0) and an absent mask marks every token real (1).
  const auto optional = [&](const std::vector<std::string>& names, std::int64_t fallback) {
    for (const auto& short_name : names) {
      const auto name = group + short_name;
      if (!reader.has(name)) continue;
      auto values = reader.read_ints(name);
      if (values.shape != ids.shape)
        throw InputError(file, "dataset '" + name + "'", "shape " + shape_to_string(values.shape),
                         shape_to_string(ids.shape));
      return std::move(values.values);
    }
    return std::vector<std::int64_t>(ids.values.size(), fallback);
  };
  batch.segment_ids = optional({"segment_ids", "token_type_ids"}, 0);
  batch.attention_mask = optional({"attention_mask"}, 1);
  batch.token_ids = std::move(ids.values);
  return batch;
}

void check_token_ranges(const TokenBatch& batch, std::int64_t vocab_size, std::int64_t type_vocab_size,
                        const std::string& source) {
  check_range(batch.token_ids, vocab_size, source, "input_ids", "token ", "ids in [0, " + std::to_string(vocab_size) + ")");
  check_range(batch.segment_ids, type_vocab_size, source, "segment_ids", "",
              "segment ids in [0, " + std::to_string(type_vocab_size) + ")");
  check_range(batch.attention_mask, 2, source, "attention_mask", "", "mask values 0 or 1");
}

}  // namespace spikingbert::io
