#include "io/Hdf5File.hpp"

#include "io/Error.hpp"
#include "io/Hdf5GlobalHeap.hpp"

#include <hdf5.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <type_traits>

namespace spikingbert::io {

static_assert(std::is_same_v<hid_t, std::int64_t>, "Hdf5File.hpp stores hid_t as std::int64_t");

namespace {
// The serial HDF5 build is not thread-safe; one recursive lock serialises every call made here.
std::recursive_mutex& hdf5_mutex() {
  static std::recursive_mutex mutex;
  return mutex;
}
using Lock = std::lock_guard<std::recursive_mutex>;
}  // namespace

void abandon_file(std::int64_t file) {
  // A file whose writes failed (a full disk) is closed once, after every object still open in it, so that
  // libhdf5 keeps nothing of it; errors are ignored, the caller removes the file. (A failed H5Fclose must
  // not be followed by another: libhdf5 1.10.8 crashes in H5F__close.)
  const Lock lock(hdf5_mutex());
  const ssize_t count = H5Fget_obj_count(file, H5F_OBJ_ALL & ~H5F_OBJ_FILE);
  if (count > 0) {
    std::vector<hid_t> objects(static_cast<std::size_t>(count));
    const ssize_t listed = H5Fget_obj_ids(file, H5F_OBJ_ALL & ~H5F_OBJ_FILE, objects.size(), objects.data());
    for (ssize_t i = 0; i < listed; ++i) {
      while (H5Iis_valid(objects[static_cast<std::size_t>(i)]) > 0 && H5Idec_ref(objects[static_cast<std::size_t>(i)]) > 0) {
      }
    }
  }
  if (H5Iis_valid(file) > 0) H5Fclose(file);
}

namespace {

// libhdf5 1.10.8 crashes in its exit handler (H5_term_library -> H5F__close) on a file whose H5Fclose
// failed (a full disk). Every file is closed explicitly by its reader or writer, so the handler has
// nothing to do for us: it is switched off before the library is first used (H5dont_atexit must precede
// every other call, hence a static initialiser).
// The error stack printing is switched off there too, before any layer's first call (the trace recorder
// calls libhdf5 directly).
[[maybe_unused]] const bool kNoHdf5ExitHandler =
    H5dont_atexit() >= 0 && H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr) >= 0;

// HDF5 prints its error stack to stderr by default; we report our own InputError instead.
void silence_hdf5_errors() {
  static std::once_flag once;
  std::call_once(once, [] { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); });
}

// Owns one HDF5 identifier and closes it with the matching H5?close.
class Handle {
 public:
  Handle(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  ~Handle() {
    if (id_ >= 0) close_(id_);
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }

 private:
  hid_t id_;
  herr_t (*close_)(hid_t);
};

std::string absolute(const std::string& path) {
  if (path.empty()) return "/";
  return path.front() == '/' ? path : "/" + path;
}

// True if every component of the path exists (H5Lexists needs each parent to exist).
bool link_exists(hid_t file, const std::string& path) {
  const std::string full = absolute(path);
  if (full == "/") return true;
  std::size_t position = 1;
  while (true) {
    const std::size_t slash = full.find('/', position);
    const std::string prefix = full.substr(0, slash);
    if (!prefix.empty() && prefix.back() != '/') {
      if (H5Lexists(file, prefix.c_str(), H5P_DEFAULT) <= 0) return false;
    }
    if (slash == std::string::npos) return true;
    position = slash + 1;
  }
}

H5I_type_t object_type(hid_t file, const std::string& path) {
  if (!link_exists(file, path)) return H5I_BADID;
  const Handle object(H5Oopen(file, absolute(path).c_str(), H5P_DEFAULT), H5Oclose);
  if (!object.valid()) return H5I_BADID;
  return H5Iget_type(object.get());
}

std::string class_name(H5T_class_t type_class) {
  switch (type_class) {
    case H5T_INTEGER: return "integer";
    case H5T_FLOAT: return "float";
    case H5T_STRING: return "string";
    case H5T_COMPOUND: return "compound";
    case H5T_ENUM: return "enum";
    case H5T_ARRAY: return "array";
    case H5T_VLEN: return "variable-length";
    default: return "non-numeric";
  }
}

Shape shape_of_space(hid_t space, const std::string& file, const std::string& place) {
  const H5S_class_t space_class = H5Sget_simple_extent_type(space);
  if (space_class == H5S_SCALAR) return {};
  if (space_class != H5S_SIMPLE) throw InputError(file, place, "has no data (null dataspace)", "an array");
  const int rank = H5Sget_simple_extent_ndims(space);
  std::vector<hsize_t> dims(static_cast<std::size_t>(std::max(rank, 0)));
  H5Sget_simple_extent_dims(space, dims.data(), nullptr);
  Shape shape;
  for (const auto dimension : dims) shape.push_back(static_cast<std::int64_t>(dimension));
  return shape;
}

hid_t signed_file_type(int bytes) {
  switch (bytes) {
    case 1: return H5T_STD_I8LE;
    case 2: return H5T_STD_I16LE;
    case 4: return H5T_STD_I32LE;
    case 8: return H5T_STD_I64LE;
    default: throw std::invalid_argument("integer width must be 1, 2, 4 or 8 bytes, not " + std::to_string(bytes));
  }
}

hid_t unsigned_file_type(int bytes) {
  switch (bytes) {
    case 1: return H5T_STD_U8LE;
    case 2: return H5T_STD_U16LE;
    case 4: return H5T_STD_U32LE;
    case 8: return H5T_STD_U64LE;
    default: throw std::invalid_argument("integer width must be 1, 2, 4 or 8 bytes, not " + std::to_string(bytes));
  }
}

hid_t element_type(Hdf5Element element) {
  switch (element) {
    case Hdf5Element::F32: return H5T_NATIVE_FLOAT;
    case Hdf5Element::F64: return H5T_NATIVE_DOUBLE;
    case Hdf5Element::I8: return H5T_NATIVE_INT8;
    case Hdf5Element::I16: return H5T_NATIVE_INT16;
    case Hdf5Element::I32: return H5T_NATIVE_INT32;
    case Hdf5Element::I64: return H5T_NATIVE_INT64;
    case Hdf5Element::U8: return H5T_NATIVE_UINT8;
    case Hdf5Element::U16: return H5T_NATIVE_UINT16;
    case Hdf5Element::U32: return H5T_NATIVE_UINT32;
    case Hdf5Element::U64: return H5T_NATIVE_UINT64;
  }
  throw std::logic_error("unknown Hdf5Element");
}

hid_t element_file_type(Hdf5Element element) {
  switch (element) {
    case Hdf5Element::F32: return H5T_IEEE_F32LE;
    case Hdf5Element::F64: return H5T_IEEE_F64LE;
    case Hdf5Element::I8: return H5T_STD_I8LE;
    case Hdf5Element::I16: return H5T_STD_I16LE;
    case Hdf5Element::I32: return H5T_STD_I32LE;
    case Hdf5Element::I64: return H5T_STD_I64LE;
    case Hdf5Element::U8: return H5T_STD_U8LE;
    case Hdf5Element::U16: return H5T_STD_U16LE;
    case Hdf5Element::U32: return H5T_STD_U32LE;
    case Hdf5Element::U64: return H5T_STD_U64LE;
  }
  throw std::logic_error("unknown Hdf5Element");
}

void check_value_count(const std::string& path, const Shape& shape, std::size_t count) {
  if (element_count(shape) != count) {
    throw std::invalid_argument("HDF5 dataset " + path + ": " + std::to_string(count) + " values for shape " +
                                shape_to_string(shape));
  }
}

// A dataset opened for reading, with its file type and space; a missing object, a group or an unopenable
// dataset is an InputError naming the place (the shared preamble of every dataset read).
struct OpenDataset {
  OpenDataset(hid_t file, const std::string& file_name, const std::string& dataset_path)
      : place(absolute(dataset_path)),
        dataset(open_checked(file, file_name, place), H5Dclose),
        file_type(H5Dget_type(dataset.get()), H5Tclose),
        space(H5Dget_space(dataset.get()), H5Sclose) {
    if (!dataset.valid() || !file_type.valid() || !space.valid())
      throw InputError(file_name, place, "cannot open the dataset", "a readable dataset");
  }
  static hid_t open_checked(hid_t file, const std::string& file_name, const std::string& place) {
    const H5I_type_t type = object_type(file, place);
    if (type == H5I_BADID) throw InputError(file_name, place, "dataset missing", "a dataset at this path");
    if (type != H5I_DATASET) throw InputError(file_name, place, "is a group, not a dataset", "a dataset");
    return H5Dopen2(file, place.c_str(), H5P_DEFAULT);
  }
  std::string place;
  Handle dataset, file_type, space;
};

// A dataset read: the numbers (converted by HDF5 to T) and the shape.
template <typename T>
std::vector<T> read_dataset(hid_t file, const std::string& file_name, const std::string& dataset_path,
                            hid_t memory_type, bool integers_only, Shape& shape) {
  const OpenDataset opened(file, file_name, dataset_path);
  const std::string& place = opened.place;
  const Handle& dataset = opened.dataset;
  const Handle& file_type = opened.file_type;
  const Handle& space = opened.space;
  const H5T_class_t type_class = H5Tget_class(file_type.get());
  const bool numeric = type_class == H5T_INTEGER || (!integers_only && type_class == H5T_FLOAT);
  if (!numeric) {
    throw InputError(file_name, place, "dtype is " + class_name(type_class),
                     integers_only ? "an integer dataset" : "a numeric dataset");
  }
  shape = shape_of_space(space.get(), file_name, place);
  std::vector<T> values(element_count(shape));
  if (!values.empty() &&
      H5Dread(dataset.get(), memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) < 0) {
    throw InputError(file_name, place, "cannot read the dataset", "a readable dataset");
  }
  return values;
}

struct OpenAttribute {
  std::unique_ptr<Handle> attribute;
  std::unique_ptr<Handle> type;
  std::unique_ptr<Handle> space;
  H5T_class_t type_class = H5T_NO_CLASS;
  std::size_t count = 0;
};

OpenAttribute open_attribute(hid_t file, const std::string& file_name, const std::string& object_path,
                             const std::string& name) {
  const std::string object = absolute(object_path);
  const std::string place = object + " attribute '" + name + "'";
  if (!link_exists(file, object)) throw InputError(file_name, place, "object missing", "an existing group or dataset");
  if (H5Aexists_by_name(file, object.c_str(), name.c_str(), H5P_DEFAULT) <= 0) {
    throw InputError(file_name, place, "attribute missing", "an attribute of this name");
  }
  OpenAttribute result;
  result.attribute = std::make_unique<Handle>(
      H5Aopen_by_name(file, object.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  if (!result.attribute->valid()) throw InputError(file_name, place, "cannot open the attribute", "a readable attribute");
  result.type = std::make_unique<Handle>(H5Aget_type(result.attribute->get()), H5Tclose);
  result.space = std::make_unique<Handle>(H5Aget_space(result.attribute->get()), H5Sclose);
  result.type_class = H5Tget_class(result.type->get());
  const hssize_t points = H5Sget_simple_extent_npoints(result.space->get());
  result.count = points > 0 ? static_cast<std::size_t>(points) : 0;
  return result;
}

template <typename T>
std::vector<T> read_numeric_attribute(hid_t file, const std::string& file_name, const std::string& object_path,
                                      const std::string& name, hid_t memory_type, bool integers_only) {
  const auto attribute = open_attribute(file, file_name, object_path, name);
  const std::string place = absolute(object_path) + " attribute '" + name + "'";
  const bool numeric = attribute.type_class == H5T_INTEGER || (!integers_only && attribute.type_class == H5T_FLOAT);
  if (!numeric) {
    throw InputError(file_name, place, "dtype is " + class_name(attribute.type_class),
                     integers_only ? "an integer attribute" : "a numeric attribute");
  }
  std::vector<T> values(attribute.count);
  if (!values.empty() && H5Aread(attribute.attribute->get(), memory_type, values.data()) < 0) {
    throw InputError(file_name, place, "cannot read the attribute", "a readable attribute");
  }
  return values;
}

template <typename T>
T single_value(std::vector<T> values, const std::string& file_name, const std::string& object_path,
               const std::string& name) {
  if (values.size() != 1) {
    throw InputError(file_name, absolute(object_path) + " attribute '" + name + "'",
                     "has " + std::to_string(values.size()) + " values", "a single value");
  }
  return values.front();
}
}  // namespace

// ---------------------------------------------------------------------------------------------- reader

Hdf5Reader::Hdf5Reader(const std::filesystem::path& path) : path_(path) {
  const Lock lock(hdf5_mutex());
  silence_hdf5_errors();
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) {
    throw InputError(path.string(), "", "cannot open: no such file", "an existing HDF5 file");
  }
  if (H5Fis_hdf5(path.c_str()) <= 0) {
    throw InputError(path.string(), "", "not an HDF5 file", "an HDF5 file");
  }
  file_ = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (file_ < 0) throw InputError(path.string(), "", "cannot open the HDF5 file", "a readable HDF5 file");
}

Hdf5Reader::~Hdf5Reader() {
  const Lock lock(hdf5_mutex());
  if (file_ >= 0) H5Fclose(file_);
}

bool Hdf5Reader::has(const std::string& object_path) const {
  const Lock lock(hdf5_mutex());
  return link_exists(file_, object_path) && object_type(file_, object_path) != H5I_BADID;
}

bool Hdf5Reader::is_dataset(const std::string& object_path) const {
  const Lock lock(hdf5_mutex());
  return object_type(file_, object_path) == H5I_DATASET;
}

bool Hdf5Reader::is_group(const std::string& object_path) const {
  const Lock lock(hdf5_mutex());
  return object_type(file_, object_path) == H5I_GROUP;
}

Shape Hdf5Reader::shape(const std::string& dataset_path) const {
  const Lock lock(hdf5_mutex());
  const std::string place = absolute(dataset_path);
  const H5I_type_t type = object_type(file_, place);
  if (type == H5I_BADID) throw InputError(path_.string(), place, "dataset missing", "a dataset at this path");
  if (type != H5I_DATASET) throw InputError(path_.string(), place, "is a group, not a dataset", "a dataset");
  const Handle dataset(H5Dopen2(file_, place.c_str(), H5P_DEFAULT), H5Dclose);
  const Handle space(H5Dget_space(dataset.get()), H5Sclose);
  return shape_of_space(space.get(), path_.string(), place);
}

bool Hdf5Reader::is_float_dataset(const std::string& dataset_path) const {
  const Lock lock(hdf5_mutex());
  const std::string place = absolute(dataset_path);
  if (object_type(file_, place) != H5I_DATASET) return false;
  const Handle dataset(H5Dopen2(file_, place.c_str(), H5P_DEFAULT), H5Dclose);
  const Handle type(H5Dget_type(dataset.get()), H5Tclose);
  return type.valid() && H5Tget_class(type.get()) == H5T_FLOAT;
}

Tensor Hdf5Reader::read_tensor(const std::string& dataset_path) const {
  const Lock lock(hdf5_mutex());
  Tensor tensor;
  tensor.values = read_dataset<float>(file_, path_.string(), dataset_path, H5T_NATIVE_FLOAT, false, tensor.shape);
  return tensor;
}

std::vector<double> Hdf5Reader::read_doubles(const std::string& dataset_path, Shape* shape) const {
  const Lock lock(hdf5_mutex());
  Shape read_shape;
  auto values = read_dataset<double>(file_, path_.string(), dataset_path, H5T_NATIVE_DOUBLE, false, read_shape);
  if (shape != nullptr) *shape = read_shape;
  return values;
}

IntTensor Hdf5Reader::read_ints(const std::string& dataset_path) const {
  const Lock lock(hdf5_mutex());
  IntTensor tensor;
  tensor.values =
      read_dataset<std::int64_t>(file_, path_.string(), dataset_path, H5T_NATIVE_INT64, true, tensor.shape);
  return tensor;
}

std::vector<std::string> Hdf5Reader::read_strings(const std::string& dataset_path) const {
  const Lock lock(hdf5_mutex());
  const OpenDataset opened(file_, path_.string(), dataset_path);
  const std::string& place = opened.place;
  const Handle& dataset = opened.dataset;
  const Handle& file_type = opened.file_type;
  const Handle& space = opened.space;
  if (H5Tget_class(file_type.get()) != H5T_STRING || H5Tis_variable_str(file_type.get()) <= 0) {
    throw InputError(path_.string(), place, "dtype is " + class_name(H5Tget_class(file_type.get())),
                     "a dataset of variable-length strings");
  }
  const Shape shape = shape_of_space(space.get(), path_.string(), place);
  if (shape.size() != 1) throw InputError(path_.string(), place, "shape " + shape_to_string(shape), "a 1-D dataset");
  if (!global_heap_checked_) {  // libhdf5 would trust a corrupt heap object's size (Hdf5GlobalHeap.hpp)
    check_global_heap_collections(path_);
    global_heap_checked_ = true;
  }
  const Handle memory_type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(memory_type.get(), H5T_VARIABLE);
  H5Tset_cset(memory_type.get(), H5Tget_cset(file_type.get()));
  std::vector<char*> pointers(static_cast<std::size_t>(shape[0]), nullptr);
  if (!pointers.empty() && H5Dread(dataset.get(), memory_type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, pointers.data()) < 0) {
    throw InputError(path_.string(), place, "cannot read the dataset", "a readable dataset");
  }
  std::vector<std::string> strings;
  for (const char* text : pointers) strings.emplace_back(text == nullptr ? "" : text);
  if (!pointers.empty()) H5Dvlen_reclaim(memory_type.get(), space.get(), H5P_DEFAULT, pointers.data());
  return strings;
}

std::vector<std::string> Hdf5Reader::list(const std::string& group_path) const {
  const Lock lock(hdf5_mutex());
  const std::string place = absolute(group_path);
  const H5I_type_t type = object_type(file_, place);
  if (type == H5I_BADID) throw InputError(path_.string(), place, "group missing", "a group at this path");
  if (type != H5I_GROUP) throw InputError(path_.string(), place, "is a dataset, not a group", "a group");
  const Handle group(H5Gopen2(file_, place.c_str(), H5P_DEFAULT), H5Gclose);
  std::vector<std::string> names;
  hsize_t index = 0;
  const auto collect = [](hid_t, const char* name, const H5L_info_t*, void* data) -> herr_t {
    static_cast<std::vector<std::string>*>(data)->emplace_back(name);
    return 0;
  };
  if (H5Literate(group.get(), H5_INDEX_NAME, H5_ITER_INC, &index, collect, &names) < 0) {
    throw InputError(path_.string(), place, "cannot list the group", "a readable group");
  }
  std::sort(names.begin(), names.end());
  return names;
}

bool Hdf5Reader::has_attribute(const std::string& object_path, const std::string& name) const {
  const Lock lock(hdf5_mutex());
  const std::string object = absolute(object_path);
  return link_exists(file_, object) && H5Aexists_by_name(file_, object.c_str(), name.c_str(), H5P_DEFAULT) > 0;
}

std::vector<std::string> Hdf5Reader::list_attributes(const std::string& object_path) const {
  const Lock lock(hdf5_mutex());
  const std::string object = absolute(object_path);
  if (!link_exists(file_, object)) {
    throw InputError(path_.string(), object, "object missing", "an existing group or dataset");
  }
  const Handle handle(H5Oopen(file_, object.c_str(), H5P_DEFAULT), H5Oclose);
  std::vector<std::string> names;
  hsize_t index = 0;
  const auto collect = [](hid_t, const char* name, const H5A_info_t*, void* data) -> herr_t {
    static_cast<std::vector<std::string>*>(data)->emplace_back(name);
    return 0;
  };
  if (!handle.valid() || H5Aiterate2(handle.get(), H5_INDEX_NAME, H5_ITER_INC, &index, collect, &names) < 0) {
    throw InputError(path_.string(), object, "cannot list the attributes", "a readable object");
  }
  std::sort(names.begin(), names.end());
  return names;
}

double Hdf5Reader::read_attribute_double(const std::string& object_path, const std::string& name) const {
  return single_value(read_attribute_doubles(object_path, name), path_.string(), object_path, name);
}

std::int64_t Hdf5Reader::read_attribute_int(const std::string& object_path, const std::string& name) const {
  return single_value(read_attribute_ints(object_path, name), path_.string(), object_path, name);
}

std::string Hdf5Reader::read_attribute_string(const std::string& object_path, const std::string& name) const {
  return single_value(read_attribute_strings(object_path, name), path_.string(), object_path, name);
}

std::vector<double> Hdf5Reader::read_attribute_doubles(const std::string& object_path, const std::string& name) const {
  const Lock lock(hdf5_mutex());
  return read_numeric_attribute<double>(file_, path_.string(), object_path, name, H5T_NATIVE_DOUBLE, false);
}

std::vector<std::int64_t> Hdf5Reader::read_attribute_ints(const std::string& object_path,
                                                          const std::string& name) const {
  const Lock lock(hdf5_mutex());
  return read_numeric_attribute<std::int64_t>(file_, path_.string(), object_path, name, H5T_NATIVE_INT64, true);
}

std::vector<std::string> Hdf5Reader::read_attribute_strings(const std::string& object_path,
                                                            const std::string& name) const {
  const Lock lock(hdf5_mutex());
  const auto attribute = open_attribute(file_, path_.string(), object_path, name);
  const std::string place = absolute(object_path) + " attribute '" + name + "'";
  if (attribute.type_class != H5T_STRING) {
    throw InputError(path_.string(), place, "dtype is " + class_name(attribute.type_class), "a string attribute");
  }
  std::vector<std::string> strings;
  const Handle memory_type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_cset(memory_type.get(), H5Tget_cset(attribute.type->get()));
  if (H5Tis_variable_str(attribute.type->get()) > 0) {
    // Variable-length strings (h5py's default): HDF5 allocates each string; we copy and reclaim.
    H5Tset_size(memory_type.get(), H5T_VARIABLE);
    if (!global_heap_checked_) {  // libhdf5 would trust a corrupt heap object's size (Hdf5GlobalHeap.hpp)
      check_global_heap_collections(path_);
      global_heap_checked_ = true;
    }
    std::vector<char*> pointers(attribute.count, nullptr);
    if (!pointers.empty() && H5Aread(attribute.attribute->get(), memory_type.get(), pointers.data()) < 0) {
      throw InputError(path_.string(), place, "cannot read the attribute", "a readable attribute");
    }
    for (const char* text : pointers) strings.emplace_back(text == nullptr ? "" : text);
    if (!pointers.empty()) {
      H5Dvlen_reclaim(memory_type.get(), attribute.space->get(), H5P_DEFAULT, pointers.data());
    }
  } else {
    // Fixed-length strings: each is padded with NULs or spaces to the type's size.
    const std::size_t width = H5Tget_size(attribute.type->get());
    H5Tset_size(memory_type.get(), width);
    H5Tset_strpad(memory_type.get(), H5Tget_strpad(attribute.type->get()));
    std::vector<char> buffer(width * attribute.count + 1, '\0');
    if (attribute.count > 0 && H5Aread(attribute.attribute->get(), memory_type.get(), buffer.data()) < 0) {
      throw InputError(path_.string(), place, "cannot read the attribute", "a readable attribute");
    }
    const bool space_padded = H5Tget_strpad(attribute.type->get()) == H5T_STR_SPACEPAD;
    for (std::size_t i = 0; i < attribute.count; ++i) {
      std::string text(buffer.data() + i * width, width);
      text = text.substr(0, text.find('\0'));
      if (space_padded) text.erase(text.find_last_not_of(' ') + 1);
      strings.push_back(std::move(text));
    }
  }
  return strings;
}

// ---------------------------------------------------------------------------------------------- writer

namespace {

// Streamed files: a metadata cache capped at kStreamedMetadataCacheBytes (HDF5's default adaptive cache may
// grow to 32 MiB as the chunk index grows; the cap keeps a long run's memory flat) and no libhdf5 file lock
// (PartialFile holds a flock on the file, and flock is per open file: libhdf5's own would conflict).
constexpr std::size_t kStreamedMetadataCacheBytes = 4 << 20;
// Extendible datasets are only appended to: a chunk cache of two chunks holds the one being filled, and
// full chunks leave first (w0 = 1). HDF5's default 1 MiB per dataset would keep already-written small
// chunks, which looks like growth over a long run. Hash slots: a prime, HDF5's advice.
constexpr std::size_t kAppendChunkCacheSlots = 101;
constexpr std::size_t kAppendChunkCacheChunks = 2;

hid_t string_type() {
  const hid_t type = H5Tcopy(H5T_C_S1);
  H5Tset_size(type, H5T_VARIABLE);
  H5Tset_cset(type, H5T_CSET_UTF8);
  return type;
}

// Objects are created without modification times (HDF5 stores them by default), so equal contents give
// equal bytes: a trace written by several ranks is the same file as one rank's (docs/scaling.md).
hid_t untimed(hid_t creation_properties) {
  H5Pset_obj_track_times(creation_properties, 0);
  return creation_properties;
}

// Creates every missing group on the way to `place` (without times; see untimed).
bool create_parent_groups(hid_t file, const std::string& place) {
  for (auto slash = place.find('/', 1); slash != std::string::npos; slash = place.find('/', slash + 1)) {
    const std::string group = place.substr(0, slash);
    if (link_exists(file, group)) continue;
    const Handle creation(untimed(H5Pcreate(H5P_GROUP_CREATE)), H5Pclose);
    const hid_t created = H5Gcreate2(file, group.c_str(), H5P_DEFAULT, creation.get(), H5P_DEFAULT);
    if (created < 0) return false;
    H5Gclose(created);
  }
  return true;
}

}  // namespace

Hdf5Writer::Hdf5Writer(const std::filesystem::path& destination)
    : atomic_(std::make_unique<AtomicFile>(destination)) {
  const Lock lock(hdf5_mutex());
  silence_hdf5_errors();
  file_ = H5Fcreate(atomic_->temporary_path().c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (file_ < 0) {
    throw InputError(destination.string(), "", "cannot create the HDF5 file", "a writable location");
  }
}

Hdf5Writer::Hdf5Writer(const std::filesystem::path& destination, Streamed)
    : partial_(std::make_unique<PartialFile>(destination)) {
  const Lock lock(hdf5_mutex());
  silence_hdf5_errors();
  const Handle creation(H5Pcreate(H5P_FILE_CREATE), H5Pclose);
  // Never reuse freed space (H5F_FSPACE_STRATEGY_NONE: every allocation comes from the end of the file).
  // When a compressed chunk grows, HDF5 writes it to new space and frees the old copy; reusing that space
  // before the next flush could overwrite a chunk the last flushed index still points to.
  const Handle access(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  H5AC_cache_config_t config;
  config.version = H5AC__CURR_CACHE_CONFIG_VERSION;
  bool ready = creation.valid() && access.valid() &&
               H5Pset_file_space_strategy(creation.get(), H5F_FSPACE_STRATEGY_NONE, 0, 1) >= 0 &&
               H5Pget_mdc_config(access.get(), &config) >= 0;
  if (ready) {
    config.max_size = kStreamedMetadataCacheBytes;
    config.initial_size = std::min<std::size_t>(config.initial_size, kStreamedMetadataCacheBytes);
    config.min_size = std::min<std::size_t>(config.min_size, config.initial_size);
    config.set_initial_size = true;
    ready = H5Pset_mdc_config(access.get(), &config) >= 0 && H5Pset_file_locking(access.get(), false, true) >= 0;
  }
  if (ready) file_ = H5Fcreate(partial_->path().c_str(), H5F_ACC_TRUNC, creation.get(), access.get());
  if (file_ < 0) {
    partial_->discard();
    throw InputError(partial_->path().string(), "", "cannot create the HDF5 file", "a writable location");
  }
}

const std::filesystem::path& Hdf5Writer::destination() const {
  return atomic_ ? atomic_->destination() : partial_->destination();
}

Hdf5Writer::~Hdf5Writer() {
  // Never throws (it runs while an exception unwinds, e.g. a full disk). An atomic writer's file is
  // abandoned and AtomicFile's destructor removes the uncommitted temporary. A streamed writer's
  // FILE.partial is closed cleanly and kept, unless a write failed: then it is abandoned and removed.
  const Lock lock(hdf5_mutex());
  if (file_ < 0) return;
  if (partial_ && !failed_) {
    close_datasets();
    const bool closed = H5Fclose(file_) >= 0;
    file_ = -1;
    if (!closed) partial_->discard();
    return;
  }
  open_datasets_.clear();  // abandon_file closes them
  abandon_file(file_);
  file_ = -1;
  if (partial_) partial_->discard();
}

void Hdf5Writer::fail(const std::string& place, const std::string& what) {
  failed_ = true;
  throw InputError(destination().string(), place, what, "a writable location with free space");
}

void Hdf5Writer::close_datasets() {
  for (const auto& [path, dataset] : open_datasets_) H5Dclose(dataset);
  open_datasets_.clear();
}

void Hdf5Writer::close() {
  if (file_ >= 0) {
    close_datasets();
    const herr_t status = H5Fclose(file_);
    if (status < 0) {  // the identifier is spent: closing it again crashes libhdf5 1.10.8
      file_ = -1;
      if (partial_) partial_->discard();
      throw InputError(destination().string(), "", "cannot finish the HDF5 file (disk full or write error)",
                       "a writable location with free space");
    }
    file_ = -1;
  }
}

void Hdf5Writer::commit() {
  const Lock lock(hdf5_mutex());
  if (file_ < 0) throw std::logic_error("Hdf5Writer::commit called twice");
  if (failed_) throw std::logic_error("Hdf5Writer::commit after a failed write");
  close();
  if (atomic_) atomic_->commit();
  else partial_->commit();
}

void Hdf5Writer::write_dataset(const std::string& dataset_path, const Shape& shape, std::int64_t file_type,
                               std::int64_t memory_type, const void* data, std::size_t value_count) {
  const Lock lock(hdf5_mutex());
  if (file_ < 0) throw std::logic_error("Hdf5Writer used after commit");
  const std::string place = absolute(dataset_path);
  check_value_count(place, shape, value_count);
  if (link_exists(file_, place)) throw std::logic_error("HDF5 dataset " + place + " written twice");
  std::vector<hsize_t> dims(shape.begin(), shape.end());
  const Handle space(shape.empty() ? H5Screate(H5S_SCALAR)
                                   : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
                     H5Sclose);
  if (!create_parent_groups(file_, place)) fail(place, "cannot create the groups above the dataset");
  const Handle creation(untimed(H5Pcreate(H5P_DATASET_CREATE)), H5Pclose);
  const Handle dataset(
      H5Dcreate2(file_, place.c_str(), file_type, space.get(), H5P_DEFAULT, creation.get(), H5P_DEFAULT),
      H5Dclose);
  if (!dataset.valid()) fail(place, "cannot create the dataset");
  if (value_count > 0 && H5Dwrite(dataset.get(), memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0) {
    fail(place, "cannot write the dataset");
  }
}

void Hdf5Writer::write_tensor(const std::string& dataset_path, const Tensor& tensor) {
  write_dataset(dataset_path, tensor.shape, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, tensor.values.data(),
                tensor.values.size());
}

void Hdf5Writer::write_half_tensor(const std::string& dataset_path, const Shape& shape,
                                   const std::vector<std::uint16_t>& bits) {
  // binary16 as h5py defines it: sign bit 15, exponent bits 10-14 (bias 15), mantissa bits 0-9.
  const Lock lock(hdf5_mutex());  // recursive: write_dataset locks again
  const Handle half(H5Tcopy(H5T_IEEE_F32LE), H5Tclose);
  if (half.valid() && (H5Tset_fields(half.get(), 15, 10, 5, 0, 10) < 0 || H5Tset_size(half.get(), 2) < 0 ||
                       H5Tset_ebias(half.get(), 15) < 0)) {
    throw std::runtime_error("HDF5: cannot define the float16 type");
  }
  if (!half.valid()) throw std::runtime_error("HDF5: cannot create the float16 type");
  write_dataset(dataset_path, shape, half.get(), half.get(), bits.data(), bits.size());
}

void Hdf5Writer::write_doubles(const std::string& dataset_path, const Shape& shape, const std::vector<double>& values) {
  write_dataset(dataset_path, shape, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, values.data(), values.size());
}

void Hdf5Writer::write_ints(const std::string& dataset_path, const Shape& shape,
                            const std::vector<std::int64_t>& values, int bytes) {
  const hid_t file_type = signed_file_type(bytes);
  const int bits = bytes * 8;
  const std::int64_t largest = bits == 64 ? std::numeric_limits<std::int64_t>::max() : (std::int64_t{1} << (bits - 1)) - 1;
  const std::int64_t smallest = -largest - 1;
  for (const auto value : values) {
    if (value < smallest || value > largest) {
      throw std::out_of_range("HDF5 dataset " + dataset_path + ": " + std::to_string(value) + " does not fit " +
                              std::to_string(bits) + "-bit signed integers");
    }
  }
  write_dataset(dataset_path, shape, file_type, H5T_NATIVE_INT64, values.data(), values.size());
}

void Hdf5Writer::write_uints(const std::string& dataset_path, const Shape& shape,
                             const std::vector<std::uint64_t>& values, int bytes) {
  const hid_t file_type = unsigned_file_type(bytes);
  const int bits = bytes * 8;
  const std::uint64_t largest = bits == 64 ? std::numeric_limits<std::uint64_t>::max() : (std::uint64_t{1} << bits) - 1;
  for (const auto value : values) {
    if (value > largest) {
      throw std::out_of_range("HDF5 dataset " + dataset_path + ": " + std::to_string(value) + " does not fit " +
                              std::to_string(bits) + "-bit unsigned integers");
    }
  }
  write_dataset(dataset_path, shape, file_type, H5T_NATIVE_UINT64, values.data(), values.size());
}

void Hdf5Writer::write_strings(const std::string& dataset_path, const std::vector<std::string>& values) {
  const Lock lock(hdf5_mutex());
  const Handle type(string_type(), H5Tclose);
  std::vector<const char*> pointers;
  for (const auto& value : values) pointers.push_back(value.c_str());
  write_dataset(dataset_path, {static_cast<std::int64_t>(values.size())}, type.get(), type.get(), pointers.data(),
                pointers.size());
}

void Hdf5Writer::create_group(const std::string& group_path) {
  const Lock lock(hdf5_mutex());
  const Handle object(open_or_create_object(group_path), H5Oclose);
}

void Hdf5Writer::create_extendible(const std::string& dataset_path, Hdf5Element element, const Shape& row_shape,
                                   std::int64_t rows_per_chunk, int gzip_level, std::optional<double> fill) {
  const Lock lock(hdf5_mutex());
  if (file_ < 0) throw std::logic_error("Hdf5Writer used after commit");
  if (rows_per_chunk <= 0) throw std::invalid_argument("rows_per_chunk must be positive");
  if (gzip_level < 0 || gzip_level > 9) throw std::invalid_argument("gzip level must be 0..9");
  const std::string place = absolute(dataset_path);
  if (link_exists(file_, place)) throw std::logic_error("HDF5 dataset " + place + " written twice");
  std::vector<hsize_t> dims{0}, max_dims{H5S_UNLIMITED}, chunk{static_cast<hsize_t>(rows_per_chunk)};
  for (const auto size : row_shape) {
    if (size <= 0) throw std::invalid_argument("extendible dataset rows need positive dimensions");
    dims.push_back(static_cast<hsize_t>(size));
    max_dims.push_back(static_cast<hsize_t>(size));
    chunk.push_back(static_cast<hsize_t>(size));
  }
  const Handle space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), max_dims.data()), H5Sclose);
  const Handle creation(untimed(H5Pcreate(H5P_DATASET_CREATE)), H5Pclose);
  H5Pset_chunk(creation.get(), static_cast<int>(chunk.size()), chunk.data());
  if (gzip_level > 0) {
    H5Pset_shuffle(creation.get());  // byte shuffling makes spike and count data compress far better
    H5Pset_deflate(creation.get(), static_cast<unsigned>(gzip_level));
  }
  if (fill) {
    const double value = *fill;
    H5Pset_fill_value(creation.get(), H5T_NATIVE_DOUBLE, &value);
  }
  if (!create_parent_groups(file_, place)) fail(place, "cannot create the groups above the dataset");
  const Handle dataset(H5Dcreate2(file_, place.c_str(), element_file_type(element), space.get(), H5P_DEFAULT,
                                  creation.get(), H5P_DEFAULT),
                       H5Dclose);
  if (!dataset.valid()) fail(place, "cannot create the dataset");
}

void Hdf5Writer::create_extendible_strings(const std::string& dataset_path, std::int64_t rows_per_chunk) {
  const Lock lock(hdf5_mutex());
  if (file_ < 0) throw std::logic_error("Hdf5Writer used after commit");
  if (rows_per_chunk <= 0) throw std::invalid_argument("rows_per_chunk must be positive");
  const std::string place = absolute(dataset_path);
  if (link_exists(file_, place)) throw std::logic_error("HDF5 dataset " + place + " written twice");
  const hsize_t dims = 0, max_dims = H5S_UNLIMITED, chunk = static_cast<hsize_t>(rows_per_chunk);
  const Handle space(H5Screate_simple(1, &dims, &max_dims), H5Sclose);
  const Handle creation(untimed(H5Pcreate(H5P_DATASET_CREATE)), H5Pclose);
  H5Pset_chunk(creation.get(), 1, &chunk);
  if (!create_parent_groups(file_, place)) fail(place, "cannot create the groups above the dataset");
  const Handle type(string_type(), H5Tclose);
  const Handle dataset(
      H5Dcreate2(file_, place.c_str(), type.get(), space.get(), H5P_DEFAULT, creation.get(), H5P_DEFAULT),
      H5Dclose);
  if (!dataset.valid()) fail(place, "cannot create the dataset");
}

std::int64_t Hdf5Writer::open_dataset(const std::string& place) {
  const auto found = open_datasets_.find(place);
  if (found != open_datasets_.end()) return found->second;
  const Handle access(H5Pcreate(H5P_DATASET_ACCESS), H5Pclose);
  hid_t dataset = H5Dopen2(file_, place.c_str(), H5P_DEFAULT);
  if (dataset < 0) throw std::logic_error("append_rows: no dataset " + place);
  // Reopened with a chunk cache of two chunks (kAppendChunkCacheChunks), kept open until the file closes.
  const Handle creation(H5Dget_create_plist(dataset), H5Pclose);
  const Handle type(H5Dget_type(dataset), H5Tclose);
  const Handle space(H5Dget_space(dataset), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(space.get());
  std::vector<hsize_t> chunk(static_cast<std::size_t>(std::max(rank, 1)), 1);
  std::size_t chunk_bytes = H5Tget_size(type.get());
  if (H5Pget_chunk(creation.get(), rank, chunk.data()) >= 0)
    for (const auto extent : chunk) chunk_bytes *= extent;
  H5Dclose(dataset);
  H5Pset_chunk_cache(access.get(), kAppendChunkCacheSlots, kAppendChunkCacheChunks * chunk_bytes, 1.0);
  dataset = H5Dopen2(file_, place.c_str(), access.get());
  if (dataset < 0) throw std::logic_error("append_rows: no dataset " + place);
  open_datasets_.emplace(place, dataset);
  return dataset;
}

void Hdf5Writer::append_raw(const std::string& dataset_path, Hdf5Element element, const void* data,
                            std::size_t count) {
  const Lock lock(hdf5_mutex());
  if (file_ < 0) throw std::logic_error("Hdf5Writer used after commit");
  const std::string place = absolute(dataset_path);
  const hid_t dataset = open_dataset(place);
  const Handle stored_type(H5Dget_type(dataset), H5Tclose);
  if (H5Tequal(stored_type.get(), element_file_type(element)) <= 0) {
    throw std::logic_error("append_rows: element type differs from the dataset's at " + place);
  }
  const Handle old_space(H5Dget_space(dataset), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(old_space.get());
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  H5Sget_simple_extent_dims(old_space.get(), dims.data(), nullptr);
  hsize_t row_size = 1;
  for (std::size_t axis = 1; axis < dims.size(); ++axis) row_size *= dims[axis];
  if (count % row_size != 0) {
    throw std::invalid_argument("append_rows: " + std::to_string(count) + " values are not whole rows of " +
                                std::to_string(row_size) + " at " + place);
  }
  const hsize_t new_rows = count / row_size;
  if (new_rows == 0) return;
  std::vector<hsize_t> start(dims.size(), 0), block = dims;
  start[0] = dims[0];
  block[0] = new_rows;
  dims[0] += new_rows;
  if (H5Dset_extent(dataset, dims.data()) < 0) fail(place, "cannot extend the dataset");
  const Handle file_space(H5Dget_space(dataset), H5Sclose);
  H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr, block.data(), nullptr);
  const Handle memory_space(H5Screate_simple(static_cast<int>(block.size()), block.data(), nullptr), H5Sclose);
  if (H5Dwrite(dataset, element_type(element), memory_space.get(), file_space.get(), H5P_DEFAULT, data) < 0) {
    fail(place, "cannot write the dataset");
  }
}

void Hdf5Writer::append_strings(const std::string& dataset_path, const std::vector<std::string>& values) {
  const Lock lock(hdf5_mutex());
  if (file_ < 0) throw std::logic_error("Hdf5Writer used after commit");
  if (values.empty()) return;
  const std::string place = absolute(dataset_path);
  const hid_t dataset = open_dataset(place);
  const Handle type(string_type(), H5Tclose);
  const Handle old_space(H5Dget_space(dataset), H5Sclose);
  if (H5Sget_simple_extent_ndims(old_space.get()) != 1) throw std::logic_error("append_strings: not 1-D at " + place);
  hsize_t rows = 0;
  H5Sget_simple_extent_dims(old_space.get(), &rows, nullptr);
  const hsize_t start = rows, block = values.size(), extent = rows + values.size();
  if (H5Dset_extent(dataset, &extent) < 0) fail(place, "cannot extend the dataset");
  const Handle file_space(H5Dget_space(dataset), H5Sclose);
  H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, &start, nullptr, &block, nullptr);
  const Handle memory_space(H5Screate_simple(1, &block, nullptr), H5Sclose);
  std::vector<const char*> pointers;
  for (const auto& value : values) pointers.push_back(value.c_str());
  if (H5Dwrite(dataset, type.get(), memory_space.get(), file_space.get(), H5P_DEFAULT, pointers.data()) < 0) {
    fail(place, "cannot write the dataset");
  }
}

std::int64_t Hdf5Writer::rows(const std::string& dataset_path) {
  const Lock lock(hdf5_mutex());
  const std::string place = absolute(dataset_path);
  const hid_t dataset = open_dataset(place);
  const Handle space(H5Dget_space(dataset), H5Sclose);
  hsize_t dims[H5S_MAX_RANK];
  if (H5Sget_simple_extent_ndims(space.get()) < 1) return 0;
  H5Sget_simple_extent_dims(space.get(), dims, nullptr);
  return static_cast<std::int64_t>(dims[0]);
}

void Hdf5Writer::flush() {
  const Lock lock(hdf5_mutex());
  if (file_ >= 0 && H5Fflush(file_, H5F_SCOPE_GLOBAL) < 0) fail("/", "cannot flush the HDF5 file");
}

std::int64_t Hdf5Writer::open_or_create_object(const std::string& object_path) {
  if (file_ < 0) throw std::logic_error("Hdf5Writer used after commit");
  const std::string place = absolute(object_path);
  if (link_exists(file_, place)) return H5Oopen(file_, place.c_str(), H5P_DEFAULT);
  if (!create_parent_groups(file_, place + "/")) fail(place, "cannot create the group");  // the group itself too
  return H5Oopen(file_, place.c_str(), H5P_DEFAULT);
}

void Hdf5Writer::write_attribute_raw(const std::string& object_path, const std::string& name, std::int64_t file_type,
                                     std::int64_t memory_type, const Shape& shape, const void* data) {
  const Lock lock(hdf5_mutex());
  const Handle object(open_or_create_object(object_path), H5Oclose);
  const std::string place = absolute(object_path) + " attribute '" + name + "'";
  if (!object.valid()) fail(place, "cannot open the object");
  std::vector<hsize_t> dims(shape.begin(), shape.end());
  const Handle space(shape.empty() ? H5Screate(H5S_SCALAR)
                                   : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
                     H5Sclose);
  if (H5Aexists(object.get(), name.c_str()) > 0) {
    // An attribute of the same type and shape is rewritten in place (a counter updated after every
    // example): deleting and re-creating it would leave dead space in a streamed file, which never reuses it.
    const Handle existing(H5Aopen(object.get(), name.c_str(), H5P_DEFAULT), H5Aclose);
    const Handle existing_type(existing.valid() ? H5Aget_type(existing.get()) : -1, H5Tclose);
    const Handle existing_space(existing.valid() ? H5Aget_space(existing.get()) : -1, H5Sclose);
    if (existing_type.valid() && existing_space.valid() && H5Tequal(existing_type.get(), file_type) > 0 &&
        H5Sextent_equal(existing_space.get(), space.get()) > 0) {
      if (element_count(shape) > 0 && H5Awrite(existing.get(), memory_type, data) < 0) fail(place, "cannot write the attribute");
      return;
    }
    H5Adelete(object.get(), name.c_str());
  }
  const Handle attribute(H5Acreate2(object.get(), name.c_str(), file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT),
                         H5Aclose);
  if (!attribute.valid() || (element_count(shape) > 0 && H5Awrite(attribute.get(), memory_type, data) < 0)) {
    fail(place, "cannot write the attribute");
  }
}

void Hdf5Writer::write_uint32_attribute(const std::string& object_path, const std::string& name,
                                        const std::vector<std::uint32_t>& values) {
  const Shape shape = values.size() == 1 ? Shape{} : Shape{static_cast<std::int64_t>(values.size())};
  write_attribute_raw(object_path, name, H5T_STD_U32LE, H5T_NATIVE_UINT32, shape, values.data());
}

void Hdf5Writer::write_enum_attribute(const std::string& object_path, const std::string& name,
                                      const std::vector<std::pair<std::string, std::int8_t>>& members,
                                      std::int8_t value) {
  const Lock lock(hdf5_mutex());
  const Handle type(H5Tenum_create(H5T_STD_I8LE), H5Tclose);
  for (const auto& [member, member_value] : members) H5Tenum_insert(type.get(), member.c_str(), &member_value);
  write_attribute_raw(object_path, name, type.get(), type.get(), {}, &value);
}

void Hdf5Writer::write_attribute(const std::string& object_path, const std::string& name, double value) {
  write_attribute_raw(object_path, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, {}, &value);
}

void Hdf5Writer::write_attribute(const std::string& object_path, const std::string& name, std::int64_t value) {
  write_attribute_raw(object_path, name, H5T_STD_I64LE, H5T_NATIVE_INT64, {}, &value);
}

void Hdf5Writer::write_attribute(const std::string& object_path, const std::string& name, const std::string& value) {
  write_attribute(object_path, name, std::vector<std::string>{value});
}

void Hdf5Writer::write_attribute(const std::string& object_path, const std::string& name, const char* value) {
  write_attribute(object_path, name, std::string(value));
}

void Hdf5Writer::write_attribute(const std::string& object_path, const std::string& name,
                                 const std::vector<double>& values) {
  write_attribute_raw(object_path, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
                      {static_cast<std::int64_t>(values.size())}, values.data());
}

void Hdf5Writer::write_attribute(const std::string& object_path, const std::string& name,
                                 const std::vector<std::int64_t>& values) {
  write_attribute_raw(object_path, name, H5T_STD_I64LE, H5T_NATIVE_INT64, {static_cast<std::int64_t>(values.size())},
                      values.data());
}

void Hdf5Writer::write_attribute(const std::string& object_path, const std::string& name,
                                 const std::vector<std::string>& values) {
  const Lock lock(hdf5_mutex());
  const Handle type(string_type(), H5Tclose);
  std::vector<const char*> pointers;
  for (const auto& value : values) pointers.push_back(value.c_str());
  // A single string is written as a scalar attribute (what h5py writes for attrs["x"] = "text").
  const Shape shape = values.size() == 1 ? Shape{} : Shape{static_cast<std::int64_t>(values.size())};
  write_attribute_raw(object_path, name, type.get(), type.get(), shape, pointers.data());
}

}  // namespace spikingbert::io
