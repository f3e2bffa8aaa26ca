#pragma once
// A guard in front of libhdf5 for variable-length strings. Their bytes live in "global heap collections"
// (HDF5 file format spec, section III.E), and Debian 12's libhdf5 (1.10.8) trusts the object sizes it
// finds there: a collection whose object claims more bytes than the collection holds makes H5Aread
// segfault or memcpy out of bounds (found by fuzz_checkpoint; tests/fuzz/known-libhdf5-crashes/).
// Hdf5Reader therefore walks every collection of the file itself before its first variable-length read
// and rejects the file if an object overruns its collection or a collection overruns the file.
#include <filesystem>

namespace spikingbert::io {

// Throws InputError(file, "global heap at byte N", ...) if a global heap collection is inconsistent.
// Files with a user block or lengths other than 8 bytes are not checked (the layout below assumes both).
void check_global_heap_collections(const std::filesystem::path& file);

}  // namespace spikingbert::io
