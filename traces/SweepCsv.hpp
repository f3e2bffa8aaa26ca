#pragma once
// The sweep table (issue 4 item 5): one CSV row per (T, V_th) setting, read by tools/plot_sweep.py.
// Columns, in order (docs/traces.md §7):
//   steps, vth, examples, accuracy, mean_steps, synaptic_events, energy_pj, efficiency, mean_asr,
//   asr_<population> for every population
// Rows are written as they come (so a long sweep shows progress in the file) into a temporary next to
// the destination; commit() renames it into place (io/AtomicFile.hpp). Without commit() the temporary
// is removed: no half-written sweep table under the final name.
#include "io/AtomicFile.hpp"

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace spikingbert::traces {

struct SweepRow {
  std::int64_t steps = 0;        // T (or T_max for adaptive runs)
  double vth = 1.0;              // V_th
  std::int64_t examples = 0;     // examples evaluated
  double accuracy = 0.0;         // fraction correct in [0, 1]
  double mean_steps = 0.0;       // mean steps actually simulated per example (= T for fixed T)
  std::uint64_t synaptic_events = 0;  // synaptic accumulates over the run (kernel counter)
  double energy_pj = 0.0;        // E_SNN over the run (traces/EnergyModel.hpp)
  double efficiency = 0.0;       // e = E_ANN / E_SNN
  std::vector<double> asr;       // mean ASR per population, in header order
};

class SweepCsv {
 public:
  SweepCsv(const std::filesystem::path& destination, std::vector<std::string> population_names);
  void append(const SweepRow& row);  // std::invalid_argument if row.asr has the wrong length
  void commit();
  static std::string header(const std::vector<std::string>& population_names);
  static std::string format_row(const SweepRow& row);

 private:
  io::AtomicFile file_;
  std::vector<std::string> population_names_;
  std::ofstream stream_;
};

}  // namespace spikingbert::traces
