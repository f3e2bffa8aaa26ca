#pragma once
// The native checkpoint: one HDF5 file holding a model's configuration and float32 tensors.
//   /                       attributes: format = "spikingbert-checkpoint", format_version = 1 (int64),
//                                       config = the ModelConfig as a JSON string (to_json)
//   /tensors/<name>         float32 datasets, one per tensor, named as in safetensors (dots allowed)
//   /metadata               optional string attributes (training step, seed, source file, ...)
// Compact storage (optional, for shipping; docs/formats.md "Compact checkpoints"):
//   - float16: every tensor stored as IEEE binary16 (rounded to nearest, ties to even); read back as float32.
//   - row pruning of a table: /tensors/<name> holds only the kept rows [kept, ...] and the int32 dataset
//     /row_ids/<name> [kept] their original row ids (ascending), with attributes full_rows (the table's row
//     count) and fill_row (a kept row id). On read the full table is rebuilt: kept rows in place, every other
//     row a copy of fill_row's. For the word-embedding table with fill_row = [UNK] and the rows of the pieces
//     seen in training, this is exactly the trained model (unseen pieces always mapped to [UNK]'s row).
// Both keep format_version 1: a plain checkpoint is unchanged, and an older reader meets a pruned table
// as a clear shape error.
// Written atomically (temporary file, then rename); read back with full validation.
#include "io/ModelConfig.hpp"
#include "io/Tensor.hpp"

#include <filesystem>
#include <map>
#include <string>

namespace spikingbert::io {

inline constexpr const char* kCheckpointFormat = "spikingbert-checkpoint";
inline constexpr std::int64_t kCheckpointFormatVersion = 1;

struct Checkpoint {
  ModelConfig config;
  TensorMap tensors;
  std::map<std::string, std::string> metadata;  // free-form strings stored as attributes of /metadata
};

struct RowSelection {
  std::vector<std::int64_t> rows;  // rows to store, ascending, unique
  std::int64_t fill_row = 0;       // stands in for every row not stored; must be one of `rows`
};

struct CheckpointStorage {
  bool float16 = false;
  std::map<std::string, RowSelection> kept_rows;  // tensor name -> rows to store (tensors of rank >= 1)
};

// Tensor names must be non-empty, must not contain '/', and must not be "." (InputError otherwise).
void write_checkpoint(const std::filesystem::path& path, const ModelConfig& config, const TensorMap& tensors);
void write_checkpoint(const std::filesystem::path& path, const Checkpoint& checkpoint);
// With compact storage. Throws InputError for a selection naming a missing tensor or an invalid row.
void write_checkpoint(const std::filesystem::path& path, const Checkpoint& checkpoint, const CheckpointStorage& storage);

// Validates format, format_version and config, and that every /tensors child is a float dataset; expands
// pruned tables (validating their row ids) to their full shape.
// Use require_tensor (io/Tensor.hpp) to check the shapes a model expects.
Checkpoint read_checkpoint(const std::filesystem::path& path);

}  // namespace spikingbert::io
