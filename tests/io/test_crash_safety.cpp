// Crash safety of every writer in io/: a writer that fails (throws) or whose process is killed before
// commit never touches the destination. A failed writer also leaves no temporary behind; a killed one can
// only leave its hidden temporary (".NAME.tmp.PID.N"), never a half-written NAME.
#include "support/RunCommand.hpp"

#include "io/AtomicFile.hpp"
#include "io/Checkpoint.hpp"
#include "io/Error.hpp"
#include "io/Hdf5File.hpp"
#include "io/ModelConfig.hpp"
#include "io/Safetensors.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <functional>
#include <stdexcept>
#include <sys/wait.h>
#include <unistd.h>

using namespace spikingbert::io;
using spikingbert::testing::fresh_folder;
using spikingbert::testing::read_whole_file;
namespace fs = std::filesystem;

namespace {

const std::string kOldContent = "the previous output, which must survive\n";

std::vector<std::string> folder_names(const fs::path& folder) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(folder)) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// Runs `write` in a child process that kills itself with SIGKILL at the point `write` chooses (it calls the
// given function); returns once the child is dead.
void run_killed_child(const std::function<void(const std::function<void()>&)>& write) {
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    write([] { ::raise(SIGKILL); });
    ::_exit(0);  // not reached if write called the kill
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGKILL);
}

ModelConfig small_config() {
  return parse_model_config({{"vocab_size", 10}, {"hidden_size", 4}, {"num_hidden_layers", 1}, {"num_attention_heads", 2},
                             {"intermediate_size", 8}},
                            "test");
}

}  // namespace

TEST_CASE("a writer that throws leaves the previous output and no temporary", "[io][atomic][crash]") {
  const auto folder = fresh_folder("crash-throw");
  const auto destination = folder / "out.bin";
  std::ofstream(destination) << kOldContent;

  // safetensors: a tensor whose values do not fill its shape is refused while writing.
  std::map<std::string, SafetensorsTensor> bad{{"w", SafetensorsTensor{SafetensorsDtype::F32, {4}, std::vector<std::byte>(3)}}};
  CHECK_THROWS_AS(write_safetensors(destination, bad), std::invalid_argument);
  CHECK(read_whole_file(destination) == kOldContent);
  CHECK(folder_names(folder) == std::vector<std::string>{"out.bin"});

  // checkpoint: a tensor name HDF5 cannot store is refused after the file was created.
  CHECK_THROWS_AS(write_checkpoint(destination, small_config(), TensorMap{{"a", Tensor{{1}, {1.0f}}}, {"b/c", Tensor{{1}, {2.0f}}}}),
                  InputError);
  CHECK(read_whole_file(destination) == kOldContent);
  CHECK(folder_names(folder) == std::vector<std::string>{"out.bin"});

  // Hdf5Writer abandoned half-way (an exception between two datasets).
  try {
    Hdf5Writer writer(destination);
    writer.write_tensor("first", Tensor{{2}, {1.0f, 2.0f}});
    throw std::runtime_error("stop before commit");
  } catch (const std::runtime_error&) {
  }
  CHECK(read_whole_file(destination) == kOldContent);
  CHECK(folder_names(folder) == std::vector<std::string>{"out.bin"});
}

TEST_CASE("a writer killed before commit never leaves a half-written destination", "[io][atomic][crash]") {
  const auto folder = fresh_folder("crash-kill");
  const auto destination = folder / "out.h5";
  std::ofstream(destination) << kOldContent;

  // HDF5 writer killed after writing a dataset.
  run_killed_child([&](const std::function<void()>& kill) {
    Hdf5Writer writer(destination);
    writer.write_tensor("first", Tensor{{3}, {1.0f, 2.0f, 3.0f}});
    kill();
    writer.commit();
  });
  CHECK(read_whole_file(destination) == kOldContent);
  // Only hidden temporaries may remain; none is named like the output.
  for (const auto& name : folder_names(folder)) {
    if (name != "out.h5") CHECK(name.starts_with(".out.h5.tmp."));
  }

  // Text writer killed with half the text on disk.
  const auto text = folder / "config.json";
  std::ofstream(text) << kOldContent;
  run_killed_child([&](const std::function<void()>& kill) {
    AtomicFile file(text);
    std::ofstream stream(file.temporary_path());
    stream << "{\"half\": " << std::flush;
    kill();
  });
  CHECK(read_whole_file(text) == kOldContent);

  // Without a kill the same child commits: the test can tell the two apart.
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    write_model_config(text, small_config());
    ::_exit(0);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  CHECK(read_whole_file(text) != kOldContent);
  CHECK(read_model_config(text).hidden_size == 4);
}
