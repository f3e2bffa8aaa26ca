#include "io/Hdf5GlobalHeap.hpp"

#include "io/Error.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace spikingbert::io {

namespace {

// HDF5 file format spec, II.A (superblock) and III.E (global heap collection).
constexpr std::string_view kSuperblockSignature("\x89HDF\r\n\x1a\n", 8);
constexpr std::string_view kCollectionSignature = "GCOL";
constexpr std::size_t kCollectionHeaderBytes = 16;  // signature 4, version 1, reserved 3, collection size 8
constexpr std::size_t kObjectHeaderBytes = 16;      // index 2, reference count 2, reserved 4, object size 8
constexpr std::size_t kMinimumCollectionBytes = 4096;
constexpr std::uint8_t kCollectionVersion = 1;
constexpr std::size_t kLengthBytes = 8;

std::uint64_t little_endian(const char* bytes, std::size_t count) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < count; ++i) value |= static_cast<std::uint64_t>(static_cast<unsigned char>(bytes[i])) << (8 * i);
  return value;
}

// "Size of lengths" of a superblock at offset 0 (version 0/1: byte 14; version 2/3: byte 10), or 0.
std::size_t length_bytes(std::string_view file) {
  if (file.size() < 16 || file.substr(0, kSuperblockSignature.size()) != kSuperblockSignature) return 0;
  const auto version = static_cast<unsigned char>(file[8]);
  return static_cast<unsigned char>(file[version <= 1 ? 14 : 10]);
}

// The file mapped read-only (a checkpoint or trace may be gigabytes: no copy on the heap).
class MappedFile {
 public:
  explicit MappedFile(const std::filesystem::path& path) {
    const int descriptor = ::open(path.c_str(), O_RDONLY);
    if (descriptor < 0) return;
    struct stat status {};
    if (::fstat(descriptor, &status) == 0 && status.st_size > 0) {
      void* address = ::mmap(nullptr, static_cast<std::size_t>(status.st_size), PROT_READ, MAP_PRIVATE, descriptor, 0);
      if (address != MAP_FAILED) {
        data_ = static_cast<const char*>(address);
        size_ = static_cast<std::size_t>(status.st_size);
      }
    }
    ::close(descriptor);
  }
  ~MappedFile() {
    if (data_ != nullptr) ::munmap(const_cast<char*>(data_), size_);
  }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  std::string_view bytes() const { return {data_ == nullptr ? "" : data_, size_}; }

 private:
  const char* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace

void check_global_heap_collections(const std::filesystem::path& path) {
  const MappedFile mapped(path);  // unreadable files are left to libhdf5, which reports them
  const std::string_view file = mapped.bytes();
  if (length_bytes(file) != kLengthBytes) return;
  for (std::size_t start = file.find(kCollectionSignature); start != std::string_view::npos;
       start = file.find(kCollectionSignature, start + 1)) {
    // Only a plausible collection header counts: version 1, three zero reserved bytes, size >= 4096.
    // Four such bytes by chance inside tensor data are possible, this combination is not.
    if (file.size() - start < kCollectionHeaderBytes) continue;
    const char* header = file.data() + start;
    if (static_cast<std::uint8_t>(header[4]) != kCollectionVersion || header[5] != 0 || header[6] != 0 || header[7] != 0) continue;
    const std::uint64_t collection_bytes = little_endian(header + 8, kLengthBytes);
    if (collection_bytes < kMinimumCollectionBytes) continue;
    const std::string place = "global heap at byte " + std::to_string(start);
    if (collection_bytes > file.size() - start) {
      throw InputError(path.string(), place, "the collection of " + std::to_string(collection_bytes) + " bytes runs past the end of the file",
                       "an intact HDF5 file");
    }
    const std::size_t end = start + collection_bytes;
    for (std::size_t object = start + kCollectionHeaderBytes; end - object >= kObjectHeaderBytes;) {
      const auto index = little_endian(file.data() + object, 2);
      const auto size = little_endian(file.data() + object + 8, kLengthBytes);
      // Index 0 is the free space: its size counts from its own header to the collection's end.
      const std::uint64_t available = index == 0 ? end - object : end - object - kObjectHeaderBytes;
      if (size > available) {
        throw InputError(path.string(), place,
                         "object " + std::to_string(index) + " claims " + std::to_string(size) + " bytes, more than the " +
                             std::to_string(available) + " left in its collection",
                         "an intact HDF5 file");
      }
      if (index == 0) break;
      const std::uint64_t padded = (size + 7) / 8 * 8;  // object data is padded to a multiple of 8 bytes
      if (padded > available) break;
      object += kObjectHeaderBytes + padded;
    }
  }
}

}  // namespace spikingbert::io
