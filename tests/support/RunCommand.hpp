#pragma once
// Runs the built `spikingbert` program (or any command) in a shell and captures what it printed and
// its exit code, so tests check the command line exactly as a user sees it.
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

namespace spikingbert::testing {

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline std::string read_whole_file(const std::filesystem::path& path) {
  std::ifstream stream(path, std::ios::binary);
  std::stringstream buffer;
  buffer << stream.rdbuf();
  return buffer.str();
}

// A fresh empty folder under the system temporary directory, unique to this process and name.
inline std::filesystem::path fresh_folder(const std::string& name) {
  auto folder = std::filesystem::temp_directory_path() /
                ("spikingbert-test-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(folder);
  std::filesystem::create_directories(folder);
  return folder;
}

// Runs `command` with /bin/sh; stdout and stderr are captured through temporary files.
inline CommandResult run_shell(const std::string& command) {
  static int counter = 0;
  const auto folder = std::filesystem::temp_directory_path();
  const auto stem = "spikingbert-run-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  const auto out_path = folder / (stem + ".out");
  const auto err_path = folder / (stem + ".err");
  const std::string full = command + " >" + out_path.string() + " 2>" + err_path.string() + " </dev/null";
  const int status = std::system(full.c_str());
  CommandResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = read_whole_file(out_path);
  result.err = read_whole_file(err_path);
  std::filesystem::remove(out_path);
  std::filesystem::remove(err_path);
  return result;
}

// Runs the built spikingbert executable with the given argument string.
inline CommandResult run_spikingbert(const std::string& arguments) {
  return run_shell(std::string("'") + SPIKINGBERT_EXECUTABLE + "' " + arguments);
}

inline std::string test_data(const std::string& relative) {
  return std::string(SPIKINGBERT_TEST_DATA_DIR) + "/" + relative;
}

}  // namespace spikingbert::testing
