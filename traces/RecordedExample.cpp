#include "traces/RecordedExample.hpp"

#include <cstring>
#include <stdexcept>
#include <type_traits>

namespace spikingbert::traces {
namespace {

class ByteWriter {
 public:
  template <class T>
  void value(const T& value) {
    static_assert(std::is_trivially_copyable_v<T>);
    const auto* begin = reinterpret_cast<const std::byte*>(&value);
    bytes_.insert(bytes_.end(), begin, begin + sizeof(T));
  }
  template <class T>
  void values(const std::vector<T>& values) {
    static_assert(std::is_trivially_copyable_v<T>);
    value<std::uint64_t>(values.size());
    const auto* begin = reinterpret_cast<const std::byte*>(values.data());
    bytes_.insert(bytes_.end(), begin, begin + values.size() * sizeof(T));
  }
  void text(const std::string& text) { values(std::vector<char>(text.begin(), text.end())); }
  std::vector<std::byte> take() { return std::move(bytes_); }

 private:
  std::vector<std::byte> bytes_;
};

class ByteReader {
 public:
  explicit ByteReader(std::span<const std::byte> bytes) : bytes_(bytes) {}
  template <class T>
  T value() {
    T result;
    copy(&result, sizeof(T));
    return result;
  }
  template <class T>
  std::vector<T> values() {
    const auto count = value<std::uint64_t>();
    if (count > (bytes_.size() - at_) / sizeof(T)) throw std::runtime_error("trace records: truncated byte image");
    std::vector<T> result(count);
    copy(result.data(), count * sizeof(T));
    return result;
  }
  std::string text() {
    const auto characters = values<char>();
    return {characters.begin(), characters.end()};
  }
  bool done() const { return at_ == bytes_.size(); }

 private:
  void copy(void* target, std::size_t size) {
    if (size > bytes_.size() - at_) throw std::runtime_error("trace records: truncated byte image");
    if (size > 0) std::memcpy(target, bytes_.data() + at_, size);
    at_ += size;
  }
  std::span<const std::byte> bytes_;
  std::size_t at_ = 0;
};

}  // namespace

RecordedExample record_of(const ExampleBuffer& buffer) {
  RecordedExample example;
  example.example_index = buffer.example_index();
  example.tokens = buffer.tokens();
  example.steps = buffer.steps();
  example.predicted_label = buffer.predicted_label();
  example.label = buffer.label();
  example.word_pieces = buffer.word_pieces();
  example.mean_asr = buffer.mean_asr();
  example.residual_mean_abs = buffer.residual_mean_abs();
  example.residual_max = buffer.residual_max();
  for (std::size_t population = 0; population < buffer.population_count(); ++population) {
    example.spikes.push_back(buffer.spikes(population));
    example.final_asr.push_back(buffer.final_asr(population));
  }
  return example;
}

void replay(const RecordedExample& example, std::int64_t max_steps, Recorder& recorder) {
  recorder.begin_example(example.example_index, example.tokens);
  if (!example.word_pieces.empty()) recorder.record_word_pieces(example.word_pieces);
  const auto populations = example.spikes.size();
  std::vector<std::size_t> next_spike(populations, 0);
  for (std::int64_t step = 0; step < example.steps; ++step) {
    for (std::size_t p = 0; p < populations; ++p) {
      const auto& spikes = example.spikes[p];
      auto& next = next_spike[p];
      const auto first = next;
      while (next < spikes.steps.size() && spikes.steps[next] == step) ++next;
      if (next > first && recorder.wants_spikes())
        recorder.record_spikes(p, step, std::span<const std::uint32_t>(spikes.node_ids.data() + first, next - first));
      const auto cell = p * static_cast<std::size_t>(max_steps) + static_cast<std::size_t>(step);
      recorder.record_step(p, step, {example.mean_asr[cell], example.residual_mean_abs[cell], example.residual_max[cell]});
    }
  }
  if (recorder.wants_final_asr())
    for (std::size_t p = 0; p < example.final_asr.size(); ++p) recorder.record_final_asr(p, example.final_asr[p]);
  recorder.end_example({example.steps, example.predicted_label, example.label});
}

std::vector<std::byte> to_bytes(std::span<const RecordedExample> examples) {
  ByteWriter out;
  out.value<std::uint64_t>(examples.size());
  for (const auto& example : examples) {
    out.value(example.example_index);
    out.value(example.tokens);
    out.value(example.steps);
    out.value(example.predicted_label);
    out.value(example.label);
    out.value<std::uint64_t>(example.word_pieces.size());
    for (const auto& piece : example.word_pieces) out.text(piece);
    out.values(example.mean_asr);
    out.values(example.residual_mean_abs);
    out.values(example.residual_max);
    out.value<std::uint64_t>(example.spikes.size());
    for (const auto& spikes : example.spikes) {
      out.values(spikes.steps);
      out.values(spikes.node_ids);
    }
    out.value<std::uint64_t>(example.final_asr.size());
    for (const auto& asr : example.final_asr) out.values(asr);
  }
  return out.take();
}

std::vector<RecordedExample> from_bytes(std::span<const std::byte> bytes) {
  ByteReader reader(bytes);
  const auto count = reader.value<std::uint64_t>();
  if (count > bytes.size()) throw std::runtime_error("trace records: malformed byte image");
  std::vector<RecordedExample> examples;
  for (std::uint64_t i = 0; i < count; ++i) {
    RecordedExample example;
    example.example_index = reader.value<std::int64_t>();
    example.tokens = reader.value<std::int64_t>();
    example.steps = reader.value<std::int64_t>();
    example.predicted_label = reader.value<std::int64_t>();
    example.label = reader.value<std::int64_t>();
    const auto pieces = reader.value<std::uint64_t>();
    if (pieces > bytes.size()) throw std::runtime_error("trace records: malformed byte image");
    for (std::uint64_t k = 0; k < pieces; ++k) example.word_pieces.push_back(reader.text());
    example.mean_asr = reader.values<double>();
    example.residual_mean_abs = reader.values<double>();
    example.residual_max = reader.values<double>();
    const auto populations = reader.value<std::uint64_t>();
    if (populations > bytes.size()) throw std::runtime_error("trace records: malformed byte image");
    example.spikes.resize(populations);
    for (auto& spikes : example.spikes) {
      spikes.steps = reader.values<std::int64_t>();
      spikes.node_ids = reader.values<std::uint32_t>();
    }
    const auto maps = reader.value<std::uint64_t>();
    if (maps > bytes.size()) throw std::runtime_error("trace records: malformed byte image");
    example.final_asr.resize(maps);
    for (auto& asr : example.final_asr) asr = reader.values<float>();
    examples.push_back(std::move(example));
  }
  if (!reader.done()) throw std::runtime_error("trace records: bytes after the last example");
  return examples;
}

}  // namespace spikingbert::traces
