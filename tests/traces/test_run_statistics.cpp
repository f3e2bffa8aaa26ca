#include "SyntheticRun.hpp"
#include "traces/MemoryRecorder.hpp"
#include "traces/RunStatistics.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <sstream>

using namespace spikingbert;

TEST_CASE("run statistics average the curves over examples and report convergence", "[traces][statistics]") {
  constexpr std::int64_t kSteps = 40;
  traces::RunStatistics statistics;
  traces::MemoryRecorder memory(traces::TraceLevel::neurons);
  traces::RecorderFanout fanout({&statistics, &memory});
  CHECK(fanout.level() == traces::TraceLevel::neurons);
  CHECK(!fanout.wants_spikes());
  fanout.begin_run(testing::synthetic_run_info(kSteps));
  testing::record_synthetic_examples(fanout, 3, kSteps);
  fanout.end_run();
  REQUIRE(memory.examples().size() == 3);
  CHECK(statistics.examples() == 3);
  CHECK(statistics.mean_steps() == 40.0);
  // The curve is the per-step mean of the three examples' curves.
  const auto curve = statistics.mean_asr_curve(1);
  for (std::size_t step = 0; step < static_cast<std::size_t>(kSteps); ++step) {
    double expected = 0.0;
    for (std::size_t e = 0; e < 3; ++e) expected += memory.mean_asr_series(e, 1)[step] / 3.0;
    REQUIRE(curve[step] == Approx(expected));
  }
  CHECK(statistics.final_mean_asr()[1] == Approx(curve.back()));
  // IF neurons on constant currents: the residual falls below 1/40 + margin by the end.
  const auto report = statistics.convergence(0.05);
  REQUIRE(report.size() == 3);
  for (const auto& entry : report) {
    INFO(entry.name);
    REQUIRE(entry.converged_at.has_value());
    CHECK(*entry.converged_at > 0);
    CHECK(entry.final_residual < 0.05);
  }
  std::ostringstream table;
  statistics.print_convergence_table(table, 0.05);
  CHECK(table.str().find("L0_intermediate") != std::string::npos);
  CHECK(table.str().find("mean over 3 examples") != std::string::npos);
  CHECK(table.str().find("never") == std::string::npos);
}
