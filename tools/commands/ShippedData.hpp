#pragma once
// Finds the data shipped with spikingbert (the default vocabulary, the GLUE samples) both in an
// installed tree and in the source tree the executable was built from.
#include <filesystem>
#include <string>

namespace spikingbert::tools {

// The path of `relative` (e.g. "vocab/bert-base-uncased.txt") under the shipped data folder. Looks
// first next to the executable, in <prefix>/share/spikingbert/data (an installed spikingbert), then in
// the source tree's data/ (SPIKINGBERT_SOURCE_DIR, a build tree). Throws InputError naming `option`
// and the places it looked if neither has it.
std::filesystem::path find_shipped_data(const std::string& relative, const std::string& option);

// The default WordPiece vocabulary, bert-base-uncased.
std::filesystem::path default_vocabulary_path();

// The shipped SST-2 spiking student (models/pretrained/sst2/student.h5, written by tools/train-default.sh),
// the model `run` uses when --model is not given: next to the executable in
// <prefix>/share/spikingbert/models/pretrained, then in the source tree. Empty if neither has it.
std::filesystem::path shipped_default_model();

}  // namespace spikingbert::tools
