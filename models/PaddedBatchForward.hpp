#pragma once
// A padded batch of token inputs (`run --inputs FILE.h5`) simulated without padding (issue 11): each
// example alone at its own length, its attention mask's leading ones, so no neuron exists for a padded
// position (as `run --task`, models/GlueSimulation.hpp), and the results laid out as the padded batch.
#include "models/GlueSimulation.hpp"
#include "models/SpikingBert.hpp"
#include "models/TokenBatch.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace spikingbert::models {

// The real tokens of example `example`: how many leading ones its attention mask has. Throws
// io::InputError naming `source` when the mask is not ones then zeros, or has no one.
int real_length(const TokenBatch& batch, int example, const std::string& source);
// real_length of every example, in order (every mask checked).
std::vector<std::int64_t> real_lengths(const TokenBatch& batch, const std::string& source);

// Simulates every example of `batch` alone at its real length with `kernel` (options.threads threads each,
// one example after another) and returns the result in the padded layout [batch][sequence][width]:
// spike counts and membranes are 0 at padded positions (nothing was simulated there), operation counts
// and threshold statistics are the sums of the examples' runs, simulation_seconds the sum of their
// simulation clocks, logits one row per example. `hook` (may be null) sees every example as run --task's
// callers do (index = the example's row; its observer is used, not its early exit: every example runs
// options.steps steps, options.stop_after must be empty). Results do not depend on the padded length.
ForwardResult forward_real_tokens(const SpikingBert& model, const TokenBatch& batch, const sim::KernelOptions& options,
                                  KernelKind kernel, const std::string& source, GlueExampleHook* hook = nullptr);

// Sub-layer `sublayer`'s final ASR of forward_real_tokens' result in the padded layout, NaN at every padded
// position (no neuron exists there; docs/formats.md). `width` is the sub-layer's width.
std::vector<float> asr_nan_at_padding(const ForwardResult& result, const TokenBatch& batch, int sublayer, int width);

}  // namespace spikingbert::models
