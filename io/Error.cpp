#include "io/Error.hpp"

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
}  // namespace

InputError::InputError(std::string file, std::string place, std::string problem, std::string expected)
    : std::runtime_error(format_message(file, place, problem, expected)),
      file_(std::move(file)),
      place_(std::move(place)),
      problem_(std::move(problem)),
      expected_(std::move(expected)) {}

}  // namespace spikingbert::io
