// Compact checkpoints: float16 storage and row pruning (io/Checkpoint.hpp).
#include "io/Checkpoint.hpp"
#include "io/Error.hpp"
#include "io/HalfFloat.hpp"
#include "io/Hdf5File.hpp"
#include "support/RunCommand.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>

using namespace spikingbert::io;
using spikingbert::testing::fresh_folder;

namespace {

ModelConfig small_config() {
  return parse_model_config({{"vocab_size", 12}, {"hidden_size", 4}, {"num_hidden_layers", 1},
                             {"num_attention_heads", 2}, {"intermediate_size", 8}, {"task", "sst2"}},
                            "test");
}

std::uint32_t bits_of(float value) {
  std::uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
}

}  // namespace

TEST_CASE("compact checkpoint: float16 storage reads back every half value exactly, rounded to nearest even", "[io][checkpoint]") {
  const auto folder = fresh_folder("checkpoint-f16");
  // Every finite binary16 value (normals, subnormals, zeros of both signs), widened to float32, and values
  // between them that must round.
  Tensor exact{{0}, {}}, rounded{{0}, {}};
  for (std::uint32_t bits = 0; bits < 0x10000; ++bits) {
    if ((bits & 0x7C00) == 0x7C00) continue;  // infinities and NaNs: weights are finite (require_finite)
    exact.values.push_back(half_to_float(static_cast<std::uint16_t>(bits)));
  }
  exact.shape = {static_cast<std::int64_t>(exact.values.size())};
  for (const float value : {0.1f, -3.14159f, 1e-6f, 65519.0f, 1.0f + 1.0f / 4096.0f, 2.5e-8f}) rounded.values.push_back(value);
  rounded.shape = {static_cast<std::int64_t>(rounded.values.size())};
  Checkpoint checkpoint;
  checkpoint.config = small_config();
  // Every half value is one tensor: a vocabulary that makes the declared model large enough to hold it
  // (read_checkpoint refuses tensors larger than the model, io::check_declared_sizes).
  checkpoint.config.vocab_size = 65536;
  checkpoint.tensors = {{"exact", exact}, {"rounded", rounded}};
  CheckpointStorage storage;
  storage.float16 = true;
  write_checkpoint(folder / "half.h5", checkpoint, storage);

  const auto back = read_checkpoint(folder / "half.h5");
  REQUIRE(back.tensors.at("exact").values.size() == exact.values.size());
  std::size_t mismatches = 0;
  for (std::size_t i = 0; i < exact.values.size(); ++i) {
    if (bits_of(back.tensors.at("exact").values[i]) != bits_of(exact.values[i])) ++mismatches;
  }
  CHECK(mismatches == 0);
  for (std::size_t i = 0; i < rounded.values.size(); ++i) {
    INFO(rounded.values[i]);
    CHECK(bits_of(back.tensors.at("rounded").values[i]) == bits_of(half_to_float(float_to_half(rounded.values[i]))));
  }
  CHECK(back.tensors.at("rounded").values[0] != 0.1f);  // really stored with 11 significant bits

  // A finite value that float16 cannot hold is refused rather than stored as infinity.
  Checkpoint too_large = checkpoint;
  too_large.tensors["rounded"].values[0] = 70000.0f;
  CHECK_THROWS_WITH(write_checkpoint(folder / "overflow.h5", too_large, storage), Catch::Contains("overflows float16"));
  CHECK_FALSE(std::filesystem::exists(folder / "overflow.h5"));

  // Half the bytes of float32 storage (HDF5 overhead aside).
  write_checkpoint(folder / "full.h5", checkpoint);
  CHECK(std::filesystem::file_size(folder / "half.h5") < 0.6 * std::filesystem::file_size(folder / "full.h5"));
  std::filesystem::remove_all(folder);
}

TEST_CASE("compact checkpoint: a pruned table reads back full, unlisted rows equal to the fill row", "[io][checkpoint]") {
  const auto folder = fresh_folder("checkpoint-prune");
  Checkpoint checkpoint;
  checkpoint.config = small_config();
  Tensor table{{12, 4}, {}};
  for (int i = 0; i < 48; ++i) table.values.push_back(0.5f * static_cast<float>(i) - 3.0f);
  checkpoint.tensors["bert.embeddings.word_embeddings.weight"] = table;
  checkpoint.tensors["other"] = {{3}, {1.0f, 2.0f, 3.0f}};
  CheckpointStorage storage;
  storage.kept_rows["bert.embeddings.word_embeddings.weight"] = RowSelection{{0, 2, 5, 11}, 5};
  write_checkpoint(folder / "pruned.h5", checkpoint, storage);

  const Hdf5Reader raw(folder / "pruned.h5");
  CHECK(raw.shape("/tensors/bert.embeddings.word_embeddings.weight") == Shape{4, 4});
  CHECK(raw.read_ints("/row_ids/bert.embeddings.word_embeddings.weight").values == std::vector<std::int64_t>{0, 2, 5, 11});

  const auto back = read_checkpoint(folder / "pruned.h5");
  const auto& full = back.tensors.at("bert.embeddings.word_embeddings.weight");
  REQUIRE(full.shape == Shape{12, 4});
  for (std::int64_t row = 0; row < 12; ++row) {
    const bool kept = row == 0 || row == 2 || row == 5 || row == 11;
    const std::int64_t source = kept ? row : 5;
    for (std::int64_t i = 0; i < 4; ++i) {
      INFO("row " << row << " column " << i);
      CHECK(full.values[row * 4 + i] == table.values[source * 4 + i]);
    }
  }
  CHECK(back.tensors.at("other").values == checkpoint.tensors.at("other").values);

  // Pruning and float16 together.
  storage.float16 = true;
  write_checkpoint(folder / "both.h5", checkpoint, storage);
  const auto both = read_checkpoint(folder / "both.h5");
  CHECK(both.tensors.at("bert.embeddings.word_embeddings.weight").values == full.values);  // multiples of 0.5: exact in half

  // Selections that cannot be stored.
  storage.kept_rows["bert.embeddings.word_embeddings.weight"] = RowSelection{{0, 2}, 5};
  CHECK_THROWS_WITH(write_checkpoint(folder / "bad.h5", checkpoint, storage), Catch::Contains("fill row 5 is not kept"));
  storage.kept_rows["bert.embeddings.word_embeddings.weight"] = RowSelection{{2, 0}, 0};
  CHECK_THROWS_WITH(write_checkpoint(folder / "bad.h5", checkpoint, storage), Catch::Contains("ascending unique rows"));
  storage.kept_rows["bert.embeddings.word_embeddings.weight"] = RowSelection{{0, 12}, 0};
  CHECK_THROWS_AS(write_checkpoint(folder / "bad.h5", checkpoint, storage), InputError);
  storage.kept_rows.clear();
  storage.kept_rows["missing"] = RowSelection{{0}, 0};
  CHECK_THROWS_WITH(write_checkpoint(folder / "bad.h5", checkpoint, storage), Catch::Contains("no such tensor"));
  CHECK_FALSE(std::filesystem::exists(folder / "bad.h5"));
  std::filesystem::remove_all(folder);
}

TEST_CASE("compact checkpoint: the reader rejects inconsistent row ids", "[io][checkpoint]") {
  const auto folder = fresh_folder("checkpoint-prune-bad");
  const std::string config_text = to_json(small_config()).dump();
  auto write = [&](const std::string& name, const std::vector<std::int64_t>& ids, std::int64_t full_rows,
                   std::int64_t fill_row) {
    Hdf5Writer w(folder / name);
    w.write_attribute("/", "format", std::string("spikingbert-checkpoint"));
    w.write_attribute("/", "format_version", std::int64_t{1});
    w.write_attribute("/", "config", config_text);
    w.write_tensor("/tensors/table", Tensor{{2, 3}, {1, 2, 3, 4, 5, 6}});
    w.write_ints("/row_ids/table", {static_cast<std::int64_t>(ids.size())}, ids, 4);
    w.write_attribute("/row_ids/table", "full_rows", full_rows);
    w.write_attribute("/row_ids/table", "fill_row", fill_row);
    w.commit();
    return folder / name;
  };
  CHECK(read_checkpoint(write("good.h5", {1, 3}, 4, 1)).tensors.at("table").values ==
        std::vector<float>{1, 2, 3, 1, 2, 3, 1, 2, 3, 4, 5, 6});
  CHECK_THROWS_WITH(read_checkpoint(write("count.h5", {1}, 4, 1)), Catch::Contains("one id per stored row"));
  CHECK_THROWS_WITH(read_checkpoint(write("order.h5", {3, 1}, 4, 1)), Catch::Contains("ascending unique ids"));
  CHECK_THROWS_WITH(read_checkpoint(write("range.h5", {1, 4}, 4, 1)), Catch::Contains("ascending unique ids"));
  CHECK_THROWS_WITH(read_checkpoint(write("fill.h5", {1, 3}, 4, 2)), Catch::Contains("fill_row"));
  CHECK_THROWS_WITH(read_checkpoint(write("huge.h5", {1, 3}, std::int64_t{1} << 40, 1)), Catch::Contains("full_rows"));
  std::filesystem::remove_all(folder);
}
