#pragma once
// The nine GLUE tasks (MNLI twice: matched and mismatched dev sets) and what their TSV files look like:
// the column of each text and of the label, and the label set, exactly as the reference's GLUE
// processors (HF/TinyBERT `glue` processors) read them.
#include <string>
#include <string_view>
#include <vector>

namespace spikingbert::io {

enum class GlueTask { cola, sst2, mrpc, stsb, qqp, mnli, mnli_mismatched, qnli, rte, wnli };

// Where a file keeps its fields; kNoColumn for an absent text_b, kLastColumn for "line[-1]".
inline constexpr int kNoColumn = -1;
inline constexpr int kLastColumn = -2;

struct GlueColumns {
  bool header = true;             // the first line is a header and is skipped
  int text_a = 0;
  int text_b = kNoColumn;
  int label = kNoColumn;          // kNoColumn in unlabeled (test) files
};

struct GlueTaskInfo {
  GlueTask task;
  std::string name;                 // canonical command-line name: "sst2", "mnli-mm", ...
  std::string folder;               // GLUE folder name: "SST-2"
  std::string dev_file;             // "dev.tsv", "dev_matched.tsv", "dev_mismatched.tsv"
  std::vector<std::string> labels;  // class names in label-index order; empty for regression (STS-B)
  GlueColumns labeled;              // train and dev files
  GlueColumns unlabeled;            // test files
  // The reference QQP processor skips rows with too few columns (`except IndexError: continue`);
  // every other task's reader fails on them, and so do we.
  bool skips_short_rows = false;
  std::vector<std::string> metrics; // the task's GLUE metrics, as glue_metrics() names them

  bool is_regression() const { return labels.empty(); }
  bool is_pair() const { return labeled.text_b != kNoColumn; }
};

const GlueTaskInfo& glue_task_info(GlueTask task);
// Accepts the canonical names and the usual spellings ("SST-2", "sts-b", "mnli_mismatched", ...),
// case-insensitively. Throws InputError naming `option` for an unknown task.
GlueTask parse_glue_task(std::string_view name, const std::string& option = "--task");
// "cola, sst2, mrpc, ..." for help texts and error messages.
std::string glue_task_names();

}  // namespace spikingbert::io
