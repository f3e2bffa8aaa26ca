#pragma once
// A WordPiece vocabulary: one token per line, the id is the 0-based line number (the format of
// bert-base-uncased's vocab.txt). Tokens are kept as code points, which is what the tokenizer works in.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace spikingbert::io {

class Vocabulary {
 public:
  // Reads a vocab.txt. Throws InputError (file, line) for a missing or empty file or invalid UTF-8.
  static Vocabulary read(const std::filesystem::path& path);
  // From tokens in id order (for tests and tools that build a vocabulary in memory).
  static Vocabulary from_tokens(const std::vector<std::string>& tokens);

  std::optional<int> find(std::u32string_view token) const;
  std::optional<int> find(std::string_view utf8_token) const;
  // The id of a token the vocabulary must contain (the special tokens); throws InputError otherwise.
  int required_id(std::string_view utf8_token) const;
  const std::string& token(int id) const { return tokens_.at(static_cast<std::size_t>(id)); }
  std::size_t size() const { return tokens_.size(); }
  // The longest token, in code points (bounds the WordPiece search).
  std::size_t longest_token_length() const { return longest_token_length_; }
  const std::string& source() const { return source_; }

 private:
  // The WordPiece search looks tokens up millions of times per data set, so the index is a flat
  // open-addressing table (linear probing) over one character pool rather than a node-based map:
  // one cache line per probe instead of a pointer chase.
  struct Slot {
    std::uint64_t hash = 0;
    std::uint32_t offset = 0;  // into characters_
    std::uint32_t length = 0;
    std::int32_t id = -1;      // -1: empty slot
  };
  static std::uint64_t hash(std::u32string_view token);
  void build_index();

  std::string source_;               // file name for error messages
  std::vector<std::string> tokens_;  // UTF-8, by id
  std::u32string characters_;        // every token's code points, back to back
  std::vector<std::uint32_t> token_offsets_;  // token id's code points start here in characters_
  std::vector<Slot> slots_;
  std::uint64_t slot_mask_ = 0;      // slots_.size() - 1 (a power of two)
  std::size_t longest_token_length_ = 0;

  void add(std::string utf8_token, const std::u32string& token);
};

}  // namespace spikingbert::io
