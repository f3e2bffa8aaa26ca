// JSON inside our formats may hold a number beyond double's range ("1e412"). nlohmann reports that as
// out_of_range, not parse_error; every reader must still turn it into an InputError (found by fuzz_config,
// tests/fuzz/corpus/fuzz_config/regression-number-overflow-1e412).
#include "support/RunCommand.hpp"

#include "io/Checkpoint.hpp"
#include "io/Error.hpp"
#include "io/Hdf5File.hpp"
#include "io/ModelConfig.hpp"
#include "io/Safetensors.hpp"

#include <catch2/catch.hpp>

#include <fstream>

using namespace spikingbert::io;
using spikingbert::testing::fresh_folder;

namespace {
const std::string kMinimal =
    R"("vocab_size": 30, "hidden_size": 8, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 16)";
}

TEST_CASE("a number beyond double's range is an InputError in config, safetensors and checkpoint", "[io][errors]") {
  const auto folder = fresh_folder("hostile-json");
  const auto config = folder / "config.json";
  std::ofstream(config) << "{" << kMinimal << R"(, "vth": 1e412})";
  CHECK_THROWS_WITH(read_model_config(config),
                    config.string() + ": not valid JSON: number overflow parsing '1e412' (expected a JSON object whose numbers fit a double)");

  const std::string header = R"({"w":{"dtype":"F32","shape":[1e412],"data_offsets":[0,4]}})";
  std::string bytes(8, '\0');
  for (int i = 0; i < 8; ++i) bytes[static_cast<std::size_t>(i)] = static_cast<char>((header.size() >> (8 * i)) & 0xFF);
  const auto weights = folder / "model.safetensors";
  std::ofstream(weights, std::ios::binary) << bytes << header << "abcd";
  CHECK_THROWS_WITH(read_safetensors(weights), Catch::StartsWith(weights.string() + ":header: header is not valid JSON: number overflow"));

  const auto checkpoint = folder / "model.h5";
  {
    Hdf5Writer writer(checkpoint);
    writer.write_attribute("/", "format", std::string(kCheckpointFormat));
    writer.write_attribute("/", "format_version", kCheckpointFormatVersion);
    writer.write_attribute("/", "config", "{" + kMinimal + R"(, "leak": -1e999})");
    writer.write_tensor("tensors/w", Tensor{{1}, {1.0f}});
    writer.commit();
  }
  CHECK_THROWS_WITH(read_checkpoint(checkpoint), Catch::Contains("model.h5:attribute 'config': not valid JSON"));
}
