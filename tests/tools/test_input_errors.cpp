// The rows of docs/errors.md that reach the command line: each bad input, given to the real program,
// ends with exit code 2, exactly one line `spikingbert: error: FILE:PLACE: problem (expected ...)` on
// stderr, nothing on stdout, and an output folder that is still empty (no output, no temporary file).
// Library-level rows (every safetensors rule, every config key) are tested in tests/io/.
#include "support/RunCommand.hpp"

#include "io/Checkpoint.hpp"
#include "io/Hdf5File.hpp"
#include "io/Safetensors.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

using namespace spikingbert;
using spikingbert::testing::CommandResult;
using spikingbert::testing::fresh_folder;
using spikingbert::testing::run_spikingbert;
using spikingbert::testing::test_data;
namespace fs = std::filesystem;

namespace {

// The contract of every row: one line naming the file, the problem fragment, an "(expected ...)" part,
// exit code 2, no stdout, and `output_folder` empty afterwards.
void check_input_error(const CommandResult& result, const std::string& file, const std::string& fragment,
                       const fs::path& output_folder) {
  INFO("stderr: " << result.err);
  CHECK(result.exit_code == 2);
  CHECK(result.out.empty());
  CHECK(result.err.starts_with("spikingbert: error: " + file + ":"));
  CHECK(std::count(result.err.begin(), result.err.end(), '\n') == 1);
  CHECK(result.err.ends_with(")\n"));
  CHECK(result.err.find(" (expected ") != std::string::npos);
  CHECK(result.err.find(fragment) != std::string::npos);
  CHECK(result.err.find("internal error") == std::string::npos);
  CHECK(fs::is_empty(output_folder));
}

std::string quoted(const fs::path& path) {
  std::string text = "'";  // appended piecewise: GCC 12 warns falsely (-Wrestrict) on "'" + s + "'"
  text += path.string();
  text += '\'';
  return text;
}

std::string u64_bytes(std::uint64_t value) {
  std::string bytes(8, '\0');
  for (int i = 0; i < 8; ++i) bytes[static_cast<std::size_t>(i)] = static_cast<char>((value >> (8 * i)) & 0xFF);
  return bytes;
}

std::string safetensors_bytes(const std::string& header, const std::string& buffer) {
  return u64_bytes(header.size()) + header + buffer;
}

void write_bytes(const fs::path& path, const std::string& bytes) { std::ofstream(path, std::ios::binary) << bytes; }

// A Hugging Face folder holding teacher-tiny's config.json and the given weights.
fs::path hf_folder(const fs::path& parent, const io::TensorMap& tensors) {
  const auto folder = parent / "hf";
  fs::create_directories(folder);
  fs::copy_file(test_data("teacher-tiny/config.json"), folder / "config.json", fs::copy_options::overwrite_existing);
  io::write_safetensors(folder / "model.safetensors", tensors);
  return folder;
}

io::TensorMap teacher_tensors() { return io::read_safetensors(test_data("teacher-tiny/model.safetensors")); }

// An inputs file for run-teacher: int32 datasets as the conformance case.h5 stores them.
struct Dataset {
  std::string name;
  std::vector<std::int64_t> shape;
  std::vector<std::int64_t> values;
};
fs::path inputs_file(const fs::path& path, const std::vector<Dataset>& datasets) {
  io::Hdf5Writer writer(path);
  for (const auto& dataset : datasets) writer.write_ints(dataset.name, dataset.shape, dataset.values);
  writer.commit();
  return path;
}

}  // namespace

TEST_CASE("errors: malformed safetensors through convert --from-hf", "[tools][errors]") {
  const auto folder = fresh_folder("errors-safetensors");
  const auto hf = hf_folder(folder, teacher_tensors());
  const auto weights = hf / "model.safetensors";
  const auto output = folder / "out";
  fs::create_directories(output);
  const std::string eight(8, '\0');
  const auto entry = [](const std::string& body) { return "{\"w\":" + body + "}"; };
  struct Case {
    std::string bytes, fragment;
  };
  const std::vector<Case> cases{
      {"abcde", "header: file is 5 bytes, too short"},
      {u64_bytes(1000) + "{}", "header: header length 1000 extends beyond the end of the file"},
      {safetensors_bytes("{\"w\": {\"dtype\": ", ""), "header: header is not valid JSON"},
      {safetensors_bytes(entry(R"({"dtype":"F8","shape":[1],"data_offsets":[0,1]})"), "a"), "tensor 'w': unknown dtype \"F8\""},
      {safetensors_bytes(entry(R"({"dtype":"F32","shape":[3],"data_offsets":[0,8]})"), eight),
       "tensor 'w': shape [3] x F32 needs 12 bytes but data_offsets span 8"},
      {safetensors_bytes(entry(R"({"dtype":"F32","shape":[4],"data_offsets":[0,16]})"), eight),
       "tensor 'w': data_offsets [0,16] reach outside the data buffer of 8 bytes"},
      {safetensors_bytes(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                         eight),
       "tensor 'b': data_offsets [4,8] overlap tensor 'a' [0,8]"},
      {safetensors_bytes(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                         eight),
       "tensor 'w': name appears more than once in the header"},
  };
  for (const auto& bad : cases) {
    INFO(bad.fragment);
    write_bytes(weights, bad.bytes);
    check_input_error(run_spikingbert("convert --from-hf " + quoted(hf) + " --output " + quoted(output / "model.h5")),
                      weights.string(), bad.fragment, output);
  }
  // The same reader serves run-teacher --model HF_DIR.
  write_bytes(weights, "abcde");
  check_input_error(run_spikingbert("run-teacher --model " + quoted(hf) + " --inputs " + test_data("teacher-tiny/case.h5") +
                                    " --output " + quoted(output / "out.h5")),
                    weights.string(), "too short", output);
}

TEST_CASE("errors: NaN and infinite weights", "[tools][errors]") {
  const auto folder = fresh_folder("errors-nonfinite");
  const auto output = folder / "out";
  fs::create_directories(output);
  auto tensors = teacher_tensors();
  tensors["bert.encoder.layer.0.attention.self.query.weight"].values[5] = NAN;
  auto hf = hf_folder(folder, tensors);
  check_input_error(run_spikingbert("convert --from-hf " + quoted(hf) + " --output " + quoted(output / "model.h5")),
                    (hf / "model.safetensors").string(),
                    "tensor 'bert.encoder.layer.0.attention.self.query.weight': element 5 is NaN", output);

  tensors = teacher_tensors();
  tensors["classifier.bias"].values[1] = -INFINITY;
  hf = hf_folder(folder, tensors);
  check_input_error(run_spikingbert("run-teacher --model " + quoted(hf) + " --inputs " + test_data("teacher-tiny/case.h5") +
                                    " --output " + quoted(output / "out.h5")),
                    (hf / "model.safetensors").string(), "tensor 'classifier.bias': element 1 is infinite", output);

  // A native checkpoint with a NaN (write_checkpoint stores what it is given; the model refuses it).
  tensors = teacher_tensors();
  tensors["bert.pooler.dense.bias"].values[0] = NAN;
  const auto checkpoint = folder / "nan.h5";
  io::write_checkpoint(checkpoint, io::read_model_config(test_data("teacher-tiny/config.json")), tensors);
  check_input_error(run_spikingbert("run-teacher --model " + quoted(checkpoint) + " --inputs " +
                                    test_data("teacher-tiny/case.h5") + " --output " + quoted(output / "out.h5")),
                    checkpoint.string(), "tensor 'bert.pooler.dense.bias': element 0 is NaN", output);
}

TEST_CASE("errors: HDF5 checkpoints with missing or mis-shaped datasets", "[tools][errors]") {
  const auto folder = fresh_folder("errors-checkpoint");
  const auto output = folder / "out";
  fs::create_directories(output);
  const auto config = io::read_model_config(test_data("teacher-tiny/config.json"));
  const auto run = [&](const fs::path& checkpoint) {
    return run_spikingbert("run-teacher --model " + quoted(checkpoint) + " --inputs " + test_data("teacher-tiny/case.h5") +
                           " --output " + quoted(output / "out.h5"));
  };
  auto tensors = teacher_tensors();
  tensors.erase("bert.encoder.layer.1.output.dense.bias");
  const auto missing = folder / "missing.h5";
  io::write_checkpoint(missing, config, tensors);
  check_input_error(run(missing), missing.string(), "tensor 'bert.encoder.layer.1.output.dense.bias': missing (expected shape [32])",
                    output);

  tensors = teacher_tensors();
  tensors["bert.encoder.layer.0.intermediate.dense.weight"].shape = {32, 64};  // transposed: [64, 32] expected
  const auto misshaped = folder / "misshaped.h5";
  io::write_checkpoint(misshaped, config, tensors);
  check_input_error(run(misshaped), misshaped.string(),
                    "tensor 'bert.encoder.layer.0.intermediate.dense.weight': shape [32,64] (expected [64,32])", output);

  // An HDF5 file that is not a checkpoint at all, and a file that is not HDF5.
  check_input_error(run(test_data("teacher-tiny/case.h5")), test_data("teacher-tiny/case.h5"), "attribute 'format'", output);
  check_input_error(run(test_data("teacher-tiny/model.safetensors")), test_data("teacher-tiny/model.safetensors"),
                    "not an HDF5 file", output);
}

TEST_CASE("errors: bad config.json keys through convert --from-hf", "[tools][errors]") {
  const auto folder = fresh_folder("errors-config");
  const auto hf = hf_folder(folder, teacher_tensors());
  const auto output = folder / "out";
  fs::create_directories(output);
  nlohmann::json original;
  std::ifstream(test_data("teacher-tiny/config.json")) >> original;
  struct Case {
    nlohmann::json change;  // merged into teacher-tiny's config; null removes the key
    std::string fragment;
  };
  const std::vector<Case> cases{
      {{{"hidden_size", nullptr}}, "key 'hidden_size': missing (expected a positive integer)"},
      {{{"num_attention_heads", "4"}}, "key 'num_attention_heads': is the string \"4\" (expected a positive integer)"},
      {{{"intermediate_size", 64.5}}, "key 'intermediate_size': is the number 64.5"},
      {{{"num_hidden_layers", 0}}, "key 'num_hidden_layers': is 0 (expected a positive integer)"},
      {{{"vocab_size", -97}}, "key 'vocab_size': is -97 (expected a positive integer)"},
      {{{"num_attention_heads", 5}}, "key 'hidden_size': 32 is not divisible by num_attention_heads 5"},
      {{{"vth", 0}}, "key 'vth': is 0 (expected a finite number > 0)"},
      {{{"vth", -0.5}}, "key 'vth': is -0.5 (expected a finite number > 0)"},
      {{{"t_conv", 0}}, "key 't_conv': is 0 (expected a positive integer)"},
  };
  const auto config = hf / "config.json";
  for (const auto& bad : cases) {
    INFO(bad.fragment);
    auto json = original;
    for (const auto& [key, value] : bad.change.items()) {
      if (value.is_null()) json.erase(key); else json[key] = value;
    }
    std::ofstream(config) << json.dump(1);
    check_input_error(run_spikingbert("convert --from-hf " + quoted(hf) + " --output " + quoted(output / "model.h5")),
                      config.string(), bad.fragment, output);
  }
  std::ofstream(config) << "{\"vocab_size\": 1e412}";  // out of double's range (found by fuzz_config)
  check_input_error(run_spikingbert("convert --from-hf " + quoted(hf) + " --output " + quoted(output / "model.h5")),
                    config.string(), "not valid JSON: number overflow parsing '1e412'", output);
  std::ofstream(config) << "{\n  \"vocab_size\": 97,\n  \"hidden_size\": ,\n}";
  check_input_error(run_spikingbert("convert --from-hf " + quoted(hf) + " --output " + quoted(output / "model.h5")),
                    config.string(), "line 3: not valid JSON", output);
}

TEST_CASE("errors: GLUE files with missing columns, bad labels, no rows or non-UTF-8 bytes", "[tools][errors]") {
  const auto folder = fresh_folder("errors-glue");
  const auto output = folder / "out";
  fs::create_directories(output);
  const auto file = folder / "dev.tsv";
  struct Case {
    std::string task, content, fragment;
  };
  const std::vector<Case> cases{
      {"sst2", "sentence\tlabel\nno label column\n", "line 2: the row has 1 column(s) (expected 2 tab-separated columns for SST-2)"},
      {"sst2", "sentence\tlabel\ngood\t1\nbad\tpositive\n", "line 3: label 'positive' is not a class (expected 0 or 1)"},
      {"rte", "index\tsentence1\tsentence2\tlabel\n0\ta\tb\tmaybe\n", "line 2: label 'maybe' is not a class"},
      {"stsb",
       "index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1\tsentence2\tscore\n0\tg\tf\ty\t0\tn\tn\ta\tb\t5.5\n",
       "line 2: score '5.5' is not a similarity score (expected a number from 0 to 5)"},
      {"sst2", "", ": the file is empty (expected a GLUE SST-2 .tsv file)"},
      {"sst2", "sentence\tlabel\n", "the file has no examples"},
      {"sst2", "sentence\tlabel\ncaf\xE9\t1\n", "line 2: invalid UTF-8 at byte 4 of the line (expected UTF-8 text)"},
  };
  for (const auto& bad : cases) {
    INFO(bad.fragment);
    write_bytes(file, bad.content);
    check_input_error(run_spikingbert("data --task " + bad.task + " --data " + quoted(file)), file.string(), bad.fragment,
                      output);
  }
}

TEST_CASE("errors: run-teacher inputs out of the model's range or disagreeing in shape", "[tools][errors]") {
  const auto folder = fresh_folder("errors-inputs");
  const auto output = folder / "out";
  fs::create_directories(output);
  const auto model = test_data("teacher-tiny");  // vocab_size 97, max_position_embeddings 64, type_vocab_size 2
  const auto run = [&](const fs::path& inputs, const std::string& extra = "") {
    return run_spikingbert("run-teacher --model " + model + " --inputs " + quoted(inputs) + " --output " +
                           quoted(output / "out.h5") + extra);
  };
  const std::vector<std::int64_t> ids{2, 5, 9, 3, 2, 7, 3, 0};
  struct Case {
    std::string name;
    std::vector<Dataset> datasets;
    std::string fragment;
    std::string extra = "";
  };
  const std::vector<Case> cases{
      {"sequence longer than the positions", {{"input_ids", {1, 65}, std::vector<std::int64_t>(65, 5)}},
       "dataset 'input_ids': sequence length 65 (expected at most max_position_embeddings = 64)"},
      {"token id beyond the vocabulary", {{"input_ids", {2, 4}, {2, 5, 97, 3, 2, 7, 3, 0}}},
       "dataset 'input_ids': element 2 is token 97 (expected ids in [0, 97))"},
      {"negative token id", {{"input_ids", {2, 4}, {2, 5, 9, 3, 2, -1, 3, 0}}}, "element 5 is token -1"},
      {"segment ids disagree in shape", {{"input_ids", {2, 4}, ids}, {"segment_ids", {2, 3}, {0, 0, 0, 0, 0, 0}}},
       "dataset 'segment_ids': shape [2,3] (expected [2,4])"},
      {"mask disagrees in shape", {{"input_ids", {2, 4}, ids}, {"attention_mask", {8}, std::vector<std::int64_t>(8, 1)}},
       "dataset 'attention_mask': shape [8] (expected [2,4])"},
      {"segment id beyond type_vocab_size", {{"input_ids", {2, 4}, ids}, {"segment_ids", {2, 4}, {0, 0, 1, 2, 0, 0, 0, 0}}},
       "dataset 'segment_ids': element 3 is 2 (expected segment ids in [0, 2))"},
      {"mask value not 0 or 1", {{"input_ids", {2, 4}, ids}, {"attention_mask", {2, 4}, {1, 1, 1, 1, 1, 1, 3, 0}}},
       "dataset 'attention_mask': element 6 is 3 (expected mask values 0 or 1)"},
      {"input_ids not 2-D", {{"input_ids", {8}, ids}}, "dataset 'input_ids': shape [8] (expected [batch, sequence])"},
      {"empty batch", {{"input_ids", {0, 4}, {}}}, "dataset 'input_ids': shape [0,4]"},
      {"labels disagree with the batch", {{"input_ids", {2, 4}, ids}, {"labels", {3}, {0, 1, 1}}},
       "dataset 'labels': shape [3] (expected [2])", " --grad"},
      {"label outside the classes", {{"input_ids", {2, 4}, ids}, {"labels", {2}, {0, 2}}},
       "dataset 'labels': element 1 is 2 (expected class indices in [0, num_labels))", " --grad"},
      {"input_ids missing", {{"token_ids", {2, 4}, ids}}, "/input_ids: dataset missing"},
  };
  for (const auto& bad : cases) {
    INFO(bad.name);
    const auto inputs = inputs_file(folder / "inputs.h5", bad.datasets);
    check_input_error(run(inputs, bad.extra), inputs.string(), bad.fragment, output);
  }
  // The valid inputs of the last cases really run, so the rows above fail for the stated reason.
  const auto good = inputs_file(folder / "inputs.h5", {{"input_ids", {2, 4}, ids}, {"labels", {2}, {0, 1}}});
  const auto result = run(good, " --grad");
  INFO(result.err);
  CHECK(result.exit_code == 0);
  CHECK(fs::exists(output / "out.h5"));
}

TEST_CASE("errors: command-line mistakes are one line too", "[tools][errors]") {
  const auto folder = fresh_folder("errors-cli");
  const auto output = folder / "out";
  fs::create_directories(output);
  const std::string run_teacher = "run-teacher --model " + test_data("teacher-tiny") + " --inputs " +
                                  test_data("teacher-tiny/case.h5") + " --output " + quoted(output / "out.h5");
  check_input_error(run_spikingbert(run_teacher + " --threads -1"), "command line", "--threads: is -1", output);
  check_input_error(run_spikingbert(run_teacher + " --threads two"), "command line", "--threads: 'two' is not an integer", output);
  check_input_error(run_spikingbert("data --task sst2"), "command line", "--data is required", output);
  check_input_error(run_spikingbert("data --task sst2 --data x --no-such-option"), "command line",
                    "not expected: --no-such-option", output);
  check_input_error(run_spikingbert(""), "command line", "A subcommand is required", output);
  check_input_error(run_spikingbert("data --task nope --data " + quoted(folder)), "command line", "--task", output);
  // An output in a folder that does not exist.
  check_input_error(run_spikingbert("convert --from-hf " + test_data("teacher-tiny") + " --output " +
                                    quoted(output / "missing" / "model.h5")),
                    (output / "missing" / "model.h5").string(), "the output folder does not exist", output);
  // Help and version stay successful and on stdout.
  CHECK(run_spikingbert("run-teacher --help").exit_code == 0);
}

TEST_CASE("errors: distill options", "[tools][errors][distill]") {
  const auto folder = fresh_folder("errors-distill");
  const auto output = folder / "out";
  fs::create_directories(output);
  const std::string teacher = test_data("teacher-tiny");  // a valid teacher, but with a 97-piece vocabulary
  const auto base = [&](const std::string& stage_and_more) {
    return "distill --teacher " + teacher + " --task sst2 --output " + quoted(output / "student.h5") + " " + stage_and_more;
  };
  check_input_error(run_spikingbert(base("--stage kd")), "command line", "--stage: unknown stage 'kd'", output);
  check_input_error(run_spikingbert(base("--stage pred --steps 0")), "command line", "--steps: must be positive", output);
  check_input_error(run_spikingbert(base("--stage pred --gradient backprop")), "command line",
                    "--gradient: unknown gradient mode 'backprop'", output);
  // Every GLUE task is accepted; a teacher with the wrong number of labels for it is not.
  check_input_error(run_spikingbert("distill --teacher " + teacher + " --task mnli --stage pred --output " +
                                    quoted(output / "student.h5")),
                    teacher, "config 'num_labels': 2 outputs", output);
  check_input_error(run_spikingbert("distill --teacher " + teacher + " --stage general --output " +
                                    quoted(output / "student.h5")),
                    "command line", "--corpus: missing", output);
  check_input_error(run_spikingbert(base("--stage pred --student-layers -1")), "command line",
                    "--student-layers: must be positive", output);
  check_input_error(run_spikingbert(base("--stage pred --validation-size -2")), "command line",
                    "--validation-size: is -2", output);
  check_input_error(run_spikingbert(base("--stage pred --temperature 0")), "command line", "--temperature", output);
  check_input_error(run_spikingbert(base("--stage pred --resume")), (output / "student.h5.state").string(),
                    "no training state to resume", output);
  const auto missing = (folder / "missing.h5").string();
  check_input_error(run_spikingbert("distill --teacher " + missing + " --task sst2 --stage pred --output " +
                                    quoted(output / "student.h5")),
                    missing, "does not exist", output);
  check_input_error(run_spikingbert(base("--stage pred --init " + missing)), missing, "does not exist", output);
  // The teacher's 97-piece vocabulary is not the tokenizer's.
  const std::string source = SPIKINGBERT_SOURCE_DIR;
  check_input_error(run_spikingbert(base("--stage pred")), source + "/data/vocab/bert-base-uncased.txt",
                    "vocabulary: 30522 tokens", output);
}

TEST_CASE("errors: sweep lists and adaptive-step options", "[tools][errors][sweep]") {
  const auto folder = fresh_folder("errors-sweep");
  const auto output = folder / "out";
  fs::create_directories(output);
  // The tiny model's 64-token vocabulary and a two-sentence SST-2 file made of its words.
  const auto vocab = folder / "vocab.txt", data = folder / "dev.tsv";
  {
    std::ofstream words(vocab);
    words << "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n";
    for (int i = 5; i < 64; ++i) words << "w" << i << "\n";
    std::ofstream(data) << "sentence\tlabel\nw5 w6 w7\t1\nw8\t0\n";
  }
  const auto glue = "--model " + test_data("tiny") + " --task sst2 --data " + quoted(data) + " --vocab " + quoted(vocab);
  const auto sweep = [&](const std::string& steps, const std::string& vth) {
    return run_spikingbert("sweep " + glue + " --steps " + steps + " --vth " + vth + " --output " +
                           quoted(output / "rows.csv"));
  };
  check_input_error(sweep("4,,8", "1"), "command line", "--steps: empty entry in '4,,8'", output);
  check_input_error(sweep("4,x", "1"), "command line", "--steps: 'x' is not a step count", output);
  check_input_error(sweep("0", "1"), "command line", "--steps: '0' is not a step count", output);
  check_input_error(sweep("8,", "1"), "command line", "--steps: empty entry", output);
  check_input_error(sweep("4", "0"), "command line", "--vth: '0' is not a threshold > 0", output);
  check_input_error(sweep("4", "1,-2"), "command line", "--vth: '-2' is not a threshold > 0", output);
  check_input_error(sweep("4", "nan"), "command line", "--vth: 'nan' is not a threshold > 0", output);
  check_input_error(sweep("4", "1e999"), "command line", "--vth: '1e999' is not a threshold > 0", output);
  check_input_error(run_spikingbert("sweep --random-model " + glue + " --steps 4 --vth 1"), "command line",
                    "--model: given with --random-model", output);
  check_input_error(run_spikingbert("sweep --task sst2 --data " + quoted(data) + " --vth 1 --output " +
                                    quoted(output / "rows.csv")),
                    "command line", "--steps is required", output);
  // Adaptive steps of run --task.
  const auto run = [&](const std::string& options) { return run_spikingbert("run " + glue + " " + options); };
  check_input_error(run("--steps-max 16 --converge-tol 0"), "command line", "--converge-tol: tolerance 0", output);
  check_input_error(run("--steps-max 16 --converge-tol -0.5"), "command line", "--converge-tol: tolerance -0.5", output);
  check_input_error(run("--converge-tol nan"), "command line", "--converge-tol: tolerance nan", output);
  check_input_error(run("--steps-max 16"), "command line", "--converge-tol: missing", output);
  check_input_error(run("--steps-max 0 --converge-tol 0.01"), "command line", "--steps-max: 0 steps", output);
  check_input_error(run("--steps-max 16 --converge-tol 0.01 --stable-steps 0"), "command line",
                    "--stable-steps: 0 steps", output);
  check_input_error(run("--converge-tol 0.01 --stable-steps 3"), "command line",
                    "--stable-steps: given without --steps-max", output);
  check_input_error(run("--steps-max 16 --converge-tol 0.01 --steps 8"), "command line",
                    "--steps: given with --steps-max", output);
  check_input_error(run("--steps-max 16 --converge-tol 0.01 --trace " + quoted(output / "t.h5")), "command line",
                    "--trace: given with --steps-max", output);
  check_input_error(run_spikingbert("run --model " + test_data("tiny") + " --inputs " + test_data("tiny/case.h5") +
                                    " --output " + quoted(output / "o.h5") + " --steps-max 8"),
                    "command line", "--steps-max: given without --task", output);
  // The valid forms of the same options run.
  const auto valid = run("--steps-max 8 --converge-tol 0.2 --stable-steps 2");
  INFO(valid.err);
  CHECK(valid.exit_code == 0);
  CHECK(sweep("2,3", "0.5,1").exit_code == 0);
  CHECK(fs::exists(output / "rows.csv"));
  fs::remove_all(folder);
}

// The `run` and `bench` rows, and the one --threads rule of every command (tools/commands/OptionChecks.hpp).
TEST_CASE("errors: run and bench options, and --threads 0 in every command", "[tools][errors]") {
  const auto folder = fresh_folder("errors-run-bench");
  const auto output = folder / "out";
  fs::create_directories(output);
  const std::string tiny = test_data("tiny");
  const std::string run = "run --model " + tiny + " --inputs " + test_data("tiny/case.h5") + " --output " + quoted(output / "out.h5");
  check_input_error(run_spikingbert(run + " --steps 0"), "command line", "--steps: is 0", output);
  check_input_error(run_spikingbert(run + " --steps -3"), "command line", "--steps: is -3", output);
  check_input_error(run_spikingbert(run + " --threads 0"), "command line", "--threads: is 0", output);
  check_input_error(run_spikingbert(run + " --threads 1.5"), "command line", "--threads: '1.5' is not an integer", output);
  check_input_error(run_spikingbert(run + " --kernel warp"), "command line", "--kernel: unknown kernel 'warp'", output);
  check_input_error(run_spikingbert(run + " --block 0"), "command line", "--block: must be positive", output);
  check_input_error(run_spikingbert(run + " --energy fp64"), "command line", "--energy", output);
  // A model folder that does not exist, and outputs in folders that do not exist.
  const auto missing_model = folder / "no-such-model";
  check_input_error(run_spikingbert("run --model " + quoted(missing_model) + " --inputs " + test_data("tiny/case.h5") +
                                    " --output " + quoted(output / "out.h5")),
                    missing_model.string(), "does not exist", output);
  check_input_error(run_spikingbert("run --model " + tiny + " --inputs " + test_data("tiny/case.h5") + " --output " +
                                    quoted(output / "missing" / "out.h5")),
                    (output / "missing" / "out.h5").string(), "the output folder does not exist", output);
  check_input_error(run_spikingbert(run + " --trace " + quoted(output / "missing" / "trace.h5")),
                    (output / "missing" / "trace.h5").string(), "the output folder does not exist", output);
  check_input_error(run_spikingbert(run + " --energy-json " + quoted(output / "missing" / "energy.json")),
                    (output / "missing" / "energy.json").string(), "the output folder does not exist", output);

  // run --task: the same rules, plus its own options.
  const std::string task = "run --model " + tiny + " --task sst2 --data " + std::string(SPIKINGBERT_SOURCE_DIR) + "/data/glue/SST-2/dev.tsv";
  check_input_error(run_spikingbert(task + " --limit -1"), "command line", "--limit: must not be negative", output);
  check_input_error(run_spikingbert(task + " --batch-size 0"), "command line", "--batch-size: is 0", output);
  check_input_error(run_spikingbert(task + " --steps 0"), "command line", "--steps: is 0", output);
  check_input_error(run_spikingbert(task + " --threads 0"), "command line", "--threads: is 0", output);
  check_input_error(run_spikingbert(task + " --random-model"), "command line", "--model: given with --random-model", output);
  check_input_error(run_spikingbert("run --task sst2 --data " + quoted(folder / "none.tsv") + " --random-model"),
                    (folder / "none.tsv").string(), "cannot open the file", output);

  // bench.
  check_input_error(run_spikingbert("bench --size huge"), "command line", "--size: unknown size 'huge'", output);
  check_input_error(run_spikingbert("bench --steps 0"), "command line", "--steps: must be positive", output);
  check_input_error(run_spikingbert("bench --sequence-length 0"), "command line", "--sequence-length: out of range", output);
  check_input_error(run_spikingbert("bench --asr 1.5"), "command line", "--asr: must lie in (0, 1)", output);
  check_input_error(run_spikingbert("bench --threads 0"), "command line", "--threads: is 0", output);

  // --threads 0 is the same error in every command that has --threads.
  check_input_error(run_spikingbert("run-teacher --model " + test_data("teacher-tiny") + " --inputs " +
                                    test_data("teacher-tiny/case.h5") + " --output " + quoted(output / "o.h5") + " --threads 0"),
                    "command line", "--threads: is 0 (expected a thread count >= 1", output);
  check_input_error(run_spikingbert("train-teacher --task sst2 --size tiny --output " + quoted(output / "t.h5") + " --threads 0"),
                    "command line", "--threads: is 0 (expected a thread count >= 1", output);
  check_input_error(run_spikingbert("grad --model " + tiny + " --inputs " + test_data("tiny/case.h5") + " --output " +
                                    quoted(output / "g.h5") + " --threads 0"),
                    "command line", "--threads: is 0 (expected a thread count >= 1", output);
  check_input_error(run_spikingbert("grad --model " + tiny + " --inputs " + test_data("tiny/case.h5") + " --output " +
                                    quoted(output / "g.h5") + " --steps 0"),
                    "command line", "--steps: is 0", output);
  // The valid run above really runs (so each row fails for its stated reason), with the default threads.
  const auto good = run_spikingbert(run);
  INFO(good.err);
  CHECK(good.exit_code == 0);
  CHECK(fs::exists(output / "out.h5"));
  fs::remove_all(folder);
}
