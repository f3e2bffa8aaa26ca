#include "io/Checkpoint.hpp"
#include "io/Error.hpp"
#include "io/Hdf5File.hpp"
#include "support/RunCommand.hpp"

#include <catch2/catch.hpp>

#include <cmath>

using namespace spikingbert::io;
using spikingbert::testing::fresh_folder;
using spikingbert::testing::test_data;

namespace {
ModelConfig small_config() {
  return parse_model_config({{"vocab_size", 10}, {"hidden_size", 4}, {"num_hidden_layers", 1},
                             {"num_attention_heads", 2}, {"intermediate_size", 8}, {"vth", 0.75},
                             {"t_conv", 20}, {"task", "sst2"}, {"hidden_act", "gelu"}},
                            "test");
}

// A file that is a valid checkpoint except for what `spoil` changes.
void write_spoiled(const std::filesystem::path& path, const std::function<void(Hdf5Writer&)>& spoil) {
  Hdf5Writer writer(path);
  spoil(writer);
  writer.commit();
}
}  // namespace

TEST_CASE("checkpoint round trip keeps config, tensors and metadata", "[io][checkpoint]") {
  const auto folder = fresh_folder("checkpoint-roundtrip");
  Checkpoint checkpoint;
  checkpoint.config = small_config();
  checkpoint.tensors["network_x.word_embeddings.weight"] = {{10, 4}, std::vector<float>(40, 0.25f)};
  checkpoint.tensors["network_s1.dense.bias"] = {{4}, {1.0f, -1.0f, 1e-20f, -0.0f}};
  checkpoint.tensors["step_scale"] = {{}, {3.0f}};
  checkpoint.metadata = {{"step", "120"}, {"source", "teacher.safetensors"}};
  write_checkpoint(folder / "model.h5", checkpoint);

  const auto back = read_checkpoint(folder / "model.h5");
  CHECK(to_json(back.config) == to_json(checkpoint.config));
  CHECK(back.config.vth == 0.75);
  CHECK(back.config.task == "sst2");
  CHECK(back.config.extra.at("hidden_act") == "gelu");
  REQUIRE(back.tensors.size() == 3);
  for (const auto& [name, tensor] : checkpoint.tensors) {
    INFO(name);
    CHECK(back.tensors.at(name).shape == tensor.shape);
    CHECK(back.tensors.at(name).values == tensor.values);
  }
  CHECK(back.metadata == checkpoint.metadata);

  const Hdf5Reader raw(folder / "model.h5");
  CHECK(raw.read_attribute_string("/", "format") == "spikingbert-checkpoint");
  CHECK(raw.read_attribute_int("/", "format_version") == 1);
  CHECK(raw.is_dataset("/tensors/network_s1.dense.bias"));

  CHECK(&require_tensor(back.tensors, "network_s1.dense.bias", {4}, "model.h5") == &back.tensors.at("network_s1.dense.bias"));
  CHECK_THROWS_WITH(require_tensor(back.tensors, "network_s1.dense.bias", {4, 4}, "model.h5"),
                    "model.h5:tensor 'network_s1.dense.bias': shape [4] (expected [4,4])");
  CHECK_THROWS_WITH(require_tensor(back.tensors, "classification.weight", {2, 4}, "model.h5"),
                    "model.h5:tensor 'classification.weight': missing (expected shape [2,4])");
}

TEST_CASE("checkpoint writer is atomic and refuses unstorable names", "[io][checkpoint]") {
  const auto folder = fresh_folder("checkpoint-atomic");
  TensorMap tensors{{"a", {{1}, {1.0f}}}, {"bad/name", {{1}, {2.0f}}}};
  CHECK_THROWS_WITH(write_checkpoint(folder / "model.h5", small_config(), tensors),
                    Catch::Contains("tensor 'bad/name': name cannot be stored"));
  CHECK(std::filesystem::is_empty(folder));  // neither the destination nor a temporary

  ModelConfig invalid = small_config();
  invalid.num_attention_heads = 3;
  CHECK_THROWS_WITH(write_checkpoint(folder / "model.h5", invalid, {}), Catch::Contains("not divisible"));
  CHECK(std::filesystem::is_empty(folder));
}

TEST_CASE("checkpoint reader rejects files that are not valid checkpoints", "[io][checkpoint]") {
  const auto folder = fresh_folder("checkpoint-bad");
  const auto config_text = to_json(small_config()).dump();
  const auto path = folder / "bad.h5";

  CHECK_THROWS_WITH(read_checkpoint(test_data("tiny/case.h5")),
                    Catch::Contains("case.h5:attribute 'format': not a spikingbert checkpoint"));

  write_spoiled(path, [&](Hdf5Writer& w) {
    w.write_attribute("/", "format", std::string("spikingbert-checkpoint"));
    w.write_attribute("/", "format_version", std::int64_t{2});
    w.write_attribute("/", "config", config_text);
  });
  CHECK_THROWS_WITH(read_checkpoint(path), Catch::Contains("attribute 'format_version': unsupported version 2 (expected 1)"));

  write_spoiled(path, [&](Hdf5Writer& w) {
    w.write_attribute("/", "format", std::string("spikingbert-checkpoint"));
    w.write_attribute("/", "format_version", std::int64_t{1});
  });
  CHECK_THROWS_WITH(read_checkpoint(path), Catch::Contains("attribute 'config': missing"));

  write_spoiled(path, [&](Hdf5Writer& w) {
    w.write_attribute("/", "format", std::string("spikingbert-checkpoint"));
    w.write_attribute("/", "format_version", std::int64_t{1});
    w.write_attribute("/", "config", std::string("{\"vocab_size\": 10"));
  });
  CHECK_THROWS_WITH(read_checkpoint(path), Catch::Contains("attribute 'config': not valid JSON"));

  auto bad_config = to_json(small_config());
  bad_config["vth"] = -1.0;
  write_spoiled(path, [&](Hdf5Writer& w) {
    w.write_attribute("/", "format", std::string("spikingbert-checkpoint"));
    w.write_attribute("/", "format_version", std::int64_t{1});
    w.write_attribute("/", "config", bad_config.dump());
    w.create_group("tensors");
  });
  CHECK_THROWS_WITH(read_checkpoint(path), Catch::Contains("bad.h5:attribute 'config':key 'vth': is -1"));

  write_spoiled(path, [&](Hdf5Writer& w) {
    w.write_attribute("/", "format", std::string("spikingbert-checkpoint"));
    w.write_attribute("/", "format_version", std::int64_t{1});
    w.write_attribute("/", "config", config_text);
  });
  CHECK_THROWS_WITH(read_checkpoint(path), Catch::Contains("bad.h5:/tensors: group missing"));

  write_spoiled(path, [&](Hdf5Writer& w) {
    w.write_attribute("/", "format", std::string("spikingbert-checkpoint"));
    w.write_attribute("/", "format_version", std::int64_t{1});
    w.write_attribute("/", "config", config_text);
    w.create_group("tensors/nested");
  });
  CHECK_THROWS_WITH(read_checkpoint(path), Catch::Contains("bad.h5:/tensors/nested: is a group, not a dataset"));
}

TEST_CASE("require_finite rejects NaN and infinite weights", "[io][checkpoint]") {
  CHECK_NOTHROW(require_finite(Tensor{{2}, {1.0f, -3.0f}}, "w", "model.safetensors"));
  CHECK_THROWS_WITH(require_finite(Tensor{{3}, {1.0f, NAN, 0.0f}}, "w", "model.safetensors"),
                    "model.safetensors:tensor 'w': element 1 is NaN (expected finite values)");
  CHECK_THROWS_WITH(require_finite(Tensor{{2}, {1.0f, -INFINITY}}, "w", "m"), Catch::Contains("element 1 is infinite"));
}
