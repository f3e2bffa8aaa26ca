#include "io/GlueReader.hpp"

#include "io/Error.hpp"
#include "io/Utf8.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>

namespace spikingbert::io {
namespace {

constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";
constexpr double kMinimumScore = 0.0, kMaximumScore = 5.0;  // STS-B similarity range (GLUE paper)

std::string read_all(const std::filesystem::path& path) {
  std::ifstream stream(path, std::ios::binary);
  if (!stream) throw InputError(path.string(), "", "cannot open the file", "a readable GLUE .tsv file");
  std::ostringstream buffer;
  buffer << stream.rdbuf();
  return std::move(buffer).str();
}

// Universal newlines: the next line of `text` from `at`, without its terminator; advances `at`.
std::string_view next_line(std::string_view text, std::size_t& at) {
  const std::size_t start = at;
  const std::size_t end = text.find_first_of("\r\n", start);
  if (end == std::string_view::npos) {
    at = text.size();
    return text.substr(start);
  }
  at = end + 1;
  if (text[end] == '\r' && at < text.size() && text[at] == '\n') ++at;
  return text.substr(start, end - start);
}

std::vector<std::string_view> split_tabs(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t start = 0;
  while (true) {
    const std::size_t tab = line.find('\t', start);
    if (tab == std::string_view::npos) {
      fields.push_back(line.substr(start));
      return fields;
    }
    fields.push_back(line.substr(start, tab - start));
    start = tab + 1;
  }
}

std::string quoted_label_list(const std::vector<std::string>& labels) {
  std::string list;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) list += i + 1 == labels.size() ? " or " : ", ";
    list += labels[i];
  }
  return list;
}

std::string shorten(std::string_view text) {
  constexpr std::size_t kShown = 40;  // characters of a bad field quoted in an error message
  return text.size() <= kShown ? std::string(text) : std::string(text.substr(0, kShown)) + "...";
}

}  // namespace

GlueDataset read_glue_file(GlueTask task, const std::filesystem::path& path, GlueLabels labels) {
  const GlueTaskInfo& info = glue_task_info(task);
  GlueDataset dataset;
  dataset.task = task;
  dataset.file = path.string();
  dataset.labeled = labels == GlueLabels::present ||
                    (labels == GlueLabels::from_file_name && !path.filename().string().starts_with("test"));
  const GlueColumns& columns = dataset.labeled ? info.labeled : info.unlabeled;
  const std::string& file = dataset.file;

  const std::string content = read_all(path);
  std::string_view text = content;
  if (text.starts_with(kByteOrderMark)) text.remove_prefix(kByteOrderMark.size());
  if (text.empty()) throw InputError(file, "", "the file is empty", "a GLUE " + info.folder + " .tsv file");

  // Fields a row must have: every text column, and the label as a column of its own.
  const int highest_text_column = std::max(columns.text_a, columns.text_b);
  std::size_t required = static_cast<std::size_t>(std::max(highest_text_column, columns.label) + 1);
  if (columns.label == kLastColumn) required = static_cast<std::size_t>(highest_text_column + 2);
  const std::string layout = std::to_string(required) + " tab-separated columns for " + info.folder +
                             (dataset.labeled ? "" : " test files");

  std::size_t at = 0;
  int line_number = 0;
  while (at < text.size()) {
    const std::string_view line = next_line(text, at);
    ++line_number;
    const std::string place = "line " + std::to_string(line_number);
    if (const auto bad = find_invalid_utf8(line)) {
      throw InputError(file, place, "invalid UTF-8 at byte " + std::to_string(*bad + 1) + " of the line", "UTF-8 text");
    }
    const auto fields = split_tabs(line);
    if (line_number == 1 && columns.header) {
      if (fields.size() < required) {
        throw InputError(file, "line 1", "the header has " + std::to_string(fields.size()) + " column(s)", layout);
      }
      // A file without its header would silently lose its first example: a header's label column holds a
      // column name ("label", "score"), never a class or a score.
      if (columns.label != kNoColumn) {
        const std::string_view label =
            columns.label == kLastColumn ? fields.back() : fields[static_cast<std::size_t>(columns.label)];
        double score = 0.0;
        const auto [end, error] = std::from_chars(label.data(), label.data() + label.size(), score);
        const bool is_score = error == std::errc() && end == label.data() + label.size();
        const bool is_class = std::find(info.labels.begin(), info.labels.end(), label) != info.labels.end();
        if (info.is_regression() ? is_score : is_class) {
          throw InputError(file, "line 1", "the first line is an example (label '" + shorten(label) + "'), not the header",
                           "the GLUE header line (column names) first");
        }
      }
      continue;
    }
    // csv.reader yields [] for an empty line, which has too few columns for every task.
    const std::size_t field_count = line.empty() ? 0 : fields.size();
    if (field_count < required) {
      if (info.skips_short_rows) {
        dataset.skipped_lines.push_back(line_number);
        continue;
      }
      throw InputError(file, place, "the row has " + std::to_string(field_count) + " column(s)", layout);
    }
    GlueExample example;
    example.line = line_number;
    example.text_a = std::string(fields[static_cast<std::size_t>(columns.text_a)]);
    if (columns.text_b != kNoColumn) example.text_b = std::string(fields[static_cast<std::size_t>(columns.text_b)]);
    if (columns.label != kNoColumn) {
      const std::string_view label =
          columns.label == kLastColumn ? fields.back() : fields[static_cast<std::size_t>(columns.label)];
      if (info.is_regression()) {
        double score = 0.0;
        const auto [end, error] = std::from_chars(label.data(), label.data() + label.size(), score);
        if (error != std::errc() || end != label.data() + label.size() || !std::isfinite(score) ||
            score < kMinimumScore || score > kMaximumScore) {
          throw InputError(file, place, "score '" + shorten(label) + "' is not a similarity score",
                           "a number from 0 to 5");
        }
        example.score = score;
      } else {
        const auto found = std::find(info.labels.begin(), info.labels.end(), label);
        if (found == info.labels.end()) {
          throw InputError(file, place, "label '" + shorten(label) + "' is not a class",
                           quoted_label_list(info.labels));
        }
        example.label = static_cast<int>(found - info.labels.begin());
      }
    }
    dataset.examples.push_back(std::move(example));
  }
  if (dataset.examples.empty()) {
    throw InputError(file, "", "the file has no examples", "at least one " + info.folder + " row" +
                                                               (columns.header ? " after the header" : ""));
  }
  return dataset;
}

}  // namespace spikingbert::io
