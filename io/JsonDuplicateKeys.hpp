#pragma once
// Duplicate keys in JSON input (safetensors headers, config.json) are an error, never "the last one wins".
#include <nlohmann/json.hpp>

#include <set>
#include <string>
#include <vector>

namespace spikingbert::io {

// Finds keys that appear twice in one JSON object. nlohmann::json keeps the last duplicate
// silently, and a duplicated tensor name is the classic way to make two readers disagree about a
// file, so the parse callback records every key per object.
class DuplicateKeyDetector {
 public:
  bool operator()(int /*depth*/, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    using Event = nlohmann::json::parse_event_t;
    if (event == Event::object_start) {
      keys_.emplace_back();
    } else if (event == Event::object_end) {
      if (!keys_.empty()) keys_.pop_back();
    } else if (event == Event::key && !keys_.empty() && duplicate_.empty()) {
      const auto key = parsed.get<std::string>();
      if (!keys_.back().insert(key).second) {
        duplicate_ = key;
        duplicate_at_top_level_ = keys_.size() == 1;
      }
    }
    return true;
  }
  const std::string& duplicate() const { return duplicate_; }
  bool duplicate_at_top_level() const { return duplicate_at_top_level_; }

 private:
  std::vector<std::set<std::string>> keys_;
  std::string duplicate_;
  bool duplicate_at_top_level_ = false;
};

}  // namespace spikingbert::io
