#pragma once
// RAII reader and writer over the HDF5 C API. HDF5's own error printing is silenced; every failure
// becomes an InputError naming the file and the dataset, e.g.
//   case.h5:/inputs/input_ids: dataset missing (expected a dataset at this path)
// The writer fills a temporary file (AtomicFile) and commit() renames it into place, so a reader
// never sees a half-written file. The serial HDF5 library is not thread-safe: every call here holds
// one process-wide lock, so readers and writers may be used from several threads.
#include "io/AtomicFile.hpp"
#include "io/Tensor.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
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
  ~Hdf5Writer();  // without commit(): closes and removes the temporary; the destination is untouched
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

  // An extendible dataset of shape [0, row_shape...] that grows along its first axis (one row per
  // example or time step), chunked by rows_per_chunk rows and gzip-compressed (level 0 = no filter).
  void create_extendible(const std::string& dataset_path, Hdf5Element element, const Shape& row_shape,
                         std::int64_t rows_per_chunk, int gzip_level = 4);
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

  void commit();  // closes the file and renames it into place

  const std::filesystem::path& destination() const { return atomic_.destination(); }

 private:
  void close();
  void append_raw(const std::string& dataset_path, Hdf5Element element, const void* data, std::size_t count);
  void write_dataset(const std::string& dataset_path, const Shape& shape, std::int64_t file_type,
                     std::int64_t memory_type, const void* data, std::size_t value_count);
  std::int64_t open_or_create_object(const std::string& object_path);
  void write_attribute_raw(const std::string& object_path, const std::string& name, std::int64_t file_type,
                           std::int64_t memory_type, const Shape& shape, const void* data);

  AtomicFile atomic_;
  std::int64_t file_ = -1;  // hid_t
};

}  // namespace spikingbert::io
