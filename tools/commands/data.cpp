// `spikingbert data`: what a GLUE file holds: example count, label histogram, token lengths.

#include "commands/SharedOptions.hpp"
#include "models/GlueSimulation.hpp"
#include "commands/Commands.hpp"
#include "commands/ShippedData.hpp"

#include "io/BertTokenizer.hpp"
#include "io/Error.hpp"
#include "io/GlueReader.hpp"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <iostream>
#include <map>

namespace spikingbert::tools {
namespace {

constexpr int kScoreBins = 5;           // STS-B histogram: [0,1), [1,2), [2,3), [3,4), [4,5]

struct DataOptions {
  std::string task;
  std::string file;
  std::string vocab;
  int max_length = 0;
  bool max_length_given = false;  // if not, the task's default (io::GlueTaskInfo)
};

// Nearest-rank percentile of sorted values: the smallest value with at least p% of the values at or
// below it.
int percentile(const std::vector<int>& sorted, int percent) {
  const auto rank = static_cast<std::size_t>(std::ceil(percent / 100.0 * static_cast<double>(sorted.size())));
  return sorted[std::max<std::size_t>(rank, 1) - 1];
}

void summarise(const DataOptions& options) {
  const io::GlueTask task = io::parse_glue_task(options.task);
  const io::GlueTaskInfo& info = io::glue_task_info(task);
  // Without --max-length: the length the task's commands use by default.
  const int max_length = options.max_length_given ? options.max_length : info.default_max_length;
  io::check_max_seq_length(max_length, "command line", "--max-length");
  const auto dataset = io::read_glue_file(task, options.file);
  const auto vocabulary = options.vocab.empty() ? default_vocabulary_path() : std::filesystem::path(options.vocab);
  const auto tokenizer = io::BertTokenizer::from_file(vocabulary);

  std::cout << "file: " << dataset.file << "\n";
  std::cout << "task: " << info.name << " (" << info.folder << ", " << (info.is_pair() ? "sentence pairs" : "single sentences")
            << ", " << (dataset.labeled ? "labeled" : "unlabeled") << ")\n";
  std::cout << "examples: " << dataset.examples.size() << "\n";
  if (!dataset.skipped_lines.empty()) {
    std::cout << "skipped rows with too few columns (as the reference " << info.folder << " reader does): "
              << dataset.skipped_lines.size() << " (first at line " << dataset.skipped_lines.front() << ")\n";
  }
  if (dataset.labeled && info.is_regression()) {
    std::vector<int> bins(kScoreBins, 0);
    for (const auto& example : dataset.examples) bins[static_cast<std::size_t>(std::min(static_cast<int>(example.score), kScoreBins - 1))]++;
    std::cout << "scores:";
    for (int bin = 0; bin < kScoreBins; ++bin) {
      std::cout << (bin ? ", " : " ") << "[" << bin << "," << bin + 1 << (bin + 1 == kScoreBins ? "]" : ")") << " "
                << bins[static_cast<std::size_t>(bin)];
    }
    std::cout << "\n";
  } else if (dataset.labeled) {
    std::vector<int> counts(info.labels.size(), 0);
    for (const auto& example : dataset.examples) counts[static_cast<std::size_t>(example.label)]++;
    std::cout << "labels:";
    for (std::size_t label = 0; label < counts.size(); ++label) {
      const double share = 100.0 * counts[label] / static_cast<double>(dataset.examples.size());
      std::cout << (label ? ", " : " ") << info.labels[label] << ": " << counts[label] << " (" << std::fixed
                << std::setprecision(1) << share << "%)";
    }
    std::cout << "\n";
  }

  // Sequence lengths as the model would see them before truncation: [CLS] a [SEP] (b [SEP]).
  std::vector<int> lengths;
  lengths.reserve(dataset.examples.size());
  int truncated = 0;
  for (const auto& example : dataset.examples) {
    const auto ids_a = tokenizer.tokenize(example.text_a);
    int length = static_cast<int>(ids_a.size()) + 2;
    if (example.text_b && !example.text_b->empty()) {
      const auto ids_b = tokenizer.tokenize(*example.text_b);
      if (!ids_b.empty()) length += static_cast<int>(ids_b.size()) + 1;
    }
    lengths.push_back(length);
    truncated += length > max_length ? 1 : 0;
  }
  std::sort(lengths.begin(), lengths.end());
  std::cout << "tokens per example (with [CLS]/[SEP], before truncation): p50 " << percentile(lengths, 50) << ", p90 "
            << percentile(lengths, 90) << ", p95 " << percentile(lengths, 95) << ", p99 " << percentile(lengths, 99)
            << ", max " << lengths.back() << "\n";
  std::cout << "truncated at --max-length " << max_length << ": " << truncated << " examples\n";
}

}  // namespace

void add_data_command(CLI::App& app) {
  auto options = std::make_shared<DataOptions>();
  auto* command = app.add_subcommand("data", "Summarise a GLUE data file: examples, labels, token lengths");
  add_task_option(command, options->task)->required();
  add_data_option(command, options->file, "The task's .tsv file (train, dev or test)")->required();
  add_vocab_option(command, options->vocab);
  auto* max_length = add_max_length_option(command, options->max_length,
                        "Count the examples longer than this (default: the task's, 64 for SST-2, else 128)");
  command->callback([options, max_length] {
    options->max_length_given = max_length->count() > 0;
    summarise(*options);
  });
}

}  // namespace spikingbert::tools
