#include "commands/ShardedGlue.hpp"

#include "io/Error.hpp"
#include "training/Communicator.hpp"

#include <algorithm>
#include <chrono>
#include <optional>

namespace spikingbert::tools {

namespace {

// Every rank's part of the result, gathered field by field (each all_gather is collective and in the same
// order on every rank).
std::vector<models::GlueSimulationResult> gather_parts(training::Communicator& world, const models::GlueSimulationResult& mine) {
  const auto header = world.all_gather<std::int64_t>(std::vector<std::int64_t>{
      mine.examples, mine.steps, mine.stopped ? 1 : 0, static_cast<std::int64_t>(mine.synaptic_events)});
  const auto predictions = world.all_gather<int>(mine.predictions);
  const auto scores = world.all_gather<double>(mine.predicted_scores);
  const auto tokens = world.all_gather<std::int64_t>(mine.simulated_tokens);
  const auto counts = world.all_gather<sim::OperationCounts>(mine.counts);
  const auto spikes = world.all_gather<double>(mine.real_token_spikes);
  const auto neuron_steps = world.all_gather<double>(mine.real_token_neuron_steps);
  const auto logits = world.all_gather<float>(mine.logits);
  const auto example_steps = world.all_gather<std::int64_t>(mine.example_steps);
  const auto example_events = world.all_gather<std::uint64_t>(mine.example_synaptic_events);
  const auto example_spikes = world.all_gather<std::uint64_t>(mine.example_spikes);
  const auto residual_units = world.all_gather<std::int64_t>(mine.residual_units);
  const auto residual_elements = world.all_gather<double>(mine.residual_elements);
  const auto residual_max = world.all_gather<double>(mine.final_residual_max);
  std::vector<models::GlueSimulationResult> parts(static_cast<std::size_t>(world.size()));
  for (std::size_t r = 0; r < parts.size(); ++r) {
    auto& part = parts[r];
    part.examples = static_cast<int>(header[r][0]);
    part.steps = static_cast<int>(header[r][1]);
    part.stopped = header[r][2] != 0;
    part.synaptic_events = static_cast<std::uint64_t>(header[r][3]);
    part.predictions = predictions[r];
    part.predicted_scores = scores[r];
    part.simulated_tokens = tokens[r];
    part.counts = counts[r];
    part.real_token_spikes = spikes[r];
    part.real_token_neuron_steps = neuron_steps[r];
    part.logits = logits[r];
    part.example_steps = example_steps[r];
    part.example_synaptic_events = example_events[r];
    part.example_spikes = example_spikes[r];
    part.residual_units = residual_units[r];
    part.residual_elements = residual_elements[r];
    part.final_residual_max = residual_max[r];
  }
  return parts;
}

// The first example of rank `rank`'s share: the first index whose preceding examples hold at least
// rank/size of all tokens (each example counted as at least one token). Rank `size` starts at the end.
int balanced_start(const std::vector<std::int32_t>& lengths, int rank, int size) {
  std::int64_t total = 0;
  for (const auto length : lengths) total += std::max<std::int32_t>(length, 1);
  const std::int64_t target = total * rank;  // compared as tokens_before * size >= total * rank
  std::int64_t before = 0;
  for (std::size_t i = 0; i < lengths.size(); ++i) {
    if (before * size >= target) return static_cast<int>(i);
    before += std::max<std::int32_t>(lengths[i], 1);
  }
  return static_cast<int>(lengths.size());
}

// A rank's share is a subset of the set, numbered from 0: the caller's hook (a trace) sees every example
// under its index in the whole set.
class ShiftedHook final : public models::GlueExampleHook {
 public:
  ShiftedHook(models::GlueExampleHook& inner, int offset) : inner_(inner), offset_(offset) {}
  models::GlueExampleWatch begin_example(const models::TokenBatch& example, int index) override {
    return inner_.begin_example(example, index + offset_);
  }
  void end_example(const models::TokenBatch& example, const models::ForwardResult& result, int index,
                   int predicted) override {
    inner_.end_example(example, result, index + offset_, predicted);
  }

 private:
  models::GlueExampleHook& inner_;
  int offset_;
};

}  // namespace

models::GlueSimulationResult simulate_glue_set_on_ranks(const models::SpikingBert& model, const std::string& model_source,
                                                        const models::GlueSet& set,
                                                        const models::GlueSimulationOptions& options,
                                                        models::GlueExampleHook* hook) {
  auto& world = training::world();
  if (world.size() == 1) return models::simulate_glue_set(model, model_source, set, options, hook);
  if (options.batch < 1) throw io::InputError("command line", "--batch-size", "must be positive", ">= 1");
  const auto start = std::chrono::steady_clock::now();
  // Every example is simulated alone (io::EncodedBatch::real_tokens), so any split gives the same results; the
  // split balances the work: rank r starts at the first example whose preceding tokens reach r/N of the
  // set's tokens (a sentence's simulation costs about its token count x T), not at r/N of the rounds.
  const int first = balanced_start(set.encoded.lengths, world.rank(), world.size());
  const int last = balanced_start(set.encoded.lengths, world.rank() + 1, world.size());
  auto rank_options = options;
  // Ctrl-C under mpirun ends every rank (mpirun forwards it); a rank stopping on its own would leave the
  // others waiting in the gather.
  rank_options.stop_requested = nullptr;
  // Rank 0 reports its own share's progress, scaled to the whole set (the shares run at about one pace).
  if (!world.is_root() || last == first) {
    rank_options.progress = nullptr;
  } else if (options.progress) {
    const auto share_size = last - first;
    rank_options.progress = [&options, share_size, total = set.encoded.count()](int done, int, double seconds) {
      options.progress(static_cast<int>(static_cast<std::int64_t>(done) * total / share_size), total, seconds);
    };
  }
  std::optional<ShiftedHook> shifted;
  if (hook) shifted.emplace(*hook, first);
  const auto mine = models::simulate_glue_set(model, model_source, models::glue_subset(set, first, last - first), rank_options,
                                              shifted ? &*shifted : nullptr);
  auto merged = models::merge_glue_results(set, gather_parts(world, mine));
  merged.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return merged;
}

}  // namespace spikingbert::tools
