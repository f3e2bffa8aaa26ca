#pragma once
// A Recorder that collects each example in an ExampleBuffer (traces/ExampleBuffer.hpp, which checks the call
// order) and leaves begin_run, end_example and end_run to its subclass: the forwarding that every recorder
// working on whole examples shares (MemoryRecorder, RunStatistics), written once.
#include "traces/ExampleBuffer.hpp"
#include "traces/Recorder.hpp"

namespace spikingbert::traces {

class BufferedRecorder : public Recorder {
 public:
  void begin_example(std::int64_t example_index, std::int64_t tokens) override {
    buffer_.begin_example(example_index, tokens);
  }
  void record_word_pieces(std::span<const std::string> word_pieces) override { buffer_.record_word_pieces(word_pieces); }
  void record_step(std::size_t population, std::int64_t step, const StepStatistics& statistics) override {
    buffer_.record_step(population, step, statistics);
  }
  void record_spikes(std::size_t population, std::int64_t step, std::span<const std::uint32_t> node_ids) override {
    buffer_.record_spikes(population, step, node_ids);
  }
  void record_final_asr(std::size_t population, std::span<const float> asr) override {
    buffer_.record_final_asr(population, asr);
  }

 protected:
  ExampleBuffer buffer_;
};

}  // namespace spikingbert::traces
