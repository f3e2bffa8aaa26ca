#pragma once
// The one error convention of spikingbert: bad input names the file, the place in it, what is wrong
// and what was expected. The command line prints it as
//   spikingbert: error: FILE:PLACE: what is wrong (expected ...)
// and exits with code 2 (see tools/spikingbert.cpp). Every layer throws InputError for bad input;
// anything else escaping to main is a bug.
#include <stdexcept>
#include <string>

namespace spikingbert::io {

class InputError : public std::runtime_error {
 public:
  // file: the path (or "command line" for options); place: "line 12", "header", "tensor 'x'", "--vth";
  // problem: what is wrong; expected: what would have been accepted (may be empty).
  InputError(std::string file, std::string place, std::string problem, std::string expected = {});

  const std::string& file() const { return file_; }
  const std::string& place() const { return place_; }
  const std::string& problem() const { return problem_; }
  const std::string& expected() const { return expected_; }

 private:
  std::string file_, place_, problem_, expected_;
};

// The exit code for bad input and bad usage.
inline constexpr int kInputErrorExitCode = 2;

}  // namespace spikingbert::io
