#include "commands/Progress.hpp"

#include "io/Error.hpp"

#include <cstdio>

namespace spikingbert::tools {

void print_progress(int done, int total, double seconds, const std::string& unit) {
  const double eta = done > 0 ? seconds / done * (total - done) : 0.0;
  std::fprintf(stderr, "\r[%d/%d %s] %.1f s elapsed, ETA %.1f s   ", done, total, unit.c_str(), seconds, eta);
  if (done == total) std::fprintf(stderr, "\n");
  io::set_progress_line_open(done != total);
  std::fflush(stderr);
}

}  // namespace spikingbert::tools
