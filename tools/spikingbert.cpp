// The `spikingbert` command line. Thin by design: every subcommand is a file in commands/.
// Errors in input become one line on stderr and exit code 2 (io/Error.hpp).
#include "commands/Commands.hpp"
#include "io/Error.hpp"

#include <CLI/CLI.hpp>

#include <exception>
#include <iostream>

int main(int argc, char** argv) {
  namespace tools = spikingbert::tools;
  CLI::App app{"spikingbert: event-driven simulator and trainer for spiking language models (SpikingBERT)"};
  app.set_version_flag("--version", std::string("spikingbert ") + SPIKINGBERT_VERSION);
  app.require_subcommand(1);

  tools::add_tokenize_command(app);
  tools::add_data_command(app);
  tools::add_run_command(app);
  tools::add_bench_command(app);
  tools::add_placeholder_command(app, "sweep", "Sweep T and V_th and record accuracy, ASR and energy");
  tools::add_train_teacher_command(app);
  tools::add_run_teacher_command(app);
  tools::add_placeholder_command(app, "distill", "Distil a teacher into a spiking student");
  tools::add_grad_command(app);
  tools::add_convert_command(app);
  tools::add_inspect_command(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error);
    return code == 0 ? 0 : spikingbert::io::kInputErrorExitCode;
  } catch (const spikingbert::io::InputError& error) {
    std::cerr << "spikingbert: error: " << error.what() << "\n";
    return spikingbert::io::kInputErrorExitCode;
  } catch (const std::exception& error) {
    std::cerr << "spikingbert: internal error: " << error.what() << "\n";
    return 3;
  }
  return 0;
}
