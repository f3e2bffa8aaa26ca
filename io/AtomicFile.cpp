#include "io/AtomicFile.hpp"

#include "io/Error.hpp"

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <random>
#include <string>
#include <unistd.h>

namespace spikingbert::io {
namespace {
// Attempts at an unused temporary name before giving up (a clash needs the same pid, counter and 32
// random bits, so a second attempt already means something else is wrong).
constexpr int kTemporaryNameAttempts = 8;

std::filesystem::path make_temporary_name(const std::filesystem::path& destination) {
  static std::atomic<unsigned> counter{0};
  thread_local std::mt19937 random_bits{std::random_device{}()};
  char suffix[16];
  std::snprintf(suffix, sizeof suffix, "%08x", static_cast<unsigned>(random_bits()));
  // Built with += : GCC 12 reports a false -Wrestrict on chained std::string operator+.
  std::string name = ".";
  name += destination.filename().string();
  name += ".tmp.";
  name += std::to_string(::getpid());
  name += ".";
  name += std::to_string(counter.fetch_add(1));
  name += ".";
  name += suffix;
  return destination.parent_path() / name;
}

[[noreturn]] void throw_write_error(const std::filesystem::path& destination, const std::string& what, int error) {
  throw InputError(destination.string(), "", what + ": " + std::strerror(error), "a writable location with free space");
}

void sync_file(const std::filesystem::path& path, const std::filesystem::path& destination) {
  const int descriptor = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (descriptor < 0) throw_write_error(destination, "cannot reopen the output to sync it", errno);
  const int synced = ::fsync(descriptor);
  const int sync_error = errno;
  ::close(descriptor);
  // Some file systems (NFS, FUSE) report a full disk only here.
  if (synced != 0 && sync_error != EINVAL && sync_error != EROFS) throw_write_error(destination, "cannot write the output", sync_error);
}
}  // namespace

AtomicFile::AtomicFile(std::filesystem::path destination) : destination_(std::move(destination)) {
  const auto folder = destination_.parent_path();
  std::error_code ignored;
  if (!folder.empty() && !std::filesystem::is_directory(folder, ignored)) {
    throw InputError(destination_.string(), "", "the output folder does not exist", "an existing folder");
  }
  if (std::filesystem::is_directory(destination_, ignored)) {
    throw InputError(destination_.string(), "", "is a folder", "a file name for the output");
  }
  for (int attempt = 0; attempt < kTemporaryNameAttempts; ++attempt) {
    temporary_ = make_temporary_name(destination_);
    const int descriptor = ::open(temporary_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (descriptor >= 0) {
      ::close(descriptor);
      return;
    }
    if (errno != EEXIST) {
      const int error = errno;
      temporary_.clear();
      throw_write_error(destination_, "cannot create a file in the output folder", error);
    }
  }
  temporary_.clear();
  throw InputError(destination_.string(), "", "no unused temporary name in the output folder", "a writable location");
}

AtomicFile::~AtomicFile() {
  if (!committed_ && !temporary_.empty()) {
    std::error_code ignored;
    std::filesystem::remove(temporary_, ignored);
  }
}

void AtomicFile::commit() {
  sync_file(temporary_, destination_);
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
  const int descriptor = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (descriptor >= 0) {
    ::fsync(descriptor);
    ::close(descriptor);
  }
}

void write_text_atomically(const std::filesystem::path& path, std::string_view text) {
  AtomicFile file(path);
  std::FILE* stream = std::fopen(file.temporary_path().c_str(), "wb");
  if (stream == nullptr) throw_write_error(path, "cannot open the output", errno);
  const bool written = std::fwrite(text.data(), 1, text.size(), stream) == text.size();
  const int write_error = errno;
  // fclose flushes the buffer: a full disk may show only here.
  const bool closed = std::fclose(stream) == 0;
  if (!written || !closed) throw_write_error(path, "cannot write the output", written ? errno : write_error);
  file.commit();
}

void check_output_location(const std::filesystem::path& destination) {
  const AtomicFile probe(destination);  // creates its temporary exclusively and removes it again
}

}  // namespace spikingbert::io
