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

void Vocabulary::add(std::string utf8_token, const std::u32string& token) {
  longest_token_length_ = std::max(longest_token_length_, token.size());
  token_offsets_.push_back(static_cast<std::uint32_t>(characters_.size()));
  characters_.append(token);
  tokens_.push_back(std::move(utf8_token));
}

std::uint64_t Vocabulary::hash(std::u32string_view token) {
  // FNV-1a, 64 bit, over code points.
  constexpr std::uint64_t kOffsetBasis = 14695981039346656037ULL, kPrime = 1099511628211ULL;
  std::uint64_t value = kOffsetBasis;
  for (const char32_t c : token) {
    value ^= c;
    value *= kPrime;
  }
  return value;
}

void Vocabulary::build_index() {
  // At most half full, so probe sequences stay short.
  std::size_t capacity = 16;
  while (capacity < 2 * tokens_.size()) capacity *= 2;
  slots_.assign(capacity, Slot{});
  slot_mask_ = capacity - 1;
  token_offsets_.push_back(static_cast<std::uint32_t>(characters_.size()));  // end of the last token
  for (std::size_t id = 0; id < tokens_.size(); ++id) {
    const std::uint32_t offset = token_offsets_[id], length = token_offsets_[id + 1] - offset;
    const std::u32string_view token(characters_.data() + offset, length);
    const std::uint64_t token_hash = hash(token);
    std::uint64_t at = token_hash & slot_mask_;
    while (slots_[at].id >= 0 && !(slots_[at].hash == token_hash &&
                                   std::u32string_view(characters_.data() + slots_[at].offset, slots_[at].length) == token)) {
      at = (at + 1) & slot_mask_;
    }
    // The reference's dict assignment would keep a repeated token's last id and leave the first id
    // unreachable: a file with a repeated token is not a vocabulary a model was trained with.
    if (slots_[at].id >= 0) {
      throw InputError(source_, "line " + std::to_string(id + 1),
                       "token '" + tokens_[id] + "' appears again (first on line " + std::to_string(slots_[at].id + 1) + ")",
                       "each token once");
    }
    slots_[at] = Slot{token_hash, offset, length, static_cast<std::int32_t>(id)};
  }
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
    vocabulary.add(std::string(token), decoded);
  }
  if (vocabulary.size() == 0) throw InputError(path.string(), "", "the vocabulary is empty", "one token per line");
  vocabulary.build_index();
  return vocabulary;
}

Vocabulary Vocabulary::from_tokens(const std::vector<std::string>& tokens) {
  Vocabulary vocabulary;
  vocabulary.source_ = "vocabulary";
  for (const auto& token : tokens) {
    std::u32string decoded;
    if (decode_utf8(token, decoded)) throw InputError("vocabulary", "token '" + token + "'", "invalid UTF-8");
    vocabulary.add(token, decoded);
  }
  vocabulary.build_index();
  return vocabulary;
}

std::optional<int> Vocabulary::find(std::u32string_view token) const {
  const std::uint64_t token_hash = hash(token);
  for (std::uint64_t at = token_hash & slot_mask_;; at = (at + 1) & slot_mask_) {
    const Slot& slot = slots_[at];
    if (slot.id < 0) return std::nullopt;
    if (slot.hash == token_hash && std::u32string_view(characters_.data() + slot.offset, slot.length) == token) {
      return slot.id;
    }
  }
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
