#include "commands/OptionChecks.hpp"

#include "io/AtomicFile.hpp"

#include "io/Error.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <thread>

namespace spikingbert::tools {
namespace fs = std::filesystem;

namespace {
// True if `a` and `b` name the same file: the same device and inode when both exist, else the same path.
bool same_file(const fs::path& a, const fs::path& b) {
  std::error_code error;
  if (fs::exists(a, error) && fs::exists(b, error)) {
    const bool equal = fs::equivalent(a, b, error);
    if (!error) return equal;
  }
  return fs::weakly_canonical(a, error) == fs::weakly_canonical(b, error);
}

[[noreturn]] void refuse_clobbering(const fs::path& output, const fs::path& input) {
  throw io::InputError(output.string(), "", "is an input of this command (" + input.string() + ")",
                       "an output file that is none of the inputs");
}
}  // namespace

int all_cores() {
  const unsigned cores = std::thread::hardware_concurrency();  // 0 when unknown
  return cores > 0 ? static_cast<int>(cores) : 1;
}

CLI::Validator positive_integer(const std::string& option, const std::string& expected, std::int64_t maximum) {
  return CLI::Validator(
      [option, expected, maximum](std::string& text) -> std::string {
        long long value = 0;
        const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (error == std::errc::result_out_of_range)
          throw io::InputError("command line", option, "'" + text + "' is out of range", expected);
        if (error != std::errc() || end != text.data() + text.size())
          throw io::InputError("command line", option, "'" + text + "' is not an integer", expected);
        if (value < 1 || value > maximum) throw io::InputError("command line", option, "is " + text, expected);
        return {};
      },
      "N>=1");
}

CLI::Validator positive_number(const std::string& option, const std::string& expected) {
  return CLI::Validator(
      [option, expected](std::string& text) -> std::string {
        char* end = nullptr;
        const double value = std::strtod(text.c_str(), &end);
        if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(value) || !(value > 0))
          throw io::InputError("command line", option, "is '" + text + "'", expected);
        return {};
      },
      "X>0");
}

void check_time_steps(const std::string& option, std::int64_t steps) {
  if (steps < 1 || steps > kMaximumTimeSteps) {
    throw io::InputError("command line", option, "is " + std::to_string(steps),
                         "T >= 1 (at most " + std::to_string(kMaximumTimeSteps) + " time steps)");
  }
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

void check_outputs(const std::vector<fs::path>& inputs, const std::vector<fs::path>& outputs) {
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    const auto& output = outputs[i];
    if (output.empty()) continue;
    for (std::size_t j = 0; j < i; ++j) {
      if (!outputs[j].empty() && same_file(output, outputs[j])) {
        throw io::InputError(output.string(), "", "is given as two outputs of this command", "a separate file per output");
      }
    }
    for (const auto& input : inputs) {
      if (input.empty()) continue;
      if (same_file(output, input)) refuse_clobbering(output, input);
      std::error_code error;
      if (fs::is_directory(input, error) && fs::exists(output, error)) {
        for (const auto& entry : fs::directory_iterator(input, error)) {
          if (entry.is_regular_file(error) && same_file(output, entry.path())) refuse_clobbering(output, entry.path());
        }
      }
    }
    std::error_code error;
    // An existing folder is the output of an ensemble (convert, train-teacher --members): its files are
    // checked by their writers.
    if (!fs::is_directory(output, error)) io::check_output_location(output);
  }
}

}  // namespace spikingbert::tools
