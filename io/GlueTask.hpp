#pragma once
// The nine GLUE tasks (MNLI twice: matched and mismatched dev sets) as data (issue 12 item 6): what their
// TSV files look like (the column of each text and of the label, and the label set, exactly as the
// reference's GLUE processors, HF/TinyBERT `glue`, read them), the number of outputs, the metrics and the
// selection score, the default tokens per example, and the dev sets the trainers report. Every command
// (run, sweep, data, run-teacher, train-teacher, distill) takes every task; what differs between tasks is
// read from here, never re-derived from the task's name.
#include <string>
#include <string_view>
#include <vector>

namespace spikingbert::io {

struct MetricValue;  // io/GlueMetrics.hpp

enum class GlueTask { cola, sst2, mrpc, stsb, qqp, mnli, mnli_mismatched, qnli, rte, wnli };

// Where a file keeps its fields; kNoColumn for an absent text_b, kLastColumn for "line[-1]".
inline constexpr int kNoColumn = -1;
inline constexpr int kLastColumn = -2;

// Default tokens per example ([CLS] and [SEP] included): the reference's max_seq_length for SST-2 and for
// the other tasks.
inline constexpr int kSst2MaxLength = 64;
inline constexpr int kDefaultGlueMaxLength = 128;

// A dev set that train-teacher and distill evaluate once at the end: its name in the summaries' "dev"
// object and its file in the task's GLUE folder.
struct GlueDevSet {
  std::string name;
  std::string file;
};

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
  int default_max_length = kDefaultGlueMaxLength;  // tokens per example without --max-length
  std::vector<GlueDevSet> dev_sets; // MNLI: matched and mismatched; otherwise the one dev file

  bool is_regression() const { return labels.empty(); }
  // Outputs of a model for the task: 1 for regression (STS-B), else the classes.
  int num_labels() const { return is_regression() ? 1 : static_cast<int>(labels.size()); }
  // The score that selects the best checkpoint (higher is better) from the task's metrics (in `metrics`
  // order): the first metric for classification (accuracy; MCC for CoLA), the mean of Pearson and Spearman
  // for STS-B (method doc §6.4). An undefined score (NaN: a correlation of constant predictions) ranks below
  // every defined one but above "no checkpoint yet" (-inf), so a run always writes its output.
  double selection(const std::vector<MetricValue>& values) const;
  bool is_pair() const { return labeled.text_b != kNoColumn; }
};

const GlueTaskInfo& glue_task_info(GlueTask task);
// Accepts the canonical names and the usual spellings ("SST-2", "sts-b", "mnli_mismatched", ...),
// case-insensitively. Throws InputError naming `option` for an unknown task.
GlueTask parse_glue_task(std::string_view name, const std::string& option = "--task");
// "cola, sst2, mrpc, ..." for help texts and error messages.
std::string glue_task_names();

}  // namespace spikingbert::io
