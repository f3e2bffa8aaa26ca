#include "io/TextCorpus.hpp"

#include "io/Error.hpp"
#include "io/Utf8.hpp"

#include <fstream>
#include <sstream>
#include <string_view>

namespace spikingbert::io {

std::vector<std::string> read_text_corpus(const std::filesystem::path& path) {
  std::ifstream stream(path, std::ios::binary);
  if (!stream) throw InputError(path.string(), "", "cannot open the file", "a readable text corpus (--corpus)");
  std::ostringstream buffer;
  buffer << stream.rdbuf();
  const std::string content = std::move(buffer).str();
  std::string_view text = content;
  constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";
  if (text.starts_with(kByteOrderMark)) text.remove_prefix(kByteOrderMark.size());
  std::vector<std::string> lines;
  std::size_t at = 0;
  int line_number = 0;
  while (at < text.size()) {
    const std::size_t end = text.find_first_of("\r\n", at);
    const std::string_view line = text.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at);
    at = end == std::string_view::npos ? text.size() : end + 1;
    if (end != std::string_view::npos && text[end] == '\r' && at < text.size() && text[at] == '\n') ++at;
    ++line_number;
    if (const auto bad = find_invalid_utf8(line)) {
      throw InputError(path.string(), "line " + std::to_string(line_number),
                       "invalid UTF-8 at byte " + std::to_string(*bad + 1) + " of the line", "UTF-8 text");
    }
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    lines.emplace_back(line);
  }
  if (lines.empty()) throw InputError(path.string(), "", "the file has no text", "one sentence or paragraph a line");
  return lines;
}

}  // namespace spikingbert::io
