#include "traces/Hdf5Recorder.hpp"

#include "io/Error.hpp"
#include "io/Hdf5File.hpp"
#include "traces/Convergence.hpp"
#include "traces/ExampleBuffer.hpp"

#include <hdf5.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <span>
#include <cstring>
#include <cerrno>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <limits>
#include <numeric>
#include <string>
#include <unistd.h>
#include <utility>
#include <vector>

namespace spikingbert::traces {
namespace {

// SONATA root attributes (simulator-anchors §6): magic 0x0A7A and version [major, minor].
constexpr std::uint32_t kSonataMagic = 0x0A7A;
constexpr std::array<std::uint32_t, 2> kSonataVersion = {0, 1};
// gzip level: 4 keeps compression cheap on a 2-core machine while shrinking float traces well.
constexpr unsigned kGzipLevel = 4;
// Chunk sizes in elements / bytes. ~128 KiB chunks stay inside HDF5's default 1 MiB chunk cache.
constexpr hsize_t kExampleTableChunkRows = 1024;
constexpr hsize_t kSpikeChunkElements = 16384;
constexpr hsize_t kReportChunkTargetValues = 65536;
// Rows of the per-token datasets (/neurons/<p>/asr) per chunk: a few examples' tokens.
constexpr hsize_t kTokenChunkRows = 64;
// Hash slots of each dataset's chunk cache (a prime, HDF5's advice; few chunks are ever cached).
constexpr std::size_t kChunkCacheSlots = 101;
// SONATA `sorting` enum values (libsonata's Sorting enum).
constexpr std::int8_t kSortingNone = 0, kSortingById = 1, kSortingByTime = 2;

// Owns one HDF5 identifier and closes it with the right H5*close.
class Hid {
 public:
  using Closer = herr_t (*)(hid_t);
  Hid() = default;
  Hid(hid_t id, Closer closer) : id_(id), closer_(closer) {}
  ~Hid() { reset(); }
  Hid(Hid&& other) noexcept : id_(std::exchange(other.id_, H5I_INVALID_HID)), closer_(other.closer_) {}
  Hid& operator=(Hid&& other) noexcept {
    if (this != &other) {
      reset();
      id_ = std::exchange(other.id_, H5I_INVALID_HID);
      closer_ = other.closer_;
    }
    return *this;
  }
  Hid(const Hid&) = delete;
  Hid& operator=(const Hid&) = delete;
  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  hid_t release() { return std::exchange(id_, H5I_INVALID_HID); }
  void reset() {
    if (id_ >= 0 && closer_ != nullptr) closer_(id_);
    id_ = H5I_INVALID_HID;
  }

 private:
  hid_t id_ = H5I_INVALID_HID;
  Closer closer_ = nullptr;
};

class TraceFile {
 public:
  explicit TraceFile(std::string path_for_errors) : path_(std::move(path_for_errors)) {}
  const std::string& path() const { return path_; }

  [[noreturn]] void fail(const std::string& object, const std::string& action) const {
    failed_ = true;
    throw io::InputError(path_, object, "cannot " + action + " (HDF5 error)",
                         "a writable location with free space");
  }
  hid_t check(hid_t id, const std::string& object, const std::string& action) const {
    if (id < 0) fail(object, action);
    return id;
  }
  void check_status(herr_t status, const std::string& object, const std::string& action) const {
    if (status < 0) fail(object, action);
  }

 bool failed() const { return failed_; }  // an HDF5 call on the file failed (a full disk, a write error)

 private:
  std::string path_;
  mutable bool failed_ = false;
};

Hid make_group(const TraceFile& file, hid_t parent, const std::string& name) {
  return Hid(file.check(H5Gcreate2(parent, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), name,
                        "create group"),
             H5Gclose);
}

Hid utf8_string_type(const TraceFile& file) {
  Hid type(file.check(H5Tcopy(H5T_C_S1), "string type", "create type"), H5Tclose);
  file.check_status(H5Tset_size(type.get(), H5T_VARIABLE), "string type", "set string size");
  file.check_status(H5Tset_cset(type.get(), H5T_CSET_UTF8), "string type", "set UTF-8");
  return type;
}

void write_attribute(const TraceFile& file, hid_t object, const std::string& name, hid_t file_type,
                     hid_t memory_type, const std::vector<hsize_t>& shape, const void* value) {
  Hid space(shape.empty() ? H5Screate(H5S_SCALAR)
                          : H5Screate_simple(static_cast<int>(shape.size()), shape.data(), nullptr),
            H5Sclose);
  file.check(space.get(), name, "create attribute space");
  if (H5Aexists(object, name.c_str()) > 0) file.check_status(H5Adelete(object, name.c_str()), name, "replace attribute");
  Hid attribute(file.check(H5Acreate2(object, name.c_str(), file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT),
                           name, "create attribute"),
                H5Aclose);
  file.check_status(H5Awrite(attribute.get(), memory_type, value), name, "write attribute");
}

void write_string_attribute(const TraceFile& file, hid_t object, const std::string& name, const std::string& value) {
  const auto type = utf8_string_type(file);
  const char* text = value.c_str();
  write_attribute(file, object, name, type.get(), type.get(), {}, &text);
}

void write_int_attribute(const TraceFile& file, hid_t object, const std::string& name, std::int64_t value) {
  write_attribute(file, object, name, H5T_STD_I64LE, H5T_NATIVE_INT64, {}, &value);
}

// Rewrites an existing int64 attribute in place (no delete and re-create once per example).
void update_int_attribute(const TraceFile& file, hid_t object, const std::string& name, std::int64_t value) {
  Hid attribute(file.check(H5Aopen(object, name.c_str(), H5P_DEFAULT), name, "open attribute"), H5Aclose);
  file.check_status(H5Awrite(attribute.get(), H5T_NATIVE_INT64, &value), name, "write attribute");
}

void write_double_attribute(const TraceFile& file, hid_t object, const std::string& name, double value) {
  write_attribute(file, object, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, {}, &value);
}

void write_sorting_attribute(const TraceFile& file, hid_t group, std::int8_t sorting) {
  Hid type(file.check(H5Tenum_create(H5T_STD_I8LE), "sorting", "create enum type"), H5Tclose);
  const std::array<std::pair<const char*, std::int8_t>, 3> members = {
      {{"none", kSortingNone}, {"by_id", kSortingById}, {"by_time", kSortingByTime}}};
  for (const auto& [member_name, member_value] : members) {
    file.check_status(H5Tenum_insert(type.get(), member_name, &member_value), "sorting", "define enum");
  }
  write_attribute(file, group, "sorting", type.get(), type.get(), {}, &sorting);
}

// A fixed-size dataset written once (chunked and compressed so large mappings stay small).
void write_fixed_dataset(const TraceFile& file, hid_t parent, const std::string& name, hid_t file_type,
                         hid_t memory_type, hsize_t length, const void* values, bool compress = true) {
  Hid space(file.check(H5Screate_simple(1, &length, nullptr), name, "create dataspace"), H5Sclose);
  Hid properties(file.check(H5Pcreate(H5P_DATASET_CREATE), name, "create properties"), H5Pclose);
  const hsize_t chunk = std::max<hsize_t>(1, std::min<hsize_t>(length, kSpikeChunkElements));
  file.check_status(H5Pset_chunk(properties.get(), 1, &chunk), name, "set chunking");
  if (compress) {
    file.check_status(H5Pset_shuffle(properties.get()), name, "set shuffle");
    file.check_status(H5Pset_deflate(properties.get(), kGzipLevel), name, "set gzip");
  }
  Hid dataset(file.check(H5Dcreate2(parent, name.c_str(), file_type, space.get(), H5P_DEFAULT, properties.get(),
                                    H5P_DEFAULT),
                         name, "create dataset"),
              H5Dclose);
  if (length > 0) {
    file.check_status(H5Dwrite(dataset.get(), memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values), name, "write");
  }
}

// Small tables are stored uncompressed: an uncompressed chunk is allocated once at full size and
// rewritten in place, while a compressed chunk that grows is reallocated on every append, and HDF5
// keeps a free-space record for each abandoned copy (memory that grows with the number of examples).
enum class Compression { gzip, none };

// A dataset that grows along its first axis: [rows, row_shape...], chunked (shuffled + gzip, or plain).
class AppendableDataset {
 public:
  AppendableDataset() = default;
  AppendableDataset(const TraceFile& file, hid_t parent, const std::string& name, hid_t file_type,
                    std::vector<hsize_t> row_shape, hsize_t chunk_rows, Compression compression, hid_t fill_type = -1,
                    const void* fill_value = nullptr)
      : file_(&file), name_(name), row_shape_(std::move(row_shape)) {
    std::vector<hsize_t> dimensions{0}, maximum{H5S_UNLIMITED}, chunk{std::max<hsize_t>(1, chunk_rows)};
    for (const auto extent : row_shape_) {
      dimensions.push_back(extent);
      maximum.push_back(extent);
      chunk.push_back(extent);
    }
    Hid space(file.check(H5Screate_simple(static_cast<int>(dimensions.size()), dimensions.data(), maximum.data()),
                         name, "create dataspace"),
              H5Sclose);
    Hid properties(file.check(H5Pcreate(H5P_DATASET_CREATE), name, "create properties"), H5Pclose);
    file.check_status(H5Pset_chunk(properties.get(), static_cast<int>(chunk.size()), chunk.data()), name,
                      "set chunking");
    if (compression == Compression::gzip) {
      file.check_status(H5Pset_shuffle(properties.get()), name, "set shuffle");
      file.check_status(H5Pset_deflate(properties.get(), kGzipLevel), name, "set gzip");
    }
    if (fill_value != nullptr) {
      file.check_status(H5Pset_fill_value(properties.get(), fill_type, fill_value), name, "set fill value");
    }
    // The recorder only appends: a chunk cache of two chunks holds the one being filled, and fully
    // written chunks leave first (w0 = 1). HDF5's default 1 MiB per dataset would instead keep up to
    // 1 MiB of already-written small chunks per dataset, which looks like growth over a long run.
    std::size_t chunk_bytes = H5Tget_size(file_type);
    for (const auto extent : chunk) chunk_bytes *= extent;
    Hid access(file.check(H5Pcreate(H5P_DATASET_ACCESS), name, "create access properties"), H5Pclose);
    file.check_status(H5Pset_chunk_cache(access.get(), kChunkCacheSlots, 2 * chunk_bytes, 1.0), name,
                      "set chunk cache");
    dataset_ = Hid(file.check(H5Dcreate2(parent, name.c_str(), file_type, space.get(), H5P_DEFAULT,
                                         properties.get(), access.get()),
                              name, "create dataset"),
                   H5Dclose);
  }

  hid_t id() const { return dataset_.get(); }
  hsize_t rows() const { return rows_; }

  // Appends `count` rows from row-major memory of the given HDF5 memory type.
  void append(hsize_t count, hid_t memory_type, const void* values) {
    if (count == 0) return;
    std::vector<hsize_t> new_extent{rows_ + count}, start{rows_}, block{count};
    for (const auto extent : row_shape_) {
      new_extent.push_back(extent);
      start.push_back(0);
      block.push_back(extent);
    }
    file_->check_status(H5Dset_extent(dataset_.get(), new_extent.data()), name_, "extend dataset");
    Hid file_space(file_->check(H5Dget_space(dataset_.get()), name_, "get dataspace"), H5Sclose);
    file_->check_status(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr, block.data(),
                                            nullptr),
                        name_, "select rows");
    Hid memory_space(file_->check(H5Screate_simple(static_cast<int>(block.size()), block.data(), nullptr), name_,
                                  "create memory space"),
                     H5Sclose);
    file_->check_status(H5Dwrite(dataset_.get(), memory_type, memory_space.get(), file_space.get(), H5P_DEFAULT,
                                 values),
                        name_, "write rows");
    rows_ += count;
  }

 private:
  const TraceFile* file_ = nullptr;
  std::string name_;
  std::vector<hsize_t> row_shape_;
  hsize_t rows_ = 0;
  Hid dataset_;
};

struct PopulationDatasets {
  AppendableDataset final_asr;                // /neurons/<p>/asr [Σ tokens, width]
  AppendableDataset timestamps, node_ids;     // /spikes/<p>/...
  AppendableDataset example_index_pointers;   // /spikes/<p>/example_index_pointers
  AppendableDataset report_data;              // /report/<p>/data [Σ steps*tokens, width]
  AppendableDataset report_pointers;          // /report/<p>/example_index_pointers
  hsize_t report_chunk_rows = 1;
};

// File access with a metadata cache capped at kMetadataCacheBytes: HDF5's default adaptive cache may
// grow to 32 MiB as the chunk index grows; the cap keeps the recorder's memory flat over long runs.
constexpr std::size_t kMetadataCacheBytes = 4 << 20;
Hid bounded_cache_access(const TraceFile& file) {
  Hid access(file.check(H5Pcreate(H5P_FILE_ACCESS), "/", "create file access properties"), H5Pclose);
  H5AC_cache_config_t config;
  config.version = H5AC__CURR_CACHE_CONFIG_VERSION;
  file.check_status(H5Pget_mdc_config(access.get(), &config), "/", "read cache configuration");
  config.max_size = kMetadataCacheBytes;
  config.initial_size = std::min<std::size_t>(config.initial_size, kMetadataCacheBytes);
  config.min_size = std::min<std::size_t>(config.min_size, config.initial_size);
  config.set_initial_size = true;
  file.check_status(H5Pset_mdc_config(access.get(), &config), "/", "set cache configuration");
  return access;
}

// File creation with free-space reuse switched off (H5F_FSPACE_STRATEGY_NONE: every allocation comes
// from the end of the file). When a compressed chunk grows, HDF5 writes it to new space and frees the
// old copy; reusing that space before the next H5Fflush could overwrite a chunk that the last flushed
// index still points to, so a kill in between would damage completed examples. Never reusing space
// keeps every flushed byte intact, at the price of some dead space at the spikes level.
Hid append_only_creation(const TraceFile& file) {
  Hid creation(file.check(H5Pcreate(H5P_FILE_CREATE), "/", "create file creation properties"), H5Pclose);
  file.check_status(H5Pset_file_space_strategy(creation.get(), H5F_FSPACE_STRATEGY_NONE, 0, 1), "/",
                    "set the file space strategy");
  return creation;
}

void sync_and_rename(const std::filesystem::path& from, const std::filesystem::path& to) {
  const int descriptor = ::open(from.c_str(), O_RDONLY);
  if (descriptor >= 0) {
    ::fsync(descriptor);
    ::close(descriptor);
  }
  std::error_code error;
  std::filesystem::rename(from, to, error);
  if (error) {
    throw io::InputError(to.string(), "", "cannot move the finished trace into place: " + error.message(),
                         "a writable location");
  }
}

// Claims FILE.partial for this run: created exclusively, or, if a run that was killed left it, reused;
// either way held under an exclusive flock until the trace is renamed. A partial file whose lock another
// process holds belongs to a run that is still writing: refused, never truncated (two runs writing one
// trace would each ruin the other's file). Returns the descriptor that holds the lock.
int claim_partial(const std::filesystem::path& partial, const std::filesystem::path& destination) {
  int descriptor = ::open(partial.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (descriptor < 0 && errno == EEXIST) descriptor = ::open(partial.c_str(), O_RDWR | O_CLOEXEC);
  if (descriptor < 0) {
    throw io::InputError(partial.string(), "", std::string("cannot create the trace file: ") + std::strerror(errno),
                         "a writable folder");
  }
  struct stat held {}, named {};
  if (::flock(descriptor, LOCK_EX | LOCK_NB) != 0 || ::fstat(descriptor, &held) != 0 ||
      ::stat(partial.c_str(), &named) != 0 || held.st_ino != named.st_ino || held.st_dev != named.st_dev) {
    ::close(descriptor);
    throw io::InputError(destination.string(), "", "another run is writing this trace right now (" +
                                                       partial.filename().string() + " is locked)",
                         "one run per trace file (choose another --trace name)");
  }
  return descriptor;
}

}  // namespace

struct Hdf5Recorder::State {
  State(std::filesystem::path destination_path, TraceLevel trace_level)
      : destination(std::move(destination_path)),
        partial(partial_path(destination)),
        level(trace_level),
        file(partial.string()) {}

  std::filesystem::path destination, partial;
  TraceLevel level;
  TraceFile file;
  ExampleBuffer buffer;
  Hid handle;
  AppendableDataset example_index, example_tokens, example_steps, example_first_step, example_predicted,
      example_label, example_token_pointers;
  std::uint64_t total_tokens = 0;  // rows of the per-token datasets so far
  AppendableDataset summary_asr, summary_residual_mean_abs, summary_residual_max;
  AppendableDataset summary_converged_at, summary_residual_floor;
  double convergence_tolerance = 0.0;
  std::vector<PopulationDatasets> populations;
  std::int64_t examples_written = 0;
  std::int64_t total_steps = 0;  // global step axis: examples laid end to end
  bool finished = false;
  int partial_lock = -1;  // descriptor holding the flock on FILE.partial (claim_partial)

  void write_root_attributes(const RunInfo& run);
  void create_population_table(const RunInfo& run);
  void create_datasets(const RunInfo& run);
  void write_example();
  void write_report_frames(std::size_t population);
  // Every dataset closed before the file, so H5Fclose really closes (and flushes) it.
  void close_datasets() {
    example_index = {};
    example_tokens = {};
    example_steps = {};
    example_first_step = {};
    example_predicted = {};
    example_label = {};
    example_token_pointers = {};
    summary_asr = {};
    summary_residual_mean_abs = {};
    summary_residual_max = {};
    summary_converged_at = {};
    summary_residual_floor = {};
    populations.clear();
  }
  void flush() {
    file.check_status(H5Fflush(handle.get(), H5F_SCOPE_GLOBAL), "/", "flush the trace");
  }
};

std::filesystem::path Hdf5Recorder::partial_path(const std::filesystem::path& destination) {
  auto partial = destination;
  partial += ".partial";
  return partial;
}

Hdf5Recorder::Hdf5Recorder(std::filesystem::path destination, TraceLevel level)
    : state_(std::make_unique<State>(std::move(destination), level)) {
  const auto folder = state_->destination.parent_path();
  if (!folder.empty() && !std::filesystem::is_directory(folder)) {
    throw io::InputError(state_->destination.string(), "", "the output folder does not exist", "an existing folder");
  }
}

Hdf5Recorder::~Hdf5Recorder() {
  // Unfinished run: the datasets and file are closed here (HDF5 flushes on close); FILE.h5.partial
  // stays, readable, with complete = 0. If writing the trace itself failed (a full disk), the file is
  // not readable and only holds the space: it is abandoned and removed. Never throws.
  auto& s = *state_;
  if (!s.finished && s.handle.valid()) {
    s.close_datasets();
    const hid_t file = s.handle.release();
    const bool closed = s.file.failed() ? (io::abandon_file(file), false) : H5Fclose(file) >= 0;
    if (!closed) {
      std::error_code ignored;
      std::filesystem::remove(s.partial, ignored);
    }
  }
  if (s.partial_lock >= 0) ::close(s.partial_lock);
}

TraceLevel Hdf5Recorder::level() const { return state_->level; }
std::int64_t Hdf5Recorder::examples_written() const { return state_->examples_written; }
const std::filesystem::path& Hdf5Recorder::destination() const { return state_->destination; }

void Hdf5Recorder::State::write_root_attributes(const RunInfo& run) {
  const hid_t root = handle.get();
  write_attribute(file, root, "magic", H5T_STD_U32LE, H5T_NATIVE_UINT32, {}, &kSonataMagic);
  write_attribute(file, root, "version", H5T_STD_U32LE, H5T_NATIVE_UINT32, {2}, kSonataVersion.data());
  write_string_attribute(file, root, "trace_format", "spikingbert-trace");
  write_int_attribute(file, root, "trace_schema_version", kTraceSchemaVersion);
  write_string_attribute(file, root, "trace_level", std::string(to_string(level)));
  write_string_attribute(file, root, "model", run.model);
  write_string_attribute(file, root, "task", run.task);
  write_int_attribute(file, root, "t_conv", run.steps);
  write_double_attribute(file, root, "vth", run.vth);
  write_double_attribute(file, root, "leak", run.leak);
  write_double_attribute(file, root, "convergence_tolerance", run.convergence_tolerance);
  write_string_attribute(file, root, "command_line", run.command_line);
  write_string_attribute(file, root, "program_version", run.program_version);
  write_double_attribute(file, root, "dt", kStepDurationMs);
  write_string_attribute(file, root, "time_units", "ms");
  write_int_attribute(file, root, "examples_completed", 0);
  write_int_attribute(file, root, "complete", 0);
}

void Hdf5Recorder::State::create_population_table(const RunInfo& run) {
  auto group = make_group(file, handle.get(), "populations");
  std::vector<const char*> names;
  std::vector<std::int64_t> width;
  for (const auto& population : run.populations) {
    names.push_back(population.name.c_str());
    width.push_back(population.width);
  }
  const auto string_type = utf8_string_type(file);
  const auto count = static_cast<hsize_t>(names.size());
  write_fixed_dataset(file, group.get(), "name", string_type.get(), string_type.get(), count, names.data(),
                      /*compress=*/false);
  write_fixed_dataset(file, group.get(), "width", H5T_STD_I64LE, H5T_NATIVE_INT64, count, width.data());
}

void Hdf5Recorder::State::create_datasets(const RunInfo& run) {
  {
    auto group = make_group(file, handle.get(), "examples");
    const hid_t g = group.get();
    example_index = AppendableDataset(file, g, "index", H5T_STD_I64LE, {}, kExampleTableChunkRows, Compression::none);
    example_tokens = AppendableDataset(file, g, "tokens", H5T_STD_I64LE, {}, kExampleTableChunkRows, Compression::none);
    example_steps = AppendableDataset(file, g, "steps", H5T_STD_I64LE, {}, kExampleTableChunkRows, Compression::none);
    example_first_step = AppendableDataset(file, g, "first_step", H5T_STD_I64LE, {}, kExampleTableChunkRows, Compression::none);
    example_predicted = AppendableDataset(file, g, "predicted_label", H5T_STD_I64LE, {}, kExampleTableChunkRows, Compression::none);
    example_label = AppendableDataset(file, g, "label", H5T_STD_I64LE, {}, kExampleTableChunkRows, Compression::none);
    // Ragged per-token datasets: example e owns rows [token_pointers[e], token_pointers[e+1]) (docs/traces.md §3).
    example_token_pointers = AppendableDataset(file, g, "token_pointers", H5T_STD_U64LE, {}, kExampleTableChunkRows,
                                               Compression::none);
    const std::uint64_t zero = 0;
    example_token_pointers.append(1, H5T_NATIVE_UINT64, &zero);
  }
  {
    auto group = make_group(file, handle.get(), "summary");
    const std::vector<hsize_t> row{static_cast<hsize_t>(run.populations.size()), static_cast<hsize_t>(run.steps)};
    const double not_recorded = std::numeric_limits<double>::quiet_NaN();
    // One chunk per example: [1, populations, T].
    summary_asr = AppendableDataset(file, group.get(), "mean_asr", H5T_IEEE_F64LE, row, 1, Compression::gzip, H5T_NATIVE_DOUBLE,
                                    &not_recorded);
    summary_residual_mean_abs = AppendableDataset(file, group.get(), "residual_mean_abs", H5T_IEEE_F64LE, row, 1,
                                                  Compression::gzip, H5T_NATIVE_DOUBLE, &not_recorded);
    summary_residual_max = AppendableDataset(file, group.get(), "residual_max", H5T_IEEE_F64LE, row, 1,
                                             Compression::gzip, H5T_NATIVE_DOUBLE, &not_recorded);
    // Per example and population: the convergence step and residual floor of its residual_mean_abs
    // series (traces/Convergence.hpp), so a reader need not recompute them.
    const std::vector<hsize_t> per_population{static_cast<hsize_t>(run.populations.size())};
    // Uncompressed, like /examples: a row is appended per example, and a compressed chunk that is
    // rewritten for every row would be written to new space each time (the file never reuses space, §2).
    summary_converged_at = AppendableDataset(file, group.get(), "converged_at", H5T_STD_I64LE, per_population,
                                             kExampleTableChunkRows, Compression::none);
    summary_residual_floor = AppendableDataset(file, group.get(), "residual_floor", H5T_IEEE_F64LE, per_population,
                                               kExampleTableChunkRows, Compression::none);
    convergence_tolerance = run.convergence_tolerance;
  }
  populations.resize(run.populations.size());
  if (level >= TraceLevel::neurons) {
    auto group = make_group(file, handle.get(), "neurons");
    for (std::size_t p = 0; p < run.populations.size(); ++p) {
      const auto& info = run.populations[p];
      auto population_group = make_group(file, group.get(), info.name);
      populations[p].final_asr = AppendableDataset(file, population_group.get(), "asr", H5T_IEEE_F32LE,
                                                   {static_cast<hsize_t>(info.width)}, kTokenChunkRows,
                                                   Compression::gzip);
    }
  }
  if (level >= TraceLevel::spikes) {
    auto spikes_group = make_group(file, handle.get(), "spikes");
    auto report_group = make_group(file, handle.get(), "report");
    for (std::size_t p = 0; p < run.populations.size(); ++p) {
      const auto& info = run.populations[p];
      auto& datasets = populations[p];
      {
        auto group = make_group(file, spikes_group.get(), info.name);
        // Appended step by step, example after example on one time axis: sorted by time.
        write_sorting_attribute(file, group.get(), kSortingByTime);
        datasets.timestamps = AppendableDataset(file, group.get(), "timestamps", H5T_IEEE_F64LE, {}, kSpikeChunkElements,
                                                Compression::gzip);
        write_string_attribute(file, datasets.timestamps.id(), "units", "ms");
        datasets.node_ids = AppendableDataset(file, group.get(), "node_ids", H5T_STD_U64LE, {}, kSpikeChunkElements,
                                                Compression::gzip);
        datasets.example_index_pointers = AppendableDataset(file, group.get(), "example_index_pointers",
                                                            H5T_STD_U64LE, {}, kExampleTableChunkRows, Compression::none);
        const std::uint64_t zero = 0;
        datasets.example_index_pointers.append(1, H5T_NATIVE_UINT64, &zero);
      }
      {
        // Ragged frames: example e's rows [p[e], p[e+1]) are its steps x tokens, each row one token's width
        // neurons (no SONATA frame report: that needs one fixed node set for every frame, docs/traces.md §5).
        auto group = make_group(file, report_group.get(), info.name);
        const auto width = static_cast<hsize_t>(info.width);
        datasets.report_chunk_rows = std::max<hsize_t>(1, kReportChunkTargetValues / width);
        datasets.report_data = AppendableDataset(file, group.get(), "data", H5T_IEEE_F32LE, {width},
                                                 datasets.report_chunk_rows, Compression::gzip);
        write_string_attribute(file, datasets.report_data.id(), "units", "1");
        write_string_attribute(file, datasets.report_data.id(), "variable_name", "asr");
        datasets.report_pointers = AppendableDataset(file, group.get(), "example_index_pointers", H5T_STD_U64LE, {},
                                                     kExampleTableChunkRows, Compression::none);
        const std::uint64_t zero = 0;
        datasets.report_pointers.append(1, H5T_NATIVE_UINT64, &zero);
      }
    }
  }
}

void Hdf5Recorder::begin_run(const RunInfo& run) {
  auto& s = *state_;
  s.buffer.begin_run(run, s.level);
  const auto access = bounded_cache_access(s.file);
  const auto creation = append_only_creation(s.file);
  s.partial_lock = claim_partial(s.partial, s.destination);
  // libhdf5's own lock would conflict with the one claim_partial holds (flock is per open file).
  s.file.check_status(H5Pset_file_locking(access.get(), false, true), "/", "set file locking");
  s.handle = Hid(s.file.check(H5Fcreate(s.partial.c_str(), H5F_ACC_TRUNC, creation.get(), access.get()), "/",
                              "create the trace file"),
                 H5Fclose);
  s.write_root_attributes(run);
  s.create_population_table(run);
  s.create_datasets(run);
  s.flush();  // an empty but valid trace exists from the start
}

void Hdf5Recorder::begin_example(std::int64_t example_index, std::int64_t tokens) {
  state_->buffer.begin_example(example_index, tokens);
}

void Hdf5Recorder::record_step(std::size_t population, std::int64_t step, const StepStatistics& statistics) {
  state_->buffer.record_step(population, step, statistics);
}

void Hdf5Recorder::record_spikes(std::size_t population, std::int64_t step, std::span<const std::uint32_t> node_ids) {
  state_->buffer.record_spikes(population, step, node_ids);
}

void Hdf5Recorder::record_final_asr(std::size_t population, std::span<const float> asr) {
  state_->buffer.record_final_asr(population, asr);
}

// Per-step running ASR frames a_i(s) = count_i(0..s) / (s+1) (method doc §2.2 at T = s+1), computed
// from the example's spikes, written in chunk-sized blocks so memory is one block. One frame is the
// example's tokens x width neurons, tokens rows of the dataset.
void Hdf5Recorder::State::write_report_frames(std::size_t population) {
  auto& datasets = populations[population];
  const auto& spikes = buffer.spikes(population);
  const auto width = static_cast<std::size_t>(buffer.run().populations[population].width);
  const auto values = static_cast<std::size_t>(buffer.tokens()) * width;
  std::vector<std::uint32_t> spike_count(values, 0);
  std::vector<float> block;
  const auto block_values = std::max<std::size_t>(values, datasets.report_chunk_rows * width);
  block.reserve(block_values);
  std::size_t next_spike = 0;
  for (std::int64_t step = 0; step < buffer.steps(); ++step) {
    while (next_spike < spikes.steps.size() && spikes.steps[next_spike] == step) {
      ++spike_count[spikes.node_ids[next_spike]];
      ++next_spike;
    }
    const float steps_so_far = static_cast<float>(step + 1);
    for (const auto count : spike_count) block.push_back(static_cast<float>(count) / steps_so_far);
    if (block.size() + values > block_values || step + 1 == buffer.steps()) {
      datasets.report_data.append(block.size() / width, H5T_NATIVE_FLOAT, block.data());
      block.clear();
    }
  }
  const std::uint64_t end = datasets.report_data.rows();
  datasets.report_pointers.append(1, H5T_NATIVE_UINT64, &end);
}

void Hdf5Recorder::State::write_example() {
  const std::int64_t first_step = total_steps;
  summary_asr.append(1, H5T_NATIVE_DOUBLE, buffer.mean_asr().data());
  summary_residual_mean_abs.append(1, H5T_NATIVE_DOUBLE, buffer.residual_mean_abs().data());
  summary_residual_max.append(1, H5T_NATIVE_DOUBLE, buffer.residual_max().data());
  {
    // converged_at: the first step t (1-based, method doc §2.1's t = s + 1, as `run` and plot_traces.py
    // print it) from which the mean residual stays below the tolerance, -1 if it never settles or was not
    // computed; residual_floor: median of the series' last quarter (NaN if none).
    std::vector<std::int64_t> converged_at(populations.size(), -1);
    std::vector<double> floor(populations.size(), std::numeric_limits<double>::quiet_NaN());
    const auto max_steps = static_cast<std::size_t>(buffer.max_steps());
    for (std::size_t p = 0; p < populations.size(); ++p) {
      const std::span<const double> series(buffer.residual_mean_abs().data() + p * max_steps,
                                           static_cast<std::size_t>(buffer.steps()));
      if (series.empty() || !std::isfinite(series.back())) continue;
      const auto step = convergence_step(series, convergence_tolerance);
      converged_at[p] = step ? *step + 1 : -1;
      floor[p] = residual_floor(series);
    }
    summary_converged_at.append(1, H5T_NATIVE_INT64, converged_at.data());
    summary_residual_floor.append(1, H5T_NATIVE_DOUBLE, floor.data());
  }
  for (std::size_t p = 0; p < populations.size(); ++p) {
    auto& datasets = populations[p];
    if (level >= TraceLevel::neurons)
      datasets.final_asr.append(static_cast<hsize_t>(buffer.tokens()), H5T_NATIVE_FLOAT, buffer.final_asr(p).data());
    if (level >= TraceLevel::spikes) {
      const auto& spikes = buffer.spikes(p);
      std::vector<double> timestamps(spikes.steps.size());
      std::vector<std::uint64_t> node_ids(spikes.node_ids.begin(), spikes.node_ids.end());
      for (std::size_t i = 0; i < timestamps.size(); ++i) {
        timestamps[i] = static_cast<double>(first_step + spikes.steps[i]) * kStepDurationMs;
      }
      datasets.timestamps.append(timestamps.size(), H5T_NATIVE_DOUBLE, timestamps.data());
      datasets.node_ids.append(node_ids.size(), H5T_NATIVE_UINT64, node_ids.data());
      const std::uint64_t end = datasets.node_ids.rows();
      datasets.example_index_pointers.append(1, H5T_NATIVE_UINT64, &end);
      write_report_frames(p);
    }
  }
  // The example table last: its length is the number of completed examples.
  const std::int64_t index = buffer.example_index(), tokens = buffer.tokens(), steps = buffer.steps(),
                     predicted = buffer.predicted_label(), label = buffer.label();
  total_tokens += static_cast<std::uint64_t>(tokens);
  example_token_pointers.append(1, H5T_NATIVE_UINT64, &total_tokens);
  example_index.append(1, H5T_NATIVE_INT64, &index);
  example_tokens.append(1, H5T_NATIVE_INT64, &tokens);
  example_steps.append(1, H5T_NATIVE_INT64, &steps);
  example_first_step.append(1, H5T_NATIVE_INT64, &first_step);
  example_predicted.append(1, H5T_NATIVE_INT64, &predicted);
  example_label.append(1, H5T_NATIVE_INT64, &label);
  total_steps += steps;
  ++examples_written;
  update_int_attribute(file, handle.get(), "examples_completed", examples_written);
}

void Hdf5Recorder::end_example(const ExampleOutcome& outcome) {
  auto& s = *state_;
  s.buffer.finish(outcome);
  s.write_example();
  s.flush();  // from here on, a killed run still holds this example
}

void Hdf5Recorder::end_run() {
  auto& s = *state_;
  s.buffer.end_run();
  update_int_attribute(s.file, s.handle.get(), "complete", 1);
  s.close_datasets();
  const hid_t file = s.handle.release();
  if (H5Fclose(file) < 0) {
    std::error_code ignored;
    std::filesystem::remove(s.partial, ignored);
    s.finished = true;  // nothing left to close or keep
    s.file.fail("/", "close the trace");
  }
  sync_and_rename(s.partial, s.destination);
  s.finished = true;
  ::close(s.partial_lock);  // the finished trace is no longer ours: readers may lock it
  s.partial_lock = -1;
}

}  // namespace spikingbert::traces
