#pragma once
// Finds the Python interpreter with h5py/numpy/matplotlib (tools/find-python.sh) and runs repository
// scripts with it.
#include "support/RunCommand.hpp"

#include <initializer_list>
#include <string>
#include <string_view>

namespace spikingbert::testing {

// Joins pieces by appending (GCC 12 warns falsely, -Wrestrict, on "literal" + std::string chains).
inline std::string join(std::initializer_list<std::string_view> pieces) {
  std::string text;
  for (const auto piece : pieces) text.append(piece);
  return text;
}

inline std::string source_path(const std::string& relative) {
  return join({SPIKINGBERT_SOURCE_DIR, "/", relative});
}

inline const std::string& python_interpreter() {
  static const std::string interpreter = [] {
    auto found = run_shell(join({"'", source_path("tools/find-python.sh"), "'"})).out;
    while (!found.empty() && (found.back() == '\n' || found.back() == ' ')) found.pop_back();
    return found;
  }();
  return interpreter;
}

// Runs `script` (relative to the repository root) with the found interpreter and Agg backend.
inline CommandResult run_python(const std::string& script, const std::string& arguments) {
  return run_shell(join({"MPLBACKEND=Agg '", python_interpreter(), "' '", source_path(script), "' ", arguments}));
}

}  // namespace spikingbert::testing
