// A program outside the project that links the installed spikingbert libraries and includes their
// headers as <spikingbert/layer/Header.hpp> (docs/api.md). It tokenises a sentence with the installed
// vocabulary and simulates it on the installed shipped model, given as arguments.
#include <spikingbert/io/AtomicFile.hpp>
#include <spikingbert/io/BertTokenizer.hpp>
#include <spikingbert/io/Error.hpp>
#include <spikingbert/models/ModelFiles.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

int main(int argc, char** argv) {
  namespace sb = spikingbert;
  if (argc != 3) {
    std::cerr << "usage: consumer VOCAB.txt MODEL\n";
    return 2;
  }
  const auto path = std::filesystem::temp_directory_path() / "spikingbert-consumer.txt";
  {
    sb::io::AtomicFile file(path);
    std::ofstream(file.temporary_path()) << "hello\n";
    file.commit();
  }
  if (!std::filesystem::exists(path)) return 1;
  std::filesystem::remove(path);
  try {
    throw sb::io::InputError("model.json", "line 3", "bad value", "a number");
  } catch (const sb::io::InputError& error) {
    if (std::string(error.what()).find("model.json:line 3") == std::string::npos) return 1;
  }
  try {
    const auto tokenizer = sb::io::BertTokenizer::from_file(argv[1]);
    const auto encoded = tokenizer.encode("a gripping, funny film", std::nullopt, 64);
    const auto model = sb::models::load_spiking_bert(argv[2]);
    sb::models::TokenBatch batch;
    batch.batch = 1;
    batch.sequence = static_cast<std::int64_t>(encoded.input_ids.size());
    batch.token_ids.assign(encoded.input_ids.begin(), encoded.input_ids.end());
    batch.segment_ids.assign(encoded.segment_ids.begin(), encoded.segment_ids.end());
    batch.attention_mask.assign(encoded.input_ids.size(), 1);
    model.validate(batch, "consumer");
    sb::sim::KernelOptions options;
    options.steps = 8;
    const auto result = model.forward(batch, options, sb::models::KernelKind::kEvent);
    std::cout << "consumer: logits " << result.logits.at(0) << " " << result.logits.at(1) << ", spikes "
              << result.run.total_counts().spikes << "\n";
    if (result.run.total_counts().spikes == 0) return 1;
  } catch (const sb::io::InputError& error) {
    std::cerr << "consumer: " << error.what() << "\n";
    return 2;
  }
  std::cout << "consumer: ok\n";
  return 0;
}
