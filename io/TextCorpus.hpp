#pragma once
// A plain-text corpus for general distillation (issue 14 item 2): UTF-8, one sentence or paragraph a line
// (\n, \r\n or \r), a leading byte-order mark skipped, blank lines skipped. Throws InputError naming the file
// and line for invalid UTF-8, and for a file without any text.
#include <filesystem>
#include <string>
#include <vector>

namespace spikingbert::io {

std::vector<std::string> read_text_corpus(const std::filesystem::path& path);

}  // namespace spikingbert::io
