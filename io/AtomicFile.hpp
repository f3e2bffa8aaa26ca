#pragma once
// Outputs are written atomically: the writer fills a temporary file next to the destination and
// commit() renames it into place. If the writer throws or the process dies, the destination is
// untouched (or absent) and the destructor removes the temporary file: no half-written outputs.
#include <filesystem>
#include <string_view>

namespace spikingbert::io {

class AtomicFile {
 public:
  explicit AtomicFile(std::filesystem::path destination);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  // Where the writer must write (same folder as the destination, so rename is atomic).
  const std::filesystem::path& temporary_path() const { return temporary_; }
  const std::filesystem::path& destination() const { return destination_; }

  // Flushes the temporary file to disk and renames it over the destination.
  void commit();

 private:
  std::filesystem::path destination_;
  std::filesystem::path temporary_;
  bool committed_ = false;
};

// Writes the whole text to path atomically.
void write_text_atomically(const std::filesystem::path& path, std::string_view text);

}  // namespace spikingbert::io
