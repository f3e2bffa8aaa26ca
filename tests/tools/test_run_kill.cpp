// Issue 4 acceptance: a real `spikingbert run --task ... --trace` killed with SIGKILL mid-way leaves a
// trace that h5py opens, holding every example completed before the kill.
#include "support/RunCommand.hpp"
#include "traces/PythonTools.hpp"
#include "TinyGlue.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace spikingbert::testing;
namespace fs = std::filesystem;

namespace {

// The examples the run reported done: the last "[N/" of its progress line on stderr (run prints it
// after the batch's examples are in the trace and flushed).
int reported_examples(const fs::path& stderr_file) {
  const auto text = read_whole_file(stderr_file);
  const auto open = text.rfind('[');
  if (open == std::string::npos) return 0;
  const auto slash = text.find('/', open);
  if (slash == std::string::npos) return 0;
  try {
    return std::stoi(text.substr(open + 1, slash - open - 1));
  } catch (...) {
    return 0;
  }
}

}  // namespace

TEST_CASE("a run --task --trace killed with SIGKILL leaves a trace h5py opens with every completed example",
          "[tools][run][trace][kill]") {
  const auto folder = fresh_folder("run-kill");
  const auto vocab = write_tiny_vocabulary(folder), data = write_many_sst2(folder, 2000);
  const auto trace = folder / "killed.h5";
  const auto log = folder / "stderr.txt";
  constexpr int kSteps = 64;
  constexpr int kPopulations = 13;
  constexpr int kExamplesBeforeKill = 5;
  const std::string model = test_data("tiny");
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    const std::string err = log.string(), trace_path = trace.string(), steps = std::to_string(kSteps);
    if (!std::freopen(err.c_str(), "w", stderr) || !std::freopen("/dev/null", "w", stdout)) ::_exit(3);
    ::execl(SPIKINGBERT_EXECUTABLE, SPIKINGBERT_EXECUTABLE, "run", "--model", model.c_str(), "--task", "sst2",
            "--data", data.c_str(), "--vocab", vocab.c_str(), "--steps", steps.c_str(), "--batch-size", "1", "--trace",
            trace_path.c_str(), static_cast<char*>(nullptr));
    ::_exit(4);
  }
  // Kill once the run has reported some examples done, in the middle of the next one.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  int status = 0;
  bool exited = false;
  while (reported_examples(log) < kExamplesBeforeKill && std::chrono::steady_clock::now() < deadline) {
    if (::waitpid(child, &status, WNOHANG) == child) {
      exited = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  REQUIRE(!exited);
  REQUIRE(::kill(child, SIGKILL) == 0);
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGKILL);
  const int reported = reported_examples(log);  // examples done before the kill landed
  INFO("reported " << reported << " examples before the kill");
  REQUIRE(reported >= kExamplesBeforeKill);
  REQUIRE(reported < 2000);
  CHECK(!fs::exists(trace));
  const auto partial = fs::path(trace.string() + ".partial");
  REQUIRE(fs::exists(partial));
  const auto result = run_python("tests/tools/check_run_trace.py",
                                 join({"'", partial.string(), "' --complete 0 --steps ", std::to_string(kSteps),
                                       " --populations ", std::to_string(kPopulations), " --min-examples ",
                                       std::to_string(reported)}));
  INFO(result.out << result.err);
  CHECK(result.exit_code == 0);
  fs::remove_all(folder);
}
