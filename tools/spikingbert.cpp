// The `spikingbert` command line. Thin by design: every subcommand is a file in commands/.
// Errors in input become one line on stderr and exit code 2 (io/Error.hpp).
#include "commands/Commands.hpp"
#include "commands/Interrupt.hpp"
#include "commands/Provenance.hpp"
#include "io/Error.hpp"

#include <CLI/CLI.hpp>

#include <exception>
#include <iostream>
#include <string>

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

}  // namespace

int main(int argc, char** argv) {
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

  tools::record_command_line(argc, argv);  // for the provenance of checkpoints (commands/Provenance.hpp)
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    if (error.get_exit_code() == 0) return app.exit(error);  // --help, --version
    std::cerr << "spikingbert: error: " << command_line_error(app, error) << "\n";
    return spikingbert::io::kInputErrorExitCode;
  } catch (const spikingbert::io::InputError& error) {
    std::cerr << "spikingbert: error: " << error.what() << "\n";
    return spikingbert::io::kInputErrorExitCode;
  } catch (const tools::Interrupted& stopped) {
    std::cerr << "\nspikingbert: interrupted: " << stopped.what() << "\n";
    return tools::kInterruptedExitCode;
  } catch (const std::exception& error) {
    std::cerr << "spikingbert: internal error: " << error.what() << "\n";
    return 3;
  }
  return 0;
}
