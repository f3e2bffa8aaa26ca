#include "commands/SummaryJson.hpp"

#include <cmath>

namespace spikingbert::tools {

nlohmann::json metrics_json(const std::vector<io::MetricValue>& metrics) {
  nlohmann::json json = nlohmann::json::object();
  for (const auto& metric : metrics) json[metric.name] = metric.value;
  return json;
}

nlohmann::json training_json(const training::TrainingReport& report) {
  nlohmann::json json;
  json["best_validation"] = report.best.summary;
  json["best_selection"] = report.best.selection;
  json["best_optimizer_step"] = report.best_step;
  json["optimizer_steps"] = report.steps;
  json["seconds"] = std::round(report.seconds * 10) / 10;
  json["examples_per_second"] = std::round(report.examples_per_second * 10) / 10;
  json["evaluations"] = nlohmann::json::array();
  for (const auto& evaluation : report.evaluations) {
    nlohmann::json entry = {{"epoch", std::round(evaluation.epoch * 100) / 100}, {"optimizer_step", evaluation.step},
                            {"validation", evaluation.score.summary}, {"selection", evaluation.score.selection}};
    for (std::size_t i = 0; i < report.loss_names.size(); ++i) entry[report.loss_names[i]] = evaluation.train_loss[i];
    json["evaluations"].push_back(entry);
  }
  return json;
}

}  // namespace spikingbert::tools
