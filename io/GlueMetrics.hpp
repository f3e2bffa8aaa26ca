#pragma once
// The GLUE metrics (as the reference's compute_metrics gets them from scikit-learn and SciPy):
// accuracy, F1 of class 1, Matthews correlation, Pearson and Spearman correlation.
// Inputs of different lengths or empty inputs are programming errors (std::invalid_argument).
#include "io/GlueTask.hpp"

#include <span>
#include <string>
#include <vector>

namespace spikingbert::io {

// Fraction of predictions equal to the label.
double accuracy(std::span<const int> predictions, std::span<const int> labels);

// F1 of the positive class 1: 2 TP / (2 TP + FP + FN); 0 when there is no positive at all
// (scikit-learn's zero_division default).
double f1_score(std::span<const int> predictions, std::span<const int> labels);

// Matthews correlation coefficient, multiclass form of scikit-learn (Gorodkin 2004), which for two
// classes is (TP TN - FP FN) / sqrt((TP+FP)(TP+FN)(TN+FP)(TN+FN)); 0 when the denominator is 0.
double matthews_correlation(std::span<const int> predictions, std::span<const int> labels);

// Pearson's r = cov(x, y) / (sd(x) sd(y)); NaN if either side is constant (as SciPy).
double pearson_correlation(std::span<const double> x, std::span<const double> y);

// Ranks 1..n of the values, ties given the average of the ranks they span (SciPy rankdata "average").
std::vector<double> average_ranks(std::span<const double> values);

// Spearman's rho: Pearson's r of the average ranks.
double spearman_correlation(std::span<const double> x, std::span<const double> y);

struct MetricValue {
  std::string name;  // "accuracy", "f1", "mcc", "pearson", "spearman"
  double value;
};

// The task's GLUE metrics (GlueTaskInfo::metrics) of class predictions; not for STS-B.
std::vector<MetricValue> glue_metrics(GlueTask task, std::span<const int> predictions, std::span<const int> labels);
// "accuracy 0.5 f1 0.4": the metrics as one line (the trainers' validation summaries).
std::string metrics_text(const std::vector<MetricValue>& metrics);
// STS-B's metrics (pearson, spearman) of predicted scores.
std::vector<MetricValue> glue_regression_metrics(std::span<const double> predictions, std::span<const double> scores);

}  // namespace spikingbert::io
