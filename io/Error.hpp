#pragma once
// The one error convention of spikingbert: bad input names the file, the place in it, what is wrong
// and what was expected. The command line prints it as
//   spikingbert: error: FILE:PLACE: what is wrong (expected ...)
// and exits with code 2 (see tools/spikingbert.cpp). Every layer throws InputError for bad input;
// anything else escaping to main is a bug.
#include <stdexcept>
#include <string>
#include <string_view>

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

// Text as it may be shown on a terminal: every control character (C0 including NUL and ESC, DEL, the C1
// range U+0080..U+009F) and every byte that is not part of valid UTF-8 becomes \xNN, so data from a file
// can neither cut a message (NUL), split it over lines, nor send escape sequences to the terminal.
// InputError escapes its whole message with it.
std::string escape_for_terminal(std::string_view text);

// Progress lines ("\r[3/10 examples] ...", no newline) leave the cursor mid-line. Printers of such lines
// report it here (true after a "\r" line, false after a newline), so that main starts an error on a fresh
// line (fresh_error_line).
void set_progress_line_open(bool open);
// "\n" if a progress line is open (and marks it closed), else "".
const char* fresh_error_line();

// The exit code for bad input and bad usage.
inline constexpr int kInputErrorExitCode = 2;

}  // namespace spikingbert::io
