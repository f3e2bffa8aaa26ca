#include "traces/Hdf5Recorder.hpp"

#include "io/Error.hpp"
#include "io/Hdf5File.hpp"
#include "traces/Convergence.hpp"
#include "traces/ExampleBuffer.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace spikingbert::traces {
namespace {

// SONATA root attributes (simulator-anchors §6): magic 0x0A7A and version [major, minor].
constexpr std::uint32_t kSonataMagic = 0x0A7A;
constexpr std::uint32_t kSonataVersionMajor = 0, kSonataVersionMinor = 1;
// SONATA `sorting` enum values (libsonata's Sorting enum).
constexpr std::int8_t kSortingNone = 0, kSortingById = 1, kSortingByTime = 2;
// gzip level: 4 keeps compression cheap on a 2-core machine while shrinking float traces well.
constexpr int kGzipLevel = 4;
constexpr int kNoCompression = 0;
// Chunk sizes in rows. ~128 KiB chunks stay small next to HDF5's caches. Small per-example tables are
// uncompressed: an uncompressed chunk is allocated once at full size and rewritten in place, while a
// compressed chunk that grows is written to new space on every append (the file never reuses space).
constexpr std::int64_t kExampleTableChunkRows = 1024;
constexpr std::int64_t kSpikeChunkElements = 16384;
constexpr std::int64_t kReportChunkTargetValues = 65536;
constexpr std::int64_t kTokenChunkRows = 64;  // per-token datasets: a few examples' tokens

// The per-example and per-population datasets, by path.
std::string summary_path(const std::string& population, const char* name) {
  return "summary/" + population + "/" + name;
}

}  // namespace

struct Hdf5Recorder::State {
  State(std::filesystem::path destination_path, TraceLevel trace_level)
      : destination(std::move(destination_path)), level(trace_level) {}

  std::filesystem::path destination;
  TraceLevel level;
  ExampleBuffer buffer;
  std::optional<io::Hdf5Writer> file;
  std::vector<std::string> names;              // population names, in simulation order
  std::vector<std::int64_t> report_chunk_rows;  // per population
  double convergence_tolerance = 0.0;
  std::int64_t examples_written = 0;
  std::int64_t total_steps = 0;     // global step axis: examples laid end to end
  std::uint64_t total_tokens = 0;   // rows of the per-token datasets so far
  bool finished = false;

  void write_root_attributes(const RunInfo& run);
  void create_datasets(const RunInfo& run);
  void write_example();
  void write_report_frames(std::size_t population);
};

std::filesystem::path Hdf5Recorder::partial_path(const std::filesystem::path& destination) {
  return io::PartialFile::partial_path(destination);
}

Hdf5Recorder::Hdf5Recorder(std::filesystem::path destination, TraceLevel level)
    : state_(std::make_unique<State>(std::move(destination), level)) {
  const auto folder = state_->destination.parent_path();
  if (!folder.empty() && !std::filesystem::is_directory(folder)) {
    throw io::InputError(state_->destination.string(), "", "the output folder does not exist", "an existing folder");
  }
}

// Unfinished run: io::Hdf5Writer's destructor closes FILE.h5.partial and keeps it, readable, with
// complete = 0; if writing the trace itself failed (a full disk) it removes it. Never throws.
Hdf5Recorder::~Hdf5Recorder() = default;

TraceLevel Hdf5Recorder::level() const { return state_->level; }
std::int64_t Hdf5Recorder::examples_written() const { return state_->examples_written; }
const std::filesystem::path& Hdf5Recorder::destination() const { return state_->destination; }

void Hdf5Recorder::State::write_root_attributes(const RunInfo& run) {
  auto& f = *file;
  f.write_uint32_attribute("/", "magic", {kSonataMagic});
  f.write_uint32_attribute("/", "version", {kSonataVersionMajor, kSonataVersionMinor});
  f.write_attribute("/", "trace_format", "spikingbert-trace");
  f.write_attribute("/", "trace_schema_version", kTraceSchemaVersion);
  f.write_attribute("/", "trace_level", std::string(to_string(level)));
  f.write_attribute("/", "model", run.model);
  f.write_attribute("/", "task", run.task);
  f.write_attribute("/", "t_conv", run.steps);
  // Every neuron parameter under its config key (io/NeuronParameters.hpp), so a new one is recorded unasked.
  const auto neuron = io::neuron_parameters_json(run.neuron);  // alive for the loop (items() holds a reference)
  for (const auto& [key, value] : neuron.items()) {
    if (value.is_number_integer()) f.write_attribute("/", key, value.get<std::int64_t>());
    else f.write_attribute("/", key, value.get<double>());
  }
  f.write_attribute("/", "feedback", std::int64_t{run.feedback ? 1 : 0});
  f.write_attribute("/", "convergence_tolerance", run.convergence_tolerance);
  f.write_attribute("/", "command_line", run.command_line);
  f.write_attribute("/", "spikingbert_version", run.program_version);
  f.write_attribute("/", "git_commit", run.git_commit);
  f.write_attribute("/", "kernel", run.kernel);
  f.write_attribute("/", "batch", run.batch);
  f.write_attribute("/", "dt", kStepDurationMs);
  f.write_attribute("/", "time_units", "ms");
  f.write_attribute("/", "examples_completed", std::int64_t{0});
  f.write_attribute("/", "complete", std::int64_t{0});
}

void Hdf5Recorder::State::create_datasets(const RunInfo& run) {
  auto& f = *file;
  std::vector<std::int64_t> widths;
  for (const auto& population : run.populations) {
    names.push_back(population.name);
    widths.push_back(population.width);
  }
  const auto count = static_cast<std::int64_t>(names.size());
  f.write_strings("populations/name", names);
  f.write_attribute("populations/name", "description", "spiking sub-layers, in simulation order (method doc §1.3)");
  f.write_ints("populations/width", {count}, widths, 8);
  f.write_attribute("populations/width", "units", "neurons per token");

  const auto table = [&](const std::string& name, io::Hdf5Element element, const char* description) {
    f.create_extendible("examples/" + name, element, {}, kExampleTableChunkRows, kNoCompression);
    f.write_attribute("examples/" + name, "description", description);
  };
  table("index", io::Hdf5Element::I64, "position of the example in the input file");
  table("tokens", io::Hdf5Element::I64, "positions (real tokens) of the example");
  table("steps", io::Hdf5Element::I64, "time steps simulated");
  table("first_step", io::Hdf5Element::I64, "first step of the example on the file's global time axis");
  table("predicted_label", io::Hdf5Element::I64, "classifier output, -1 if none");
  table("label", io::Hdf5Element::I64, "gold label, -1 if unknown");
  // Ragged per-token datasets: example e owns rows [token_pointers[e], token_pointers[e+1]) (docs/traces.md §3).
  table("token_pointers", io::Hdf5Element::U64, "rows [p[e], p[e+1]) of example e in every per-token dataset");
  f.append_rows("examples/token_pointers", std::vector<std::uint64_t>{0});
  f.create_extendible_strings("examples/word_pieces", kExampleTableChunkRows);
  f.write_attribute("examples/word_pieces", "description",
                    "the WordPiece token of every position (rows by token_pointers); empty when unknown");

  // Per sub-layer: one group named after it, [N, T] series and [N] per-example values.
  const double not_recorded = std::numeric_limits<double>::quiet_NaN();
  for (const auto& name : names) {
    const auto series = [&](const char* dataset, const char* description) {
      const auto path = summary_path(name, dataset);
      // One chunk per example: [1, T].
      f.create_extendible(path, io::Hdf5Element::F64, {run.steps}, 1, kGzipLevel, not_recorded);
      f.write_attribute(path, "axes", "example, step");
      f.write_attribute(path, "units", "spikes per neuron per step");
      f.write_attribute(path, "description", description);
    };
    series("mean_asr", "running mean ASR after step s over the example's neurons: count/(s+1) averaged");
    series("residual_mean_abs", "mean over neurons of |a_j(s) - f_j(a(s))| (method doc §4); NaN if not computed");
    series("residual_max", "max over neurons of |a_j(s) - f_j(a(s))|; NaN if not computed");
    // Uncompressed, like /examples: a row is appended per example.
    f.create_extendible(summary_path(name, "converged_at"), io::Hdf5Element::I64, {}, kExampleTableChunkRows,
                        kNoCompression);
    f.write_attribute(summary_path(name, "converged_at"), "description",
                      "first step t (1-based) from which residual_mean_abs stays below the root convergence_tolerance; -1 if never");
    f.create_extendible(summary_path(name, "residual_floor"), io::Hdf5Element::F64, {}, kExampleTableChunkRows,
                        kNoCompression);
    f.write_attribute(summary_path(name, "residual_floor"), "description",
                      "median of the last quarter of residual_mean_abs (traces/Convergence.hpp); NaN without residuals");
  }
  convergence_tolerance = run.convergence_tolerance;

  if (level >= TraceLevel::neurons) {
    for (std::size_t p = 0; p < names.size(); ++p) {
      const auto path = "neurons/" + names[p] + "/asr";
      f.create_extendible(path, io::Hdf5Element::F32, {widths[p]}, kTokenChunkRows, kGzipLevel);
      f.write_attribute(path, "axes", "token (rows by /examples/token_pointers), neuron");
      f.write_attribute(path, "units", "spikes per neuron per step");
      f.write_attribute(path, "description", "final ASR of every neuron (method doc §2.2)");
    }
  }
  if (level >= TraceLevel::spikes) {
    const std::vector<std::pair<std::string, std::int8_t>> sorting = {
        {"none", kSortingNone}, {"by_id", kSortingById}, {"by_time", kSortingByTime}};
    for (std::size_t p = 0; p < names.size(); ++p) {
      const auto group = "spikes/" + names[p];
      f.create_group(group);
      // Appended step by step, example after example on one time axis: sorted by time.
      f.write_enum_attribute(group, "sorting", sorting, kSortingByTime);
      f.create_extendible(group + "/timestamps", io::Hdf5Element::F64, {}, kSpikeChunkElements, kGzipLevel);
      f.write_attribute(group + "/timestamps", "units", "ms");
      f.create_extendible(group + "/node_ids", io::Hdf5Element::U64, {}, kSpikeChunkElements, kGzipLevel);
      f.write_attribute(group + "/node_ids", "description", "token * width + neuron, token within its example");
      f.create_extendible(group + "/example_index_pointers", io::Hdf5Element::U64, {}, kExampleTableChunkRows,
                          kNoCompression);
      f.append_rows(group + "/example_index_pointers", std::vector<std::uint64_t>{0});

      // Ragged frames: example e's rows [p[e], p[e+1]) are its steps x tokens, each row one token's width
      // neurons (no SONATA frame report: that needs one fixed node set for every frame, docs/traces.md §5).
      const auto report = "report/" + names[p];
      report_chunk_rows.push_back(std::max<std::int64_t>(1, kReportChunkTargetValues / widths[p]));
      f.create_extendible(report + "/data", io::Hdf5Element::F32, {widths[p]}, report_chunk_rows.back(), kGzipLevel);
      f.write_attribute(report + "/data", "units", "1");
      f.write_attribute(report + "/data", "variable_name", "asr");
      f.write_attribute(report + "/data", "axes", "(step, token) of each example (rows by example_index_pointers), neuron");
      f.create_extendible(report + "/example_index_pointers", io::Hdf5Element::U64, {}, kExampleTableChunkRows,
                          kNoCompression);
      f.append_rows(report + "/example_index_pointers", std::vector<std::uint64_t>{0});
    }
  }
}

void Hdf5Recorder::begin_run(const RunInfo& run) {
  auto& s = *state_;
  s.buffer.begin_run(run, s.level);
  s.file.emplace(s.destination, io::Hdf5Writer::Streamed{});
  s.write_root_attributes(run);
  s.create_datasets(run);
  s.file->flush();  // an empty but valid trace exists from the start
}

void Hdf5Recorder::begin_example(std::int64_t example_index, std::int64_t tokens) {
  state_->buffer.begin_example(example_index, tokens);
}

void Hdf5Recorder::record_word_pieces(std::span<const std::string> word_pieces) {
  state_->buffer.record_word_pieces(word_pieces);
}

void Hdf5Recorder::record_step(std::size_t population, std::int64_t step, const StepStatistics& statistics) {
  state_->buffer.record_step(population, step, statistics);
}

void Hdf5Recorder::record_spikes(std::size_t population, std::int64_t step, std::span<const std::uint32_t> node_ids) {
  state_->buffer.record_spikes(population, step, node_ids);
}

void Hdf5Recorder::record_final_asr(std::size_t population, std::span<const float> asr) {
  state_->buffer.record_final_asr(population, asr);
}

// Per-step running ASR frames a_i(s) = count_i(0..s) / (s+1) (method doc §2.2 at T = s+1), computed
// from the example's spikes, written in chunk-sized blocks so memory is one block. One frame is the
// example's tokens x width neurons, tokens rows of the dataset.
void Hdf5Recorder::State::write_report_frames(std::size_t population) {
  const auto path = "report/" + names[population];
  const auto& spikes = buffer.spikes(population);
  const auto width = static_cast<std::size_t>(buffer.run().populations[population].width);
  const auto values = static_cast<std::size_t>(buffer.tokens()) * width;
  std::vector<std::uint32_t> spike_count(values, 0);
  const auto block_values = std::max<std::size_t>(values, static_cast<std::size_t>(report_chunk_rows[population]) * width);
  std::vector<float> block;
  block.reserve(block_values);
  std::size_t next_spike = 0;
  for (std::int64_t step = 0; step < buffer.steps(); ++step) {
    while (next_spike < spikes.steps.size() && spikes.steps[next_spike] == step) {
      ++spike_count[spikes.node_ids[next_spike]];
      ++next_spike;
    }
    const float steps_so_far = static_cast<float>(step + 1);
    for (const auto count : spike_count) block.push_back(static_cast<float>(count) / steps_so_far);
    if (block.size() + values > block_values || step + 1 == buffer.steps()) {
      file->append_rows(path + "/data", block);
      block.clear();
    }
  }
  file->append_rows(path + "/example_index_pointers",
                    std::vector<std::uint64_t>{static_cast<std::uint64_t>(file->rows(path + "/data"))});
}

void Hdf5Recorder::State::write_example() {
  auto& f = *file;
  const std::int64_t first_step = total_steps;
  const auto max_steps = static_cast<std::size_t>(buffer.max_steps());
  for (std::size_t p = 0; p < names.size(); ++p) {
    const auto row = [&](const std::vector<double>& table) {
      const auto begin = table.begin() + static_cast<std::ptrdiff_t>(p * max_steps);
      return std::vector<double>(begin, begin + static_cast<std::ptrdiff_t>(max_steps));
    };
    f.append_rows(summary_path(names[p], "mean_asr"), row(buffer.mean_asr()));
    f.append_rows(summary_path(names[p], "residual_mean_abs"), row(buffer.residual_mean_abs()));
    f.append_rows(summary_path(names[p], "residual_max"), row(buffer.residual_max()));
    // converged_at: the first step t (1-based, method doc §2.1's t = s + 1, as `run` and plot_traces.py
    // print it) from which the mean residual stays below the tolerance, -1 if it never settles or was not
    // computed; residual_floor: median of the series' last quarter (NaN if none).
    std::int64_t converged_at = -1;
    double floor = std::numeric_limits<double>::quiet_NaN();
    const std::span<const double> series(buffer.residual_mean_abs().data() + p * max_steps,
                                         static_cast<std::size_t>(buffer.steps()));
    if (!series.empty() && std::isfinite(series.back())) {
      const auto step = convergence_step(series, convergence_tolerance);
      converged_at = step ? *step + 1 : -1;
      floor = residual_floor(series);
    }
    f.append_rows(summary_path(names[p], "converged_at"), std::vector<std::int64_t>{converged_at});
    f.append_rows(summary_path(names[p], "residual_floor"), std::vector<double>{floor});
    if (level >= TraceLevel::neurons) f.append_rows("neurons/" + names[p] + "/asr", buffer.final_asr(p));
    if (level >= TraceLevel::spikes) {
      const auto group = "spikes/" + names[p];
      const auto& spikes = buffer.spikes(p);
      std::vector<double> timestamps(spikes.steps.size());
      for (std::size_t i = 0; i < timestamps.size(); ++i) {
        timestamps[i] = static_cast<double>(first_step + spikes.steps[i]) * kStepDurationMs;
      }
      f.append_rows(group + "/timestamps", timestamps);
      f.append_rows(group + "/node_ids", std::vector<std::uint64_t>(spikes.node_ids.begin(), spikes.node_ids.end()));
      f.append_rows(group + "/example_index_pointers",
                    std::vector<std::uint64_t>{static_cast<std::uint64_t>(f.rows(group + "/node_ids"))});
      write_report_frames(p);
    }
  }
  // The word pieces (or empty strings), then the example table last: its length is the number of completed examples.
  auto pieces = buffer.word_pieces();
  pieces.resize(static_cast<std::size_t>(buffer.tokens()));
  f.append_strings("examples/word_pieces", pieces);
  total_tokens += static_cast<std::uint64_t>(buffer.tokens());
  f.append_rows("examples/token_pointers", std::vector<std::uint64_t>{total_tokens});
  f.append_rows("examples/index", std::vector<std::int64_t>{buffer.example_index()});
  f.append_rows("examples/tokens", std::vector<std::int64_t>{buffer.tokens()});
  f.append_rows("examples/steps", std::vector<std::int64_t>{buffer.steps()});
  f.append_rows("examples/first_step", std::vector<std::int64_t>{first_step});
  f.append_rows("examples/predicted_label", std::vector<std::int64_t>{buffer.predicted_label()});
  f.append_rows("examples/label", std::vector<std::int64_t>{buffer.label()});
  total_steps += buffer.steps();
  ++examples_written;
  f.write_attribute("/", "examples_completed", examples_written);
}

void Hdf5Recorder::end_example(const ExampleOutcome& outcome) {
  auto& s = *state_;
  s.buffer.finish(outcome);
  s.write_example();
  s.file->flush();  // from here on, a killed run still holds this example
}

void Hdf5Recorder::end_run() {
  auto& s = *state_;
  s.buffer.end_run();
  s.file->write_attribute("/", "complete", std::int64_t{1});
  s.file->commit();  // closes, fsyncs and renames FILE.h5.partial to FILE.h5, then releases its lock
  s.finished = true;
}

}  // namespace spikingbert::traces
