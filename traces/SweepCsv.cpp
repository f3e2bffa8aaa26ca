#include "traces/SweepCsv.hpp"

#include "io/Error.hpp"

#include <charconv>
#include <numeric>
#include <stdexcept>

namespace spikingbert::traces {
namespace {
std::string number(double value) {
  char text[64];
  const auto result = std::to_chars(text, text + sizeof text, value);  // shortest text that round-trips
  return std::string(text, result.ptr);
}
}  // namespace

SweepCsv::SweepCsv(const std::filesystem::path& destination, std::vector<std::string> population_names)
    : file_(destination), population_names_(std::move(population_names)), stream_(file_.temporary_path()) {
  if (!stream_) throw io::InputError(destination.string(), "", "cannot write the sweep table", "a writable location");
  stream_ << header(population_names_) << '\n' << std::flush;
}

std::string SweepCsv::header(const std::vector<std::string>& population_names) {
  std::string text = "steps,vth,examples,accuracy,mean_steps,synaptic_events,energy_pj,efficiency,mean_asr";
  for (const auto& name : population_names) {
    text += ",asr_";
    text += name;
  }
  return text;
}

std::string SweepCsv::format_row(const SweepRow& row) {
  // mean_asr: unweighted mean over populations of their mean ASR.
  const double mean_asr = row.asr.empty() ? 0.0
                                          : std::accumulate(row.asr.begin(), row.asr.end(), 0.0) /
                                                static_cast<double>(row.asr.size());
  // Built with append only: GCC 12 warns falsely (-Wrestrict) on chains of "," + std::string.
  const std::vector<std::string> fields{std::to_string(row.steps),    number(row.vth),
                                        std::to_string(row.examples), number(row.accuracy),
                                        number(row.mean_steps),       std::to_string(row.synaptic_events),
                                        number(row.energy_pj),        number(row.efficiency),
                                        number(mean_asr)};
  std::string text;
  for (const auto& field : fields) {
    if (!text.empty()) text.push_back(',');
    text += field;
  }
  for (const auto value : row.asr) {
    text.push_back(',');
    text += number(value);
  }
  return text;
}

void SweepCsv::append(const SweepRow& row) {
  if (row.asr.size() != population_names_.size()) {
    throw std::invalid_argument("SweepCsv: a row needs one ASR per population");
  }
  stream_ << format_row(row) << '\n' << std::flush;
  if (!stream_) throw io::InputError(file_.destination().string(), "", "cannot write the sweep table", "free space");
}

void SweepCsv::commit() {
  stream_.close();
  if (!stream_) throw io::InputError(file_.destination().string(), "", "cannot write the sweep table", "free space");
  file_.commit();
}

}  // namespace spikingbert::traces
