#include "support/RunCommand.hpp"
#include "traces/Hdf5Recorder.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <unistd.h>

using namespace spikingbert;
using spikingbert::testing::fresh_folder;

namespace {
// Resident set size of this process in bytes (/proc/self/statm, second field, in pages).
std::int64_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::int64_t total_pages = 0, resident_pages = 0;
  statm >> total_pages >> resident_pages;
  return resident_pages * ::sysconf(_SC_PAGESIZE);
}
}  // namespace

TEST_CASE("a streamed spikes-level trace does not grow memory with the number of examples", "[traces][hdf5][memory]") {
  // 4 populations of 16 tokens x 64 neurons, T = 16, every 4th neuron-step spikes: 16,384 spikes and
  // 65,536 report values per example, ~0.5 MB of raw records per example. Keeping any example's records
  // would grow memory by that much per example. What remains is HDF5's own bookkeeping of the chunk
  // index, measured at about 4 KB per example at this level (1.2 KB at summary level; docs/traces.md §6).
  constexpr std::int64_t kSteps = 16, kTokens = 16, kWidth = 64, kExamples = 300, kWarmUp = 50;
  constexpr std::int64_t kAllowedGrowthBytes = 3 << 20;
  traces::RunInfo run;
  run.model = "memory-test";
  run.steps = kSteps;
  for (const char* name : {"L0_key", "L0_value", "L0_attention", "L0_output"}) run.populations.push_back({name, kWidth});
  const auto trace = fresh_folder("trace-memory") / "memory.h5";
  traces::Hdf5Recorder recorder(trace, traces::TraceLevel::spikes);
  recorder.begin_run(run);
  std::vector<std::uint32_t> spiking;
  std::vector<float> final_asr(static_cast<std::size_t>(kTokens * kWidth), 0.25f);
  std::int64_t after_warm_up = 0;
  for (std::int64_t example = 0; example < kExamples; ++example) {
    recorder.begin_example(example, kTokens);
    for (std::int64_t step = 0; step < kSteps; ++step) {
      for (std::size_t p = 0; p < run.populations.size(); ++p) {
        spiking.clear();
        for (std::uint32_t node = 0; node < kTokens * kWidth; ++node) {
          if ((node + static_cast<std::uint32_t>(step + example + static_cast<std::int64_t>(p))) % 4 == 0) spiking.push_back(node);
        }
        recorder.record_spikes(p, step, spiking);
        recorder.record_step(p, step, {0.25});
      }
    }
    for (std::size_t p = 0; p < run.populations.size(); ++p) recorder.record_final_asr(p, final_asr);
    recorder.end_example({kSteps, -1, -1});
    if (example + 1 == kWarmUp) after_warm_up = resident_bytes();
  }
  const auto at_end = resident_bytes();
  recorder.end_run();
  INFO("resident after " << kWarmUp << " examples: " << after_warm_up / 1024 << " KiB, after " << kExamples
                         << ": " << at_end / 1024 << " KiB; file " << std::filesystem::file_size(trace) / 1024 << " KiB");
  CHECK(at_end - after_warm_up < kAllowedGrowthBytes);
  CHECK(std::filesystem::file_size(trace) > 0);
}
