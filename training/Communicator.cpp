#include "training/Communicator.hpp"

#include <cstdlib>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>

#if SPIKINGBERT_WITH_MPI
#include <mpi.h>
#endif

namespace spikingbert::training {

namespace {

class SingleProcess final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  std::vector<std::vector<std::byte>> all_gather_bytes(std::span<const std::byte> mine) override {
    return {std::vector<std::byte>(mine.begin(), mine.end())};
  }
  std::vector<std::vector<std::byte>> all_to_all_bytes(const std::vector<std::vector<std::byte>>& to_each) override {
    if (to_each.size() != 1) throw std::invalid_argument("all_to_all: need one buffer per rank");
    return to_each;
  }
  [[noreturn]] void abort(int exit_code) override { std::exit(exit_code); }
};

#if SPIKINGBERT_WITH_MPI
// MPI counts and offsets are int: 2 GiB or more in one call is refused rather than truncated.
int checked_count(std::size_t bytes) {
  if (bytes > static_cast<std::size_t>(std::numeric_limits<int>::max()))
    throw std::runtime_error("MPI: " + std::to_string(bytes) + " bytes in one call exceed MPI's int count");
  return static_cast<int>(bytes);
}

// MPI_COMM_WORLD with MPI's default error handler (MPI_ERRORS_ARE_FATAL): a failed MPI call ends the whole
// job rather than returning into a rank that would then wait for the others forever.
class MpiWorld final : public Communicator {
 public:
  MpiWorld() {
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::vector<std::vector<std::byte>> all_gather_bytes(std::span<const std::byte> mine) override {
    // MPI counts are int: a buffer of 2 GiB or more is refused rather than truncated.
    if (mine.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()))
      throw std::runtime_error("all_gather: " + std::to_string(mine.size()) + " bytes exceed MPI's int count");
    const int count = static_cast<int>(mine.size());
    std::vector<int> counts(static_cast<std::size_t>(size_)), offsets(static_cast<std::size_t>(size_));
    MPI_Allgather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, MPI_COMM_WORLD);
    long long total = 0;
    for (int r = 0; r < size_; ++r) {
      if (total > std::numeric_limits<int>::max())
        throw std::runtime_error("all_gather: more than 2 GiB gathered in one call");
      offsets[static_cast<std::size_t>(r)] = static_cast<int>(total);
      total += counts[static_cast<std::size_t>(r)];
    }
    std::vector<std::byte> all(static_cast<std::size_t>(total));
    MPI_Allgatherv(mine.data(), count, MPI_BYTE, all.data(), counts.data(), offsets.data(), MPI_BYTE, MPI_COMM_WORLD);
    std::vector<std::vector<std::byte>> parts;
    for (int r = 0; r < size_; ++r) {
      const auto first = all.begin() + offsets[static_cast<std::size_t>(r)];
      parts.emplace_back(first, first + counts[static_cast<std::size_t>(r)]);
    }
    return parts;
  }
  std::vector<std::vector<std::byte>> all_to_all_bytes(const std::vector<std::vector<std::byte>>& to_each) override {
    if (to_each.size() != static_cast<std::size_t>(size_)) throw std::invalid_argument("all_to_all: need one buffer per rank");
    std::vector<int> send_counts, send_offsets, receive_counts(static_cast<std::size_t>(size_)), receive_offsets;
    std::vector<std::byte> sent;
    for (const auto& buffer : to_each) {
      send_offsets.push_back(checked_count(sent.size()));
      send_counts.push_back(checked_count(buffer.size()));
      sent.insert(sent.end(), buffer.begin(), buffer.end());
    }
    checked_count(sent.size());
    MPI_Alltoall(send_counts.data(), 1, MPI_INT, receive_counts.data(), 1, MPI_INT, MPI_COMM_WORLD);
    std::size_t total = 0;
    for (const int count : receive_counts) {
      receive_offsets.push_back(checked_count(total));
      total += static_cast<std::size_t>(count);
    }
    checked_count(total);
    std::vector<std::byte> received(total);
    MPI_Alltoallv(sent.data(), send_counts.data(), send_offsets.data(), MPI_BYTE, received.data(), receive_counts.data(),
                  receive_offsets.data(), MPI_BYTE, MPI_COMM_WORLD);
    std::vector<std::vector<std::byte>> parts;
    for (int r = 0; r < size_; ++r) {
      const auto first = received.begin() + receive_offsets[static_cast<std::size_t>(r)];
      parts.emplace_back(first, first + receive_counts[static_cast<std::size_t>(r)]);
    }
    return parts;
  }
  [[noreturn]] void abort(int exit_code) override {
    MPI_Abort(MPI_COMM_WORLD, exit_code);
    std::exit(exit_code);  // MPI_Abort does not return; this satisfies [[noreturn]]
  }

 private:
  int rank_ = 0, size_ = 1;
};

// Open MPI, MPICH / Intel MPI (Hydra, PMI) and Slurm's srun set one of these in every rank's environment.
bool launched_by_mpi() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "PMI_RANK"}) {
    if (std::getenv(name) != nullptr) return true;
  }
  return false;
}
#endif

std::unique_ptr<Communicator>& current() {
  static std::unique_ptr<Communicator> communicator = std::make_unique<SingleProcess>();
  return communicator;
}

}  // namespace

Communicator& world() { return *current(); }

bool built_with_mpi() {
#if SPIKINGBERT_WITH_MPI
  return true;
#else
  return false;
#endif
}

DistributedSession::DistributedSession(int& argc, char**& argv) {
#if SPIKINGBERT_WITH_MPI
  if (!launched_by_mpi()) return;
  // Only the main thread calls MPI; the kernel's oneTBB workers never do.
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
  current() = std::make_unique<MpiWorld>();
#else
  (void)argc;
  (void)argv;
#endif
}

DistributedSession::~DistributedSession() {
#if SPIKINGBERT_WITH_MPI
  int initialised = 0, finalised = 0;
  MPI_Initialized(&initialised);
  MPI_Finalized(&finalised);
  if (initialised && !finalised) {
    current() = std::make_unique<SingleProcess>();
    MPI_Finalize();
  }
#endif
}

}  // namespace spikingbert::training
