// tests/data/tiny (the reference PyTorch implementation's vectors, tiny README) reproduced by both
// kernels: identical spike counts for every neuron of every sub-layer, ASR == count * float32(1/T)
// exactly, logits within 1e-5.
#include "io/Hdf5File.hpp"
#include "models/ModelFiles.hpp"
#include "support/RunCommand.hpp"
#include "io/TokenBatchFile.hpp"

#include <catch2/catch.hpp>

#include <cmath>

using namespace spikingbert;

namespace {

void check_against_reference(const models::ForwardResult& result, const io::Hdf5Reader& reference, int sublayers) {
  for (int j = 0; j < sublayers; ++j) {
    char suffix[16];
    std::snprintf(suffix, sizeof suffix, "%02d", j);
    INFO("sub-layer " << suffix);
    const auto expected_counts = reference.read_ints(std::string("forward/spike_count/") + suffix);
    const auto& counts = result.spike_count(j);
    REQUIRE(counts.size() == expected_counts.values.size());
    std::size_t mismatches = 0;
    for (std::size_t i = 0; i < counts.size(); ++i)
      mismatches += static_cast<std::int64_t>(counts[i]) != expected_counts.values[i];
    CHECK(mismatches == 0);
    const auto expected_asr = reference.read_tensor(std::string("forward/asr/") + suffix);
    const auto asr = result.asr(j);
    std::size_t asr_mismatches = 0;
    for (std::size_t i = 0; i < asr.size(); ++i) {
      asr_mismatches += asr[i] != expected_asr.values[i];  // bitwise: both are count * float32(1/T)
      REQUIRE(asr[i] == static_cast<float>(counts[i]) * static_cast<float>(1.0 / result.steps));
    }
    CHECK(asr_mismatches == 0);
  }
  const auto expected_logits = reference.read_tensor("forward/logits");
  REQUIRE(result.logits.size() == expected_logits.values.size());
  for (std::size_t i = 0; i < result.logits.size(); ++i)
    CHECK(std::abs(result.logits[i] - expected_logits.values[i]) <= 1e-5f);
}

}  // namespace

TEST_CASE("tiny conformance: event kernel reproduces the reference spikes, ASR and logits", "[models][conformance]") {
  const auto model = models::load_spiking_bert(testing::test_data("tiny"));
  const io::Hdf5Reader reference(testing::test_data("tiny/case.h5"));
  const auto batch = io::read_token_batch(testing::test_data("tiny/case.h5"));
  const int steps = static_cast<int>(reference.read_attribute_double("/", "t_conv"));
  REQUIRE(steps == model.config().t_conv);
  for (const int threads : {1, 2}) {
    for (const int block : {1, 16, 50}) {
      sim::KernelOptions options;
      options.steps = steps;
      options.threads = threads;
      options.block_steps = block;
      INFO("threads " << threads << ", block " << block);
      check_against_reference(model.forward(batch, options, models::KernelKind::kEvent), reference,
                              model.sublayers().size());
    }
  }
}

TEST_CASE("tiny conformance: dense twin reproduces the reference too", "[models][conformance]") {
  const auto model = models::load_spiking_bert(testing::test_data("tiny"));
  const io::Hdf5Reader reference(testing::test_data("tiny/case.h5"));
  const auto batch = io::read_token_batch(testing::test_data("tiny/case.h5"));
  sim::KernelOptions options;
  options.steps = model.config().t_conv;
  check_against_reference(model.forward(batch, options, models::KernelKind::kDense), reference,
                          model.sublayers().size());
}

TEST_CASE("tiny conformance: the embedding current and first-step currents match the reference", "[models][conformance]") {
  const auto model = models::load_spiking_bert(testing::test_data("tiny"));
  const io::Hdf5Reader reference(testing::test_data("tiny/case.h5"));
  const auto batch = io::read_token_batch(testing::test_data("tiny/case.h5"));
  const auto embedding = model.embedding_current(batch);
  const auto expected = reference.read_tensor("forward/current_t0/00");
  REQUIRE(embedding.size() == expected.values.size());
  float worst = 0.0f;
  for (std::size_t i = 0; i < embedding.size(); ++i) worst = std::max(worst, std::abs(embedding[i] - expected.values[i]));
  CHECK(worst < 1e-5f);
}
