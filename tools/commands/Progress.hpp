#pragma once
// The one-line progress report of long commands (run --task, sweep) on stderr: done/total, elapsed
// time and the ETA extrapolated from the mean time per unit so far.
#include <string>

namespace spikingbert::tools {

// "\r[done/total unit] x s elapsed, ETA y s"; a newline when done == total.
void print_progress(int done, int total, double seconds, const std::string& unit = "examples");

}  // namespace spikingbert::tools
