// Issue 11 acceptance: `run --task` simulates every example at its own length (no neuron for padding), so
// synaptic events, energy, mean ASR, per-example predictions and trace contents are the same for any
// --batch, with or without --trace, for 1 and 2 threads, and equal to the sums of single-sentence runs.
#include "io/Hdf5File.hpp"
#include "support/RunCommand.hpp"
#include "TinyGlue.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

using namespace spikingbert::testing;
namespace fs = std::filesystem;

namespace {

constexpr int kExamples = 10;  // sentences of 3..14 words (write_many_sst2)
constexpr int kSteps = 12;

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Bitwise equality (NaN residuals compare equal to themselves).
template <class T>
bool same_bits(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0);
}

// Everything a trace holds that a result depends on, as raw numbers.
struct TraceContents {
  std::vector<double> mean_asr, residual_mean_abs, residual_max;
  std::vector<std::int64_t> tokens, token_pointers, steps, predicted;
  std::vector<std::string> word_pieces;
  std::vector<std::vector<float>> neuron_asr, report;
  std::vector<std::vector<std::int64_t>> node_ids, pointers, report_pointers;
};

TraceContents read_trace(const std::string& file) {
  const spikingbert::io::Hdf5Reader trace(file);
  TraceContents contents;
  for (const auto& name : trace.read_strings("populations/name")) {  // summary/<sub-layer>/..., in simulation order
    for (const auto value : trace.read_doubles("summary/" + name + "/mean_asr")) contents.mean_asr.push_back(value);
    for (const auto value : trace.read_doubles("summary/" + name + "/residual_mean_abs"))
      contents.residual_mean_abs.push_back(value);
    for (const auto value : trace.read_doubles("summary/" + name + "/residual_max")) contents.residual_max.push_back(value);
  }
  contents.word_pieces = trace.read_strings("examples/word_pieces");
  contents.tokens = trace.read_ints("examples/tokens").values;
  contents.token_pointers = trace.read_ints("examples/token_pointers").values;
  contents.steps = trace.read_ints("examples/steps").values;
  contents.predicted = trace.read_ints("examples/predicted_label").values;
  for (const auto& name : trace.list("neurons")) {
    contents.neuron_asr.push_back(trace.read_tensor("neurons/" + name + "/asr").values);
    contents.node_ids.push_back(trace.read_ints("spikes/" + name + "/node_ids").values);
    contents.pointers.push_back(trace.read_ints("spikes/" + name + "/example_index_pointers").values);
    contents.report.push_back(trace.read_tensor("report/" + name + "/data").values);
    contents.report_pointers.push_back(trace.read_ints("report/" + name + "/example_index_pointers").values);
  }
  return contents;
}

}  // namespace

TEST_CASE("run --task results do not depend on batch, trace or threads and are sums of single-sentence runs",
          "[tools][run][ragged]") {
  const auto folder = fresh_folder("run-batch-invariance");
  const auto vocab = write_tiny_vocabulary(folder), data = write_many_sst2(folder, kExamples);
  const auto command = [&](const std::string& file) {
    return "run --model '" + test_data("tiny") + "' --task sst2 --data '" + file + "' --vocab '" + vocab +
           "' --steps " + std::to_string(kSteps) + " --json";
  };

  nlohmann::json reference;
  std::string reference_predictions;
  std::optional<TraceContents> reference_trace;
  for (const int batch : {1, 8, 32})
    for (const int threads : {1, 2})
      for (const bool traced : {false, true}) {
        INFO("batch " << batch << ", threads " << threads << (traced ? ", traced" : ""));
        const auto predictions = folder / "predictions.csv";
        const auto trace = (folder / "trace.h5").string();
        const auto result = run_spikingbert(command(data) + " --batch " + std::to_string(batch) + " --threads " +
                                            std::to_string(threads) + " --predictions '" + predictions.string() + "'" +
                                            (traced ? " --trace '" + trace + "' --trace-level spikes" : ""));
        INFO(result.err);
        REQUIRE(result.exit_code == 0);
        const auto summary = last_json_line(result.out);
        const auto rows = read_text(predictions);
        if (reference.is_null()) {
          reference = summary;
          reference_predictions = rows;
        }
        CHECK(summary["synaptic_events"] == reference["synaptic_events"]);
        CHECK(summary["energy_pj"] == reference["energy_pj"]);
        CHECK(summary["ann_energy_pj"] == reference["ann_energy_pj"]);
        CHECK(summary["mean_asr"] == reference["mean_asr"]);
        CHECK(summary["accuracy"] == reference["accuracy"]);
        CHECK(summary["final_residual_mean_abs"] == reference["final_residual_mean_abs"]);
        CHECK(rows == reference_predictions);
        if (!traced) continue;
        const auto contents = read_trace(trace);
        if (!reference_trace) {
          reference_trace = contents;
          // Real tokens only: [CLS] + words + [SEP] per example (ragged rows), and the trace's steps are the run's.
          for (const auto steps : contents.steps) CHECK(steps == kSteps);
          REQUIRE(contents.token_pointers.size() == kExamples + 1);
          for (std::size_t e = 0; e < kExamples; ++e) {
            CHECK(contents.tokens[e] >= 5);  // [CLS] + at least 3 words + [SEP]
            CHECK(contents.token_pointers[e + 1] - contents.token_pointers[e] == contents.tokens[e]);
          }
          REQUIRE(!contents.neuron_asr.empty());
          // Rows of the first sub-layer's final ASR: one per real token, none for padding, no NaN.
          const auto width = contents.neuron_asr[0].size() / static_cast<std::size_t>(contents.token_pointers.back());
          CHECK(contents.neuron_asr[0].size() == width * static_cast<std::size_t>(contents.token_pointers.back()));
          for (const auto value : contents.neuron_asr[0]) REQUIRE(std::isfinite(value));
          // Each example's tokens as text: [CLS] first, [SEP] last.
          REQUIRE(contents.word_pieces.size() == static_cast<std::size_t>(contents.token_pointers.back()));
          for (std::size_t e = 0; e < kExamples; ++e) {
            CHECK(contents.word_pieces[static_cast<std::size_t>(contents.token_pointers[e])] == "[CLS]");
            CHECK(contents.word_pieces[static_cast<std::size_t>(contents.token_pointers[e + 1] - 1)] == "[SEP]");
          }
        }
        CHECK(same_bits(contents.mean_asr, reference_trace->mean_asr));
        CHECK(same_bits(contents.residual_mean_abs, reference_trace->residual_mean_abs));
        CHECK(same_bits(contents.residual_max, reference_trace->residual_max));
        CHECK(contents.tokens == reference_trace->tokens);
        CHECK(contents.token_pointers == reference_trace->token_pointers);
        CHECK(contents.word_pieces == reference_trace->word_pieces);
        CHECK(contents.predicted == reference_trace->predicted);
        REQUIRE(contents.neuron_asr.size() == reference_trace->neuron_asr.size());
        for (std::size_t p = 0; p < contents.neuron_asr.size(); ++p) {
          CHECK(same_bits(contents.neuron_asr[p], reference_trace->neuron_asr[p]));
          CHECK(contents.node_ids[p] == reference_trace->node_ids[p]);
          CHECK(contents.pointers[p] == reference_trace->pointers[p]);
          CHECK(same_bits(contents.report[p], reference_trace->report[p]));
          CHECK(contents.report_pointers[p] == reference_trace->report_pointers[p]);
        }
      }

  // The header and one row per example, in file order.
  const auto rows = lines_of(reference_predictions);
  REQUIRE(rows.size() == kExamples + 1);
  CHECK(rows[0] == "index,label,prediction,steps,synaptic_events,spikes,logit_0,logit_1");

  // Each sentence alone: the same row (but its index) and the events add up to the set's.
  const auto all_lines = lines_of(read_text(data));
  std::uint64_t events = 0;
  for (int e = 0; e < kExamples; ++e) {
    INFO("example " << e);
    const auto single = folder / ("single" + std::to_string(e) + ".tsv");
    std::ofstream(single) << all_lines[0] << "\n" << all_lines[static_cast<std::size_t>(e + 1)] << "\n";
    const auto predictions = folder / "single.csv";
    const auto result = run_spikingbert(command(single.string()) + " --predictions '" + predictions.string() + "'");
    REQUIRE(result.exit_code == 0);
    events += last_json_line(result.out)["synaptic_events"].get<std::uint64_t>();
    const auto single_rows = lines_of(read_text(predictions));
    REQUIRE(single_rows.size() == 2);
    const auto& row = rows[static_cast<std::size_t>(e + 1)];
    CHECK(row.substr(0, row.find(',')) == std::to_string(e));
    CHECK(single_rows[1].substr(single_rows[1].find(',')) == row.substr(row.find(',')));
  }
  CHECK(events == reference["synaptic_events"].get<std::uint64_t>());
  fs::remove_all(folder);
}
