#include "commands/Commands.hpp"

#include "io/Error.hpp"

namespace spikingbert::tools {

void add_placeholder_command(CLI::App& app, const std::string& name, const std::string& description) {
  auto* command = app.add_subcommand(name, description + " (not implemented yet)");
  command->allow_extras();
  command->callback([name] {
    throw io::InputError("command line", name, "'" + name + "' is not implemented yet",
                         "one of the implemented commands; see spikingbert --help");
  });
}

}  // namespace spikingbert::tools
