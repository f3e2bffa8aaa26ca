#include "io/BasicTokenizer.hpp"

#include "io/UnicodeTables.hpp"

#include <algorithm>
#include <array>

namespace spikingbert::io {
namespace {

namespace uc = unicode;

constexpr char32_t kAsciiEnd = 0x80;
constexpr char32_t kCapitalSigma = 0x3A3, kSmallSigma = 0x3C3, kFinalSigma = 0x3C2;

// Property bits of ASCII, looked up once: most text is ASCII and this skips the binary search.
const std::array<std::uint8_t, kAsciiEnd>& ascii_properties() {
  static const auto table = [] {
    std::array<std::uint8_t, kAsciiEnd> bits{};
    for (char32_t c = 0; c < kAsciiEnd; ++c) bits[c] = uc::property_bits(c);
    return bits;
  }();
  return table;
}

std::uint8_t properties(char32_t c) { return c < kAsciiEnd ? ascii_properties()[c] : uc::property_bits(c); }

bool is_special_token(std::u32string_view word) {
  return word == U"[UNK]" || word == U"[SEP]" || word == U"[PAD]" || word == U"[CLS]" || word == U"[MASK]";
}

// CPython's str.lower() rule for U+03A3 (unicodeobject.c, handle_capital_sigma): final form when
// preceded by a cased letter and not followed by one, case-ignorable characters skipped both ways.
char32_t lower_capital_sigma(std::u32string_view word, std::size_t at) {
  std::size_t before = at;
  while (before > 0 && (properties(word[before - 1]) & uc::kCaseIgnorable)) --before;
  if (before == 0 || !(properties(word[before - 1]) & uc::kCased)) return kSmallSigma;
  std::size_t after = at + 1;
  while (after < word.size() && (properties(word[after]) & uc::kCaseIgnorable)) ++after;
  const bool cased_follows = after < word.size() && (properties(word[after]) & uc::kCased);
  return cased_follows ? kSmallSigma : kFinalSigma;
}

// Appends the full canonical decomposition of one code point.
void append_decomposition(char32_t c, std::u32string& out) {
  if (uc::is_hangul_syllable(c)) {
    char32_t jamo[3];
    const int count = uc::decompose_hangul(c, jamo);
    out.append(jamo, static_cast<std::size_t>(count));
    return;
  }
  const auto decomposition = uc::canonical_decomposition(c);
  if (decomposition.empty()) {
    out.push_back(c);
  } else {
    out.append(decomposition.begin(), decomposition.end());
  }
}

// NFD's canonical ordering: within each run of non-starters, a stable sort by combining class
// (Unicode §3.11). Needed before dropping Mn because a few non-Mn marks have a combining class.
void reorder_canonically(std::u32string& text) {
  std::size_t start = 0;
  while (start < text.size()) {
    if (uc::combining_class(text[start]) == 0) {
      ++start;
      continue;
    }
    std::size_t end = start;
    while (end < text.size() && uc::combining_class(text[end]) != 0) ++end;
    if (end - start > 1) {
      std::stable_sort(text.begin() + static_cast<std::ptrdiff_t>(start), text.begin() + static_cast<std::ptrdiff_t>(end),
                       [](char32_t a, char32_t b) { return uc::combining_class(a) < uc::combining_class(b); });
    }
    start = end;
  }
}

}  // namespace

void BasicTokenizer::tokenize(std::u32string_view text, WordList& words) const {
  // Steps 1-3 in one pass: a word ends at whitespace (cleaned to ' ' or other str.split() whitespace)
  // and a CJK ideograph is a word of its own. Dropped characters vanish without splitting.
  thread_local std::u32string word;
  word.clear();
  const auto flush = [&] {
    if (!word.empty()) split_word(word, words);
    word.clear();
  };
  for (const char32_t c : text) {
    const std::uint8_t bits = properties(c);
    if (bits & uc::kDrop) continue;
    if (bits & (uc::kWhitespace | uc::kSplit)) {
      flush();
    } else if (uc::is_cjk_ideograph(c)) {
      flush();
      word.push_back(c);
      flush();
    } else {
      word.push_back(c);
    }
  }
  flush();
}

void BasicTokenizer::split_word(std::u32string_view word, WordList& words) const {
  if (is_special_token(word)) {
    words.push(word);
    return;
  }
  // Step 4: lower-case, then NFD and drop nonspacing marks. Scratch buffers are reused per thread.
  thread_local std::u32string lowered, decomposed, normalized;
  normalized.clear();
  const bool ascii = std::all_of(word.begin(), word.end(), [](char32_t c) { return c < kAsciiEnd; });
  if (ascii) {
    for (const char32_t c : word) normalized.push_back(c >= U'A' && c <= U'Z' ? c + (U'a' - U'A') : c);
  } else {
    lowered.clear();
    for (std::size_t i = 0; i < word.size(); ++i) {
      if (word[i] == kCapitalSigma) {
        lowered.push_back(lower_capital_sigma(word, i));
        continue;
      }
      char32_t lower[2];
      const int count = uc::lowercase(word[i], lower);
      lowered.append(lower, static_cast<std::size_t>(count));
    }
    decomposed.clear();
    for (const char32_t c : lowered) append_decomposition(c, decomposed);
    reorder_canonically(decomposed);
    for (const char32_t c : decomposed) {
      if (!(properties(c) & uc::kNonspacingMark)) normalized.push_back(c);
    }
  }
  // Step 5: every punctuation character is a word; runs of other characters are words.
  const std::u32string_view text(normalized);
  std::size_t run_start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (properties(text[i]) & uc::kPunctuation) {
      if (i > run_start) words.push(text.substr(run_start, i - run_start));
      words.push(text.substr(i, 1));
      run_start = i + 1;
    }
  }
  if (text.size() > run_start) words.push(text.substr(run_start));
}

}  // namespace spikingbert::io
