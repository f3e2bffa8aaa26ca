#include "commands/ShippedData.hpp"

#include "io/Error.hpp"

#include <system_error>
#include <vector>

namespace spikingbert::tools {

std::filesystem::path find_shipped_data(const std::string& relative, const std::string& option) {
  std::vector<std::filesystem::path> candidates;
  std::error_code error;
  // Linux: the running executable; its prefix is the folder above bin/.
  const auto executable = std::filesystem::read_symlink("/proc/self/exe", error);
  if (!error) candidates.push_back(executable.parent_path() / ".." / "share" / "spikingbert" / "data" / relative);
#ifdef SPIKINGBERT_SOURCE_DIR
  candidates.push_back(std::filesystem::path(SPIKINGBERT_SOURCE_DIR) / "data" / relative);
#endif
  std::string looked;
  for (const auto& candidate : candidates) {
    if (std::filesystem::is_regular_file(candidate, error)) return candidate.lexically_normal();
    looked += (looked.empty() ? "" : ", ") + candidate.lexically_normal().string();
  }
  throw io::InputError("command line", option, "no shipped " + relative + " found (looked in " + looked + ")",
                       option + " FILE");
}

std::filesystem::path shipped_default_model() {
  const std::filesystem::path relative = "models/pretrained/sst2/student.h5";
  std::error_code error;
  std::vector<std::filesystem::path> candidates;
  const auto executable = std::filesystem::read_symlink("/proc/self/exe", error);
  if (!error) candidates.push_back(executable.parent_path() / ".." / "share" / "spikingbert" / relative);
#ifdef SPIKINGBERT_SOURCE_DIR
  candidates.push_back(std::filesystem::path(SPIKINGBERT_SOURCE_DIR) / relative);
#endif
  for (const auto& candidate : candidates) {
    if (std::filesystem::is_regular_file(candidate, error)) return candidate.lexically_normal();
  }
  return {};
}

std::filesystem::path default_vocabulary_path() { return find_shipped_data("vocab/bert-base-uncased.txt", "--vocab"); }

}  // namespace spikingbert::tools
