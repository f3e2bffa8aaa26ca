#include "commands/SummaryJson.hpp"

namespace spikingbert::tools {

nlohmann::json metrics_json(const std::vector<io::MetricValue>& metrics) {
  nlohmann::json json = nlohmann::json::object();
  for (const auto& metric : metrics) json[metric.name] = metric.value;
  return json;
}

}  // namespace spikingbert::tools
