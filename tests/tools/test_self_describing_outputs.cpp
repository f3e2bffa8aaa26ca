// One token-input layout for run, grad and run-teacher, made by `tokenize --output FILE.h5`, and
// self-describing outputs: run and grad files carry the version, commit, command line, T, kernel, batch,
// gradient mode and energy costs, and run's datasets name their sub-layer, axes and units (docs/formats.md).
#include "io/Hdf5File.hpp"
#include "support/RunCommand.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

using namespace spikingbert::testing;

TEST_CASE("tokenize --output FILE.h5 feeds run, grad and run-teacher, their outputs describe themselves",
          "[tools][tokenize][run][grad][formats]") {
  const auto folder = fresh_folder("self-describing");
  const auto vocab = folder / "vocab.txt", cases = folder / "cases.jsonl", inputs = folder / "inputs.h5";
  {
    std::ofstream words(vocab);
    words << "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n";
    for (int i = 5; i < 64; ++i) words << "w" << i << "\n";  // the tiny model's 64-token vocabulary
    std::ofstream(cases) << "{\"text_a\": \"w5 w6 w7\", \"label\": 1}\n{\"text_a\": \"w8\", \"text_b\": \"w9 w10\", \"label\": 0}\n";
  }
  const auto tokenized = run_spikingbert("tokenize --vocab '" + vocab.string() + "' --input '" + cases.string() +
                                         "' --output '" + inputs.string() + "'");
  INFO(tokenized.err);
  REQUIRE(tokenized.exit_code == 0);
  {
    const spikingbert::io::Hdf5Reader reader(inputs.string());
    const auto ids = reader.read_ints("inputs/input_ids");
    CHECK(ids.shape == spikingbert::io::Shape{2, 6});  // [CLS] w8 [SEP] w9 w10 [SEP]
    CHECK(ids.values == std::vector<std::int64_t>{2, 5, 6, 7, 3, 0, 2, 8, 3, 9, 10, 3});
    CHECK(reader.read_ints("inputs/segment_ids").values == std::vector<std::int64_t>{0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1});
    CHECK(reader.read_ints("inputs/attention_mask").values == std::vector<std::int64_t>{1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1});
    CHECK(reader.read_ints("inputs/labels").values == std::vector<std::int64_t>{1, 0});
  }

  const auto run_output = (folder / "run.h5").string();
  const auto run = run_spikingbert("run --model '" + test_data("tiny") + "' --inputs '" + inputs.string() +
                                   "' --output '" + run_output + "' --steps 6 --quiet");
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  {
    const spikingbert::io::Hdf5Reader out(run_output);
    CHECK(out.read_attribute_string("/", "spikingbert_version") == SPIKINGBERT_VERSION);
    CHECK_FALSE(out.read_attribute_string("/", "git_commit").empty());
    CHECK(out.read_attribute_string("/", "command_line").find("run --model") != std::string::npos);
    CHECK(out.read_attribute_int("/", "t_conv") == 6);
    CHECK(out.read_attribute_int("/", "batch") == 2);
    CHECK(out.read_attribute_string("/", "kernel") == "event");
    CHECK(out.read_attribute_double("/", "energy_costs_accumulate_pj") == Approx(0.9));
    const auto names = out.read_attribute_strings("/", "sublayers");
    REQUIRE(names.size() == 13);
    CHECK(names[5] == "L0_intermediate");
    // Datasets named after their sub-layer (no 00..12), with their place, axes, units and description.
    const std::set<std::string> sorted_names(names.begin(), names.end());
    CHECK(out.list("forward/asr") == std::vector<std::string>(sorted_names.begin(), sorted_names.end()));
    CHECK(out.read_attribute_int("forward/asr/L0_intermediate", "sublayer_index") == 5);
    CHECK(out.read_attribute_string("forward/spike_count/L0_intermediate", "units").rfind("spikes in T steps", 0) == 0);
    CHECK(out.read_attribute_string("forward/asr/embedding", "axes") == "example, token, neuron");
    CHECK_FALSE(out.read_attribute_string("forward/asr/embedding", "description").empty());
    CHECK(out.read_strings("operations/sublayers") == names);
  }

  const auto grad_output = (folder / "grad.h5").string();
  const auto grad = run_spikingbert("grad --model '" + test_data("tiny") + "' --inputs '" + inputs.string() +
                                    "' --output '" + grad_output + "' --steps 6 --gradient analog-twin --quiet");
  INFO(grad.err);
  REQUIRE(grad.exit_code == 0);
  {
    const spikingbert::io::Hdf5Reader out(grad_output);
    CHECK(out.read_attribute_string("/", "gradient_mode") == "analog-twin");
    CHECK(out.read_attribute_int("/", "t_conv") == 6);
    CHECK(out.read_attribute_int("/", "batch") == 2);
    CHECK(out.read_attribute_string("/", "command_line").find("grad --model") != std::string::npos);
  }

  const auto teacher = run_spikingbert("run-teacher --model '" + test_data("teacher-tiny") + "' --inputs '" +
                                       inputs.string() + "' --output '" + (folder / "teacher.h5").string() + "' --quiet");
  INFO(teacher.err);
  CHECK(teacher.exit_code == 0);
  CHECK(spikingbert::io::Hdf5Reader((folder / "teacher.h5").string()).shape("logits") == spikingbert::io::Shape{2, 2});
}

TEST_CASE("run --inputs simulates real tokens only: the same rows padded to 6 or 9 tokens give the same results",
          "[tools][run][formats][padding]") {
  using spikingbert::io::Shape;
  const auto folder = fresh_folder("padding");
  // Two rows, [CLS] w5 w6 w7 [SEP] and [CLS] w8 [SEP] w9 w10 [SEP] (tiny vocabulary ids), padded to `sequence`.
  const std::vector<std::vector<std::int64_t>> rows{{2, 5, 6, 7, 3}, {2, 8, 3, 9, 10, 3}};
  const std::vector<std::vector<std::int64_t>> segments{{0, 0, 0, 0, 0}, {0, 0, 0, 1, 1, 1}};
  const auto write_inputs = [&](int sequence) {
    std::vector<std::int64_t> ids, segment, mask;
    for (std::size_t b = 0; b < rows.size(); ++b)
      for (int k = 0; k < sequence; ++k) {
        const bool real = k < static_cast<int>(rows[b].size());
        ids.push_back(real ? rows[b][static_cast<std::size_t>(k)] : 0);
        segment.push_back(real ? segments[b][static_cast<std::size_t>(k)] : 0);
        mask.push_back(real ? 1 : 0);
      }
    const auto file = (folder / ("inputs" + std::to_string(sequence) + ".h5")).string();
    spikingbert::io::Hdf5Writer writer(file);
    const Shape shape{2, sequence};
    writer.write_ints("inputs/input_ids", shape, ids, 4);
    writer.write_ints("inputs/segment_ids", shape, segment, 4);
    writer.write_ints("inputs/attention_mask", shape, mask, 4);
    writer.commit();
    const auto output = (folder / ("run" + std::to_string(sequence) + ".h5")).string();
    const auto run = run_spikingbert("run --model '" + test_data("tiny") + "' --inputs '" + file + "' --output '" +
                                     output + "' --steps 6 --quiet");
    INFO(run.err);
    REQUIRE(run.exit_code == 0);
    return output;
  };
  const spikingbert::io::Hdf5Reader short_run(write_inputs(6)), long_run(write_inputs(9));
  CHECK(short_run.read_ints("operations/counts").values == long_run.read_ints("operations/counts").values);
  CHECK(short_run.read_tensor("forward/logits").values == long_run.read_tensor("forward/logits").values);
  int padded_checked = 0;
  for (int j = 0; j < 13; ++j) {
    const auto suffix = short_run.read_attribute_strings("/", "sublayers")[static_cast<std::size_t>(j)];
    const auto counts6 = short_run.read_ints("forward/spike_count/" + suffix);
    const auto counts9 = long_run.read_ints("forward/spike_count/" + suffix);
    const auto asr6 = short_run.read_tensor("forward/asr/" + suffix);
    const auto asr9 = long_run.read_tensor("forward/asr/" + suffix);
    const auto width = counts6.shape[2];
    REQUIRE(counts9.shape == Shape{2, 9, width});
    for (std::size_t b = 0; b < rows.size(); ++b)
      for (std::int64_t k = 0; k < 9; ++k)
        for (std::int64_t i = 0; i < width; ++i) {
          const auto at9 = (static_cast<std::int64_t>(b) * 9 + k) * width + i;
          const auto at6 = (static_cast<std::int64_t>(b) * 6 + k) * width + i;
          if (k < static_cast<std::int64_t>(rows[b].size())) {  // a real token: the same neuron in both runs
            CHECK(counts9.values[static_cast<std::size_t>(at9)] == counts6.values[static_cast<std::size_t>(at6)]);
            CHECK(asr9.values[static_cast<std::size_t>(at9)] == asr6.values[static_cast<std::size_t>(at6)]);
          } else {  // padding: no neuron, 0 spikes and a NaN rate
            CHECK(counts9.values[static_cast<std::size_t>(at9)] == 0);
            CHECK(std::isnan(asr9.values[static_cast<std::size_t>(at9)]));
            if (k < 6) CHECK(std::isnan(asr6.values[static_cast<std::size_t>(at6)]));
            ++padded_checked;
          }
        }
  }
  CHECK(padded_checked > 0);

  // A mask that is not ones then zeros has no real-token prefix to simulate: one line, exit 2.
  const auto holed = (folder / "holed.h5").string();
  {
    spikingbert::io::Hdf5Writer writer(holed);
    writer.write_ints("inputs/input_ids", {1, 4}, {2, 5, 6, 3}, 4);
    writer.write_ints("inputs/segment_ids", {1, 4}, {0, 0, 0, 0}, 4);
    writer.write_ints("inputs/attention_mask", {1, 4}, {1, 0, 1, 1}, 4);
    writer.commit();
  }
  const auto bad = run_spikingbert("run --model '" + test_data("tiny") + "' --inputs '" + holed + "' --output '" +
                                   (folder / "bad.h5").string() + "' --steps 2");
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("inputs/attention_mask[0][2]: a real token after padding") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(folder / "bad.h5"));
  std::filesystem::remove_all(folder);
}
