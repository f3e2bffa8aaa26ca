#include "io/Error.hpp"

#include <atomic>
#include <cstdint>
#include <cstdio>

namespace spikingbert::io {
namespace {
std::string format_message(const std::string& file, const std::string& place, const std::string& problem,
                           const std::string& expected) {
  std::string message = file;
  if (!place.empty()) {
    message += ':';
    message += place;
  }
  message += ": ";
  message += problem;
  if (!expected.empty()) {
    message += " (expected ";
    message += expected;
    message += ')';
  }
  return message;
}
std::atomic<bool> progress_line_open{false};

// Length of the valid UTF-8 sequence starting at text[i] (1..4), or 0 if the bytes there are not one.
std::size_t utf8_sequence_length(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  std::size_t length = 0;
  std::uint32_t smallest = 0;
  std::uint32_t code = 0;
  if (lead >= 0xC2 && lead <= 0xDF) length = 2, smallest = 0x80, code = lead & 0x1F;
  else if (lead >= 0xE0 && lead <= 0xEF) length = 3, smallest = 0x800, code = lead & 0x0F;
  else if (lead >= 0xF0 && lead <= 0xF4) length = 4, smallest = 0x10000, code = lead & 0x07;
  else return 0;
  if (i + length > text.size()) return 0;
  for (std::size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    code = (code << 6) | (byte(i + k) & 0x3F);
  }
  if (code < smallest || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return 0;
  if (code >= 0x80 && code <= 0x9F) return 0;  // C1 controls (0x9B is a one-byte CSI on some terminals)
  return length;
}
}  // namespace

std::string escape_for_terminal(std::string_view text) {
  std::string escaped;
  escaped.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte >= 0x20 && byte < 0x7F) {
      escaped += static_cast<char>(byte);
      ++i;
      continue;
    }
    const std::size_t length = byte >= 0x80 ? utf8_sequence_length(text, i) : 0;
    if (length > 0) {
      escaped.append(text.substr(i, length));
      i += length;
      continue;
    }
    char code[5];
    std::snprintf(code, sizeof code, "\\x%02X", byte);
    escaped += code;
    ++i;
  }
  return escaped;
}

void set_progress_line_open(bool open) { progress_line_open = open; }

const char* fresh_error_line() { return progress_line_open.exchange(false) ? "\n" : ""; }

InputError::InputError(std::string file, std::string place, std::string problem, std::string expected)
    : std::runtime_error(escape_for_terminal(format_message(file, place, problem, expected))),
      file_(std::move(file)),
      place_(std::move(place)),
      problem_(std::move(problem)),
      expected_(std::move(expected)) {}

}  // namespace spikingbert::io
