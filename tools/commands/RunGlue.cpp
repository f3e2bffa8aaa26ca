#include "commands/ShardedGlue.hpp"
#include "commands/RunGlue.hpp"
#include "commands/Interrupt.hpp"
#include "commands/OptionChecks.hpp"

#include "commands/Progress.hpp"
#include "commands/RunEnergy.hpp"
#include "commands/ShippedData.hpp"
#include "commands/SummaryJson.hpp"
#include "commands/TraceSession.hpp"
#include "io/BertTokenizer.hpp"
#include "io/AtomicFile.hpp"
#include "io/Error.hpp"
#include "io/GlueTask.hpp"
#include "models/GlueSimulation.hpp"
#include "models/ModelFiles.hpp"
#include "traces/AdaptiveGlueSimulation.hpp"
#include "traces/Convergence.hpp"
#include "training/Communicator.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <iostream>
#include <optional>

namespace spikingbert::tools {

namespace {

// Hands each simulated example to the trace session (the recorders see one example at a time).
class TraceHook final : public models::GlueExampleHook {
 public:
  TraceHook(TraceSession& trace, const models::GlueSet& set) : trace_(trace), set_(set) {}
  models::GlueExampleWatch begin_example(const models::TokenBatch& example, int index) override {
    return {trace_.begin_batch(example, index), {}};
  }
  void end_example(const models::TokenBatch& example, const models::ForwardResult& result, int index, int predicted) override {
    const auto i = static_cast<std::size_t>(index);
    trace_.end_batch(example, result, index, {predicted}, {set_.encoded.labels[i]});
  }

 private:
  TraceSession& trace_;
  const models::GlueSet& set_;
};

// --predictions FILE: one CSV row per example, `index,label,prediction,steps,synaptic_events,spikes,` then
// `logit_0..logit_{K-1}` (classification) or `score` (regression). index: 0-based position in the data
// file; label empty when the file has none. Written atomically.
void write_predictions(const std::string& file, const models::GlueSet& set, const models::GlueSimulationResult& result) {
  const bool regression = set.is_regression();
  const int labels = set.num_labels();
  std::string text = "index,label,prediction,steps,synaptic_events,spikes";
  if (regression) text += ",score";
  else
    for (int k = 0; k < labels; ++k) text += ",logit_" + std::to_string(k);
  text += '\n';
  char number[64];
  for (int e = 0; e < result.examples; ++e) {
    const auto i = static_cast<std::size_t>(e);
    text += std::to_string(e) + ',';
    if (set.labeled) {
      if (regression) {
        std::snprintf(number, sizeof number, "%.9g", set.encoded.scores[i]);
        text += number;
      } else {
        text += std::to_string(set.encoded.labels[i]);
      }
    }
    text += ',';
    if (!regression) text += std::to_string(result.predictions[i]);
    text += ',' + std::to_string(result.example_steps[i]) + ',' + std::to_string(result.example_synaptic_events[i]) + ',' +
            std::to_string(result.example_spikes[i]);
    for (int k = 0; k < labels; ++k) {
      // %.9g: enough digits to read the float32 back exactly.
      std::snprintf(number, sizeof number, ",%.9g", static_cast<double>(result.logits[i * static_cast<std::size_t>(labels) + static_cast<std::size_t>(k)]));
      text += number;
    }
    text += '\n';
  }
  io::write_text_atomically(file, text);
}

// k of the stopping rule when --stable-steps is not given.
constexpr int kDefaultStableSteps = 5;

// run --steps-max T --converge-tol eps [--stable-steps k]: every example stops on its own (issue 4 item 3,
// issue 11 item 6): its simulation ends at the step its rule fires, so time, events and energy are those
// of the steps run. The fixed-T comparison is `run --steps T_max` on the same data.
void run_adaptive(const RunGlueOptions& o, const models::SpikingBert& model, const std::string& model_source,
                  const models::GlueSet& set) {
  if (o.steps > 0) throw io::InputError("command line", "--steps", "given with --steps-max", "one of --steps T or --steps-max T");
  if (!o.trace.empty())
    throw io::InputError("command line", "--trace", "given with --steps-max", "a trace of a fixed-T run (omit --steps-max)");
  if (!o.converge_tol_given)
    throw io::InputError("command line", "--converge-tol", "missing", "a tolerance > 0 with --steps-max (e.g. 0.01)");
  traces::AdaptiveOptions adaptive;
  adaptive.steps_max = o.steps_max;
  adaptive.tolerance = o.converge_tol;
  adaptive.stable_steps = o.stable_steps > 0 ? o.stable_steps : kDefaultStableSteps;
  adaptive.threads = o.threads;
  adaptive.batch = o.batch;
  adaptive.progress = [](int done, int total, double seconds) { print_progress(done, total, seconds); };
  const auto costs = energy_costs_from_option(o.energy);
  const auto outcome = traces::simulate_glue_set_adaptive(model, model_source, set, adaptive);
  const auto& result = outcome.run;
  const auto names = model.sublayers().names();
  const auto& info = io::glue_task_info(set.task);
  std::printf("%s %s: %d examples, adaptive steps: T_max = %d, stop when the label is stable and the last Output "
              "sub-layer's mean residual < %g for %d steps; %.2f s\n",
              info.name.c_str(), o.data.c_str(), result.examples, result.steps, adaptive.tolerance,
              adaptive.stable_steps, result.seconds);
  std::printf("adaptive: mean steps %.2f, synaptic events %llu", result.mean_steps,
              static_cast<unsigned long long>(result.synaptic_events));
  for (const auto& metric : result.metrics) std::printf(", %s %.4f", metric.name.c_str(), metric.value);
  double asr_sum = 0.0;
  for (const auto asr : result.mean_asr) asr_sum += asr;
  std::printf(", mean ASR %.4f\n", result.mean_asr.empty() ? 0.0 : asr_sum / static_cast<double>(names.size()));
  std::printf("stopped before T_max: %lld of %d examples\n", static_cast<long long>(outcome.stopped_early), result.examples);
  if (!o.predictions.empty()) write_predictions(o.predictions, set, result);
  // Energy of the steps run (counts up to each example's stopping step); the ANN side is per inference.
  const auto energy = run_energy_report(model, result.counts, result.simulated_tokens, result.steps, costs, result.example_steps);
  print_run_energy(energy, o.energy_json);
  if (o.json) {
    nlohmann::json summary;
    summary["command"] = "run";
    summary["mode"] = "adaptive";
    summary["task"] = info.name;
    summary["data"] = o.data;
    summary["model"] = o.random_model ? nlohmann::json("random (untrained)") : nlohmann::json(o.model);
    summary["examples"] = result.examples;
    summary["steps_max"] = result.steps;
    summary["converge_tol"] = adaptive.tolerance;
    summary["stable_steps"] = adaptive.stable_steps;
    summary["stopped_early"] = outcome.stopped_early;
    summary["seconds"] = result.seconds;
    summary["mean_steps"] = result.mean_steps;
    summary["metrics"] = metrics_json(result.metrics);  // one layout for every command (docs/cli.md)
    nlohmann::json asr;
    for (std::size_t j = 0; j < names.size(); ++j) asr[names[j]] = result.mean_asr[j];
    summary["mean_asr"] = asr;
    summary["synaptic_events_total"] = result.synaptic_events;  // totals over the examples are labelled _total
    summary["energy_pj_total"] = energy.snn_energy_pj;
    summary["ann_energy_pj_total"] = energy.ann_energy_pj;
    summary["efficiency"] = energy.efficiency;
    summary["neurobench"] = traces::to_json(energy.neurobench);  // docs/energy.md §6
    std::cout << std::flush;
    std::printf("%s\n", summary.dump().c_str());
  }
}

}  // namespace

void run_spiking_glue(const RunGlueOptions& o) {
  if (o.threads < 1) throw io::InputError("command line", "--threads", "must be positive", ">= 1");
  if (o.batch < 1) throw io::InputError("command line", "--batch-size", "must be positive", ">= 1");
  if (o.limit < 0) throw io::InputError("command line", "--limit", "must not be negative", ">= 0 (0 = all)");
  if (o.steps < 0) throw io::InputError("command line", "--steps", "must be positive", ">= 1");
  if (o.random_model == !o.model.empty())
    throw io::InputError("command line", "--model", o.random_model ? "given with --random-model" : "missing",
                         "either --model DIR or --random-model");
  if (o.converge_tol_given && !(o.converge_tol > 0.0 && std::isfinite(o.converge_tol)))
    throw io::InputError("command line", "--converge-tol", "tolerance " + std::to_string(o.converge_tol), "a finite tolerance > 0");
  if (o.steps_max_given && o.steps_max < 1)
    throw io::InputError("command line", "--steps-max", std::to_string(o.steps_max) + " steps", ">= 1");
  if (o.steps_max_given) check_time_steps("--steps-max", o.steps_max);
  if (o.stable_steps_given && o.stable_steps < 1)
    throw io::InputError("command line", "--stable-steps", std::to_string(o.stable_steps) + " steps", ">= 1");
  if (o.stable_steps_given && !o.steps_max_given)
    throw io::InputError("command line", "--stable-steps", "given without --steps-max", "--steps-max T --converge-tol eps");
  const io::GlueTask task = io::parse_glue_task(o.task);
  const auto& info = io::glue_task_info(task);
  const std::string vocabulary_file = o.vocab.empty() ? default_vocabulary_path().string() : o.vocab;
  const auto tokenizer = io::BertTokenizer::from_file(vocabulary_file);
  const int vocabulary_size = static_cast<int>(tokenizer.vocabulary().size());
  const int num_labels = info.num_labels();

  std::optional<models::SpikingBert> loaded;
  if (o.random_model) {
    loaded.emplace(models::make_glue_random_model(vocabulary_size, num_labels, o.threads));
  } else {
    loaded.emplace(models::load_spiking_bert(o.model));
  }
  const models::SpikingBert& model = *loaded;
  const std::string model_source = o.random_model ? std::string("random model") : o.model;
  const auto set = models::load_glue_set(model.config(), model_source, task, o.data, tokenizer, vocabulary_file,
                                         {o.limit, o.max_length});
  // Said after the data loaded: bad input leaves stdout empty (docs/errors.md).
  if (o.random_model) std::printf("%s\n", models::describe_glue_random_model().c_str());

  if (o.steps_max_given) {
    run_adaptive(o, model, model_source, set);
    return;
  }
  models::GlueSimulationOptions simulation;
  simulation.steps = o.steps;
  simulation.threads = o.threads;
  simulation.batch = o.batch;
  const bool tracing = !o.trace.empty();
  simulation.progress = [](int done, int total, double seconds) { print_progress(done, total, seconds); };
  const int steps = o.steps > 0 ? o.steps : model.config().t_conv;
  const auto costs = energy_costs_from_option(o.energy);
  std::optional<TraceSession> trace;
  std::optional<TraceHook> hook;
  // A trace records every step's convergence residual (docs/traces.md /summary): one steady-state
  // evaluation per step, with the kernel in step order.
  // One copy of the map serves both the trace and the final residual.
  const auto steady_state = models::steady_state_map(model, model_source);
  simulation.steady_state = &steady_state;
  if (tracing) {
    trace.emplace(o.trace, o.trace_level, model, model_source, info.name, steps, &steady_state,
                  o.converge_tol_given ? o.converge_tol : traces::kDefaultConvergenceTolerance, o.batch,
                  &tokenizer.vocabulary());
    hook.emplace(*trace, set);
    if (trace->needs_step_order()) simulation.block_steps = 1;
  }
  const InterruptScope interrupts;  // Ctrl-C ends the run after the batch in progress (commands/Interrupt.hpp)
  simulation.stop_requested = [] { return interrupt_requested(); };
  const auto result = simulate_glue_set_on_ranks(model, model_source, set, simulation, hook ? &*hook : nullptr);
  if (trace) trace->finish();
  if (result.stopped)  // Ctrl-C: the trace holds the finished batches
    throw Interrupted("run stopped after " + std::to_string(result.examples) + " of " +
                      std::to_string(set.encoded.count()) + " examples" +
                      (trace && trace->writes_file() ? "; trace " + o.trace + " holds them" : ""));

  const int sublayers = model.sublayers().size();
  const auto names = model.sublayers().names();
  std::printf("%s %s: %d examples, T = %d steps, %.2f s (%.1f examples/s)\n", info.name.c_str(), o.data.c_str(),
              result.examples, result.steps, result.seconds, result.examples / std::max(result.seconds, 1e-9));
  if (result.metrics.empty()) std::printf("no labels: no metric\n");
  for (const auto& metric : result.metrics) std::printf("%s %.4f\n", metric.name.c_str(), metric.value);
  std::printf("mean ASR per sub-layer (real tokens):\n");
  double asr_sum = 0.0;
  for (int j = 0; j < sublayers; ++j) {
    std::printf("  %-18s %.4f\n", names[static_cast<std::size_t>(j)].c_str(), result.mean_asr[static_cast<std::size_t>(j)]);
    asr_sum += result.mean_asr[static_cast<std::size_t>(j)];
  }
  std::printf("  %-18s %.4f\n", "mean", asr_sum / sublayers);
  std::printf("residual at the final step |a_j(T) - f_j(a(T))| (steady-state map at the SNN rates; all tokens, every one simulated):\n");
  std::printf("  %-18s %10s %10s\n", "sub-layer", "mean abs", "max abs");
  for (int j = 0; j < sublayers; ++j) {
    const auto i = static_cast<std::size_t>(j);
    std::printf("  %-18s %10.4f %10.4f\n", names[i].c_str(), result.final_residual_mean_abs[i], result.final_residual_max[i]);
  }
  std::printf("synaptic events: %llu\n", static_cast<unsigned long long>(result.synaptic_events));
  if (trace) {
    std::printf("convergence per sub-layer (residual |a_j(t) - f_j(a(t))| at every step t):\n");
    std::cout << std::flush;
    trace->statistics().print_convergence_table(std::cout, trace->convergence_tolerance());
    std::cout << std::flush;
  }
  if (trace && trace->writes_file()) std::printf("trace (%s level): %s\n", o.trace_level.c_str(), o.trace.c_str());
  if (!o.predictions.empty()) write_predictions(o.predictions, set, result);
  const auto energy = run_energy_report(model, result.counts, result.simulated_tokens, result.steps, costs);
  print_run_energy(energy, o.energy_json);

  if (o.json) {
    nlohmann::json summary;
    summary["command"] = "run";
    summary["task"] = info.name;
    summary["data"] = o.data;
    summary["model"] = o.random_model ? nlohmann::json("random (untrained)") : nlohmann::json(o.model);
    summary["examples"] = result.examples;
    summary["steps"] = result.steps;
    summary["metrics"] = metrics_json(result.metrics);  // one layout for every command (docs/cli.md)
    nlohmann::json asr_object, residual_object;
    for (int j = 0; j < sublayers; ++j) {
      const auto i = static_cast<std::size_t>(j);
      asr_object[names[i]] = result.mean_asr[i];
      residual_object[names[i]] = result.final_residual_mean_abs[i];
    }
    summary["mean_asr"] = asr_object;
    summary["synaptic_events_total"] = result.synaptic_events;  // totals over the examples are labelled _total
    summary["final_residual_mean_abs"] = residual_object;
    summary["seconds"] = result.seconds;
    summary["energy_pj_total"] = energy.snn_energy_pj;
    summary["ann_energy_pj_total"] = energy.ann_energy_pj;
    summary["efficiency"] = energy.efficiency;
    summary["neurobench"] = traces::to_json(energy.neurobench);  // docs/energy.md §6
    if (trace) {
      nlohmann::json convergence;
      for (const auto& entry : trace->statistics().convergence(trace->convergence_tolerance())) {
        convergence[entry.name] = {{"converged_at_step", entry.converged_at ? nlohmann::json(*entry.converged_at + 1) : nlohmann::json(nullptr)},
                                   {"residual_floor", entry.floor},
                                   {"final_residual", entry.final_residual}};
      }
      summary["convergence"] = convergence;
      summary["convergence_tolerance"] = trace->convergence_tolerance();
    }
    std::cout << std::flush;
    std::printf("%s\n", summary.dump().c_str());
  }
}

}  // namespace spikingbert::tools
