// A program outside the project that links the installed spikingbert libraries.
#include "io/AtomicFile.hpp"
#include "io/Error.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

int main() {
  const auto path = std::filesystem::temp_directory_path() / "spikingbert-consumer.txt";
  {
    spikingbert::io::AtomicFile file(path);
    std::ofstream(file.temporary_path()) << "hello\n";
    file.commit();
  }
  if (!std::filesystem::exists(path)) return 1;
  std::filesystem::remove(path);
  try {
    throw spikingbert::io::InputError("model.json", "line 3", "bad value", "a number");
  } catch (const spikingbert::io::InputError& error) {
    if (std::string(error.what()).find("model.json:line 3") == std::string::npos) return 1;
  }
  std::cout << "consumer: ok\n";
  return 0;
}
