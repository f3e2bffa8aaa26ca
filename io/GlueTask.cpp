#include "io/GlueTask.hpp"

#include "io/Error.hpp"
#include "io/GlueMetrics.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <limits>

namespace spikingbert::io {
namespace {

const std::vector<std::string> kBinary = {"0", "1"};
const std::vector<std::string> kEntailment = {"entailment", "not_entailment"};
const std::vector<std::string> kNli = {"contradiction", "entailment", "neutral"};

// Column positions of the reference processors (get_train_examples / get_test_examples); the reference's
// max_seq_length per task (run_glue/TinyBERT: 64 for SST-2, 128 for the others).
const std::array<GlueTaskInfo, 10>& all_tasks() {
  static const std::array<GlueTaskInfo, 10> tasks{{
      // CoLA train/dev: no header; source, label, original label, sentence. Test: index, sentence.
      {GlueTask::cola, "cola", "CoLA", "dev.tsv", kBinary, {false, 3, kNoColumn, 1}, {true, 1, kNoColumn, kNoColumn},
       false, {"mcc"}, kDefaultGlueMaxLength, {{"dev", "dev.tsv"}}},
      // SST-2: sentence, label. Test: index, sentence.
      {GlueTask::sst2, "sst2", "SST-2", "dev.tsv", kBinary, {true, 0, kNoColumn, 1}, {true, 1, kNoColumn, kNoColumn},
       false, {"accuracy"}, kSst2MaxLength, {{"dev", "dev.tsv"}}},
      // MRPC: Quality, #1 ID, #2 ID, #1 String, #2 String. Test: index, #1 ID, #2 ID, #1 String, #2 String.
      {GlueTask::mrpc, "mrpc", "MRPC", "dev.tsv", kBinary, {true, 3, 4, 0}, {true, 3, 4, kNoColumn}, false,
       {"accuracy", "f1"}, kDefaultGlueMaxLength, {{"dev", "dev.tsv"}}},
      // STS-B: index genre filename year old_index source1 source2 sentence1 sentence2 score.
      {GlueTask::stsb, "stsb", "STS-B", "dev.tsv", {}, {true, 7, 8, kLastColumn}, {true, 7, 8, kNoColumn}, false,
       {"pearson", "spearman"}, kDefaultGlueMaxLength, {{"dev", "dev.tsv"}}},
      // QQP: id qid1 qid2 question1 question2 is_duplicate. Test: id question1 question2.
      {GlueTask::qqp, "qqp", "QQP", "dev.tsv", kBinary, {true, 3, 4, 5}, {true, 1, 2, kNoColumn}, true,
       {"accuracy", "f1"}, kDefaultGlueMaxLength, {{"dev", "dev.tsv"}}},
      // MNLI: sentence1 column 8, sentence2 column 9, gold_label last.
      {GlueTask::mnli, "mnli", "MNLI", "dev_matched.tsv", kNli, {true, 8, 9, kLastColumn}, {true, 8, 9, kNoColumn},
       false, {"accuracy"}, kDefaultGlueMaxLength, {{"dev_matched", "dev_matched.tsv"}, {"dev_mismatched", "dev_mismatched.tsv"}}},
      {GlueTask::mnli_mismatched, "mnli-mm", "MNLI", "dev_mismatched.tsv", kNli, {true, 8, 9, kLastColumn},
       {true, 8, 9, kNoColumn}, false, {"accuracy"}, kDefaultGlueMaxLength, {{"dev", "dev_mismatched.tsv"}}},
      // QNLI: index question sentence label.
      {GlueTask::qnli, "qnli", "QNLI", "dev.tsv", kEntailment, {true, 1, 2, kLastColumn}, {true, 1, 2, kNoColumn},
       false, {"accuracy"}, kDefaultGlueMaxLength, {{"dev", "dev.tsv"}}},
      // RTE: index sentence1 sentence2 label.
      {GlueTask::rte, "rte", "RTE", "dev.tsv", kEntailment, {true, 1, 2, kLastColumn}, {true, 1, 2, kNoColumn},
       false, {"accuracy"}, kDefaultGlueMaxLength, {{"dev", "dev.tsv"}}},
      // WNLI: index sentence1 sentence2 label.
      {GlueTask::wnli, "wnli", "WNLI", "dev.tsv", kBinary, {true, 1, 2, kLastColumn}, {true, 1, 2, kNoColumn}, false,
       {"accuracy"}, kDefaultGlueMaxLength, {{"dev", "dev.tsv"}}},
  }};
  return tasks;
}

std::string simplify(std::string_view name) {
  std::string simple;
  for (const char c : name) {
    if (c == '-' || c == '_') continue;
    simple.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return simple;
}

}  // namespace

const GlueTaskInfo& glue_task_info(GlueTask task) {
  for (const auto& info : all_tasks()) {
    if (info.task == task) return info;
  }
  throw std::logic_error("unknown GlueTask value");
}

GlueTask parse_glue_task(std::string_view name, const std::string& option) {
  const std::string simple = simplify(name);
  for (const auto& info : all_tasks()) {
    if (simple == simplify(info.name) || simple == simplify(info.folder)) return info.task;
  }
  if (simple == "mnlim" || simple == "mnlimatched") return GlueTask::mnli;
  if (simple == "mnlimismatched") return GlueTask::mnli_mismatched;
  throw InputError("command line", option, "unknown GLUE task '" + std::string(name) + "'", "one of " + glue_task_names());
}

double GlueTaskInfo::selection(const std::vector<MetricValue>& values) const {
  double score = std::numeric_limits<double>::quiet_NaN();
  if (!values.empty() && !is_regression()) score = values.front().value;
  if (!values.empty() && is_regression()) {
    double total = 0;
    for (const auto& metric : values) total += metric.value;
    score = total / static_cast<double>(values.size());
  }
  return std::isnan(score) ? std::numeric_limits<double>::lowest() : score;
}

std::string glue_task_names() {
  std::string names;
  for (const auto& info : all_tasks()) {
    if (!names.empty()) names += ", ";
    names += info.name;
  }
  return names;
}

}  // namespace spikingbert::io
