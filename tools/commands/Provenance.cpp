#include "commands/Provenance.hpp"

#include "io/Checkpoint.hpp"
#include "io/Error.hpp"
#include "io/FileHash.hpp"
#include "io/Hdf5File.hpp"
#include "models/TeacherEnsemble.hpp"

#include <ostream>

namespace spikingbert::tools {

namespace {

std::string& command_line_storage() {
  static std::string line;
  return line;
}

constexpr const char* kMetadataGroup = "/metadata";  // io/Checkpoint.hpp

bool is_native_checkpoint(const std::filesystem::path& path) {
  if (!std::filesystem::is_regular_file(path)) return false;
  try {
    const io::Hdf5Reader reader(path);
    return reader.has_attribute("/", "format") && reader.read_attribute_string("/", "format") == io::kCheckpointFormat;
  } catch (const io::InputError&) {
    return false;  // not HDF5 (e.g. a safetensors file)
  }
}

}  // namespace

void record_command_line(int argc, char** argv) {
  std::string line;
  for (int i = 0; i < argc; ++i) {
    std::string argument = i == 0 ? std::filesystem::path(argv[0]).filename().string() : std::string(argv[i]);
    if (argument.empty() || argument.find_first_of(" \t'\"") != std::string::npos) argument = "'" + argument + "'";
    line += (i > 0 ? " " : "") + argument;
  }
  command_line_storage() = line;
}

const std::string& recorded_command_line() { return command_line_storage(); }

nlohmann::json read_provenance(const std::filesystem::path& path) {
  if (std::filesystem::is_directory(path) && std::filesystem::exists(path / "ensemble.json")) {
    nlohmann::json record = {{"stage", "ensemble"}, {"parents", nlohmann::json::array()}};
    for (const auto& member : models::teacher_member_paths(path)) {
      record["parents"].push_back({{"role", "member"}, {"file", member.string()},
                                   {"fnv1a64", io::file_fingerprint(member)}, {"provenance", read_provenance(member)}});
    }
    return record;
  }
  if (!is_native_checkpoint(path)) return nullptr;
  const io::Hdf5Reader reader(path);
  if (!reader.is_group(kMetadataGroup) || !reader.has_attribute(kMetadataGroup, kProvenanceKey)) return nullptr;
  const auto text = reader.read_attribute_string(kMetadataGroup, kProvenanceKey);
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception&) {
    throw io::InputError(path.string(), "metadata 'provenance'", "is not JSON", "a provenance record");
  }
}

nlohmann::json provenance_record(const std::string& stage, const nlohmann::json& seeds,
                                 const std::vector<std::filesystem::path>& data_files,
                                 const std::vector<ProvenanceParent>& parents) {
  nlohmann::json record;
  record["stage"] = stage;
  record["command_line"] = recorded_command_line();
  record["code_version"] = code_version();
  record["seeds"] = seeds;
  record["data"] = nlohmann::json::array();
  for (const auto& file : data_files) {
    record["data"].push_back({{"file", file.string()}, {"fnv1a64", io::file_fingerprint(file)}});
  }
  record["parents"] = nlohmann::json::array();
  for (const auto& parent : parents) {
    record["parents"].push_back({{"role", parent.role}, {"file", parent.path.string()},
                                 {"fnv1a64", io::file_fingerprint(parent.path)},
                                 {"provenance", read_provenance(parent.path)}});
  }
  return record;
}

void print_provenance(std::ostream& out, const nlohmann::json& record, int depth) {
  const std::string indent(static_cast<std::size_t>(2 * depth), ' ');
  auto text = [&](const char* key) {
    return record.contains(key) && record[key].is_string() ? record[key].get<std::string>() : std::string("?");
  };
  out << indent << "stage: " << text("stage") << "\n";
  if (record.contains("command_line")) out << indent << "  command: " << text("command_line") << "\n";
  if (record.contains("code_version")) out << indent << "  code: " << text("code_version") << "\n";
  if (record.contains("seeds") && !record["seeds"].empty()) out << indent << "  seeds: " << record["seeds"].dump() << "\n";
  if (record.contains("data")) {
    for (const auto& data : record["data"]) {
      out << indent << "  data: " << data.value("file", "?") << " (fnv1a64 " << data.value("fnv1a64", "?") << ")\n";
    }
  }
  if (record.contains("parents")) {
    for (const auto& parent : record["parents"]) {
      out << indent << "  " << parent.value("role", "parent") << ": " << parent.value("file", "?") << " (fnv1a64 "
          << parent.value("fnv1a64", "?") << ")\n";
      if (parent.contains("provenance") && parent["provenance"].is_object()) {
        print_provenance(out, parent["provenance"], depth + 2);
      } else {
        out << indent << "    (no provenance record)\n";
      }
    }
  }
}

}  // namespace spikingbert::tools
