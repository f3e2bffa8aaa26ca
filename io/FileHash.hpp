#pragma once
// A content fingerprint of a data or model file for provenance records (issue 14 item 5): FNV-1a, 64 bit,
// over the file's bytes, as 16 lower-case hex digits. Not cryptographic: it tells which file a checkpoint
// was trained on, not whether someone forged one. For a folder (a Hugging Face model), the files in it,
// in name order, each as its name then its bytes.
#include <cstdint>
#include <filesystem>
#include <string>

namespace spikingbert::io {

inline constexpr std::uint64_t kFnv1aOffsetBasis = 14695981039346656037ULL;
inline constexpr std::uint64_t kFnv1aPrime = 1099511628211ULL;

// Continues an FNV-1a 64 hash over `size` bytes.
std::uint64_t fnv1a64(const void* data, std::size_t size, std::uint64_t hash = kFnv1aOffsetBasis);

// The file's (or folder's) fingerprint; throws InputError when it cannot be read.
std::string file_fingerprint(const std::filesystem::path& path);

}  // namespace spikingbert::io
