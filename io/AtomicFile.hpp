#pragma once
// Outputs are written atomically: the writer fills a temporary file next to the destination and
// commit() renames it into place. If the writer throws or the process dies, the destination is
// untouched (or absent) and the destructor removes the temporary file: no half-written outputs.
//
// The temporary is never shared: its name carries the process id, a counter and a random suffix, and it
// is created exclusively (O_CREAT | O_EXCL), so two processes writing the same destination each fill their
// own file and the final rename is the only publication (the last one wins; each is a complete file).
// Creating it also proves, before any work, that the folder exists and is writable.
#include <filesystem>
#include <string_view>

namespace spikingbert::io {

class AtomicFile {
 public:
  // Creates the (empty) temporary file. InputError if the folder does not exist, the destination is a
  // folder, or the folder is not writable.
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

// Checks, before any work, that `destination` can be written: its folder exists and is writable (a
// temporary file is created there and removed) and it is not a folder. The InputError AtomicFile would
// throw at the end of the run.
void check_output_location(const std::filesystem::path& destination);

}  // namespace spikingbert::io
