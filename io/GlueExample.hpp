#pragma once
// One GLUE example and a whole file of them, as the GLUE readers return them.
#include "io/GlueTask.hpp"

#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace spikingbert::io {

inline constexpr int kNoLabel = -1;

struct GlueExample {
  int line = 0;                       // 1-based line of the file it came from
  std::string text_a;
  std::optional<std::string> text_b;  // present for pair tasks (may be empty)
  int label = kNoLabel;               // index into GlueTaskInfo::labels; kNoLabel if unlabeled or regression
  double score = std::numeric_limits<double>::quiet_NaN();  // STS-B similarity in [0, 5]; NaN otherwise
};

struct GlueDataset {
  GlueTask task = GlueTask::sst2;
  std::string file;                   // the path it was read from
  bool labeled = true;                // false for test files
  std::vector<GlueExample> examples;
  std::vector<int> skipped_lines;     // rows the task's reference reader skips (QQP only), 1-based
};

}  // namespace spikingbert::io
