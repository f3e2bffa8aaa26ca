#pragma once
// What makes --resume safe (docs/errors.md "Resume"): the training state (CKPT.state) records the options
// that define the run, and a resumed run must give exactly the same ones, or it would continue another run
// (a mixed run: another seed's batches, another learning-rate schedule, ...). The state's counters are
// validated before they are used.
#include "io/Error.hpp"

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace spikingbert::training {

// Option name as on the command line ("--seed") and its value as text, e.g. {"--seed", "42"}.
using RunOptions = std::vector<std::pair<std::string, std::string>>;

// A floating-point option's value as text that round-trips (%.17g), for RunOptions.
inline std::string option_text(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", value);
  return text;
}

inline std::string run_option_key(const std::string& option) { return "option " + option; }

inline void store_run_options(const RunOptions& options, std::map<std::string, std::string>& metadata) {
  for (const auto& [option, value] : options) metadata[run_option_key(option)] = value;
}

// InputError naming the option and both values if this run's options differ from the state's. A state
// without recorded options (written by an older version) is accepted as before.
inline void check_run_options(const RunOptions& options, const std::map<std::string, std::string>& metadata,
                              const std::string& file) {
  for (const auto& [option, value] : options) {
    const auto found = metadata.find(run_option_key(option));
    if (found == metadata.end() || found->second == value) continue;
    throw io::InputError(file, "metadata '" + run_option_key(option) + "'",
                     "the interrupted run used " + option + " " + found->second + ", this one " + option + " " + value,
                     "--resume with the options of the interrupted run (or start anew without --resume)");
  }
}

// A state counter (step, best step) as an integer in [minimum, maximum]; InputError otherwise.
inline std::int64_t state_counter(const std::map<std::string, std::string>& metadata, const std::string& key,
                                  std::int64_t minimum, std::int64_t maximum, const std::string& file) {
  const auto found = metadata.find(key);
  if (found == metadata.end()) throw io::InputError(file, "metadata '" + key + "'", "missing", "a training state");
  const std::string& text = found->second;
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < minimum || value > maximum) {
    throw io::InputError(file, "metadata '" + key + "'", "is '" + text + "'",
                     "an integer from " + std::to_string(minimum) + " to " + std::to_string(maximum));
  }
  return value;
}

// A state number (best dev selection score, may be -inf before the first evaluation); InputError if it is
// not a number.
inline double state_number(const std::map<std::string, std::string>& metadata, const std::string& key,
                           const std::string& file) {
  const auto found = metadata.find(key);
  if (found == metadata.end()) throw io::InputError(file, "metadata '" + key + "'", "missing", "a training state");
  char* end = nullptr;
  const double value = std::strtod(found->second.c_str(), &end);
  if (found->second.empty() || end != found->second.c_str() + found->second.size() || value != value) {
    throw io::InputError(file, "metadata '" + key + "'", "is '" + found->second + "'", "a number");
  }
  return value;
}

}  // namespace spikingbert::training
