// convert --from-hf and run-teacher, end to end through the command line: the teacher-tiny conformance
// (acceptance: imported through convert --from-hf), half-precision imports, and clear errors.
#include "support/FiniteDifference.hpp"
#include "support/RunCommand.hpp"

#include "io/Checkpoint.hpp"
#include "io/Hdf5File.hpp"
#include "io/Safetensors.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>

using namespace spikingbert;
using spikingbert::testing::fresh_folder;
using spikingbert::testing::run_spikingbert;
using spikingbert::testing::test_data;

namespace {

double max_difference(const io::Tensor& ours, const io::Tensor& expected) {
  REQUIRE(ours.shape == expected.shape);
  double worst = 0;
  for (std::size_t i = 0; i < ours.values.size(); ++i) {
    worst = std::max(worst, std::abs(double(ours.values[i]) - expected.values[i]));
  }
  return worst;
}

double norm(const std::vector<double>& values) {
  double squares = 0;
  for (const double v : values) squares += v * v;
  return std::sqrt(squares);
}

}  // namespace

TEST_CASE("convert --from-hf then run-teacher --grad reproduces teacher-tiny", "[tools][teacher]") {
  const auto folder = fresh_folder("teacher-conformance");
  const auto checkpoint = (folder / "teacher.h5").string();
  const auto output = (folder / "out.h5").string();
  auto result = run_spikingbert("convert --from-hf " + test_data("teacher-tiny") + " --output " + checkpoint);
  REQUIRE(result.exit_code == 0);
  CHECK(result.out.find("converted 41 tensors") != std::string::npos);
  result = run_spikingbert("run-teacher --model " + checkpoint + " --inputs " + test_data("teacher-tiny/case.h5") +
                           " --output " + output + " --grad");
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  const io::Hdf5Reader ours(output), expected(test_data("teacher-tiny/case.h5"));
  for (const std::string name : {"hidden_states", "attention_scores", "pooled", "logits"}) {
    INFO(name);
    CHECK(max_difference(ours.read_tensor(name), expected.read_tensor("float32/" + name)) < 1e-5);
  }
  CHECK(ours.read_doubles("loss")[0] == Approx(expected.read_doubles("float64/loss")[0]).epsilon(1e-12));
  const auto names = expected.list("float64/grad");
  CHECK(ours.list("grad") == names);
  for (const auto& name : names) {
    INFO(name);
    const auto want = expected.read_doubles("float64/grad/" + name);
    const auto got = ours.read_doubles("grad/" + name);
    if (norm(want) < 1e-12) CHECK(norm(got) < 1e-12);  // key bias: identically zero (softmax shift invariance)
    else CHECK(testing::relative_error(got, want) < 1e-4);
  }
}

TEST_CASE("convert --from-hf reads f16 and bf16 weights exactly", "[tools][teacher]") {
  const auto folder = fresh_folder("teacher-half");
  const auto tensors = io::read_safetensors(test_data("teacher-tiny/model.safetensors"));
  for (const auto dtype : {io::SafetensorsDtype::F16, io::SafetensorsDtype::BF16}) {
    const auto hf = folder / "hf";
    std::filesystem::create_directories(hf);
    std::filesystem::copy_file(test_data("teacher-tiny/config.json"), hf / "config.json",
                               std::filesystem::copy_options::overwrite_existing);
    std::map<std::string, io::SafetensorsTensor> half;
    for (const auto& [name, tensor] : tensors) half[name] = io::to_safetensors_tensor(tensor, dtype);
    io::write_safetensors(hf / "model.safetensors", half);
    const auto checkpoint = (folder / "half.h5").string();
    const auto result = run_spikingbert("convert --from-hf " + hf.string() + " --output " + checkpoint);
    REQUIRE(result.exit_code == 0);
    const auto converted = io::read_checkpoint(checkpoint);
    const auto widened = io::read_safetensors(hf / "model.safetensors");
    for (const auto& [name, tensor] : widened) {
      INFO(name);
      CHECK(converted.tensors.at(name).values == tensor.values);
    }
    // Rounding to half precision really changed something: the test would see a wrong dtype path.
    CHECK(converted.tensors.at("classifier.weight").values != tensors.at("classifier.weight").values);
  }
}

TEST_CASE("convert and run-teacher: missing or mis-shaped tensors and bad inputs are clear errors", "[tools][teacher]") {
  const auto folder = fresh_folder("teacher-errors");
  auto tensors = io::read_safetensors(test_data("teacher-tiny/model.safetensors"));
  const auto hf = folder / "hf";
  std::filesystem::create_directories(hf);
  std::filesystem::copy_file(test_data("teacher-tiny/config.json"), hf / "config.json");
  tensors.erase("bert.encoder.layer.1.output.dense.bias");
  io::write_safetensors(hf / "model.safetensors", tensors);
  auto result = run_spikingbert("convert --from-hf " + hf.string() + " --output " + (folder / "x.h5").string());
  CHECK(result.exit_code == 2);
  CHECK(result.err.find("bert.encoder.layer.1.output.dense.bias") != std::string::npos);
  CHECK(result.err.find("missing") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(folder / "x.h5"));

  tensors = io::read_safetensors(test_data("teacher-tiny/model.safetensors"));
  tensors["bert.embeddings.word_embeddings.weight"].shape = {32, 97};
  io::write_safetensors(hf / "model.safetensors", tensors);
  result = run_spikingbert("convert --from-hf " + hf.string() + " --output " + (folder / "x.h5").string());
  CHECK(result.exit_code == 2);
  CHECK(result.err.find("word_embeddings.weight") != std::string::npos);
  CHECK(result.err.find("[32,97]") != std::string::npos);

  result = run_spikingbert("run-teacher --model " + test_data("teacher-tiny") + " --inputs " +
                           test_data("tiny/config.json") + " --output " + (folder / "y.h5").string());
  CHECK(result.exit_code == 2);
  CHECK_FALSE(std::filesystem::exists(folder / "y.h5"));
}
