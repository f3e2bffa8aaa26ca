#include "io/GlueMetrics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <sstream>
#include <stdexcept>

namespace spikingbert::io {
namespace {

template <typename T>
void check_sizes(std::span<const T> a, std::span<const T> b, const char* metric) {
  if (a.size() != b.size() || a.empty()) {
    throw std::invalid_argument(std::string(metric) + ": inputs must be non-empty and of equal length");
  }
}

}  // namespace

double accuracy(std::span<const int> predictions, std::span<const int> labels) {
  check_sizes(predictions, labels, "accuracy");
  std::size_t correct = 0;
  for (std::size_t i = 0; i < labels.size(); ++i) correct += predictions[i] == labels[i] ? 1 : 0;
  return static_cast<double>(correct) / static_cast<double>(labels.size());
}

double f1_score(std::span<const int> predictions, std::span<const int> labels) {
  check_sizes(predictions, labels, "f1_score");
  constexpr int kPositive = 1;
  double true_positive = 0, false_positive = 0, false_negative = 0;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const bool predicted = predictions[i] == kPositive, actual = labels[i] == kPositive;
    true_positive += predicted && actual ? 1 : 0;
    false_positive += predicted && !actual ? 1 : 0;
    false_negative += !predicted && actual ? 1 : 0;
  }
  const double denominator = 2 * true_positive + false_positive + false_negative;
  return denominator == 0 ? 0.0 : 2 * true_positive / denominator;
}

double matthews_correlation(std::span<const int> predictions, std::span<const int> labels) {
  check_sizes(predictions, labels, "matthews_correlation");
  // scikit-learn: cov(y_true, y_pred) / sqrt(cov(y_true, y_true) cov(y_pred, y_pred)) from the
  // confusion matrix C: c = trace(C), s = n, t_k = row sums (true), p_k = column sums (predicted).
  std::map<int, double> true_count, predicted_count;
  double correct = 0;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    true_count[labels[i]] += 1;
    predicted_count[predictions[i]] += 1;
    correct += predictions[i] == labels[i] ? 1 : 0;
  }
  const double samples = static_cast<double>(labels.size());
  double true_dot_predicted = 0, true_squared = 0, predicted_squared = 0;
  for (const auto& [label, count] : true_count) {
    true_squared += count * count;
    const auto found = predicted_count.find(label);
    if (found != predicted_count.end()) true_dot_predicted += count * found->second;
  }
  for (const auto& [label, count] : predicted_count) predicted_squared += count * count;
  const double covariance_true_predicted = correct * samples - true_dot_predicted;
  const double covariance_predicted = samples * samples - predicted_squared;
  const double covariance_true = samples * samples - true_squared;
  const double denominator = covariance_true * covariance_predicted;
  return denominator == 0 ? 0.0 : covariance_true_predicted / std::sqrt(denominator);
}

double pearson_correlation(std::span<const double> x, std::span<const double> y) {
  check_sizes(x, y, "pearson_correlation");
  const double n = static_cast<double>(x.size());
  const double mean_x = std::accumulate(x.begin(), x.end(), 0.0) / n;
  const double mean_y = std::accumulate(y.begin(), y.end(), 0.0) / n;
  double covariance = 0, variance_x = 0, variance_y = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double dx = x[i] - mean_x, dy = y[i] - mean_y;
    covariance += dx * dy;
    variance_x += dx * dx;
    variance_y += dy * dy;
  }
  if (variance_x == 0 || variance_y == 0) return std::numeric_limits<double>::quiet_NaN();
  return covariance / std::sqrt(variance_x * variance_y);
}

std::vector<double> average_ranks(std::span<const double> values) {
  std::vector<std::size_t> order(values.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return values[a] < values[b]; });
  std::vector<double> ranks(values.size());
  std::size_t first = 0;
  while (first < order.size()) {
    std::size_t last = first;  // [first, last] hold equal values
    while (last + 1 < order.size() && values[order[last + 1]] == values[order[first]]) ++last;
    // Positions first..last are ranks first+1..last+1; each gets their mean.
    const double rank = (static_cast<double>(first + 1) + static_cast<double>(last + 1)) / 2.0;
    for (std::size_t k = first; k <= last; ++k) ranks[order[k]] = rank;
    first = last + 1;
  }
  return ranks;
}

double spearman_correlation(std::span<const double> x, std::span<const double> y) {
  check_sizes(x, y, "spearman_correlation");
  const auto rank_x = average_ranks(x);
  const auto rank_y = average_ranks(y);
  return pearson_correlation(rank_x, rank_y);
}

std::vector<MetricValue> glue_metrics(GlueTask task, std::span<const int> predictions, std::span<const int> labels) {
  const GlueTaskInfo& info = glue_task_info(task);
  if (info.is_regression()) throw std::invalid_argument("glue_metrics: " + info.name + " is a regression task");
  std::vector<MetricValue> values;
  for (const auto& metric : info.metrics) {
    if (metric == "accuracy") values.push_back({metric, accuracy(predictions, labels)});
    if (metric == "f1") values.push_back({metric, f1_score(predictions, labels)});
    if (metric == "mcc") values.push_back({metric, matthews_correlation(predictions, labels)});
  }
  return values;
}

std::vector<MetricValue> glue_regression_metrics(std::span<const double> predictions, std::span<const double> scores) {
  return {{"pearson", pearson_correlation(predictions, scores)}, {"spearman", spearman_correlation(predictions, scores)}};
}

std::string metrics_text(const std::vector<MetricValue>& metrics) {
  std::ostringstream text;
  for (const auto& metric : metrics) text << (text.tellp() > 0 ? " " : "") << metric.name << " " << metric.value;
  return text.str();
}

}  // namespace spikingbert::io
