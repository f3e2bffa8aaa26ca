#pragma once
// Run metadata written into the HDF5 outputs of `run` and `grad` (docs/formats.md "Run metadata"):
// what produced the file and how, so a file found later describes itself.
#include "io/Hdf5File.hpp"
#include "traces/EnergyModel.hpp"

#include <string>

namespace spikingbert::tools {

// main() records the command line once, before parsing.
void set_command_line(int argc, char** argv);

// The command line recorded by set_command_line (arguments shell-quoted where needed) and the source
// tree's commit at configure time ("unknown" outside a git checkout): every output's metadata.
const std::string& command_line();
std::string git_commit();

// Root attributes: spikingbert_version, git_commit (of the source tree at configure time, "unknown"
// outside a git checkout), command_line (the arguments, shell-quoted where needed).
void write_provenance(io::Hdf5Writer& out);

// Root attributes energy_costs_{name,accumulate_pj,multiply_accumulate_pj,other_operation_pj,
// memory_read_pj_per_byte,value_bytes}: the costs any energy numbers of the run were priced with.
void write_energy_costs(io::Hdf5Writer& out, const traces::EnergyCosts& costs);

}  // namespace spikingbert::tools
