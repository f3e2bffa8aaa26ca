#pragma once
// Option rules shared by every command, checked while the command line is parsed, so a bad value is
// reported before any file is read (io::InputError, `command line:--OPTION: ... (expected ...)`, exit 2).
//
// The one `--threads` rule (docs/errors.md): `--threads N` takes 1 <= N <= kMaximumThreads worker threads;
// without the option a command uses all cores. 0, negative and non-integer counts are bad input. "0 = all
// cores" (xz, zstd) is not offered: NEST's local_num_threads and Brian2's OpenMP thread count are positive
// counts, and with all cores as the default nothing is left for 0 to mean. Results never depend on N.
#include "io/ModelConfig.hpp"

#include <CLI/CLI.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace spikingbert::tools {

// Upper bounds (docs/errors.md "Resource bounds"). Threads: far above any core count, below the point where
// oneTBB and the per-thread buffers exhaust memory. Time steps T: io::kMaximumTimeSteps (io/ModelConfig.hpp),
// the bound of a config's t_conv too.
inline constexpr int kMaximumThreads = 1024;
using io::kMaximumTimeSteps;

// Cores of this machine (std::thread::hardware_concurrency, at least 1): the default thread count.
int all_cores();

// A validator accepting only integers in [1, maximum] for `option`; anything else throws io::InputError
// naming `option` and `expected`.
CLI::Validator positive_integer(const std::string& option, const std::string& expected,
                                std::int64_t maximum = INT32_MAX);

// A validator accepting only finite numbers > 0 for `option` (io::InputError naming it otherwise).
CLI::Validator positive_number(const std::string& option, const std::string& expected);

// The --steps rule of every command: 1 <= T <= kMaximumTimeSteps (InputError naming `option` otherwise).
void check_time_steps(const std::string& option, std::int64_t steps);

// A validator for an output file option: its folder must exist. Checked while parsing, so a command with
// several outputs fails before writing the first one (the same InputError AtomicFile would throw later).
CLI::Validator output_file_in_existing_folder();

// Checked by a command before any work: every output can be created (its folder exists and is writable,
// io::check_output_location), no two outputs are the same file, and no output is one of the command's
// inputs: the same path, the same file through a link (same device and inode), or a file directly inside
// an input folder (a model folder). Empty paths are skipped.
void check_outputs(const std::vector<std::filesystem::path>& inputs, const std::vector<std::filesystem::path>& outputs);

// --threads and --quiet are declared with the other shared options: commands/SharedOptions.hpp.

}  // namespace spikingbert::tools
