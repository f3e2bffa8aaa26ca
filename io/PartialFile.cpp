#include "io/PartialFile.hpp"

#include "io/Error.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace spikingbert::io {

std::filesystem::path PartialFile::partial_path(const std::filesystem::path& destination) {
  auto partial = destination;
  partial += ".partial";
  return partial;
}

PartialFile::PartialFile(std::filesystem::path destination)
    : destination_(std::move(destination)), partial_(partial_path(destination_)) {
  const auto folder = destination_.parent_path();
  if (!folder.empty() && !std::filesystem::is_directory(folder)) {
    throw InputError(destination_.string(), "", "the output folder does not exist", "an existing folder");
  }
  // Created exclusively, or, if a run that was killed left it, reused; a partial file whose lock another
  // process holds belongs to a run that is still writing: refused, never truncated (two writers of one file
  // would each ruin the other's).
  int descriptor = ::open(partial_.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (descriptor < 0 && errno == EEXIST) descriptor = ::open(partial_.c_str(), O_RDWR | O_CLOEXEC);
  if (descriptor < 0) {
    throw InputError(partial_.string(), "", std::string("cannot create the file: ") + std::strerror(errno),
                     "a writable folder");
  }
  struct stat held {}, named {};
  if (::flock(descriptor, LOCK_EX | LOCK_NB) != 0 || ::fstat(descriptor, &held) != 0 ||
      ::stat(partial_.c_str(), &named) != 0 || held.st_ino != named.st_ino || held.st_dev != named.st_dev) {
    ::close(descriptor);
    throw InputError(destination_.string(), "", "another run is writing this trace right now (" +
                                                    partial_.filename().string() + " is locked)",
                     "one run per trace file (choose another --trace name)");
  }
  lock_ = descriptor;
}

PartialFile::~PartialFile() {
  if (lock_ >= 0) ::close(lock_);
}

void PartialFile::commit() {
  const int descriptor = ::open(partial_.c_str(), O_RDONLY | O_CLOEXEC);
  if (descriptor >= 0) {
    ::fsync(descriptor);
    ::close(descriptor);
  }
  std::error_code error;
  std::filesystem::rename(partial_, destination_, error);
  if (error) {
    throw InputError(destination_.string(), "", "cannot move the finished file into place: " + error.message(),
                     "a writable location");
  }
  done_ = true;
  ::close(lock_);  // the finished file is no longer ours: readers may lock it
  lock_ = -1;
}

void PartialFile::discard() {
  std::error_code ignored;
  std::filesystem::remove(partial_, ignored);
  done_ = true;
}

}  // namespace spikingbert::io
