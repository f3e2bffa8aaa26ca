#pragma once
// The one place that knows about MPI (issue 13). A Communicator is the set of processes ("ranks") of a
// job: one rank when spikingbert is started on its own, MPI's world when it is started by an MPI launcher
// (mpirun, srun) and the build has MPI (SPIKINGBERT_WITH_MPI). Everything else sees only this interface,
// so no other file has an #ifdef. Every call is collective: every rank makes it, in the same order.
//
// The primitive is an all-gather of byte buffers: every rank gets every rank's buffer in rank order, so a
// reduction is computed identically on every rank, in a fixed order chosen by the caller (results do not
// depend on the rank count; training/ExampleSum.hpp, tools/commands/ShardedGlue.hpp).
#include <cstdint>
#include <cstring>
#include <span>
#include <type_traits>
#include <vector>

namespace spikingbert::training {

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // Collective: every rank's bytes, in rank order, on every rank.
  virtual std::vector<std::vector<std::byte>> all_gather_bytes(std::span<const std::byte> mine) = 0;
  // Collective: to_each[r] goes to rank r (size() buffers); returns what every rank sent to this one, in
  // rank order.
  virtual std::vector<std::vector<std::byte>> all_to_all_bytes(const std::vector<std::vector<std::byte>>& to_each) = 0;
  // Ends every rank of the job with `exit_code` (MPI_Abort); the caller has printed its error line.
  [[noreturn]] virtual void abort(int exit_code) = 0;

  bool is_root() const { return rank() == 0; }
  // Collective: returns on every rank once every rank has called it.
  void barrier() { all_gather_bytes({}); }

  // Collective: every rank's values, in rank order, on every rank (trivially copyable T).
  template <class T>
  std::vector<std::vector<T>> all_gather(std::span<const T> mine) {
    static_assert(std::is_trivially_copyable_v<T>);
    const auto gathered = all_gather_bytes(std::as_bytes(mine));
    std::vector<std::vector<T>> values(gathered.size());
    for (std::size_t r = 0; r < gathered.size(); ++r) {
      values[r].resize(gathered[r].size() / sizeof(T));
      if (!values[r].empty()) std::memcpy(values[r].data(), gathered[r].data(), values[r].size() * sizeof(T));
    }
    return values;
  }
  // Collective: to_each[r] (values) goes to rank r; returns what every rank sent here, in rank order.
  template <class T>
  std::vector<std::vector<T>> all_to_all(const std::vector<std::vector<T>>& to_each) {
    static_assert(std::is_trivially_copyable_v<T>);
    std::vector<std::vector<std::byte>> bytes;
    for (const auto& values : to_each) {
      const auto view = std::as_bytes(std::span<const T>(values));
      bytes.emplace_back(view.begin(), view.end());
    }
    const auto received = all_to_all_bytes(bytes);
    std::vector<std::vector<T>> values(received.size());
    for (std::size_t r = 0; r < received.size(); ++r) {
      values[r].resize(received[r].size() / sizeof(T));
      if (!values[r].empty()) std::memcpy(values[r].data(), received[r].data(), values[r].size() * sizeof(T));
    }
    return values;
  }
  // Collective: every rank's values concatenated in rank order.
  template <class T>
  std::vector<T> all_gather_concatenated(std::span<const T> mine) {
    std::vector<T> all;
    for (auto& part : all_gather(mine)) all.insert(all.end(), part.begin(), part.end());
    return all;
  }
};

// The process's communicator (one rank unless MPI was started by DistributedSession).
Communicator& world();

// Starts MPI when the process was launched by an MPI launcher and the build has MPI; finalises it at
// scope exit. Without a launcher (or without MPI in the build) world() stays a single rank.
class DistributedSession {
 public:
  DistributedSession(int& argc, char**& argv);
  ~DistributedSession();
  DistributedSession(const DistributedSession&) = delete;
  DistributedSession& operator=(const DistributedSession&) = delete;
};

// True when this build can run as several ranks (SPIKINGBERT_WITH_MPI).
bool built_with_mpi();

// The contiguous share [begin, end) of `count` items that rank `rank` of `size` takes: shares differ by at
// most one item, lower ranks take the larger ones, and concatenating them in rank order gives 0..count-1.
struct Share {
  std::int64_t begin = 0, end = 0;
  std::int64_t size() const { return end - begin; }
};
inline Share share_of(std::int64_t count, int rank, int size) {
  const auto begin = [&](std::int64_t r) {
    const std::int64_t base = count / size, extra = count % size;
    return r * base + (r < extra ? r : extra);
  };
  return {begin(rank), begin(rank + 1)};
}

}  // namespace spikingbert::training
