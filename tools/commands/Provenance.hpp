#pragma once
// Where a checkpoint came from (issue 14 item 5; docs/training.md "Provenance"): every checkpoint that
// train-teacher, distill and convert write holds, as the JSON string metadata attribute "provenance",
//   {"stage": "distill pred", "command_line": "spikingbert distill ...", "code_version": "<git describe>",
//    "seeds": {...}, "data": [{"file": F, "fnv1a64": H}, ...],
//    "parents": [{"role": "teacher" | "init" | "input", "file": F, "fnv1a64": H, "provenance": {...}}]}
// with each parent's own record copied in, so the whole chain of stages travels with the file even when the
// parents are moved or deleted; `spikingbert inspect` prints it.
#include <nlohmann/json.hpp>

#include <filesystem>
#include <iosfwd>
#include <string>
#include <vector>

namespace spikingbert::tools {

inline constexpr const char* kProvenanceKey = "provenance";  // checkpoint metadata attribute

// `git describe --always --dirty` of the source tree at build time, or "unknown" (generated file,
// cmake/CodeVersion.cmake).
const char* code_version();

// main() records argv once; records quote it (arguments with spaces in single quotes).
void record_command_line(int argc, char** argv);
const std::string& recorded_command_line();

struct ProvenanceParent {
  std::string role;              // "teacher", "init", "input"
  std::filesystem::path path;    // a checkpoint, a Hugging Face folder or an ensemble folder
};

// The record of a stage that read `data_files` and `parents` (fingerprinted now).
nlohmann::json provenance_record(const std::string& stage, const nlohmann::json& seeds,
                                 const std::vector<std::filesystem::path>& data_files,
                                 const std::vector<ProvenanceParent>& parents);

// The record stored in a native checkpoint (read without its tensors); null for a Hugging Face folder, an
// ensemble folder's manifest or a checkpoint written before provenance existed. Ensemble folders: a record
// whose parents are the members.
nlohmann::json read_provenance(const std::filesystem::path& path);

// The chain as indented lines: the stage, its command line, code version, seeds and data, then each parent.
void print_provenance(std::ostream& out, const nlohmann::json& record, int depth = 0);

}  // namespace spikingbert::tools
