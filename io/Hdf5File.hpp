#pragma once
// RAII reader and writer over the HDF5 C API. HDF5's own error printing is silenced; every failure
// becomes an InputError naming the file and the dataset, e.g.
//   case.h5:/inputs/input_ids: dataset missing (expected a dataset at this path)
// The writer fills a temporary file (AtomicFile) and commit() renames it into place, so a reader
// never sees a half-written file. A streamed writer (a trace, written while a run goes) fills the
// visible FILE.partial instead (PartialFile), readable after every flush() even if the process is killed. The serial HDF5 library is not thread-safe: every call here holds
// one process-wide lock, so readers and writers may be used from several threads.
#include "io/AtomicFile.hpp"
#include "io/PartialFile.hpp"
#include "io/Tensor.hpp"

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <type_traits>
#include <vector>

namespace spikingbert::io {

// Element types of extendible datasets.
enum class Hdf5Element { F32, F64, I8, I16, I32, I64, U8, U16, U32, U64 };

template <typename T>
constexpr Hdf5Element hdf5_element_of() {
  if constexpr (std::is_same_v<T, float>) return Hdf5Element::F32;
  else if constexpr (std::is_same_v<T, double>) return Hdf5Element::F64;
  else if constexpr (std::is_same_v<T, std::int8_t>) return Hdf5Element::I8;
  else if constexpr (std::is_same_v<T, std::int16_t>) return Hdf5Element::I16;
  else if constexpr (std::is_same_v<T, std::int32_t>) return Hdf5Element::I32;
  else if constexpr (std::is_same_v<T, std::int64_t>) return Hdf5Element::I64;
  else if constexpr (std::is_same_v<T, std::uint8_t>) return Hdf5Element::U8;
  else if constexpr (std::is_same_v<T, std::uint16_t>) return Hdf5Element::U16;
  else if constexpr (std::is_same_v<T, std::uint32_t>) return Hdf5Element::U32;
  else {
    static_assert(std::is_same_v<T, std::uint64_t>, "unsupported HDF5 element type");
    return Hdf5Element::U64;
  }
}

// Paths are absolute or relative to the root ("inputs/input_ids" == "/inputs/input_ids").
class Hdf5Reader {
 public:
  explicit Hdf5Reader(const std::filesystem::path& path);
  ~Hdf5Reader();
  Hdf5Reader(const Hdf5Reader&) = delete;
  Hdf5Reader& operator=(const Hdf5Reader&) = delete;

  const std::filesystem::path& path() const { return path_; }
  bool has(const std::string& object_path) const;           // a dataset or group exists at this path
  bool is_dataset(const std::string& object_path) const;
  bool is_group(const std::string& object_path) const;
  Shape shape(const std::string& dataset_path) const;       // [] for a scalar dataset
  bool is_float_dataset(const std::string& dataset_path) const;  // a dataset of a floating-point dtype

  Tensor read_tensor(const std::string& dataset_path) const;  // any numeric dtype -> float32
  std::vector<double> read_doubles(const std::string& dataset_path, Shape* shape = nullptr) const;
  IntTensor read_ints(const std::string& dataset_path) const;  // any integer dtype -> int64
  // A 1-D dataset of variable-length strings (what write_strings and h5py write), e.g. a trace's word pieces.
  std::vector<std::string> read_strings(const std::string& dataset_path) const;
  std::vector<std::string> list(const std::string& group_path) const;  // child names, sorted

  bool has_attribute(const std::string& object_path, const std::string& name) const;
  std::vector<std::string> list_attributes(const std::string& object_path) const;  // names, sorted
  double read_attribute_double(const std::string& object_path, const std::string& name) const;  // any numeric
  std::int64_t read_attribute_int(const std::string& object_path, const std::string& name) const;  // integer
  std::string read_attribute_string(const std::string& object_path, const std::string& name) const;
  std::vector<double> read_attribute_doubles(const std::string& object_path, const std::string& name) const;
  std::vector<std::int64_t> read_attribute_ints(const std::string& object_path, const std::string& name) const;
  std::vector<std::string> read_attribute_strings(const std::string& object_path, const std::string& name) const;

 private:
  std::filesystem::path path_;
  std::int64_t file_ = -1;  // hid_t
  mutable bool global_heap_checked_ = false;  // io/Hdf5GlobalHeap.hpp, before the first variable-length read
};

// Closes a file whose writes failed, without throwing: every object still open in it, then the file, once.
// Used by every writer on its failure path (never after a failed H5Fclose).
void abandon_file(std::int64_t file);

class Hdf5Writer {
 public:
  explicit Hdf5Writer(const std::filesystem::path& destination);  // writes a temporary file, atomic
  // Streamed: writes DESTINATION.partial (io/PartialFile.hpp: exclusive, locked; InputError if another
  // process is writing it) and commit() renames it to DESTINATION. Crash safety: the file never reuses
  // freed space (a compressed chunk that grows is written to new space, so the copy the last flush()
  // indexed stays intact and a kill leaves every flushed row readable); it uses HDF5's default
  // (1.8-compatible) format, so readers need no h5clear after a crash; its metadata cache is capped and
  // every extendible dataset keeps a cache of two chunks, so memory stays flat over long runs.
  struct Streamed {};
  Hdf5Writer(const std::filesystem::path& destination, Streamed);
  // Without commit(): an atomic writer closes and removes its temporary (the destination is untouched);
  // a streamed writer closes FILE.partial and keeps it, readable, unless a write failed (a full disk):
  // then the file cannot be closed into a readable state and is removed.
  ~Hdf5Writer();
  Hdf5Writer(const Hdf5Writer&) = delete;
  Hdf5Writer& operator=(const Hdf5Writer&) = delete;

  // Datasets; intermediate groups are created. An empty shape writes a scalar dataset.
  void write_tensor(const std::string& dataset_path, const Tensor& tensor);  // float32
  void write_doubles(const std::string& dataset_path, const Shape& shape, const std::vector<double>& values);
  // IEEE binary16 (little endian, what h5py calls float16), given as bit patterns (io/HalfFloat.hpp).
  // read_tensor widens it back to float32 exactly.
  void write_half_tensor(const std::string& dataset_path, const Shape& shape, const std::vector<std::uint16_t>& bits);
  // Signed integers stored with `bytes` bytes (1, 2, 4 or 8); values must fit.
  void write_ints(const std::string& dataset_path, const Shape& shape, const std::vector<std::int64_t>& values,
                  int bytes = 4);
  // Unsigned integers stored with `bytes` bytes (1, 2, 4 or 8); values must fit.
  void write_uints(const std::string& dataset_path, const Shape& shape, const std::vector<std::uint64_t>& values,
                   int bytes);
  void create_group(const std::string& group_path);  // with intermediate groups; no-op if it exists

  // Variable-length UTF-8 strings, 1-D (what h5py reads as str with .asstr()).
  void write_strings(const std::string& dataset_path, const std::vector<std::string>& values);

  // An extendible dataset of shape [0, row_shape...] that grows along its first axis (one row per
  // example or time step), chunked by rows_per_chunk rows and gzip-compressed (level 0 = no filter).
  // Rows that exist but were never written read as `fill` (default 0).
  void create_extendible(const std::string& dataset_path, Hdf5Element element, const Shape& row_shape,
                         std::int64_t rows_per_chunk, int gzip_level = 4, std::optional<double> fill = std::nullopt);
  // A 1-D extendible dataset of variable-length UTF-8 strings (uncompressed).
  void create_extendible_strings(const std::string& dataset_path, std::int64_t rows_per_chunk);
  void append_strings(const std::string& dataset_path, const std::vector<std::string>& values);
  // Appends whole rows: values.size() must be a multiple of the row size and T must match the element type.
  template <typename T>
  void append_rows(const std::string& dataset_path, const std::vector<T>& values) {
    append_raw(dataset_path, hdf5_element_of<T>(), values.data(), values.size());
  }
  std::int64_t rows(const std::string& dataset_path);  // current length of an extendible dataset
  // Pushes everything written so far to the (temporary) file.
  void flush();

  // Attributes on a group or dataset (a missing object path is created as a group). Rewriting an
  // attribute replaces it. Strings are variable-length UTF-8 (as h5py writes them).
  void write_attribute(const std::string& object_path, const std::string& name, double value);
  void write_attribute(const std::string& object_path, const std::string& name, std::int64_t value);
  template <typename Integer>
    requires(std::is_integral_v<Integer> && !std::is_same_v<Integer, std::int64_t>)
  void write_attribute(const std::string& object_path, const std::string& name, Integer value) {
    write_attribute(object_path, name, static_cast<std::int64_t>(value));  // int, size_t, bool -> int64
  }
  void write_attribute(const std::string& object_path, const std::string& name, const std::string& value);
  void write_attribute(const std::string& object_path, const std::string& name, const char* value);
  void write_attribute(const std::string& object_path, const std::string& name, const std::vector<double>& values);
  void write_attribute(const std::string& object_path, const std::string& name,
                       const std::vector<std::int64_t>& values);
  void write_attribute(const std::string& object_path, const std::string& name,
                       const std::vector<std::string>& values);
  // Unsigned 32-bit attributes (a scalar for one value), e.g. SONATA's `magic` and `version`.
  void write_uint32_attribute(const std::string& object_path, const std::string& name,
                              const std::vector<std::uint32_t>& values);
  // A scalar attribute of an 8-bit enum type with the given members (name, value), e.g. SONATA's `sorting`.
  void write_enum_attribute(const std::string& object_path, const std::string& name,
                            const std::vector<std::pair<std::string, std::int8_t>>& members, std::int8_t value);

  void commit();  // closes the file and renames it into place

  const std::filesystem::path& destination() const;

 private:
  void close();
  void close_datasets();
  std::int64_t open_dataset(const std::string& place);  // an extendible dataset, kept open until close
  [[noreturn]] void fail(const std::string& place, const std::string& what);  // marks the file failed, throws
  void append_raw(const std::string& dataset_path, Hdf5Element element, const void* data, std::size_t count);
  void write_dataset(const std::string& dataset_path, const Shape& shape, std::int64_t file_type,
                     std::int64_t memory_type, const void* data, std::size_t value_count);
  std::int64_t open_or_create_object(const std::string& object_path);
  void write_attribute_raw(const std::string& object_path, const std::string& name, std::int64_t file_type,
                           std::int64_t memory_type, const Shape& shape, const void* data);

  std::unique_ptr<AtomicFile> atomic_;    // atomic writer
  std::unique_ptr<PartialFile> partial_;  // streamed writer
  std::int64_t file_ = -1;  // hid_t
  bool failed_ = false;     // a write failed: the file is not closed into a readable state
  std::map<std::string, std::int64_t> open_datasets_;  // extendible datasets by absolute path (hid_t)
};

}  // namespace spikingbert::io
