#include "commands/Progress.hpp"

#include "io/Error.hpp"

#include <cstdio>
#include <unistd.h>

namespace spikingbert::tools {

namespace {

bool quiet = false;
// The run being reported: a new run starts when done goes back or total changes.
int run_total = -1, last_done = 0, last_decile = -1;
double last_terminal_seconds = -1.0;

}  // namespace

void set_progress_quiet(bool value) { quiet = value; }

void print_progress(int done, int total, double seconds, const std::string& unit) {
  if (quiet || total <= 0) return;
  if (total != run_total || done < last_done) {
    run_total = total;
    last_decile = -1;
    last_terminal_seconds = -1.0;
  }
  last_done = done;
  const double eta = done > 0 ? seconds / done * (total - done) : 0.0;
  const bool finished = done >= total;
  if (isatty(STDERR_FILENO)) {
    if (!finished && last_terminal_seconds >= 0.0 && seconds - last_terminal_seconds < 1.0 / kTerminalUpdatesPerSecond)
      return;
    last_terminal_seconds = seconds;
    std::fprintf(stderr, "\r[%d/%d %s] %.1f s elapsed, ETA %.1f s   ", done, total, unit.c_str(), seconds, eta);
    if (finished) std::fprintf(stderr, "\n");
    io::set_progress_line_open(!finished);
  } else {
    const int decile = static_cast<int>(static_cast<long long>(done) * kPipedLinesPerRun / total);
    if (decile == last_decile) return;
    last_decile = decile;
    std::fprintf(stderr, "[%d/%d %s] %.1f s elapsed, ETA %.1f s\n", done, total, unit.c_str(), seconds, eta);
  }
  std::fflush(stderr);
}

}  // namespace spikingbert::tools
