#pragma once
// The HDF5 trace backend: streams a run into one HDF5 file as it goes (schema: docs/traces.md).
//
// Atomicity and crash safety, both at once:
//   - While the run goes, the file is FILE.h5.partial (a visible name, next to FILE.h5). After every
//     completed example the recorder appends that example to chunked, compressed, extendible datasets
//     and calls H5Fflush, so a run killed at any moment (even SIGKILL) leaves FILE.h5.partial that
//     h5py opens, holding every example completed before the kill.
//   - end_run() marks the file complete, closes it, fsyncs it and renames it to FILE.h5. So FILE.h5
//     only ever holds a finished trace; a .partial file always means "the run did not finish".
//   - Destroyed without end_run() (an exception unwinding): the .partial file is closed cleanly and
//     kept, with root attribute complete = 0.
// Memory: one example's records (ExampleBuffer) plus HDF5's bounded chunk and metadata caches; it
// does not grow with the number of examples.
#include "traces/Recorder.hpp"

#include <filesystem>
#include <memory>

namespace spikingbert::traces {

// Nominal duration of one simulation step on the SONATA time axis (SONATA times are in ms;
// the model has no physical time, so one step is declared to last 1 ms).
inline constexpr double kStepDurationMs = 1.0;
// Trace schema version written as root attribute `trace_schema_version` (docs/traces.md).
inline constexpr std::int64_t kTraceSchemaVersion = 2;  // 2: ragged per-token datasets (docs/traces.md §3)

class Hdf5Recorder final : public Recorder {
 public:
  // Nothing touches the disk until begin_run. InputError if the destination folder does not exist.
  Hdf5Recorder(std::filesystem::path destination, TraceLevel level);
  ~Hdf5Recorder() override;
  Hdf5Recorder(const Hdf5Recorder&) = delete;
  Hdf5Recorder& operator=(const Hdf5Recorder&) = delete;

  // The name the trace has while the run is going: destination + ".partial".
  static std::filesystem::path partial_path(const std::filesystem::path& destination);

  TraceLevel level() const override;
  void begin_run(const RunInfo& run) override;
  void begin_example(std::int64_t example_index, std::int64_t tokens) override;
  void record_word_pieces(std::span<const std::string> word_pieces) override;
  void record_step(std::size_t population, std::int64_t step, const StepStatistics& statistics) override;
  void record_spikes(std::size_t population, std::int64_t step, std::span<const std::uint32_t> node_ids) override;
  void record_final_asr(std::size_t population, std::span<const float> asr) override;
  void end_example(const ExampleOutcome& outcome) override;
  void end_run() override;

  std::int64_t examples_written() const;
  const std::filesystem::path& destination() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace spikingbert::traces
