#pragma once
// The few Unicode properties the BERT basic tokenizer needs, as compact tables.
//
// Why generated tables and not ICU: the reference tokenizer is Python code calling `unicodedata` and
// `str.lower()`. Tables generated from that very Python (tools/generate_unicode_tables.py, Debian 12's
// Python 3.11 = Unicode 14.0.0) reproduce its answers exactly, including CPython's final-sigma rule
// and the `str.split()` whitespace set, which ICU would give under a different Unicode version and
// different case-mapping conventions. The tables are ~145 kB of source, need no extra dependency and
// answer in a binary search. Regenerate with
//   /usr/bin/python3 tools/generate_unicode_tables.py > io/UnicodeTables.cpp
#include <cstdint>
#include <span>

namespace spikingbert::io::unicode {

extern const char* const kUnicodeVersion;  // Unicode version of the tables, "14.0.0"

inline constexpr char32_t kMaxCodePoint = 0x10FFFF;

// Property bits of property_bits().
inline constexpr std::uint8_t kDrop = 1;            // removed by cleaning: NUL, U+FFFD, categories C* but \t \n \r
inline constexpr std::uint8_t kWhitespace = 2;      // becomes ' ': ' ', \t, \n, \r, category Zs
inline constexpr std::uint8_t kSplit = 4;           // other str.split() whitespace kept by cleaning (U+2028/9)
inline constexpr std::uint8_t kPunctuation = 8;     // ASCII 33-47, 58-64, 91-96, 123-126 and categories P*
inline constexpr std::uint8_t kNonspacingMark = 16; // category Mn, removed when stripping accents
inline constexpr std::uint8_t kCased = 32;          // cased and not case-ignorable (final-sigma rule)
inline constexpr std::uint8_t kCaseIgnorable = 64;  // case-ignorable (final-sigma rule)

std::uint8_t property_bits(char32_t code_point);

// Python's str.lower() of one code point (U+03A3 gives U+03C3: the final-sigma context is the caller's
// job). Writes 1 or 2 code points to `lowered` and returns how many.
int lowercase(char32_t code_point, char32_t* lowered);

// Full canonical decomposition (what NFD does to this code point alone, before canonical reordering);
// empty if the code point does not decompose. Hangul syllables are not in the table: see
// decompose_hangul().
std::span<const char32_t> canonical_decomposition(char32_t code_point);

// Canonical combining class (0 for starters).
int combining_class(char32_t code_point);

// Hangul syllables decompose algorithmically (Unicode §3.12) into 2 or 3 conjoining jamo.
inline constexpr char32_t kHangulFirst = 0xAC00, kLeadingJamoFirst = 0x1100, kVowelJamoFirst = 0x1161,
                          kTrailingJamoBase = 0x11A7;
inline constexpr int kVowelCount = 21, kTrailingCount = 28, kHangulCount = 19 * 21 * 28;

inline bool is_hangul_syllable(char32_t code_point) {
  return code_point >= kHangulFirst && code_point < kHangulFirst + kHangulCount;
}

// Writes the jamo of a Hangul syllable to `jamo` and returns how many (2 or 3).
inline int decompose_hangul(char32_t syllable, char32_t* jamo) {
  const int index = static_cast<int>(syllable - kHangulFirst);
  const int per_leading = kVowelCount * kTrailingCount;
  jamo[0] = kLeadingJamoFirst + index / per_leading;
  jamo[1] = kVowelJamoFirst + (index % per_leading) / kTrailingCount;
  const int trailing = index % kTrailingCount;
  if (trailing == 0) return 2;
  jamo[2] = kTrailingJamoBase + trailing;
  return 3;
}

// The CJK Unified Ideograph blocks that BERT surrounds with spaces (the exact ranges of the reference
// BasicTokenizer._is_chinese_char; Hiragana, Katakana and Hangul are deliberately not included).
inline bool is_cjk_ideograph(char32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF) ||
         (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B820 && cp <= 0x2CEAF) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

}  // namespace spikingbert::io::unicode
