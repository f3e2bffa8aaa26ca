#pragma once
// GLUE inputs for the tiny conformance model (vocab_size 64) in tools tests: a 64-token vocabulary and
// small SST-2 files made of its words, plus the JSON summary line `run --json` ends with.
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace spikingbert::testing {

inline constexpr int kTinyVocabularySize = 64;  // tests/data/tiny/config.json vocab_size

// [PAD] [UNK] [CLS] [SEP] [MASK] then words w5 ... w63: exactly the tiny model's vocabulary size.
inline std::string write_tiny_vocabulary(const std::filesystem::path& folder, int size = kTinyVocabularySize) {
  const auto path = folder / "vocab.txt";
  std::ofstream out(path);
  out << "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n";
  for (int i = 5; i < size; ++i) out << "w" << i << "\n";
  return path.string();
}

// Six labelled sentences of different lengths (so batches hold padding).
inline std::string write_small_sst2(const std::filesystem::path& folder) {
  const auto path = folder / "dev.tsv";
  std::ofstream out(path);
  out << "sentence\tlabel\n"
      << "w5 w6 w7 w8\t1\n"
      << "w9 w10\t0\n"
      << "w11 w12 w13 w14 w15 w16 w17 w18\t1\n"
      << "w20 unknownword w21\t0\n"
      << "w30 w31 w32 w33 w34 w35\t1\n"
      << "w40\t0\n";
  return path.string();
}

// `count` labelled sentences of 3..14 words drawn deterministically from the vocabulary.
inline std::string write_many_sst2(const std::filesystem::path& folder, int count) {
  const auto path = folder / "many.tsv";
  std::ofstream out(path);
  out << "sentence\tlabel\n";
  for (int i = 0; i < count; ++i) {
    const int words = 3 + (i * 7) % 12;
    for (int w = 0; w < words; ++w) out << (w > 0 ? " " : "") << "w" << 5 + (i * 13 + w * 17) % 59;
    out << "\t" << i % 2 << "\n";
  }
  return path.string();
}

inline nlohmann::json last_json_line(const std::string& out) {
  std::istringstream lines(out);
  std::string line, last;
  while (std::getline(lines, line))
    if (!line.empty()) last = line;
  return nlohmann::json::parse(last);
}

}  // namespace spikingbert::testing
