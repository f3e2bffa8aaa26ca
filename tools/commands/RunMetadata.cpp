#include "commands/RunMetadata.hpp"

#include <cstdint>

#ifndef SPIKINGBERT_GIT_COMMIT
#define SPIKINGBERT_GIT_COMMIT "unknown"
#endif

namespace spikingbert::tools {

namespace {

std::string command_line_text;

std::string shell_quoted(const std::string& argument) {
  if (!argument.empty() && argument.find_first_of(" \t\n'\"\\$`*?[]{}()<>|&;#~") == std::string::npos) return argument;
  std::string quoted = "'";
  for (const char c : argument) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

}  // namespace

void set_command_line(int argc, char** argv) {
  command_line_text.clear();
  for (int i = 0; i < argc; ++i) command_line_text += (i ? " " : "") + shell_quoted(argv[i]);
}

const std::string& command_line() { return command_line_text; }
std::string git_commit() { return SPIKINGBERT_GIT_COMMIT; }

void write_provenance(io::Hdf5Writer& out) {
  out.write_attribute("/", "spikingbert_version", std::string(SPIKINGBERT_VERSION));
  out.write_attribute("/", "git_commit", std::string(SPIKINGBERT_GIT_COMMIT));
  out.write_attribute("/", "command_line", command_line_text);
}

void write_energy_costs(io::Hdf5Writer& out, const traces::EnergyCosts& costs) {
  out.write_attribute("/", "energy_costs_name", costs.name);
  out.write_attribute("/", "energy_costs_accumulate_pj", costs.accumulate_pj);
  out.write_attribute("/", "energy_costs_multiply_accumulate_pj", costs.multiply_accumulate_pj);
  out.write_attribute("/", "energy_costs_other_operation_pj", costs.other_operation_pj);
  out.write_attribute("/", "energy_costs_memory_read_pj_per_byte", costs.memory_read_pj_per_byte);
  out.write_attribute("/", "energy_costs_value_bytes", static_cast<std::int64_t>(costs.value_bytes));
}

}  // namespace spikingbert::tools
