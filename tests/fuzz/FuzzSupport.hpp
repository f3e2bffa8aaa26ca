#pragma once
// Shared by the libFuzzer targets: the readers under test take file paths (safetensors maps the file,
// HDF5 opens it), so each input is written to one scratch file per process, in /dev/shm when it exists
// (memory, no disk traffic), and read back through the real entry point.
#include "io/Error.hpp"

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

namespace spikingbert::fuzz {

inline std::filesystem::path scratch_path(const std::string& suffix) {
  const std::filesystem::path shared_memory = "/dev/shm";
  const auto folder = std::filesystem::is_directory(shared_memory) ? shared_memory : std::filesystem::temp_directory_path();
  return folder / ("spikingbert-fuzz-" + std::to_string(::getpid()) + suffix);
}

inline const std::filesystem::path& write_scratch(const std::string& suffix, const std::uint8_t* data, std::size_t size) {
  static const auto path = scratch_path(suffix);
  std::ofstream stream(path, std::ios::binary | std::ios::trunc);
  stream.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return path;
}

}  // namespace spikingbert::fuzz

// Every target follows one rule: a hostile input may only ever end in io::InputError. Any other
// exception escapes to libFuzzer, which reports it as a crash (uncaught exception -> abort).
#define SPIKINGBERT_FUZZ_EXPECT_INPUT_ERRORS(body) \
  try {                                            \
    body;                                          \
  } catch (const spikingbert::io::InputError&) {   \
  }
