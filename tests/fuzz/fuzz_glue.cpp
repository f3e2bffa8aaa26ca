// libFuzzer target: the GLUE TSV readers. The first byte picks the task and the labels mode; the rest
// is the file.
#include "FuzzSupport.hpp"

#include "io/GlueReader.hpp"

#include <array>
#include <cmath>
#include <stdexcept>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace spikingbert;
  if (size == 0) return 0;
  constexpr std::array tasks{io::GlueTask::cola, io::GlueTask::sst2, io::GlueTask::mrpc, io::GlueTask::stsb,
                             io::GlueTask::qqp,  io::GlueTask::mnli, io::GlueTask::mnli_mismatched,
                             io::GlueTask::qnli, io::GlueTask::rte,  io::GlueTask::wnli};
  constexpr std::array modes{io::GlueLabels::from_file_name, io::GlueLabels::present, io::GlueLabels::absent};
  const auto task = tasks[data[0] % tasks.size()];
  const auto mode = modes[(data[0] / tasks.size()) % modes.size()];
  const auto& path = fuzz::write_scratch("-dev.tsv", data + 1, size - 1);
  SPIKINGBERT_FUZZ_EXPECT_INPUT_ERRORS({
    const auto dataset = io::read_glue_file(task, path, mode);
    const auto& info = io::glue_task_info(task);
    for (const auto& example : dataset.examples) {
      // What the reader promises its users: labels index the task's label list, scores lie in [0, 5].
      if (dataset.labeled && !info.is_regression() &&
          (example.label < 0 || example.label >= static_cast<int>(info.labels.size()))) {
        throw std::logic_error("label outside the task's classes");
      }
      if (dataset.labeled && info.is_regression() && !(example.score >= 0 && example.score <= 5)) {
        throw std::logic_error("score outside [0, 5]");
      }
    }
  });
  return 0;
}
