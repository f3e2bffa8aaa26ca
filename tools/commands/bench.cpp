// `spikingbert bench`: times the event-driven kernel against the dense twin on the same random

#include "commands/SharedOptions.hpp"
// SpikingBERT and input, in the same process, and checks that their spikes agree.
#include "commands/Commands.hpp"
#include "commands/OptionChecks.hpp"

#include "io/Error.hpp"
#include "models/ModelFiles.hpp"
#include "models/VectorErf.hpp"
#include "models/VectorMathCheck.hpp"
#include "models/RandomSpikingBert.hpp"
#include "sim/HeapBenchmark.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <ctime>
#include <cstdio>
#include <iostream>

namespace spikingbert::tools {

namespace {

struct BenchOptions {
  std::string size = "tiny";
  double asr = 0.15;
  int sequence = 32;
  int steps = 100;
  int threads = 1;
  int block_steps = 16;
  int batch = 1;
  unsigned seed = 1;
  bool json = false;
  bool heaps = false;
  bool vector_math = false;
  bool event_only = false;
  int repeat = 1;  // each kernel is timed this many times; the fastest run is reported
  std::string write_model;  // non-empty: write the random model as a native checkpoint instead of timing
};

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

struct TimedForward {
  models::ForwardResult forward;
  double forward_seconds = 0.0;  // including per-run set-up
};

// The fastest of `repeat` forwards (all give the same result: the kernels are deterministic). On a
// shared machine the minimum is the least disturbed measurement.
TimedForward fastest_forward(const models::SpikingBert& model, const models::TokenBatch& batch,
                             const sim::KernelOptions& options, models::KernelKind kind, int repeat) {
  TimedForward best;
  for (int r = 0; r < repeat; ++r) {
    const auto start = std::chrono::steady_clock::now();
    auto forward = model.forward(batch, options, kind);
    const double seconds = seconds_since(start);
    if (r == 0 || forward.run.simulation_seconds < best.forward.run.simulation_seconds) {
      best.forward = std::move(forward);
      best.forward_seconds = seconds;
    }
  }
  return best;
}

// Neuron by neuron: spikes of `a`, and how many neurons differ from `b` in spike count or final membrane
// (bitwise).
struct RunComparison {
  std::uint64_t neurons = 0, spikes = 0, count_mismatches = 0, membrane_mismatches = 0;
  bool agree() const { return count_mismatches == 0 && membrane_mismatches == 0; }
};
RunComparison compare_runs(const sim::RunResult& a, const sim::RunResult& b) {
  RunComparison comparison;
  for (std::size_t p = 0; p < a.populations.size(); ++p) {
    const auto& x = a.populations[p];
    const auto& y = b.populations[p];
    for (std::size_t i = 0; i < x.spike_count.size(); ++i) {
      ++comparison.neurons;
      comparison.spikes += x.spike_count[i];
      comparison.count_mismatches += x.spike_count[i] != y.spike_count[i];
      comparison.membrane_mismatches += x.membrane[i] != y.membrane[i];
    }
  }
  return comparison;
}

// Every float32 input through the vectorised erf and exp and through std::erf and std::exp; any difference
// is an internal error.
void run_vector_math_check(const BenchOptions& o) {
  constexpr std::uint64_t kAllFloats = std::uint64_t{1} << 32;
  std::uint64_t mismatches = 0;
  for (const auto function : {models::VectorMathFunction::erf, models::VectorMathFunction::exp}) {
    const char* name = function == models::VectorMathFunction::erf ? "erf" : "exp";
    const auto start = std::chrono::steady_clock::now();
    const models::VectorMathCheckResult result = models::check_vector_math_range(function, 0, kAllFloats, o.threads);
    std::printf("%s: %llu float inputs, %llu differ from std::%s (vectorised: %s); %.1f s wall, %d threads\n", name,
                static_cast<unsigned long long>(result.inputs), static_cast<unsigned long long>(result.mismatches), name,
                models::kVectorErf ? "yes" : "no, the scalar library function", seconds_since(start), o.threads);
    std::printf("%s: vectorised %.2f s, std::%s %.2f s (CPU in the loops): %.2fx\n", name, result.vector_seconds, name,
                result.library_seconds, result.library_seconds / result.vector_seconds);
    for (const auto pattern : result.first_mismatches) std::printf("%s: differs at bit pattern 0x%08x\n", name, pattern);
    mismatches += result.mismatches;
  }
  if (mismatches != 0) throw std::runtime_error("the vectorised erf or exp differs from the library's");
}

void run_bench(const BenchOptions& o) {
  if (o.vector_math) {
    run_vector_math_check(o);
    return;
  }
  if (o.heaps) {
    for (const auto& timing : sim::measure_event_heaps(2'000'000))
      std::printf("%-22s %6.1f ns per push+pop\n", timing.heap.c_str(), timing.nanoseconds_per_event);
    return;
  }
  io::ModelConfig config;
  config = io::model_size_preset(o.size, "command line", "--size");
  if (o.sequence < 1 || o.sequence > config.max_position_embeddings)
    throw io::InputError("command line", "--sequence-length", "out of range", "1.." + std::to_string(config.max_position_embeddings));
  if (o.steps < 1) throw io::InputError("command line", "--steps", "must be positive", ">= 1");
  check_time_steps("--steps", o.steps);
  if (!(o.asr > 0.0 && o.asr < 1.0)) throw io::InputError("command line", "--asr", "must lie in (0, 1)", "e.g. 0.15");

  if (!o.write_model.empty()) check_outputs({}, {o.write_model});
  const auto setup_start = std::chrono::steady_clock::now();
  const auto model = models::make_random_spiking_bert(config, o.asr, o.seed, 3, o.threads);
  const auto batch = models::make_random_batch(config, o.batch, o.sequence, 0, o.seed + 7);
  const double setup_seconds = seconds_since(setup_start);
  if (!o.write_model.empty()) {
    // A random model of the chosen shape and ASR for other benchmarks (tools/bench-vs-reference.sh
    // --what train-step loads it into both spikingbert and the authors' code).
    models::save_spiking_bert_checkpoint(o.write_model, model);
    std::printf("wrote the random %s model (target ASR %.3g, seed %u) to %s\n", o.size.c_str(), o.asr, o.seed,
                o.write_model.c_str());
    return;
  }
  sim::KernelOptions options;
  options.steps = o.steps;
  options.threads = o.threads;
  options.block_steps = o.block_steps;

  if (o.repeat < 1) throw io::InputError("command line", "--repeat", "must be positive", ">= 1");
  // Wall time, and process CPU time (all threads): on a shared machine the CPU time shows the work
  // even when other processes steal cores.
  const auto timed_event = fastest_forward(model, batch, options, models::KernelKind::kEvent, o.repeat);
  const auto& event = timed_event.forward;
  if (o.event_only) {
    std::printf("event kernel %.4f s simulation (CPU %.4f s), %llu synaptic events\n", event.run.simulation_seconds,
                event.run.simulation_cpu_seconds,
                static_cast<unsigned long long>(event.run.total_counts().synaptic_events));
    return;
  }
  const double event_forward_seconds = timed_event.forward_seconds;
  const double event_seconds = event.run.simulation_seconds;
  const double event_cpu_seconds = event.run.simulation_cpu_seconds;
  const auto timed_dense = fastest_forward(model, batch, options, models::KernelKind::kDense, o.repeat);
  const auto& dense = timed_dense.forward;
  const double dense_forward_seconds = timed_dense.forward_seconds;
  const double dense_seconds = dense.run.simulation_seconds;
  const double dense_cpu_seconds = dense.run.simulation_cpu_seconds;
  // Thread scaling, measured in the same process: the event kernel again with one thread.
  double one_thread_seconds = event_seconds;
  bool threads_agree = true;
  if (o.threads > 1) {
    auto one_thread = options;
    one_thread.threads = 1;
    const auto single = fastest_forward(model, batch, one_thread, models::KernelKind::kEvent, o.repeat);
    one_thread_seconds = single.forward.run.simulation_seconds;
    threads_agree = compare_runs(single.forward.run, event.run).agree();
  }

  // Agreement: every neuron's spike count and final membrane (bitwise).
  const auto comparison = compare_runs(event.run, dense.run);
  const std::uint64_t neurons = comparison.neurons, spikes = comparison.spikes;
  const std::uint64_t count_mismatches = comparison.count_mismatches, membrane_mismatches = comparison.membrane_mismatches;
  const auto counts = event.run.total_counts();
  const auto thresholds = event.run.total_thresholds();
  const double mean_asr = static_cast<double>(spikes) / (static_cast<double>(neurons) * o.steps);
  const double events_per_second_per_core = static_cast<double>(counts.synaptic_events) / event_seconds / o.threads;
  const bool agree = comparison.agree();

  if (o.json) {
    nlohmann::json j{{"size", o.size},
                     {"target_asr", o.asr},
                     {"measured_mean_asr", mean_asr},
                     {"sequence", o.sequence},
                     {"batch", o.batch},
                     {"steps", o.steps},
                     {"threads", o.threads},
                     {"block_steps", o.block_steps},
                     {"event_seconds", event_seconds},
                     {"dense_seconds", dense_seconds},
                     {"dense_over_event", dense_seconds / event_seconds},
                     {"event_cpu_seconds", event_cpu_seconds},
                     {"event_forward_seconds", event_forward_seconds},
                     {"dense_forward_seconds", dense_forward_seconds},
                     {"dense_cpu_seconds", dense_cpu_seconds},
                     {"synaptic_events", counts.synaptic_events},
                     {"synaptic_events_per_second_per_core", events_per_second_per_core},
                     {"dense_macs", dense.run.total_counts().dense_macs},
                     {"spikes_agree", agree},
                     {"neurons_with_different_counts", count_mismatches},
                     {"neurons_with_different_membranes", membrane_mismatches},
                     {"near_threshold_comparisons", thresholds.near_ties},
                     {"smallest_threshold_margin", thresholds.smallest_margin},
                     {"setup_seconds", setup_seconds},
                     {"repeat", o.repeat},
                     {"event_seconds_one_thread", one_thread_seconds},
                     {"event_thread_speedup", one_thread_seconds / event_seconds},
                     {"threads_agree", threads_agree}};
    std::cout << j.dump() << "\n";
    return;
  }
  std::printf("model %s (hidden %d, intermediate %d, heads %d, layers %d), batch %d x seq %d, T = %d, threads %d, block %d\n",
              o.size.c_str(), config.hidden_size, config.intermediate_size, config.num_attention_heads,
              config.num_hidden_layers, o.batch, o.sequence, o.steps, o.threads, o.block_steps);
  std::printf("measured mean ASR      %.4f (target %.3f)\n", mean_asr, o.asr);
  std::printf("event kernel           %.4f s simulation (CPU %.4f s; forward incl. setup %.4f s)\n", event_seconds,
              event_cpu_seconds, event_forward_seconds);
  std::printf("dense twin             %.4f s simulation (CPU %.4f s; forward incl. setup %.4f s)\n", dense_seconds,
              dense_cpu_seconds, dense_forward_seconds);
  if (o.threads > 1)
    std::printf("event, 1 thread        %.4f s simulation: %d threads are %.2fx faster (spikes %s)\n",
                one_thread_seconds, o.threads, one_thread_seconds / event_seconds,
                threads_agree ? "identical" : "DIFFER");
  std::printf("dense / event (CPU)    %.2fx\n", dense_cpu_seconds / event_cpu_seconds);
  std::printf("dense / event          %.2fx\n", dense_seconds / event_seconds);
  std::printf("synaptic events        %llu (%.3g per second per core)\n",
              static_cast<unsigned long long>(counts.synaptic_events), events_per_second_per_core);
  std::printf("spikes agree           %s (%llu of %llu neurons differ in count, %llu in membrane)\n",
              agree ? "yes" : "NO", static_cast<unsigned long long>(count_mismatches),
              static_cast<unsigned long long>(neurons), static_cast<unsigned long long>(membrane_mismatches));
  std::printf("near-threshold ties    %llu comparisons with |v - V_th| < 1e-5 (smallest margin %.3g)\n",
              static_cast<unsigned long long>(thresholds.near_ties), static_cast<double>(thresholds.smallest_margin));
}

}  // namespace

void add_bench_command(CLI::App& app) {
  auto options = std::make_shared<BenchOptions>();
  auto* command = app.add_subcommand("bench", "Time the event-driven kernel against the dense twin");
  command->add_option("--size", options->size, "Model shape: " + io::model_size_preset_names())->capture_default_str();
  command->add_option("--asr", options->asr, "Target mean ASR of the random model")->capture_default_str();
  command->add_option("--sequence-length", options->sequence, "Tokens per sentence of the random input")->capture_default_str();
  add_simulation_batch_size_option(command, options->batch, "Sentences of the random input, simulated at once");
  command->add_option("--steps", options->steps, "Time steps T")->capture_default_str();
  add_threads_option(command, options->threads);
  add_quiet_option(command);
  command->add_option("--block", options->block_steps, "Event kernel time block in steps")->capture_default_str();
  command->add_option("--seed", options->seed, "Random seed of the model and input")->capture_default_str();
  command->add_option("--repeat", options->repeat, "Time each kernel this many times and report the fastest")
      ->capture_default_str();
  add_json_option(command, options->json);
  command->add_option("--write-model", options->write_model,
                      "Write the random model as a native checkpoint to this file instead of timing");
  command->add_flag("--event-only", options->event_only, "Time only the event kernel (for profiling)");
  command->add_flag("--heaps", options->heaps, "Measure the Boost.Heap candidates for the event queue instead");
  command->add_flag("--vector-math", options->vector_math,
                    "Compare the vectorised erf and exp with std::erf and std::exp on all 2^32 float inputs instead, bit for bit, "
                    "and time both (minutes; an internal error, exit 3, if any differs)");
  command->callback([options] { run_bench(*options); });
}

}  // namespace spikingbert::tools
