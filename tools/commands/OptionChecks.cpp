#include "commands/OptionChecks.hpp"

#include "commands/Progress.hpp"

#include "io/Error.hpp"

#include <charconv>
#include <filesystem>
#include <thread>

namespace spikingbert::tools {

int all_cores() {
  const unsigned cores = std::thread::hardware_concurrency();  // 0 when unknown
  return cores > 0 ? static_cast<int>(cores) : 1;
}

CLI::Validator positive_integer(const std::string& option, const std::string& expected) {
  return CLI::Validator(
      [option, expected](std::string& text) -> std::string {
        long long value = 0;
        const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (error != std::errc() || end != text.data() + text.size())
          throw io::InputError("command line", option, "'" + text + "' is not an integer", expected);
        if (value < 1) throw io::InputError("command line", option, "is " + text, expected);
        return {};
      },
      "N>=1");
}

CLI::Validator output_file_in_existing_folder() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        const auto folder = std::filesystem::path(text).parent_path();
        if (!folder.empty() && !std::filesystem::is_directory(folder))
          throw io::InputError(text, "", "the output folder does not exist", "an existing folder");
        return {};
      },
      "FILE");
}

CLI::Option* add_threads_option(CLI::App* command, int& threads, const std::string& what) {
  threads = all_cores();
  return command->add_option("--threads", threads, what + " (default: all cores; results do not depend on it)")
      ->check(positive_integer("--threads", "a thread count >= 1; without --threads all " +
                                                std::to_string(all_cores()) + " cores"));
}

CLI::Option* add_quiet_option(CLI::App* command) {
  return command->add_flag_callback("--quiet", [] { set_progress_quiet(true); }, "No progress lines on stderr");
}

}  // namespace spikingbert::tools
