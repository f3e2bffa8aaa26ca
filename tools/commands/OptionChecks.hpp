#pragma once
// Option rules shared by every command, checked while the command line is parsed, so a bad value is
// reported before any file is read (io::InputError, `command line:--OPTION: ... (expected ...)`, exit 2).
//
// The one `--threads` rule (docs/errors.md): `--threads N` takes N >= 1 worker threads; without the
// option a command uses all cores. 0, negative and non-integer counts are bad input. "0 = all cores"
// (xz, zstd) is not offered: NEST's local_num_threads and Brian2's OpenMP thread count are positive
// counts, and with all cores as the default nothing is left for 0 to mean. Results never depend on N.
#include <CLI/CLI.hpp>

#include <string>

namespace spikingbert::tools {

// Cores of this machine (std::thread::hardware_concurrency, at least 1): the default thread count.
int all_cores();

// A validator accepting only integers >= 1 for `option`; anything else throws io::InputError naming
// `option` and `expected`.
CLI::Validator positive_integer(const std::string& option, const std::string& expected);

// A validator for an output file option: its folder must exist. Checked while parsing, so a command with
// several outputs fails before writing the first one (the same InputError AtomicFile would throw later).
CLI::Validator output_file_in_existing_folder();

// Adds `--threads N` to `command`, sets `threads` to all_cores() as its default, checks N >= 1.
CLI::Option* add_threads_option(CLI::App* command, int& threads, const std::string& what = "Worker threads");

// `--quiet`: no progress lines on stderr (commands/Progress.hpp); the same flag on every long command.
CLI::Option* add_quiet_option(CLI::App* command);

}  // namespace spikingbert::tools
