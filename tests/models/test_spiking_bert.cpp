// SpikingBERT on the kernel: event kernel == dense twin on random models of several shapes, thread
// invariance, exact operation counters, and loader errors.
#include "io/Error.hpp"
#include "models/ModelFiles.hpp"
#include "models/RandomSpikingBert.hpp"
#include "models/SubLayerTable.hpp"
#include "support/RunCommand.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>

using namespace spikingbert;

namespace {

void require_same_spikes(const models::ForwardResult& a, const models::ForwardResult& b) {
  REQUIRE(a.run.populations.size() == b.run.populations.size());
  for (std::size_t p = 0; p < a.run.populations.size(); ++p) {
    INFO("population " << p);
    CHECK(a.run.populations[p].spike_count == b.run.populations[p].spike_count);
    CHECK(a.run.populations[p].membrane == b.run.populations[p].membrane);
  }
  CHECK(a.logits == b.logits);
}

io::ModelConfig odd_config() {
  // Widths that are not multiples of the SIMD width, 3 heads, 3 layers, 3 labels.
  io::ModelConfig c = io::model_size_preset("tiny", "test", "size");
  c.hidden_size = 42;
  c.num_attention_heads = 3;
  c.intermediate_size = 100;
  c.num_hidden_layers = 3;
  c.num_labels = 3;
  return c;
}

}  // namespace

TEST_CASE("Random SpikingBERTs: event kernel and dense twin agree on every spike", "[models][kernels]") {
  for (const auto& config : {io::model_size_preset("tiny", "test", "size"), odd_config()}) {
    const auto model = models::make_random_spiking_bert(config, 0.2, 5, 1);
    const auto batch = models::make_random_batch(config, 2, 7, 2, 9);
    sim::KernelOptions options;
    options.steps = 30;
    const auto event = model.forward(batch, options, models::KernelKind::kEvent);
    const auto dense = model.forward(batch, options, models::KernelKind::kDense);
    require_same_spikes(event, dense);
    const auto asr = event.run.total_counts().spikes;
    CHECK(asr > 0);
  }
}

TEST_CASE("SpikingBERT spikes are identical for 1, 2, 4, 8 threads and any block", "[models][kernels]") {
  const auto config = odd_config();
  const auto model = models::make_random_spiking_bert(config, 0.15, 3, 1);
  const auto batch = models::make_random_batch(config, 3, 5, 1, 4);
  sim::KernelOptions options;
  options.steps = 20;
  const auto reference = model.forward(batch, options, models::KernelKind::kEvent);
  for (const int threads : {2, 4, 8})
    for (const int block : {1, 7, 32}) {
      options.threads = threads;
      options.block_steps = block;
      INFO("threads " << threads << ", block " << block);
      require_same_spikes(reference, model.forward(batch, options, models::KernelKind::kEvent));
    }
}

TEST_CASE("SpikingBERT synaptic events equal spikes times fan-out per sub-layer", "[models][counters]") {
  const auto config = io::model_size_preset("tiny", "test", "size");
  const auto model = models::make_random_spiking_bert(config, 0.2, 8, 1);
  const auto batch = models::make_random_batch(config, 2, 6, 1, 2);
  sim::KernelOptions options;
  options.steps = 25;
  const auto result = model.forward(batch, options, models::KernelKind::kEvent);
  auto spikes = [&](int sublayer) {
    std::uint64_t total = 0;
    for (const auto c : result.spike_count(sublayer)) total += c;
    return total;
  };
  auto events = [&](int sublayer) {
    return result.run.populations[static_cast<std::size_t>(result.sublayers[static_cast<std::size_t>(sublayer)])]
        .counts.synaptic_events;
  };
  const std::uint64_t h = static_cast<std::uint64_t>(config.hidden_size);
  const std::uint64_t m = static_cast<std::uint64_t>(config.intermediate_size);
  CHECK(events(0) == 0);  // the embedding is driven by a constant current, not by spikes
  for (int k = 0; k < config.num_hidden_layers; ++k) {
    const int b = 6 * k;
    CHECK(events(b + 1) == spikes(b) * h);                 // Key: s_in -> W_K
    CHECK(events(b + 2) == spikes(b) * h);                 // Value
    CHECK(events(b + 3) == spikes(b) * h);                 // Query inside attention
    CHECK(events(b + 4) == spikes(b + 3) * h + spikes(b));  // W_SO s_A + identity s_in
    CHECK(events(b + 5) == spikes(b + 4) * m);             // W_I s_SO
    CHECK(events(b + 6) == spikes(b + 5) * h + spikes(b + 4));  // W_O s_I + identity s_SO
  }
  // Transforms count their real operations: GELU one erf per intermediate neuron and step.
  const auto& intermediate = result.run.populations[static_cast<std::size_t>(result.sublayers[5])].counts;
  CHECK(intermediate.error_functions == static_cast<std::uint64_t>(options.steps) * 12 * m);
  const auto& attention = result.run.populations[static_cast<std::size_t>(result.sublayers[3])].counts;
  CHECK(attention.exponentials ==
        static_cast<std::uint64_t>(options.steps) * 2 /*sentences*/ * 2 /*heads*/ * 6 * 6);
}

TEST_CASE("Padded keys get no attention: changing a padded token changes nothing", "[models][attention]") {
  const auto config = io::model_size_preset("tiny", "test", "size");
  const auto model = models::make_random_spiking_bert(config, 0.2, 6, 1);
  auto batch = models::make_random_batch(config, 1, 6, 2, 1);
  sim::KernelOptions options;
  options.steps = 20;
  const auto first = model.forward(batch, options, models::KernelKind::kEvent);
  // A padded position's token changes its own (query) row but, masked at -10000, nothing it feeds
  // as a key: the real tokens' sub-layers must be unchanged.
  batch.token_ids[5] = 17;
  const auto second = model.forward(batch, options, models::KernelKind::kEvent);
  const int width = config.hidden_size;
  for (int j = 0; j < model.sublayers().size(); ++j) {
    const int w = model.sublayers().width(j);
    for (int token = 0; token < 4; ++token)
      for (int i = 0; i < w; ++i)
        CHECK(first.spike_count(j)[static_cast<std::size_t>(token * w + i)] ==
              second.spike_count(j)[static_cast<std::size_t>(token * w + i)]);
  }
  // ... while the padded token's own embedding neurons did change (the edit was real).
  bool padded_changed = false;
  for (int i = 0; i < width; ++i)
    padded_changed = padded_changed || first.spike_count(0)[static_cast<std::size_t>(5 * width + i)] !=
                                           second.spike_count(0)[static_cast<std::size_t>(5 * width + i)];
  CHECK(padded_changed);
}

TEST_CASE("Checkpoint round trip and loader errors name the tensor", "[models][files]") {
  const auto config = io::model_size_preset("tiny", "test", "size");
  const auto model = models::make_random_spiking_bert(config, 0.2, 2, 0);
  const auto folder = testing::fresh_folder("models-checkpoint");
  models::save_spiking_bert_checkpoint(folder / "model.h5", model);
  const auto loaded = models::load_spiking_bert(folder);
  const auto batch = models::make_random_batch(config, 1, 5, 0, 3);
  sim::KernelOptions options;
  options.steps = 10;
  require_same_spikes(model.forward(batch, options, models::KernelKind::kEvent),
                      loaded.forward(batch, options, models::KernelKind::kEvent));

  auto tensors = models::weights_to_tensors(config, model.weights());
  tensors.erase("network_s9.query.weight");
  try {
    models::weights_from_tensors(config, tensors, "broken.safetensors");
    FAIL("no error for a missing tensor");
  } catch (const io::InputError& error) {
    CHECK_THAT(std::string(error.what()), Catch::Contains("network_s9.query.weight") && Catch::Contains("missing"));
  }
  models::TokenBatch bad = batch;
  bad.token_ids[0] = config.vocab_size;
  CHECK_THROWS_AS(model.forward(bad, options, models::KernelKind::kEvent), io::InputError);
}

TEST_CASE("docs/architecture.md shows the sub-layer table as the code builds it (tiny)", "[models]") {
  const auto table = models::SubLayerTable(io::model_size_preset("tiny", "test", "size"));
  std::ifstream file(std::string(SPIKINGBERT_SOURCE_DIR) + "/docs/architecture.md");
  const std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  INFO("regenerate the table in docs/architecture.md from SubLayerTable::markdown():\n" << table.markdown());
  CHECK(text.find(table.markdown()) != std::string::npos);
  // The numbering every reader relies on: embedding, then Key..Output per encoder layer; the feedback weight last.
  CHECK(table.size() == 13);
  CHECK(table.index(1, models::SubLayerKind::output) == table.last_output());
  CHECK(table.layer_input(1) == table.index(0, models::SubLayerKind::output));
  CHECK(table.feedback().weight.name == "network_s13.fc.weight");
  CHECK(table[5].width == 64);
}

TEST_CASE("The sub-layer table names every sub-layer's population, the same for any batch", "[models][table]") {
  // traces/ (AdaptiveGlueSimulation, the trace session) take the populations from the table without building a
  // network; the builder must put sub-layer j at population j, with or without the feedback projection.
  auto config = io::model_size_preset("tiny", "test", "size");
  for (const bool feedback : {false, true}) {
    config.feedback = feedback;
    const auto model = models::make_random_spiking_bert(config, 0.2, 3, 1);
    const auto expected = model.sublayers().populations();
    REQUIRE(expected.size() == static_cast<std::size_t>(model.sublayers().size()));
    for (const auto& [examples, sequence] : {std::pair{1, 1}, std::pair{3, 5}}) {
      const auto built = model.build_network(models::make_random_batch(config, examples, sequence, 0, 4));
      CHECK(built.sublayers == expected);
      CHECK(built.network.population_count() == static_cast<int>(expected.size()));
    }
  }
}
