#pragma once
// The one layout of the commands' JSON summaries (docs/cli.md, "One vocabulary"): task metrics as one object
// {"accuracy": ..., "f1": ...}, whatever the command.
#include "io/GlueMetrics.hpp"

#include <nlohmann/json.hpp>

#include <vector>

namespace spikingbert::tools {

// {"name": value, ...}, one entry per metric.
nlohmann::json metrics_json(const std::vector<io::MetricValue>& metrics);

}  // namespace spikingbert::tools
