// libFuzzer target: config.json reader (JSON parsing, key validation, to_json round trip).
#include "FuzzSupport.hpp"

#include "io/ModelConfig.hpp"

#include <stdexcept>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace spikingbert;
  const auto& path = fuzz::write_scratch("-config.json", data, size);
  SPIKINGBERT_FUZZ_EXPECT_INPUT_ERRORS({
    const auto config = io::read_model_config(path);
    // A config the reader accepted must survive its own writer's JSON and validate again.
    const auto again = io::parse_model_config(io::to_json(config), "round trip");
    if (io::to_json(again) != io::to_json(config)) throw std::logic_error("config JSON round trip changed the config");
  });
  return 0;
}
