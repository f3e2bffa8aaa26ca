// libFuzzer target: the safetensors reader (header validation, every dtype's widening, read_i64).
#include "FuzzSupport.hpp"

#include "io/Safetensors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace spikingbert;
  const auto& path = fuzz::write_scratch(".safetensors", data, size);
  SPIKINGBERT_FUZZ_EXPECT_INPUT_ERRORS({
    const io::SafetensorsFile file(path);
    for (const auto& name : file.names()) {
      SPIKINGBERT_FUZZ_EXPECT_INPUT_ERRORS(file.read_f32(name));
      SPIKINGBERT_FUZZ_EXPECT_INPUT_ERRORS(file.read_i64(name));
    }
    (void)file.metadata();
  });
  return 0;
}
