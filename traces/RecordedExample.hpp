#pragma once
// One example's trace records as a value: what MemoryRecorder keeps, what a rank of a traced multi-rank
// run sends to rank 0 (to_bytes / from_bytes), and what replay() hands to any Recorder again in the
// order traces/Recorder.hpp asks for. Replaying a recorded example into a recorder gives it exactly the
// calls the simulator made (spikes sorted by step then node, as ExampleBuffer stores them).
#include "traces/ExampleBuffer.hpp"
#include "traces/Recorder.hpp"

#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace spikingbert::traces {

struct RecordedExample {
  std::int64_t example_index = -1, tokens = 0, steps = 0, predicted_label = -1, label = -1;
  std::vector<std::string> word_pieces;                           // one per token, or empty
  std::vector<double> mean_asr, residual_mean_abs, residual_max;  // [populations, T], NaN = not recorded
  std::vector<PopulationSpikes> spikes;                           // per population (spikes level)
  std::vector<std::vector<float>> final_asr;                      // per population (neurons level)
};

// The finished example in an ExampleBuffer (after finish()).
RecordedExample record_of(const ExampleBuffer& buffer);

// Hands the example to `recorder` (begin_example .. end_example); `max_steps` is the run's T (the row
// length of the [populations, T] tables).
void replay(const RecordedExample& example, std::int64_t max_steps, Recorder& recorder);

// A flat little-endian byte image of a list of examples (same machine type on every rank), and back.
// from_bytes throws std::runtime_error on a truncated or malformed image.
std::vector<std::byte> to_bytes(std::span<const RecordedExample> examples);
std::vector<RecordedExample> from_bytes(std::span<const std::byte> bytes);

}  // namespace spikingbert::traces
