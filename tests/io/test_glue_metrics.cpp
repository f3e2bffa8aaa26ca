#include "io/GlueMetrics.hpp"

#include <catch2/catch.hpp>

#include <cmath>

using namespace spikingbert::io;

// Every expected value below is worked out by hand in the comment next to it.

TEST_CASE("accuracy and F1 of class 1 match hand-computed values", "[io][metrics]") {
  const std::vector<int> predictions{1, 0, 1, 1}, labels{1, 0, 0, 1};
  CHECK(accuracy(predictions, labels) == Approx(0.75));  // 3 of 4 equal
  CHECK(f1_score(predictions, labels) == Approx(0.8));   // TP 2, FP 1, FN 0: 2*2 / (2*2 + 1 + 0)
  // TP 1, FP 0, FN 2: 2 / (2 + 0 + 2) = 0.5
  CHECK(f1_score(std::vector<int>{1, 0, 0, 0}, std::vector<int>{1, 1, 1, 0}) == Approx(0.5));
  // No positive predicted or present: 0 (scikit-learn's zero_division).
  CHECK(f1_score(std::vector<int>{0, 0}, std::vector<int>{0, 0}) == 0.0);
}

TEST_CASE("Matthews correlation matches hand-computed values", "[io][metrics]") {
  // TP 2, TN 2, FP 1, FN 1: (2*2 - 1*1) / sqrt(3*3*3*3) = 3/9
  const std::vector<int> predictions{1, 0, 1, 1, 0, 0}, labels{1, 0, 0, 1, 1, 0};
  CHECK(matthews_correlation(predictions, labels) == Approx(1.0 / 3.0));
  CHECK(matthews_correlation(labels, labels) == Approx(1.0));
  // Exactly inverted: -1.
  CHECK(matthews_correlation(std::vector<int>{0, 1, 0, 1}, std::vector<int>{1, 0, 1, 0}) == Approx(-1.0));
  // A constant prediction has a zero denominator: 0.
  CHECK(matthews_correlation(std::vector<int>{1, 1, 1}, std::vector<int>{1, 0, 1}) == 0.0);
  // TP 1, TN 1, FP 2, FN 0: (1 - 0) / sqrt(3 * 1 * 3 * 1) = 1/3
  CHECK(matthews_correlation(std::vector<int>{1, 1, 1, 0}, std::vector<int>{1, 0, 0, 0}) == Approx(1.0 / 3.0));
}

TEST_CASE("Pearson and Spearman correlations match hand-computed values", "[io][metrics]") {
  // x mean 2.5, y mean 5: cov 11, var_x 5, var_y 26: r = 11 / sqrt(130)
  const std::vector<double> x{1, 2, 3, 4}, y{2, 4, 5, 9};
  CHECK(pearson_correlation(x, y) == Approx(11.0 / std::sqrt(130.0)));
  CHECK(spearman_correlation(x, y) == Approx(1.0));  // monotone
  // Ties: ranks x = 1, 2.5, 2.5, 4 and y = 1, 3, 2, 4: cov 4.5, var 4.5 and 5: 4.5 / sqrt(22.5)
  CHECK(spearman_correlation(std::vector<double>{1, 2, 2, 3}, std::vector<double>{1, 3, 2, 4}) ==
        Approx(4.5 / std::sqrt(22.5)));
  CHECK(average_ranks(std::vector<double>{10, 20, 10, 30, 20, 20}) == std::vector<double>{1.5, 4, 1.5, 6, 4, 4});
  CHECK(std::isnan(pearson_correlation(std::vector<double>{1, 1, 1}, std::vector<double>{1, 2, 3})));
  CHECK(pearson_correlation(std::vector<double>{1, 2, 3}, std::vector<double>{3, 2, 1}) == Approx(-1.0));
}

TEST_CASE("glue_metrics reports each task's metrics", "[io][metrics]") {
  const std::vector<int> predictions{1, 0, 1, 1}, labels{1, 0, 0, 1};
  const auto mrpc = glue_metrics(GlueTask::mrpc, predictions, labels);
  REQUIRE(mrpc.size() == 2);
  CHECK(mrpc[0].name == "accuracy");
  CHECK(mrpc[1].name == "f1");
  CHECK(mrpc[1].value == Approx(0.8));
  const auto cola = glue_metrics(GlueTask::cola, predictions, labels);
  REQUIRE(cola.size() == 1);
  CHECK(cola[0].name == "mcc");
  CHECK_THROWS_AS(glue_metrics(GlueTask::stsb, predictions, labels), std::invalid_argument);
  CHECK_THROWS_AS(accuracy(std::vector<int>{1}, std::vector<int>{1, 0}), std::invalid_argument);
  const auto stsb = glue_regression_metrics(std::vector<double>{1, 2, 3, 4}, std::vector<double>{2, 4, 5, 9});
  CHECK(stsb[0].name == "pearson");
  CHECK(stsb[1].value == Approx(1.0));
}
