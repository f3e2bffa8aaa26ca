// Issue 16, the second hardening round: each numbered finding, given to the real program, ends as a clear
// exit-2 error (one line, no crash, no temporary file left) or behaves correctly. docs/errors.md lists each
// row with the test case here that covers it.
#include "support/ChildProcess.hpp"
#include "support/RunCommand.hpp"
#include "tools/TinyGlue.hpp"

#include "io/Checkpoint.hpp"
#include "io/Hdf5File.hpp"
#include "io/ModelConfig.hpp"
#include "io/Safetensors.hpp"
#include "training/ResumeChecks.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <filesystem>
#include <fstream>
#include <limits>
#include <regex>
#include <string>
#include <vector>

using namespace spikingbert;
using spikingbert::testing::ChildProcess;
using spikingbert::testing::CommandResult;
using spikingbert::testing::fresh_folder;
using spikingbert::testing::read_whole_file;
using spikingbert::testing::run_shell;
using spikingbert::testing::run_spikingbert;
using spikingbert::testing::test_data;
namespace fs = std::filesystem;

namespace {

std::string shell_quoted(const fs::path& path) {
  std::string text = "'";
  text += path.string();
  text += '\'';
  return text;
}

std::string program() { return shell_quoted(SPIKINGBERT_EXECUTABLE); }

void write_bytes(const fs::path& path, const std::string& bytes) { std::ofstream(path, std::ios::binary) << bytes; }

// Exit 2, one line `spikingbert: error: FILE...` holding `fragment`, nothing on stdout, no internal error.
void check_error(const CommandResult& result, const std::string& fragment, const std::string& file = "") {
  INFO("stderr: " << result.err);
  CHECK(result.exit_code == 2);
  CHECK(result.out.empty());
  CHECK(result.err.starts_with("spikingbert: error: " + file));
  CHECK(std::count(result.err.begin(), result.err.end(), '\n') == 1);
  CHECK(result.err.find(" (expected ") != std::string::npos);
  CHECK(result.err.find(fragment) != std::string::npos);
  CHECK(result.err.find("internal error") == std::string::npos);
}

// Every file in `folder` (names), sorted.
std::vector<std::string> files_in(const fs::path& folder) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(folder)) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

std::string u64_bytes(std::uint64_t value) {
  std::string bytes(8, '\0');
  for (int i = 0; i < 8; ++i) bytes[static_cast<std::size_t>(i)] = static_cast<char>((value >> (8 * i)) & 0xFF);
  return bytes;
}

// A folder whose disk is (almost) full. As root: a tmpfs of kSize KiB mounted on it and filled up to
// `free_kib` KiB. Otherwise (mount impossible): the commands run under `ulimit -f` with SIGXFSZ ignored, so
// a write beyond the limit fails with EFBIG, the same failure path as ENOSPC.
class FullDisk {
 public:
  static constexpr int kSizeKib = 1024;
  FullDisk(const std::string& name, int free_kib) : folder_(fresh_folder(name)) {
    mounted_ = std::system(("mount -t tmpfs -o size=" + std::to_string(kSizeKib) + "k tmpfs " + shell_quoted(folder_) +
                            " 2>/dev/null")
                               .c_str()) == 0;
    if (mounted_) {
      write_bytes(folder_ / "filler", std::string(static_cast<std::size_t>(kSizeKib - free_kib) * 1024, 'x'));
    } else {
      // dash counts ulimit -f in 512-byte blocks.
      prefix_ = "trap '' XFSZ; ulimit -f " + std::to_string(free_kib * 2) + "; ";
      WARN("tmpfs mount impossible (not root?): disk full injected with ulimit -f instead");
    }
  }
  ~FullDisk() {
    if (mounted_) std::system(("umount " + shell_quoted(folder_)).c_str());
    std::error_code ignored;
    fs::remove_all(folder_, ignored);
  }
  const fs::path& folder() const { return folder_; }
  CommandResult run(const std::string& arguments) const { return run_shell(prefix_ + program() + " " + arguments); }
  // What is left in the folder besides the filler.
  std::vector<std::string> leftovers() const {
    auto names = files_in(folder_);
    names.erase(std::remove(names.begin(), names.end(), "filler"), names.end());
    return names;
  }

 private:
  fs::path folder_;
  bool mounted_ = false;
  std::string prefix_;
};

// The tiny spiking student (tests/data/tiny) as a Hugging Face folder with its tensors changed by `change`.
fs::path student_folder(const fs::path& parent, const std::function<void(io::TensorMap&)>& change) {
  const auto folder = parent / "student";
  fs::create_directories(folder);
  fs::copy_file(test_data("tiny/config.json"), folder / "config.json", fs::copy_options::overwrite_existing);
  auto tensors = io::read_safetensors(test_data("tiny/model.safetensors"));
  change(tensors);
  io::write_safetensors(folder / "model.safetensors", tensors);
  return folder;
}

nlohmann::json json_of(const fs::path& path) { return nlohmann::json::parse(read_whole_file(path)); }

// A small SST-2 file of the tiny vocabulary's words.
std::string tiny_sst2(const fs::path& folder, int count) { return testing::write_many_sst2(folder, count); }

std::string run_task(const fs::path& folder, const std::string& data) {
  return "run --model " + test_data("tiny") + " --task sst2 --data " + shell_quoted(data) + " --vocab " +
         shell_quoted(folder / "vocab.txt") + " --batch-size 1 --threads 1";
}

}  // namespace

// ---------------------------------------------------------------------------------------- items 1, 2, 11

TEST_CASE("hardening 1-2: a full disk while writing run --output or a checkpoint ends with exit 2 and no temporary",
          "[tools][hardening]") {
  const FullDisk disk("hardening-full", 16);
  const auto run = disk.run("run --model " + test_data("tiny") + " --inputs " + test_data("tiny/case.h5") +
                            " --threads 1 --output " + shell_quoted(disk.folder() / "out.h5"));
  check_error(run, "", (disk.folder() / "out.h5").string());
  CHECK(disk.leftovers().empty());
  // Every checkpoint goes through the same Hdf5Writer: convert, and run-teacher --grad.
  const auto convert = disk.run("convert --from-hf " + test_data("teacher-tiny") + " --output " +
                                shell_quoted(disk.folder() / "teacher.h5"));
  check_error(convert, "", (disk.folder() / "teacher.h5").string());
  CHECK(disk.leftovers().empty());
  const auto grad = disk.run("run-teacher --model " + test_data("teacher-tiny") + " --inputs " +
                             test_data("teacher-tiny/case.h5") + " --grad --threads 1 --output " +
                             shell_quoted(disk.folder() / "grad.h5"));
  check_error(grad, "", (disk.folder() / "grad.h5").string());
  CHECK(disk.leftovers().empty());
}

TEST_CASE("hardening 1, 11: a full disk while a trace is written: exit 2 on a fresh line after the progress line, "
          "the .partial removed",
          "[tools][hardening]") {
  const auto data_folder = fresh_folder("hardening-trace-data");
  testing::write_tiny_vocabulary(data_folder);
  const auto data = tiny_sst2(data_folder, 200);
  const FullDisk disk("hardening-trace-full", 96);
  const auto trace = disk.folder() / "trace.h5";
  const auto result = disk.run(run_task(data_folder, data) + " --trace " + shell_quoted(trace) + " --trace-level spikes");
  INFO("stderr: " << result.err);
  CHECK(result.exit_code == 2);
  CHECK(result.err.find("internal error") == std::string::npos);
  // The error is the last line and starts it, even after a "\r[3/200 examples] ..." progress line.
  const auto error_at = result.err.find("spikingbert: error: " + trace.string());
  REQUIRE(error_at != std::string::npos);
  CHECK((error_at == 0 || result.err[error_at - 1] == '\n'));
  CHECK(result.err.find('\n', error_at) == result.err.size() - 1);
  CHECK(disk.leftovers().empty());  // no trace.h5, no unreadable trace.h5.partial holding the disk
  fs::remove_all(data_folder);
}

// ---------------------------------------------------------------------------------------- item 3

TEST_CASE("hardening 3: two runs writing one trace: the second is refused, the first's trace stays complete",
          "[tools][hardening]") {
  const auto folder = fresh_folder("hardening-concurrent");
  testing::write_tiny_vocabulary(folder);
  const auto data = tiny_sst2(folder, 3000);
  const auto trace = folder / "trace.h5";
  const auto partial = trace.string() + ".partial";
  ChildProcess first(run_task(folder, data) + " --trace " + shell_quoted(trace), folder, "first");
  // Piped progress: a line after the first round of examples (commands/Progress.cpp); the trace is open by then.
  REQUIRE(first.wait_until([&] { return first.err().find("/3000 examples]") != std::string::npos; }));
  REQUIRE(first.running());
  const auto second = run_spikingbert(run_task(folder, data) + " --limit 2 --trace " + shell_quoted(trace));
  check_error(second, "another run is writing this trace right now", trace.string());
  REQUIRE(fs::exists(partial));  // the first run's file is untouched
  first.signal(SIGINT);          // ends the first run early; it closes and renames its trace
  CHECK(first.wait() == 130);
  const io::Hdf5Reader reader(trace);
  CHECK(reader.read_attribute_int("/", "complete") == 1);
  const auto completed = reader.read_attribute_double("/", "examples_completed");
  CHECK(completed >= 2);
  CHECK(static_cast<double>(reader.read_ints("examples/index").values.size()) == completed);

  // A .partial left by a killed run (nobody holds its lock) is taken over by the next run.
  write_bytes(partial, "left by a killed run");
  const auto after_kill = run_spikingbert(run_task(folder, data) + " --limit 2 --trace " + shell_quoted(trace));
  INFO(after_kill.err);
  CHECK(after_kill.exit_code == 0);
  CHECK_FALSE(fs::exists(partial));
  CHECK(io::Hdf5Reader(trace).read_attribute_double("/", "examples_completed") == 2);

  // Two runs writing the same --output at once: each fills its own exclusive temporary; both finish and the
  // output is one complete file.
  const auto output = folder / "out.h5";
  const std::string run_inputs = "run --model " + test_data("tiny") + " --inputs " + test_data("tiny/case.h5") +
                                 " --threads 1 --output " + shell_quoted(output);
  ChildProcess parallel(run_inputs, folder, "parallel");
  const auto other = run_spikingbert(run_inputs);
  CHECK(other.exit_code == 0);
  CHECK(parallel.wait() == 0);
  CHECK(io::Hdf5Reader(output).has("forward"));
  for (const auto& name : files_in(folder)) CHECK(name.find(".tmp.") == std::string::npos);
  fs::remove_all(folder);
}

// ---------------------------------------------------------------------------------------- item 4

TEST_CASE("hardening 4: NaN, infinite and float32-overflowing weights of a spiking student are refused",
          "[tools][hardening]") {
  const auto folder = fresh_folder("hardening-student-weights");
  const std::string inputs = " --inputs " + test_data("tiny/case.h5") + " --threads 1 --output " + shell_quoted(folder / "out.h5");
  const auto nan_folder = student_folder(folder, [](io::TensorMap& tensors) {
    tensors.rbegin()->second.values[3] = std::numeric_limits<float>::quiet_NaN();  // word embeddings [64, 32]
  });
  check_error(run_spikingbert("run --model " + shell_quoted(nan_folder) + inputs), "element 3 is NaN",
              (nan_folder / "model.safetensors").string());
  // The native checkpoint of the same student with an infinite weight.
  auto tensors = io::read_safetensors(test_data("tiny/model.safetensors"));
  tensors.begin()->second.values[0] = std::numeric_limits<float>::infinity();  // classification.bias [2]
  const auto checkpoint = folder / "student.h5";
  io::write_checkpoint(checkpoint, io::read_model_config(test_data("tiny/config.json")), tensors);
  check_error(run_spikingbert("run --model " + shell_quoted(checkpoint) + inputs), "element 0 is infinite", checkpoint.string());
  // A float64 1e300 does not silently become infinity.
  const std::string header = R"({"w":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}})";
  double huge = 1e300;
  std::string value(8, '\0');
  std::memcpy(value.data(), &huge, 8);
  write_bytes(nan_folder / "model.safetensors", u64_bytes(header.size()) + header + value);
  check_error(run_spikingbert("run --model " + shell_quoted(nan_folder) + inputs), "beyond float32's range");
  CHECK(files_in(folder) == std::vector<std::string>{"student", "student.h5"});
  fs::remove_all(folder);
}

// ---------------------------------------------------------------------------------------- item 5

TEST_CASE("hardening 5: no output may be an input of the same command (same path or a link)", "[tools][hardening]") {
  const auto folder = fresh_folder("hardening-clobber");
  fs::copy_file(test_data("tiny/case.h5"), folder / "case.h5");
  const auto original = read_whole_file(folder / "case.h5");
  const auto checkpoint = folder / "student.h5";
  io::write_checkpoint(checkpoint, io::read_model_config(test_data("tiny/config.json")),
                       io::read_safetensors(test_data("tiny/model.safetensors")));
  const auto model_bytes = read_whole_file(checkpoint);
  const std::string run = "run --model " + shell_quoted(checkpoint) + " --threads 1 --inputs " + shell_quoted(folder / "case.h5");
  check_error(run_spikingbert(run + " --output " + shell_quoted(folder / "case.h5")), "is an input of this command");
  fs::create_hard_link(folder / "case.h5", folder / "link.h5");
  check_error(run_spikingbert(run + " --output " + shell_quoted(folder / "link.h5")), "is an input of this command");
  fs::create_symlink(folder / "case.h5", folder / "symlink.h5");
  check_error(run_spikingbert(run + " --output " + shell_quoted(folder / "symlink.h5")), "is an input of this command");
  check_error(run_spikingbert(run + " --output " + shell_quoted(folder / "o.h5") + " --trace " + shell_quoted(checkpoint)),
              "is an input of this command", checkpoint.string());
  check_error(run_spikingbert(run + " --output " + shell_quoted(folder / "o.h5") + " --trace " + shell_quoted(folder / "o.h5")),
              "is given as two outputs");
  // A file inside a model folder is an input too.
  fs::create_directories(folder / "hf");
  fs::copy_file(test_data("tiny/config.json"), folder / "hf" / "config.json");
  fs::copy_file(test_data("tiny/model.safetensors"), folder / "hf" / "model.safetensors");
  check_error(run_spikingbert("run --model " + shell_quoted(folder / "hf") + " --threads 1 --inputs " + shell_quoted(folder / "case.h5") +
                              " --output " + shell_quoted(folder / "hf" / "model.safetensors")),
              "is an input of this command");
  // --energy-json onto the GLUE data.
  testing::write_tiny_vocabulary(folder);
  const auto data = testing::write_small_sst2(folder);
  const auto data_bytes = read_whole_file(data);
  check_error(run_spikingbert(run_task(folder, data) + " --energy-json " + shell_quoted(data)), "is an input of this command");
  // distill --teacher T --output T.
  const auto teacher = folder / "teacher.h5";
  REQUIRE(run_spikingbert("convert --from-hf " + test_data("teacher-tiny") + " --output " + shell_quoted(teacher)).exit_code == 0);
  const auto teacher_bytes = read_whole_file(teacher);
  check_error(run_spikingbert("distill --task sst2 --stage pred --teacher " + shell_quoted(teacher) + " --output " + shell_quoted(teacher)),
              "is an input of this command", teacher.string());
  CHECK(read_whole_file(folder / "case.h5") == original);
  CHECK(read_whole_file(checkpoint) == model_bytes);
  CHECK(read_whole_file(data) == data_bytes);
  CHECK(read_whole_file(teacher) == teacher_bytes);
  for (const auto& name : files_in(folder)) CHECK(name.find(".tmp.") == std::string::npos);
  fs::remove_all(folder);
}

// ---------------------------------------------------------------------------------------- item 6

TEST_CASE("hardening 6: --resume refuses changed options, a missing best checkpoint and an invalid state step",
          "[tools][hardening]") {
  const auto folder = fresh_folder("hardening-resume");
  {
    std::ifstream full(std::string(SPIKINGBERT_SOURCE_DIR) + "/data/glue/SST-2/dev.tsv");
    std::ofstream dev(folder / "dev.tsv");
    std::string line;
    for (int i = 0; i <= 32 && std::getline(full, line); ++i) dev << line << "\n";
    std::ifstream full_train(std::string(SPIKINGBERT_SOURCE_DIR) + "/data/glue/SST-2/train.tsv");
    std::ofstream train(folder / "train.tsv");
    for (int i = 0; i <= 64 && std::getline(full_train, line); ++i) train << line << "\n";
  }
  const auto output = folder / "teacher.h5";
  const auto state = fs::path(output.string() + ".state");
  const std::string training = "train-teacher --task sst2 --size tiny --epochs 1 --batch-size 16 --evaluations-per-epoch 1"
                               " --threads 1 --quiet --train " + shell_quoted(folder / "train.tsv") + " --dev " +
                               shell_quoted(folder / "dev.tsv") +
                               " --output " + shell_quoted(output);
  const auto first = run_spikingbert(training);
  INFO(first.err);
  REQUIRE(first.exit_code == 0);
  REQUIRE(fs::exists(state));
  // The same options resume (the run is complete: nothing left to train).
  CHECK(run_spikingbert(training + " --resume").exit_code == 0);
  check_error(run_spikingbert(training + " --resume --seed 7"), "the interrupted run used --seed 42, this one --seed 7",
              state.string());
  check_error(run_spikingbert(training + " --resume --learning-rate 0.001"), "this one --learning-rate 0.001",
              state.string());
  check_error(run_spikingbert(training + " --resume --dropout 0.2"), "this one --dropout 0.2");
  // Invalid counters in the state's metadata.
  const auto saved = io::read_checkpoint(state);
  for (const std::string step : {"-5", "99999999999", "four"}) {
    auto changed = saved;
    changed.metadata["step"] = step;
    io::write_checkpoint(state, changed);
    check_error(run_spikingbert(training + " --resume"), "metadata 'step': is '" + step + "'", state.string());
  }
  io::write_checkpoint(state, saved);
  // The best checkpoint of the interrupted run is gone.
  fs::remove(output);
  check_error(run_spikingbert(training + " --resume"), "missing: the interrupted run saved its best checkpoint",
              output.string());
  // The rule itself, as distill uses it too.
  std::map<std::string, std::string> metadata;
  training::store_run_options({{"--learning-rate", "5e-05"}, {"--steps", "16"}}, metadata);
  CHECK_NOTHROW(training::check_run_options({{"--learning-rate", "5e-05"}, {"--steps", "16"}}, metadata, "s"));
  CHECK_THROWS_WITH(training::check_run_options({{"--learning-rate", "5e-05"}, {"--steps", "8"}}, metadata, "s"),
                    Catch::Contains("the interrupted run used --steps 16, this one --steps 8"));
  fs::remove_all(folder);
}

// ---------------------------------------------------------------------------------------- item 7

TEST_CASE("hardening 7: declared sizes beyond the model are refused before anything is allocated", "[tools][hardening]") {
  const auto folder = fresh_folder("hardening-sizes");
  // A student checkpoint with an unused tensor far larger than the whole model.
  auto tensors = io::read_safetensors(test_data("tiny/model.safetensors"));
  tensors["unused"] = io::Tensor{{1024, 1024}, std::vector<float>(1024 * 1024, 0.5f)};
  const auto checkpoint = folder / "bomb.h5";
  io::write_checkpoint(checkpoint, io::read_model_config(test_data("tiny/config.json")), tensors);
  check_error(run_spikingbert("run --model " + shell_quoted(checkpoint) + " --threads 1 --inputs " + test_data("tiny/case.h5") +
                              " --output " + shell_quoted(folder / "o.h5")),
              "tensor 'unused': declares 1048576 elements", checkpoint.string());
  // A config with 10^6 layers, refused at once (not after 22 s or 4 GB).
  const auto hf = folder / "hf";
  fs::create_directories(hf);
  auto config = json_of(test_data("teacher-tiny/config.json"));
  config["num_hidden_layers"] = 1000000;
  write_bytes(hf / "config.json", config.dump());
  fs::copy_file(test_data("teacher-tiny/model.safetensors"), hf / "model.safetensors");
  check_error(run_spikingbert("convert --from-hf " + shell_quoted(hf) + " --output " + shell_quoted(folder / "o.h5")),
              "key 'num_hidden_layers': is 1000000", (hf / "config.json").string());
  check_error(run_spikingbert("run-teacher --model " + shell_quoted(hf) + " --inputs " + test_data("teacher-tiny/case.h5") +
                              " --output " + shell_quoted(folder / "o.h5")),
              "key 'num_hidden_layers': is 1000000");
  // Sizes within the layer bound that still make a huge model: the parameter estimate.
  config["num_hidden_layers"] = 900;
  config["hidden_size"] = 4096;
  config["num_attention_heads"] = 4;
  write_bytes(hf / "config.json", config.dump());
  check_error(run_spikingbert("convert --from-hf " + shell_quoted(hf) + " --output " + shell_quoted(folder / "o.h5")),
              "the declared sizes make a model of");
  CHECK(files_in(folder) == std::vector<std::string>{"bomb.h5", "hf"});
  fs::remove_all(folder);
}

// ---------------------------------------------------------------------------------------- item 8

TEST_CASE("hardening 8: --steps and --threads have upper bounds", "[tools][hardening]") {
  const auto folder = fresh_folder("hardening-bounds");
  const std::string run = "run --model " + test_data("tiny") + " --inputs " + test_data("tiny/case.h5") + " --output " +
                          shell_quoted(folder / "o.h5");
  check_error(run_spikingbert(run + " --steps 1000000000"), "command line:--steps: is 1000000000 (expected T >= 1 (at most 100000)");
  check_error(run_spikingbert(run + " --threads 1000000"), "command line:--threads: is 1000000 (expected a thread count >= 1 (at most 1024)");
  check_error(run_spikingbert(run + " --threads 99999999999999999999"), "--threads: '99999999999999999999' is out of range");
  check_error(run_spikingbert("bench --steps 1000000000"), "--steps: is 1000000000");
  check_error(run_spikingbert("sweep --random-model --task sst2 --data x.tsv --steps 4,1000000000 --vth 1"),
              "--steps: is 1000000000");
  check_error(run_spikingbert("distill --task sst2 --stage pred --teacher t.h5 --output " + shell_quoted(folder / "s.h5") +
                              " --threads 1000000"),
              "--threads: is 1000000");
  CHECK(fs::is_empty(folder));
  fs::remove_all(folder);
}

// ---------------------------------------------------------------------------------------- item 9

TEST_CASE("hardening 9: every output location is checked before any work", "[tools][hardening]") {
  const auto folder = fresh_folder("hardening-outputs-first");
  const auto missing = run_spikingbert("train-teacher --task sst2 --size tiny --output " + shell_quoted(folder / "missing" / "t.h5"));
  check_error(missing, "the output folder does not exist");
  CHECK(missing.err.find("train-teacher:") == std::string::npos);  // no data read, no training started
  // A folder where nothing can be created: a read-only tmpfs as root, else a folder without write permission.
  const auto read_only = folder / "read-only";
  fs::create_directories(read_only);
  const bool mounted = std::system(("mount -t tmpfs -o ro,size=64k tmpfs " + shell_quoted(read_only) + " 2>/dev/null").c_str()) == 0;
  if (!mounted) fs::permissions(read_only, fs::perms::owner_read | fs::perms::owner_exec);
  testing::write_tiny_vocabulary(folder);
  const auto data = testing::write_small_sst2(folder);
  const auto energy = run_spikingbert(run_task(folder, data) + " --energy-json " + shell_quoted(read_only / "energy.json"));
  check_error(energy, "cannot create a file in the output folder", (read_only / "energy.json").string());
  CHECK(energy.err.find("examples]") == std::string::npos);  // failed before the simulation's first batch
  if (mounted) std::system(("umount " + shell_quoted(read_only)).c_str());
  fs::permissions(read_only, fs::perms::owner_all);
  fs::remove_all(folder);
}

// ---------------------------------------------------------------------------------------- items 10, 12

TEST_CASE("hardening 10, 12: --max-length beyond the model or negative is an exit-2 error in every command",
          "[tools][hardening]") {
  const auto folder = fresh_folder("hardening-max-length");
  testing::write_tiny_vocabulary(folder, 97);  // teacher-tiny's vocabulary size
  const auto data = testing::write_small_sst2(folder);
  const std::string teacher = "run-teacher --model " + test_data("teacher-tiny") + " --task sst2 --data " + shell_quoted(data) +
                              " --vocab " + shell_quoted(folder / "vocab.txt");
  check_error(run_spikingbert(teacher + " --max-length 600"),
              "command line:--max-length: 600 tokens (expected at most the model's max_position_embeddings 64)");
  check_error(run_spikingbert(teacher + " --max-length -3"), "command line:--max-length: is -3");
  check_error(run_spikingbert("train-teacher --task sst2 --size tiny --max-length -3 --output " + shell_quoted(folder / "t.h5")),
              "command line:--max-length: is -3");
  check_error(run_spikingbert("distill --task sst2 --stage pred --teacher t.h5 --max-length -3 --output " +
                              shell_quoted(folder / "s.h5")),
              "command line:--max-length: is -3");
  CHECK(files_in(folder) == std::vector<std::string>{"dev.tsv", "vocab.txt"});
  fs::remove_all(folder);
}

// ---------------------------------------------------------------------------------------- item 11

TEST_CASE("hardening 11: messages show data escaped, blame the right file and name float32's range",
          "[tools][hardening]") {
  const auto folder = fresh_folder("hardening-messages");
  // A label holding an escape sequence and a NUL: shown as \x1B and \x00, the line is not cut.
  const auto file = folder / "dev.tsv";
  write_bytes(file, std::string("sentence\tlabel\nfine\t1\nbad\t\x1B[2J\x1B[31mred") + std::string(1, '\0') + "tail\n");
  const auto escaped = run_spikingbert("data --task sst2 --data " + shell_quoted(file));
  check_error(escaped, "label '\\x1B[2J\\x1B[31mred\\x00tail' is not a class", file.string());
  CHECK(escaped.err.find('\x1B') == std::string::npos);
  CHECK(escaped.err.find('\0') == std::string::npos);
  // V_th that float32 rounds to 0.
  const auto student = student_folder(folder, [](io::TensorMap&) {});
  auto config = json_of(student / "config.json");
  config["vth"] = 1e-300;
  write_bytes(student / "config.json", config.dump());
  check_error(run_spikingbert("run --model " + shell_quoted(student) + " --inputs " + test_data("tiny/case.h5") +
                              " --output " + shell_quoted(folder / "o.h5")),
              "key 'vth': is 1e-300, outside float32's range", (student / "config.json").string());
  // A bad hidden_act is a config.json problem, not a weights problem.
  const auto hf = folder / "hf";
  fs::create_directories(hf);
  auto teacher_config = json_of(test_data("teacher-tiny/config.json"));
  teacher_config["hidden_act"] = "relu";
  write_bytes(hf / "config.json", teacher_config.dump());
  fs::copy_file(test_data("teacher-tiny/model.safetensors"), hf / "model.safetensors");
  check_error(run_spikingbert("run-teacher --model " + shell_quoted(hf) + " --inputs " + test_data("teacher-tiny/case.h5") +
                              " --output " + shell_quoted(folder / "o.h5")),
              "key 'hidden_act': activation \"relu\" is not supported", (hf / "config.json").string());
  // The rule itself: C0, DEL, C1 and invalid bytes escaped, UTF-8 text kept.
  CHECK(io::escape_for_terminal(std::string("a\tb\nc\x7F\xC2\x9B\xFF caf\xC3\xA9")) == "a\\x09b\\x0Ac\\x7F\\xC2\\x9B\\xFF caf\xC3\xA9");
  CHECK(std::string(io::InputError("f", "p", std::string("x\0y", 3)).what()) == "f:p: x\\x00y");
  fs::remove_all(folder);
}

// ---------------------------------------------------------------------------------------- item 12

TEST_CASE("hardening 12: a headerless SST-2 file, duplicate config keys and vocabulary entries, integer weights",
          "[tools][hardening]") {
  const auto folder = fresh_folder("hardening-silent");
  const auto file = folder / "dev.tsv";
  write_bytes(file, "a fine movie\t1\na dull one\t0\n");
  check_error(run_spikingbert("data --task sst2 --data " + shell_quoted(file)),
              "line 1: the first line is an example (label '1'), not the header", file.string());
  const auto stsb = folder / "stsb.tsv";
  write_bytes(stsb, "0\tg\tf\ty\t0\tn\tn\ta\tb\t3.2\n1\tg\tf\ty\t0\tn\tn\tc\td\t1.0\n");
  check_error(run_spikingbert("data --task stsb --data " + shell_quoted(stsb)), "the first line is an example (label '3.2')");
  // Duplicate keys in config.json.
  const auto student = student_folder(folder, [](io::TensorMap&) {});
  auto text = read_whole_file(student / "config.json");
  text.insert(text.find('{') + 1, "\"vth\": 0.5, ");
  write_bytes(student / "config.json", text);
  check_error(run_spikingbert("run --model " + shell_quoted(student) + " --inputs " + test_data("tiny/case.h5") +
                              " --output " + shell_quoted(folder / "o.h5")),
              "key 'vth': appears twice in one object", (student / "config.json").string());
  // Duplicate vocabulary entries.
  const auto vocab = testing::write_tiny_vocabulary(folder);
  std::ofstream(vocab, std::ios::app) << "w7\n";
  check_error(run_spikingbert("tokenize --vocab " + shell_quoted(vocab) + " w5"),
              "line 65: token 'w7' appears again (first on line 8)", vocab);
  // An integer-typed weight tensor, in safetensors and in a native checkpoint.
  const auto hf = folder / "hf";
  fs::create_directories(hf);
  fs::copy_file(test_data("teacher-tiny/config.json"), hf / "config.json");
  const std::string header = R"({"classifier.bias":{"dtype":"I32","shape":[2],"data_offsets":[0,8]}})";
  write_bytes(hf / "model.safetensors", u64_bytes(header.size()) + header + std::string(8, '\0'));
  check_error(run_spikingbert("convert --from-hf " + shell_quoted(hf) + " --output " + shell_quoted(folder / "o.h5")),
              "tensor 'classifier.bias': dtype I32 is an integer type", (hf / "model.safetensors").string());
  const auto checkpoint = folder / "ints.h5";
  {
    io::Hdf5Writer writer(checkpoint);
    writer.write_attribute("/", "format", std::string(io::kCheckpointFormat));
    writer.write_attribute("/", "format_version", io::kCheckpointFormatVersion);
    writer.write_attribute("/", "config", io::to_json(io::read_model_config(test_data("tiny/config.json"))).dump());
    writer.write_ints("/tensors/classifier.bias", {2}, {1, 2});
    writer.commit();
  }
  check_error(run_spikingbert("run --model " + shell_quoted(checkpoint) + " --inputs " + test_data("tiny/case.h5") +
                              " --output " + shell_quoted(folder / "o.h5")),
              "tensor 'classifier.bias': is not a floating-point dataset", checkpoint.string());
  fs::remove_all(folder);
}
