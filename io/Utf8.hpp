#pragma once
// Strict UTF-8 decoding and encoding, as Python's "utf-8" codec does it: overlong forms, surrogates
// and code points above U+10FFFF are errors (the reference reads every text file with that codec).
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace spikingbert::io {

// Decodes `text` and appends its code points to `decoded`. Returns the byte offset of the first
// invalid sequence, or nothing if the whole text is valid.
std::optional<std::size_t> decode_utf8(std::string_view text, std::u32string& decoded);

// Byte offset of the first invalid sequence, or nothing if valid.
std::optional<std::size_t> find_invalid_utf8(std::string_view text);

void append_utf8(std::string& out, char32_t code_point);
std::string to_utf8(std::u32string_view text);

}  // namespace spikingbert::io
