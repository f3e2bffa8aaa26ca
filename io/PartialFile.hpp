#pragma once
// An output written while a long run goes (a trace), so that a killed run still leaves something readable.
// The counterpart of AtomicFile for files that cannot be written in one piece at the end:
//   - the file is DESTINATION.partial, a visible name next to DESTINATION, created exclusively (or taken
//     over when a killed run left it) and held under an exclusive flock until commit(); a second writer
//     of the same destination is refused with an InputError and never touches the first's file;
//   - commit() fsyncs it and renames it to DESTINATION, which therefore only ever holds a finished file;
//   - destroyed without commit(): the .partial stays (keep) or is removed (discard()).
#include <filesystem>

namespace spikingbert::io {

class PartialFile {
 public:
  // Claims DESTINATION.partial. InputError if the folder does not exist or another process holds it.
  explicit PartialFile(std::filesystem::path destination);
  ~PartialFile();  // releases the lock; the .partial stays unless committed or discarded
  PartialFile(const PartialFile&) = delete;
  PartialFile& operator=(const PartialFile&) = delete;

  static std::filesystem::path partial_path(const std::filesystem::path& destination);  // destination + ".partial"
  const std::filesystem::path& path() const { return partial_; }
  const std::filesystem::path& destination() const { return destination_; }

  // The writer has closed the file: fsync it, rename it to the destination, release the lock.
  void commit();
  // The file cannot be closed into a readable state (a failed write): remove it.
  void discard();

 private:
  std::filesystem::path destination_, partial_;
  int lock_ = -1;  // the descriptor holding the flock
  bool done_ = false;
};

}  // namespace spikingbert::io
