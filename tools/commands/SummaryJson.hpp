#pragma once
// The one layout of the commands' JSON summaries (docs/cli.md, "One vocabulary"): task metrics as one object
// {"accuracy": ..., "f1": ...}, whatever the command.
#include "io/GlueMetrics.hpp"
#include "training/TrainingLoop.hpp"

#include <nlohmann/json.hpp>

#include <vector>

namespace spikingbert::tools {

// {"name": value, ...}, one entry per metric.
nlohmann::json metrics_json(const std::vector<io::MetricValue>& metrics);

// What train-teacher and distill report of their training loop (training/TrainingLoop.hpp): best_validation,
// best_selection, best_optimizer_step, optimizer_steps, seconds, examples_per_second and evaluations (one
// object per evaluation: epoch, optimizer_step, each loss term by name, validation, selection).
nlohmann::json training_json(const training::TrainingReport& report);

}  // namespace spikingbert::tools
