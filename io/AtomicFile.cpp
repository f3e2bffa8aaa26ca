#include "io/AtomicFile.hpp"

#include "io/Error.hpp"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <string>
#include <unistd.h>

namespace spikingbert::io {
namespace {
std::filesystem::path make_temporary_name(const std::filesystem::path& destination) {
  static std::atomic<unsigned> counter{0};
  // Built with += : GCC 12 reports a false -Wrestrict on chained std::string operator+.
  std::string name = ".";
  name += destination.filename().string();
  name += ".tmp.";
  name += std::to_string(::getpid());
  name += ".";
  name += std::to_string(counter.fetch_add(1));
  return destination.parent_path() / name;
}

void sync_file(const std::filesystem::path& path) {
  const int descriptor = ::open(path.c_str(), O_RDONLY);
  if (descriptor < 0) return;  // nothing to sync; rename will report a missing file
  ::fsync(descriptor);
  ::close(descriptor);
}
}  // namespace

AtomicFile::AtomicFile(std::filesystem::path destination)
    : destination_(std::move(destination)), temporary_(make_temporary_name(destination_)) {
  const auto folder = destination_.parent_path();
  if (!folder.empty() && !std::filesystem::is_directory(folder)) {
    throw InputError(destination_.string(), "", "the output folder does not exist", "an existing folder");
  }
}

AtomicFile::~AtomicFile() {
  if (!committed_) {
    std::error_code ignored;
    std::filesystem::remove(temporary_, ignored);
  }
}

void AtomicFile::commit() {
  sync_file(temporary_);
  std::error_code error;
  std::filesystem::rename(temporary_, destination_, error);
  if (error) {
    throw InputError(destination_.string(), "", "cannot write the output: " + error.message(),
                     "a writable location");
  }
  committed_ = true;
  // The rename lives in the folder's entry list: sync the folder too, so that after a power loss the
  // output is either the old file or the whole new one (a crash of the process alone needs no sync).
  const auto folder = destination_.parent_path().empty() ? std::filesystem::path(".") : destination_.parent_path();
  const int descriptor = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY);
  if (descriptor >= 0) {
    ::fsync(descriptor);
    ::close(descriptor);
  }
}

void write_text_atomically(const std::filesystem::path& path, std::string_view text) {
  AtomicFile file(path);
  {
    std::ofstream stream(file.temporary_path(), std::ios::binary);
    stream.write(text.data(), static_cast<std::streamsize>(text.size()));
    if (!stream) {
      throw InputError(path.string(), "", "cannot write the output", "a writable location");
    }
  }
  file.commit();
}

}  // namespace spikingbert::io
