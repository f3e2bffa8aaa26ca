#include "io/Vocabulary.hpp"

#include "io/Error.hpp"
#include "io/Utf8.hpp"

#include <fstream>
#include <sstream>

namespace spikingbert::io {
namespace {

// The reference's load_vocab strips each line with Python's str.strip(); vocab files only ever
// carry the ASCII line ending and spaces, so trimming ASCII whitespace is the same thing.
std::string_view strip_ascii_whitespace(std::string_view text) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; };
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

}  // namespace

void Vocabulary::add(std::string utf8_token, std::u32string token) {
  const int id = static_cast<int>(tokens_.size());
  longest_token_length_ = std::max(longest_token_length_, token.size());
  // A repeated token keeps its last id, as the reference's dict assignment does.
  ids_.insert_or_assign(std::move(token), id);
  tokens_.push_back(std::move(utf8_token));
}

Vocabulary Vocabulary::read(const std::filesystem::path& path) {
  std::ifstream stream(path, std::ios::binary);
  if (!stream) throw InputError(path.string(), "", "cannot open the vocabulary file", "a readable vocab.txt");
  Vocabulary vocabulary;
  vocabulary.source_ = path.string();
  std::string line;
  int line_number = 0;
  while (std::getline(stream, line)) {
    ++line_number;
    const std::string_view token = strip_ascii_whitespace(line);
    std::u32string decoded;
    if (const auto bad = decode_utf8(token, decoded)) {
      throw InputError(path.string(), "line " + std::to_string(line_number),
                       "invalid UTF-8 at byte " + std::to_string(*bad + 1), "UTF-8 text, one token per line");
    }
    vocabulary.add(std::string(token), std::move(decoded));
  }
  if (vocabulary.size() == 0) throw InputError(path.string(), "", "the vocabulary is empty", "one token per line");
  return vocabulary;
}

Vocabulary Vocabulary::from_tokens(const std::vector<std::string>& tokens) {
  Vocabulary vocabulary;
  vocabulary.source_ = "vocabulary";
  for (const auto& token : tokens) {
    std::u32string decoded;
    if (decode_utf8(token, decoded)) throw InputError("vocabulary", "token '" + token + "'", "invalid UTF-8");
    vocabulary.add(token, std::move(decoded));
  }
  return vocabulary;
}

std::optional<int> Vocabulary::find(std::u32string_view token) const {
  const auto found = ids_.find(token);
  if (found == ids_.end()) return std::nullopt;
  return found->second;
}

std::optional<int> Vocabulary::find(std::string_view utf8_token) const {
  std::u32string decoded;
  if (decode_utf8(utf8_token, decoded)) return std::nullopt;
  return find(std::u32string_view(decoded));
}

int Vocabulary::required_id(std::string_view utf8_token) const {
  if (const auto id = find(utf8_token)) return *id;
  throw InputError(source_, "", "the vocabulary has no token '" + std::string(utf8_token) + "'",
                   "a BERT vocabulary with [PAD], [UNK], [CLS] and [SEP]");
}

}  // namespace spikingbert::io
