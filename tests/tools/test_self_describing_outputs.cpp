// One token-input layout for run, grad and run-teacher, made by `tokenize --output FILE.h5`, and
// self-describing outputs: run and grad files carry the version, commit, command line, T, kernel, batch,
// gradient mode and energy costs, and run's datasets name their sub-layer, axes and units (docs/formats.md).
#include "io/Hdf5File.hpp"
#include "support/RunCommand.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <set>

using namespace spikingbert::testing;

TEST_CASE("tokenize --output FILE.h5 feeds run, grad and run-teacher; their outputs describe themselves",
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
    CHECK(out.list("forward/asr") == std::vector<std::string>(std::set<std::string>(names.begin(), names.end()).begin(),
                                                              std::set<std::string>(names.begin(), names.end()).end()));
    CHECK(out.read_attribute_int("forward/asr/L0_intermediate", "sublayer_index") == 5);
    CHECK(out.read_attribute_string("forward/spike_count/L0_intermediate", "units") == "spikes in T steps");
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
