#pragma once
// `mpirun -np N spikingbert run|sweep|distill ...`: a GLUE set simulated by every rank of the job (issue 13).
// Rank r simulates its share of the rounds (whole rounds of --batch examples; every example is simulated alone,
// so any split gives the same numbers), every rank gathers every rank's per-example results and sums, and each merges
// them in example order (models/GlueSimulation merge_glue_results): the result, and so every output written
// from it, is the same for any N. One rank: exactly simulate_glue_set.
#include "models/GlueSimulation.hpp"

namespace spikingbert::tools {

// hook (a trace) sees each of this rank's examples under its index in the whole set; the caller gathers
// what it recorded (commands/TraceSession.hpp: rank 0 writes the one trace file).
models::GlueSimulationResult simulate_glue_set_on_ranks(const models::SpikingBert& model, const std::string& model_source,
                                                        const models::GlueSet& set,
                                                        const models::GlueSimulationOptions& options,
                                                        models::GlueExampleHook* hook = nullptr);

}  // namespace spikingbert::tools
