#include "io/Safetensors.hpp"

#include "io/AtomicFile.hpp"
#include "io/Error.hpp"
#include "io/HalfFloat.hpp"
#include "io/JsonDuplicateKeys.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <limits>
#include <set>
#include <stdexcept>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace spikingbert::io {

static_assert(std::endian::native == std::endian::little,
              "safetensors data is little-endian; this reader copies bytes as they are");

namespace {
std::string format_double(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", value);
  return text;
}

constexpr std::size_t kHeaderLengthBytes = 8;  // the u64 that opens every file
// The reference implementation refuses headers above 100 MB; so do we (a hostile length must not
// make us parse gigabytes of "JSON").
constexpr std::uint64_t kMaxHeaderBytes = 100'000'000;
constexpr std::size_t kHeaderAlignment = 8;  // the writer pads the header so the buffer is 8-aligned
constexpr const char* kMetadataKey = "__metadata__";

struct DtypeInfo {
  SafetensorsDtype dtype;
  std::string_view name;
  std::size_t bytes;
};
constexpr std::array<DtypeInfo, 13> kDtypes{{
    {SafetensorsDtype::BOOL, "BOOL", 1}, {SafetensorsDtype::U8, "U8", 1},     {SafetensorsDtype::I8, "I8", 1},
    {SafetensorsDtype::U16, "U16", 2},   {SafetensorsDtype::I16, "I16", 2},   {SafetensorsDtype::F16, "F16", 2},
    {SafetensorsDtype::BF16, "BF16", 2}, {SafetensorsDtype::U32, "U32", 4},   {SafetensorsDtype::I32, "I32", 4},
    {SafetensorsDtype::F32, "F32", 4},   {SafetensorsDtype::U64, "U64", 8},   {SafetensorsDtype::I64, "I64", 8},
    {SafetensorsDtype::F64, "F64", 8},
}};

const DtypeInfo& info_of(SafetensorsDtype dtype) {
  for (const auto& info : kDtypes) {
    if (info.dtype == dtype) return info;
  }
  throw std::logic_error("unknown SafetensorsDtype");
}

std::string known_dtype_list() {
  std::string list;
  for (const auto& info : kDtypes) list += (list.empty() ? "" : ", ") + std::string(info.name);
  return list;
}

std::string tensor_place(const std::string& name) { return "tensor '" + name + "'"; }

// Reads one little-endian element of type T at an arbitrary (possibly unaligned) address.
template <typename T>
T load(const std::byte* address) {
  T value;
  std::memcpy(&value, address, sizeof(T));
  return value;
}

std::string describe_json_type(const nlohmann::json& value) {
  if (value.is_number_float()) return "the number " + value.dump();
  if (value.is_number()) return "the integer " + value.dump();
  const std::string type = value.type_name();
  return (type == "array" || type == "object" ? "an " : "a ") + type;
}

// A non-negative JSON integer that fits int64, or nullopt-like failure reported by the caller.
bool as_non_negative_integer(const nlohmann::json& value, std::int64_t& out) {
  if (value.is_number_unsigned()) {
    const auto raw = value.get<std::uint64_t>();
    if (raw > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return false;
    out = static_cast<std::int64_t>(raw);
    return true;
  }
  if (value.is_number_integer()) {
    out = value.get<std::int64_t>();
    return out >= 0;
  }
  return false;
}

struct Entry {
  std::string name;
  SafetensorsDtype dtype;
  Shape shape;
  std::uint64_t begin = 0;  // byte offsets relative to the start of the buffer
  std::uint64_t end = 0;
};

// Checked a * b for element counts and byte sizes; false on overflow.
bool multiply_checked(std::uint64_t a, std::uint64_t b, std::uint64_t& out) {
  return !__builtin_mul_overflow(a, b, &out);
}
}  // namespace

std::string_view dtype_name(SafetensorsDtype dtype) { return info_of(dtype).name; }
std::size_t dtype_bytes(SafetensorsDtype dtype) { return info_of(dtype).bytes; }
bool is_floating(SafetensorsDtype dtype) {
  return dtype == SafetensorsDtype::F16 || dtype == SafetensorsDtype::BF16 || dtype == SafetensorsDtype::F32 ||
         dtype == SafetensorsDtype::F64;
}

struct SafetensorsFile::State {
  std::filesystem::path path;
  std::string file;  // path as text, for messages
  const std::byte* mapping = nullptr;
  std::size_t mapping_bytes = 0;
  const std::byte* buffer = nullptr;  // start of the byte buffer (after the header)
  std::uint64_t buffer_bytes = 0;
  std::map<std::string, Entry> entries;
  std::map<std::string, std::string> metadata;

  ~State() {
    if (mapping != nullptr) ::munmap(const_cast<std::byte*>(mapping), mapping_bytes);
  }

  void map_file();
  void parse_header();
  void check_buffer_coverage() const;
  const Entry& entry(const std::string& name) const;
};

void SafetensorsFile::State::map_file() {
  const int descriptor = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (descriptor < 0) {
    throw InputError(file, "", std::string("cannot open: ") + std::strerror(errno), "a readable safetensors file");
  }
  struct stat status {};
  if (::fstat(descriptor, &status) != 0 || !S_ISREG(status.st_mode)) {
    ::close(descriptor);
    throw InputError(file, "", "not a regular file", "a safetensors file");
  }
  const auto size = static_cast<std::uint64_t>(status.st_size);
  if (size < kHeaderLengthBytes) {
    ::close(descriptor);
    throw InputError(file, "header", "file is " + std::to_string(size) + " bytes, too short for the 8-byte header length",
                     "at least 8 bytes");
  }
  void* address = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, descriptor, 0);
  const int map_errno = errno;
  ::close(descriptor);  // the mapping keeps the file alive
  if (address == MAP_FAILED) {
    throw InputError(file, "", std::string("cannot map the file: ") + std::strerror(map_errno),
                     "a readable safetensors file");
  }
  mapping = static_cast<const std::byte*>(address);
  mapping_bytes = size;
}

void SafetensorsFile::State::parse_header() {
  const auto header_bytes = load<std::uint64_t>(mapping);
  const std::uint64_t available = mapping_bytes - kHeaderLengthBytes;
  if (header_bytes > available) {
    throw InputError(file, "header",
                     "header length " + std::to_string(header_bytes) + " extends beyond the end of the file (" +
                         std::to_string(available) + " bytes follow the length)",
                     "a header length of at most " + std::to_string(available));
  }
  if (header_bytes > kMaxHeaderBytes) {
    throw InputError(file, "header", "header length " + std::to_string(header_bytes) + " is too large",
                     "at most " + std::to_string(kMaxHeaderBytes) + " bytes");
  }
  const auto* header_begin = reinterpret_cast<const char*>(mapping + kHeaderLengthBytes);
  const std::string_view header_text(header_begin, header_bytes);
  if (header_text.empty() || header_text.front() != '{') {
    throw InputError(file, "header", "header does not start with '{'", "a JSON object");
  }
  DuplicateKeyDetector duplicates;
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(header_text.begin(), header_text.end(), std::ref(duplicates));
  } catch (const nlohmann::json::parse_error& error) {
    std::string detail = error.what();
    const auto bracket = detail.find("] ");
    if (detail.starts_with("[json.exception") && bracket != std::string::npos) detail = detail.substr(bracket + 2);
    throw InputError(file, "header", "header is not valid JSON: " + detail, "a JSON object");
  } catch (const nlohmann::json::exception& error) {
    // A number beyond double's range ("1e412") is an out_of_range error, not a parse_error.
    std::string detail = error.what();
    const auto bracket = detail.find("] ");
    if (detail.starts_with("[json.exception") && bracket != std::string::npos) detail = detail.substr(bracket + 2);
    throw InputError(file, "header", "header is not valid JSON: " + detail, "a JSON object whose numbers fit a double");
  }
  if (!duplicates.duplicate().empty()) {
    if (duplicates.duplicate_at_top_level()) {
      throw InputError(file, tensor_place(duplicates.duplicate()), "name appears more than once in the header",
                       "unique tensor names");
    }
    throw InputError(file, "header", "key '" + duplicates.duplicate() + "' appears twice in one object",
                     "unique keys");
  }
  if (!header.is_object()) {
    throw InputError(file, "header", "header is " + describe_json_type(header) + ", not a JSON object",
                     "a JSON object");
  }
  buffer = mapping + kHeaderLengthBytes + header_bytes;
  buffer_bytes = available - header_bytes;

  for (const auto& [name, value] : header.items()) {
    if (name == kMetadataKey) {
      if (!value.is_object()) {
        throw InputError(file, "header", "__metadata__ is " + describe_json_type(value), "an object of strings");
      }
      for (const auto& [key, text] : value.items()) {
        if (!text.is_string()) {
          throw InputError(file, "__metadata__ '" + key + "'", "value is " + describe_json_type(text), "a string");
        }
        metadata[key] = text.get<std::string>();
      }
      continue;
    }
    const auto place = tensor_place(name);
    if (!value.is_object()) {
      throw InputError(file, place, "entry is " + describe_json_type(value),
                       "an object with dtype, shape and data_offsets");
    }
    for (const auto& [key, ignored] : value.items()) {
      if (key != "dtype" && key != "shape" && key != "data_offsets") {
        throw InputError(file, place, "unknown key '" + key + "'", "only dtype, shape and data_offsets");
      }
    }
    for (const char* key : {"dtype", "shape", "data_offsets"}) {
      if (!value.contains(key)) {
        throw InputError(file, place, std::string("missing '") + key + "'", "dtype, shape and data_offsets");
      }
    }
    Entry entry;
    entry.name = name;
    const auto& dtype = value["dtype"];
    const DtypeInfo* dtype_info = nullptr;
    if (dtype.is_string()) {
      for (const auto& info : kDtypes) {
        if (info.name == dtype.get<std::string>()) dtype_info = &info;
      }
    }
    if (dtype_info == nullptr) {
      throw InputError(file, place, "unknown dtype " + dtype.dump(), "one of " + known_dtype_list());
    }
    entry.dtype = dtype_info->dtype;

    const auto& shape = value["shape"];
    if (!shape.is_array()) {
      throw InputError(file, place, "shape is " + describe_json_type(shape), "an array of non-negative integers");
    }
    std::uint64_t elements = 1;
    for (const auto& dimension : shape) {
      std::int64_t size = 0;
      if (!as_non_negative_integer(dimension, size)) {
        throw InputError(file, place, "shape dimension " + dimension.dump() + " is not a non-negative integer",
                         "an array of non-negative integers");
      }
      if (!multiply_checked(elements, static_cast<std::uint64_t>(size), elements)) {
        throw InputError(file, place, "shape " + shape.dump() + " overflows", "a shape that fits the file");
      }
      entry.shape.push_back(size);
    }

    const auto& offsets = value["data_offsets"];
    std::int64_t begin = 0, end = 0;
    if (!offsets.is_array() || offsets.size() != 2 || !as_non_negative_integer(offsets[0], begin) ||
        !as_non_negative_integer(offsets[1], end)) {
      throw InputError(file, place, "data_offsets " + offsets.dump() + " are not two non-negative integers",
                       "[begin, end]");
    }
    entry.begin = static_cast<std::uint64_t>(begin);
    entry.end = static_cast<std::uint64_t>(end);
    if (entry.begin > entry.end) {
      throw InputError(file, place, "data_offsets begin " + std::to_string(begin) + " > end " + std::to_string(end),
                       "begin <= end");
    }
    if (entry.end > buffer_bytes) {
      throw InputError(file, place,
                       "data_offsets [" + std::to_string(begin) + "," + std::to_string(end) +
                           "] reach outside the data buffer of " + std::to_string(buffer_bytes) + " bytes",
                       "end <= " + std::to_string(buffer_bytes));
    }
    std::uint64_t expected_bytes = 0;
    if (!multiply_checked(elements, dtype_info->bytes, expected_bytes) || expected_bytes != entry.end - entry.begin) {
      throw InputError(file, place,
                       "shape " + shape_to_string(entry.shape) + " x " + std::string(dtype_info->name) + " needs " +
                           (expected_bytes == 0 && elements != 0 ? std::string("too many")
                                                                 : std::to_string(expected_bytes)) +
                           " bytes but data_offsets span " + std::to_string(entry.end - entry.begin),
                       "end - begin = element count x dtype size");
    }
    entries.emplace(name, std::move(entry));
  }
  check_buffer_coverage();
}

// The specification: "The byte buffer needs to be entirely indexed, and cannot contain holes."
// Sorted by offset, every tensor must start where the previous one ended, and the last must end
// where the file ends. This also rules out overlapping ranges (aliasing).
void SafetensorsFile::State::check_buffer_coverage() const {
  std::vector<const Entry*> by_offset;
  for (const auto& [name, entry] : entries) by_offset.push_back(&entry);
  std::sort(by_offset.begin(), by_offset.end(), [](const Entry* a, const Entry* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  std::uint64_t covered = 0;
  const Entry* previous = nullptr;
  for (const Entry* entry : by_offset) {
    if (entry->begin < covered) {
      throw InputError(file, tensor_place(entry->name),
                       "data_offsets [" + std::to_string(entry->begin) + "," + std::to_string(entry->end) +
                           "] overlap tensor '" + previous->name + "' [" + std::to_string(previous->begin) + "," +
                           std::to_string(previous->end) + "]",
                       "disjoint byte ranges");
    }
    if (entry->begin > covered) {
      throw InputError(file, "header",
                       "bytes [" + std::to_string(covered) + "," + std::to_string(entry->begin) +
                           ") of the data buffer belong to no tensor (a hole)",
                       "tensors that cover the whole buffer");
    }
    covered = entry->end;
    previous = entry;
  }
  if (covered != buffer_bytes) {
    throw InputError(file, "header",
                     "bytes [" + std::to_string(covered) + "," + std::to_string(buffer_bytes) +
                         ") at the end of the data buffer belong to no tensor",
                     "tensors that cover the whole buffer");
  }
}

const Entry& SafetensorsFile::State::entry(const std::string& name) const {
  const auto found = entries.find(name);
  if (found == entries.end()) throw InputError(file, tensor_place(name), "missing", "a tensor of this name");
  return found->second;
}

SafetensorsFile::SafetensorsFile(const std::filesystem::path& path) : state_(std::make_unique<State>()) {
  state_->path = path;
  state_->file = path.string();
  state_->map_file();
  state_->parse_header();
}

SafetensorsFile::~SafetensorsFile() = default;
SafetensorsFile::SafetensorsFile(SafetensorsFile&&) noexcept = default;
SafetensorsFile& SafetensorsFile::operator=(SafetensorsFile&&) noexcept = default;

const std::filesystem::path& SafetensorsFile::path() const { return state_->path; }

std::vector<std::string> SafetensorsFile::names() const {
  std::vector<std::string> result;
  for (const auto& [name, entry] : state_->entries) result.push_back(name);
  return result;
}

bool SafetensorsFile::has(const std::string& name) const { return state_->entries.contains(name); }
SafetensorsDtype SafetensorsFile::dtype(const std::string& name) const { return state_->entry(name).dtype; }
const Shape& SafetensorsFile::shape(const std::string& name) const { return state_->entry(name).shape; }
const std::map<std::string, std::string>& SafetensorsFile::metadata() const { return state_->metadata; }

std::basic_string_view<std::byte> SafetensorsFile::raw_bytes(const std::string& name) const {
  const auto& entry = state_->entry(name);
  return {state_->buffer + entry.begin, static_cast<std::size_t>(entry.end - entry.begin)};
}

Tensor SafetensorsFile::read_f32(const std::string& name) const {
  const auto& entry = state_->entry(name);
  const std::byte* data = state_->buffer + entry.begin;
  Tensor tensor;
  tensor.shape = entry.shape;
  const std::size_t count = element_count(entry.shape);
  tensor.values.resize(count);
  const std::size_t width = dtype_bytes(entry.dtype);
  for (std::size_t i = 0; i < count; ++i) {
    const std::byte* element = data + i * width;
    float value = 0.0f;
    switch (entry.dtype) {
      case SafetensorsDtype::F32: value = load<float>(element); break;
      case SafetensorsDtype::F16: value = half_to_float(load<std::uint16_t>(element)); break;
      case SafetensorsDtype::BF16: value = bfloat16_to_float(load<std::uint16_t>(element)); break;
      case SafetensorsDtype::F64: {
        const double wide = load<double>(element);
        // A finite float64 beyond float32's range would silently become infinity.
        if (std::isfinite(wide) && std::abs(wide) > std::numeric_limits<float>::max()) {
          throw InputError(state_->file, "tensor '" + name + "'",
                           "element " + std::to_string(i) + " is " + format_double(wide) + ", beyond float32's range",
                           "weights within +-3.4e38");
        }
        value = static_cast<float>(wide);
        break;
      }
      case SafetensorsDtype::BOOL:
      case SafetensorsDtype::U8: value = static_cast<float>(load<std::uint8_t>(element)); break;
      case SafetensorsDtype::I8: value = static_cast<float>(load<std::int8_t>(element)); break;
      case SafetensorsDtype::U16: value = static_cast<float>(load<std::uint16_t>(element)); break;
      case SafetensorsDtype::I16: value = static_cast<float>(load<std::int16_t>(element)); break;
      case SafetensorsDtype::U32: value = static_cast<float>(load<std::uint32_t>(element)); break;
      case SafetensorsDtype::I32: value = static_cast<float>(load<std::int32_t>(element)); break;
      case SafetensorsDtype::U64: value = static_cast<float>(load<std::uint64_t>(element)); break;
      case SafetensorsDtype::I64: value = static_cast<float>(load<std::int64_t>(element)); break;
    }
    tensor.values[i] = value;
  }
  return tensor;
}

IntTensor SafetensorsFile::read_i64(const std::string& name) const {
  const auto& entry = state_->entry(name);
  if (is_floating(entry.dtype)) {
    throw InputError(state_->file, tensor_place(name),
                     "dtype " + std::string(dtype_name(entry.dtype)) + " is not an integer type",
                     "an integer or BOOL tensor");
  }
  const std::byte* data = state_->buffer + entry.begin;
  IntTensor tensor;
  tensor.shape = entry.shape;
  const std::size_t count = element_count(entry.shape);
  tensor.values.resize(count);
  const std::size_t width = dtype_bytes(entry.dtype);
  for (std::size_t i = 0; i < count; ++i) {
    const std::byte* element = data + i * width;
    std::int64_t value = 0;
    switch (entry.dtype) {
      case SafetensorsDtype::BOOL: {
        const auto byte = load<std::uint8_t>(element);
        if (byte > 1) {
          throw InputError(state_->file, tensor_place(name),
                           "element " + std::to_string(i) + " is " + std::to_string(byte) + " in a BOOL tensor",
                           "0 or 1");
        }
        value = byte;
        break;
      }
      case SafetensorsDtype::U8: value = load<std::uint8_t>(element); break;
      case SafetensorsDtype::I8: value = load<std::int8_t>(element); break;
      case SafetensorsDtype::U16: value = load<std::uint16_t>(element); break;
      case SafetensorsDtype::I16: value = load<std::int16_t>(element); break;
      case SafetensorsDtype::U32: value = load<std::uint32_t>(element); break;
      case SafetensorsDtype::I32: value = load<std::int32_t>(element); break;
      case SafetensorsDtype::I64: value = load<std::int64_t>(element); break;
      case SafetensorsDtype::U64: {
        const auto raw = load<std::uint64_t>(element);
        if (raw > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
          throw InputError(state_->file, tensor_place(name),
                           "element " + std::to_string(i) + " = " + std::to_string(raw) + " does not fit int64",
                           "values up to 2^63-1");
        }
        value = static_cast<std::int64_t>(raw);
        break;
      }
      default: break;  // floating dtypes rejected above
    }
    tensor.values[i] = value;
  }
  return tensor;
}

TensorMap SafetensorsFile::read_all_f32() const {
  TensorMap tensors;
  for (const auto& [name, entry] : state_->entries) {
    // Weights are floating-point; an integer tensor is not a weight stored another way but a wrong file.
    if (!is_floating(entry.dtype)) {
      throw InputError(state_->file, "tensor '" + name + "'",
                       "dtype " + std::string(dtype_name(entry.dtype)) + " is an integer type",
                       "floating-point weights (F16, BF16, F32 or F64)");
    }
  }
  for (const auto& [name, entry] : state_->entries) tensors.emplace(name, read_f32(name));
  return tensors;
}

TensorMap read_safetensors(const std::filesystem::path& path) { return SafetensorsFile(path).read_all_f32(); }

TensorMap read_safetensors(const std::filesystem::path& path, const ModelConfig& config) {
  const SafetensorsFile file(path);
  std::vector<std::pair<std::string, double>> declared;
  for (const auto& name : file.names()) {
    double elements = 1;
    for (const auto size : file.shape(name)) elements *= static_cast<double>(size);
    declared.emplace_back(name, elements);
  }
  check_declared_sizes(config, declared, path.string());
  auto tensors = file.read_all_f32();
  for (const auto& [name, tensor] : tensors) require_finite(tensor, name, path.string());
  return tensors;
}

std::map<std::string, std::string> read_safetensors_metadata(const std::filesystem::path& path) {
  return SafetensorsFile(path).metadata();
}

SafetensorsTensor to_safetensors_tensor(const Tensor& tensor, SafetensorsDtype dtype) {
  if (tensor.values.size() != tensor.size()) {
    throw std::invalid_argument("tensor has " + std::to_string(tensor.values.size()) + " values for shape " +
                                shape_to_string(tensor.shape));
  }
  if (!is_floating(dtype)) throw std::invalid_argument("to_safetensors_tensor(Tensor): dtype must be floating");
  SafetensorsTensor result;
  result.dtype = dtype;
  result.shape = tensor.shape;
  const std::size_t width = dtype_bytes(dtype);
  result.bytes.resize(tensor.values.size() * width);
  for (std::size_t i = 0; i < tensor.values.size(); ++i) {
    std::byte* out = result.bytes.data() + i * width;
    const float value = tensor.values[i];
    if (dtype == SafetensorsDtype::F32) {
      std::memcpy(out, &value, width);
    } else if (dtype == SafetensorsDtype::F64) {
      const double wide = value;
      std::memcpy(out, &wide, width);
    } else {
      const std::uint16_t bits = dtype == SafetensorsDtype::F16 ? float_to_half(value) : float_to_bfloat16(value);
      std::memcpy(out, &bits, width);
    }
  }
  return result;
}

namespace {
template <typename T>
void store_integer(std::int64_t value, std::byte* out) {
  if (value < static_cast<std::int64_t>(std::numeric_limits<T>::min()) ||
      (value > 0 && static_cast<std::uint64_t>(value) > static_cast<std::uint64_t>(std::numeric_limits<T>::max()))) {
    throw std::out_of_range("value " + std::to_string(value) + " does not fit the safetensors dtype");
  }
  const T narrow = static_cast<T>(value);
  std::memcpy(out, &narrow, sizeof(T));
}
}  // namespace

SafetensorsTensor to_safetensors_tensor(const IntTensor& tensor, SafetensorsDtype dtype) {
  if (tensor.values.size() != tensor.size()) {
    throw std::invalid_argument("tensor has " + std::to_string(tensor.values.size()) + " values for shape " +
                                shape_to_string(tensor.shape));
  }
  if (is_floating(dtype)) throw std::invalid_argument("to_safetensors_tensor(IntTensor): dtype must be an integer");
  SafetensorsTensor result;
  result.dtype = dtype;
  result.shape = tensor.shape;
  const std::size_t width = dtype_bytes(dtype);
  result.bytes.resize(tensor.values.size() * width);
  for (std::size_t i = 0; i < tensor.values.size(); ++i) {
    std::byte* out = result.bytes.data() + i * width;
    const std::int64_t value = tensor.values[i];
    switch (dtype) {
      case SafetensorsDtype::BOOL:
        if (value != 0 && value != 1) throw std::out_of_range("BOOL value must be 0 or 1");
        store_integer<std::uint8_t>(value, out);
        break;
      case SafetensorsDtype::U8: store_integer<std::uint8_t>(value, out); break;
      case SafetensorsDtype::I8: store_integer<std::int8_t>(value, out); break;
      case SafetensorsDtype::U16: store_integer<std::uint16_t>(value, out); break;
      case SafetensorsDtype::I16: store_integer<std::int16_t>(value, out); break;
      case SafetensorsDtype::U32: store_integer<std::uint32_t>(value, out); break;
      case SafetensorsDtype::I32: store_integer<std::int32_t>(value, out); break;
      case SafetensorsDtype::U64: store_integer<std::uint64_t>(value, out); break;
      case SafetensorsDtype::I64: store_integer<std::int64_t>(value, out); break;
      default: break;
    }
  }
  return result;
}

void write_safetensors(const std::filesystem::path& path, const std::map<std::string, SafetensorsTensor>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  // Offsets are assigned in sorted name order (std::map order), so equal inputs give equal bytes.
  nlohmann::json header = nlohmann::json::object();
  if (!metadata.empty()) header[kMetadataKey] = metadata;
  std::uint64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    if (name == kMetadataKey) {
      throw InputError(path.string(), tensor_place(name), "reserved name", "a tensor name other than __metadata__");
    }
    if (tensor.bytes.size() != element_count(tensor.shape) * dtype_bytes(tensor.dtype)) {
      throw std::invalid_argument("safetensors tensor '" + name + "' has " + std::to_string(tensor.bytes.size()) +
                                  " bytes for shape " + shape_to_string(tensor.shape));
    }
    header[name] = {{"dtype", dtype_name(tensor.dtype)},
                    {"shape", tensor.shape},
                    {"data_offsets", {offset, offset + tensor.bytes.size()}}};
    offset += tensor.bytes.size();
  }
  std::string header_text = header.dump();
  // Pad with spaces (allowed JSON whitespace) so the buffer starts 8-byte aligned.
  header_text.append((kHeaderAlignment - header_text.size() % kHeaderAlignment) % kHeaderAlignment, ' ');
  const std::uint64_t header_bytes = header_text.size();

  AtomicFile output(path);
  {
    std::ofstream stream(output.temporary_path(), std::ios::binary);
    stream.write(reinterpret_cast<const char*>(&header_bytes), sizeof(header_bytes));
    stream.write(header_text.data(), static_cast<std::streamsize>(header_text.size()));
    for (const auto& [name, tensor] : tensors) {
      stream.write(reinterpret_cast<const char*>(tensor.bytes.data()), static_cast<std::streamsize>(tensor.bytes.size()));
    }
    stream.flush();
    if (!stream) throw InputError(path.string(), "", "cannot write the output", "a writable location");
  }
  output.commit();
}

void write_safetensors(const std::filesystem::path& path, const TensorMap& tensors,
                       const std::map<std::string, std::string>& metadata) {
  std::map<std::string, SafetensorsTensor> encoded;
  for (const auto& [name, tensor] : tensors) encoded.emplace(name, to_safetensors_tensor(tensor, SafetensorsDtype::F32));
  write_safetensors(path, encoded, metadata);
}

}  // namespace spikingbert::io
