// libFuzzer target: the native HDF5 checkpoint reader (format attributes, config JSON, /tensors).
// The bytes go to a scratch file that read_checkpoint opens exactly as a user's file.
#include "FuzzSupport.hpp"

#include "io/Checkpoint.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace spikingbert;
  const auto& path = fuzz::write_scratch("-checkpoint.h5", data, size);
  SPIKINGBERT_FUZZ_EXPECT_INPUT_ERRORS({
    const auto checkpoint = io::read_checkpoint(path);
    for (const auto& [name, tensor] : checkpoint.tensors) (void)tensor.size();
  });
  return 0;
}
