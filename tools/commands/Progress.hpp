#pragma once
// The progress report of long commands (run --task, sweep) on stderr: done/total, elapsed time and the
// ETA extrapolated from the mean time per unit so far. It fits where stderr goes:
//   - a terminal: one line rewritten with '\r', at most kTerminalUpdatesPerSecond times a second;
//   - a pipe or file: a full line at every tenth of the total (at most 11 lines per run), never '\r';
//   - --quiet (set_progress_quiet): nothing.
#include <string>

namespace spikingbert::tools {

inline constexpr double kTerminalUpdatesPerSecond = 4.0;
inline constexpr int kPipedLinesPerRun = 10;  // plus the first

// Called after each unit of work of one run (done = 1..total); a newline ends the terminal line at done == total.
void print_progress(int done, int total, double seconds, const std::string& unit = "examples");

// --quiet: no progress lines from now on.
void set_progress_quiet(bool quiet);

}  // namespace spikingbert::tools
