#include "io/FileHash.hpp"

#include "io/Error.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <vector>

namespace spikingbert::io {

namespace {

constexpr std::size_t kReadChunkBytes = 1 << 20;

std::uint64_t hash_file(const std::filesystem::path& path, std::uint64_t hash) {
  std::ifstream stream(path, std::ios::binary);
  if (!stream) throw InputError(path.string(), "", "cannot open the file", "a readable file");
  std::vector<char> buffer(kReadChunkBytes);
  while (stream) {
    stream.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    hash = fnv1a64(buffer.data(), static_cast<std::size_t>(stream.gcount()), hash);
  }
  if (stream.bad()) throw InputError(path.string(), "", "read error", "a readable file");
  return hash;
}

}  // namespace

std::uint64_t fnv1a64(const void* data, std::size_t size, std::uint64_t hash) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < size; ++i) {
    hash ^= bytes[i];
    hash *= kFnv1aPrime;
  }
  return hash;
}

std::string file_fingerprint(const std::filesystem::path& path) {
  std::uint64_t hash = kFnv1aOffsetBasis;
  if (std::filesystem::is_directory(path)) {
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(path)) {
      if (entry.is_regular_file()) files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
      const std::string name = file.filename().string();
      hash = fnv1a64(name.data(), name.size(), hash);
      hash = hash_file(file, hash);
    }
  } else {
    hash = hash_file(path, hash);
  }
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(hash));
  return text;
}

}  // namespace spikingbert::io
