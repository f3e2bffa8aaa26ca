#include "traces/Recorder.hpp"

#include "io/Error.hpp"

namespace spikingbert::traces {

TraceLevel parse_trace_level(std::string_view text, std::string_view option) {
  if (text == "summary") return TraceLevel::summary;
  if (text == "neurons") return TraceLevel::neurons;
  if (text == "spikes") return TraceLevel::spikes;
  throw io::InputError("command line", std::string(option), "unknown trace level '" + std::string(text) + "'",
                       "summary, neurons or spikes");
}

std::string_view to_string(TraceLevel level) {
  switch (level) {
    case TraceLevel::summary: return "summary";
    case TraceLevel::neurons: return "neurons";
    case TraceLevel::spikes: return "spikes";
  }
  return "summary";
}

}  // namespace spikingbert::traces
