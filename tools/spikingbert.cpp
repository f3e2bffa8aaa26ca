// The `spikingbert` command line. Thin by design: every subcommand is a file in commands/.
// Errors in input become one line on stderr and exit code 2 (io/Error.hpp).
#include "commands/Commands.hpp"
#include "commands/SharedOptions.hpp"
#include "commands/RunMetadata.hpp"
#include "commands/Interrupt.hpp"
#include "commands/Provenance.hpp"
#include "io/Error.hpp"
#include "training/Communicator.hpp"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <iostream>
#include <string>

#ifdef __GLIBC__
#include <malloc.h>
#endif

namespace {

// CLI11 reports option errors in its own words, sometimes over two lines ("...\nRun with --help for more
// information."). Every bad input of this program is one line in the FILE:PLACE: problem (expected ...)
// form, so command-line errors are rewritten to it, with "command line" as the file.
std::string command_line_error(const CLI::App& app, const CLI::ParseError& error) {
  std::string problem = error.what();
  for (char& character : problem) {
    if (character == '\n' || character == '\r') character = ' ';
  }
  // CLI::NonNegativeNumber is Range(0, DBL_MAX): its message would print DBL_MAX with 300 digits.
  const auto range = problem.find(" not in range 0.000000 to 17976931348623157");
  if (range != std::string::npos) problem = problem.substr(0, range) + " is not a non-negative number";
  std::string help = "spikingbert";
  for (const auto* subcommand : app.get_subcommands()) help += " " + subcommand->get_name();
  return "command line: " + problem + " (expected the options listed by `" + help + " --help`)";
}

// One rank of several that failed ends the whole job (every rank would otherwise wait in its next collective
// for the one that left): its error line is printed first, then MPI_Abort. One rank: plain exit code.
int failed(int exit_code) {
  auto& world = spikingbert::training::world();
  if (world.size() > 1) {
    std::cerr << "spikingbert: rank " << world.rank() << " of " << world.size() << " failed; ending the job\n" << std::flush;
    world.abort(exit_code);
  }
  return exit_code;
}

int run(int argc, char** argv) {
  namespace tools = spikingbert::tools;
  CLI::App app{"spikingbert: event-driven simulator and trainer for spiking language models (SpikingBERT)"};
  app.set_version_flag("--version", std::string("spikingbert ") + SPIKINGBERT_VERSION);
  app.require_subcommand(1);

  tools::add_tokenize_command(app);
  tools::add_data_command(app);
  tools::add_run_command(app);
  tools::add_bench_command(app);
  tools::add_sweep_command(app);
  tools::add_train_teacher_command(app);
  tools::add_run_teacher_command(app);
  tools::add_distill_command(app);
  tools::add_grad_command(app);
  tools::add_convert_command(app);
  tools::add_inspect_command(app);
  tools::add_renamed_options(app);  // retired option names: one line naming the new one (SharedOptions.hpp)

  tools::set_command_line(argc, argv);  // for the outputs' metadata (commands/RunMetadata.hpp)
  tools::record_command_line(argc, argv);  // for the provenance of checkpoints (commands/Provenance.hpp)
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    if (error.get_exit_code() == 0) return app.exit(error);  // --help, --version
    std::cerr << spikingbert::io::fresh_error_line() << "spikingbert: error: "
              << spikingbert::io::escape_for_terminal(command_line_error(app, error)) << "\n";
    return failed(spikingbert::io::kInputErrorExitCode);
  } catch (const spikingbert::io::InputError& error) {
    std::cerr << spikingbert::io::fresh_error_line() << "spikingbert: error: " << error.what() << "\n";
    return failed(spikingbert::io::kInputErrorExitCode);
  } catch (const tools::Interrupted& stopped) {
    spikingbert::io::set_progress_line_open(false);
    std::cerr << "\nspikingbert: interrupted: " << stopped.what() << "\n";
    return failed(tools::kInterruptedExitCode);
  } catch (const std::exception& error) {
    std::cerr << spikingbert::io::fresh_error_line() << "spikingbert: internal error: "
              << spikingbert::io::escape_for_terminal(error.what()) << "\n";
    return failed(3);
  }
  return 0;
}

}  // namespace

// Keeps memory the process frees for its own reuse instead of handing it back to the kernel. glibc serves
// blocks above 32 MB with mmap and unmaps them on free, so every training step's and every batch's large
// buffers (the event kernel's currents and spike rings, the map's activations: hundreds of MB at the paper's
// shape) came back as fresh pages the kernel had to zero on first touch: a third of a paper-shape training
// step (docs/benchmarks.md "Training step against the authors' code", session 7). With mmap off and no
// trimming, freed blocks return to malloc's free lists and the next step's same-sized requests reuse them.
// Peak memory is unchanged (the same blocks are reused); the process just keeps its peak until it exits.
void keep_freed_memory_for_reuse() {
#ifdef __GLIBC__
  mallopt(M_MMAP_MAX, 0);         // no block is served by mmap (so none is unmapped on free)
  mallopt(M_TRIM_THRESHOLD, -1);  // never return the heap's free top to the kernel
#endif
}

int main(int argc, char** argv) {
  keep_freed_memory_for_reuse();
  // Under mpirun/srun every rank runs the same command; rank 0 alone prints results and writes outputs
  // (the other ranks' stdout is discarded; their errors still reach stderr). docs/scaling.md.
  const spikingbert::training::DistributedSession session(argc, argv);
  auto& world = spikingbert::training::world();
  if (!world.is_root()) {
    std::freopen("/dev/null", "w", stdout);
    // Commands that do not spread their work over ranks run on rank 0 alone.
    const std::string command = argc > 1 ? argv[1] : "";
    const bool distributed = command == "run" || command == "run-teacher" || command == "sweep" ||
                             command == "distill" || command == "train-teacher";
    if (!distributed) return 0;
  }
  return run(argc, argv);
}
