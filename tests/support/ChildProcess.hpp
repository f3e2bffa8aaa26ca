#pragma once
// Starts the built `spikingbert` program as a child process that a test can signal while it runs
// (SIGINT, SIGKILL), with stdout and stderr going to files the test can poll. run_spikingbert
// (RunCommand.hpp) waits for the end; this does not.
#include "support/RunCommand.hpp"

#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>

namespace spikingbert::testing {

class ChildProcess {
 public:
  // Runs `spikingbert ARGUMENTS` through /bin/sh with `exec`, so the child's pid is the program's own and
  // a signal sent to it reaches the program, not a shell. Output goes to folder/NAME.out and NAME.err.
  ChildProcess(const std::string& arguments, const std::filesystem::path& folder, const std::string& name)
      : out_(folder / (name + ".out")), err_(folder / (name + ".err")) {
    const std::string command = std::string("exec '") + SPIKINGBERT_EXECUTABLE + "' " + arguments + " >'" +
                                out_.string() + "' 2>'" + err_.string() + "' </dev/null";
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      ::signal(SIGINT, SIG_DFL);  // a test runner started in the background may ignore SIGINT
      ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
  }
  ~ChildProcess() {
    if (!finished_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Polls `condition` every 10 ms until it holds (true) or the child ends or `limit` passes (false).
  bool wait_until(const std::function<bool()>& condition, std::chrono::seconds limit = std::chrono::seconds(120)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (condition()) return true;
      if (::waitpid(pid_, &status_, WNOHANG) == pid_) {
        finished_ = true;
        return condition();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }
  bool running() const { return !finished_; }
  void signal(int number) const { ::kill(pid_, number); }

  // Waits for the end; returns the exit code, or 128 + signal number as a shell reports it.
  int wait() {
    if (!finished_) {
      ::waitpid(pid_, &status_, 0);
      finished_ = true;
    }
    return WIFEXITED(status_) ? WEXITSTATUS(status_) : 128 + WTERMSIG(status_);
  }
  std::string out() const { return read_whole_file(out_); }
  std::string err() const { return read_whole_file(err_); }

 private:
  std::filesystem::path out_, err_;
  pid_t pid_ = -1;
  int status_ = 0;
  bool finished_ = false;
};

}  // namespace spikingbert::testing
