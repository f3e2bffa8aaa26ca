// `spikingbert convert --from-hf DIR --output CKPT`: a Hugging Face BERT folder (config.json +

#include "commands/SharedOptions.hpp"
// model.safetensors, f32/f16/bf16) into a native checkpoint. Every tensor the teacher needs is checked for
// presence, shape and finiteness before anything is written.
// `spikingbert convert --input CKPT|DIR --output CKPT|DIR [--float16] [--prune-vocab-from train.tsv]`: rewrites a
// native checkpoint (teacher or student) or every member of an ensemble folder in compact storage
// (io/Checkpoint.hpp, docs/formats.md): float16 tensors, and a word-embedding table holding only the rows of
// the word pieces that occur in the given GLUE file (plus [PAD], [UNK], [CLS], [SEP], [MASK]); every other
// piece reads back as [UNK]'s row, which is what a teacher trained on that file with a pruned vocabulary
// (train-teacher's default) has anyway, so its predictions are unchanged.
#include "commands/Commands.hpp"
#include "commands/OptionChecks.hpp"
#include "commands/Provenance.hpp"
#include "commands/ShippedData.hpp"

#include "io/BertTokenizer.hpp"
#include "io/Checkpoint.hpp"
#include "io/Error.hpp"
#include "io/GlueReader.hpp"
#include "models/BertTeacherIo.hpp"
#include "models/TeacherEnsemble.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <iostream>

namespace spikingbert::tools {

namespace {

namespace fs = std::filesystem;

struct ConvertOptions {
  std::string from_hf, input, output, prune_from, task, vocab;
  bool float16 = false;
};

// Long enough that no GLUE example is truncated: every piece the training set contains is kept, a superset
// of what train-teacher's pruning (at 64 or 128 tokens) kept.
constexpr int kPruneMaxSequenceLength = 4096;

// The ids of the pieces of `file` and the special tokens, ascending.
std::vector<std::int64_t> pieces_of(const ConvertOptions& o, const std::string& task_name,
                                    const io::BertTokenizer& tokenizer) {
  if (task_name.empty()) {
    throw io::InputError("command line", "--task", "missing", "the GLUE task of --prune-vocab-from (not in the checkpoint's config)");
  }
  const auto task = io::parse_glue_task(task_name);
  const auto dataset = io::read_glue_file(task, o.prune_from, io::GlueLabels::from_file_name);
  std::vector<char> seen(tokenizer.vocabulary().size(), 0);
  for (const auto& example : dataset.examples) {
    std::optional<std::string_view> text_b;
    if (example.text_b) text_b = *example.text_b;
    for (const auto id : tokenizer.encode(example.text_a, text_b, kPruneMaxSequenceLength).input_ids) seen[id] = 1;
  }
  for (const int special : {tokenizer.pad_id(), tokenizer.unknown_id(), tokenizer.cls_id(), tokenizer.sep_id()}) {
    seen[special] = 1;
  }
  if (const auto mask = tokenizer.vocabulary().find(std::string_view("[MASK]"))) seen[*mask] = 1;
  std::vector<std::int64_t> ids;
  for (std::size_t id = 0; id < seen.size(); ++id) {
    if (seen[id]) ids.push_back(static_cast<std::int64_t>(id));
  }
  return ids;
}

struct ConvertResult {
  std::int64_t tensors = 0, kept_rows = 0, dropped_rows = 0, changed_rows = 0;
};

// Rewrites one native checkpoint compactly. changed_rows counts dropped rows that differ from [UNK]'s row:
// the pieces whose embedding the pruning changes (0 for a teacher trained with a pruned vocabulary).
ConvertResult compact_checkpoint(const fs::path& input, const fs::path& output, const ConvertOptions& o) {
  auto checkpoint = io::read_checkpoint(input);
  // A new stage of the chain (commands/Provenance.hpp): the input, with its own record, is the parent.
  checkpoint.metadata[kProvenanceKey] =
      provenance_record(o.float16 ? "convert (float16)" : "convert", nlohmann::json::object(), {}, {{"input", input}}).dump();
  io::CheckpointStorage storage;
  storage.float16 = o.float16;
  ConvertResult result;
  result.tensors = static_cast<std::int64_t>(checkpoint.tensors.size());
  if (!o.prune_from.empty()) {
    const auto tokenizer = io::BertTokenizer::from_file(o.vocab.empty() ? default_vocabulary_path() : fs::path(o.vocab));
    const auto vocabulary = static_cast<std::int64_t>(tokenizer.vocabulary().size());
    const auto ids = pieces_of(o, o.task.empty() ? checkpoint.config.task : o.task, tokenizer);
    const std::string suffix = "word_embeddings.weight";
    for (const auto& [name, tensor] : checkpoint.tensors) {
      const bool is_word_table = name.size() >= suffix.size() &&
                                 name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
      if (!is_word_table) continue;
      if (tensor.shape.size() != 2 || tensor.shape[0] != vocabulary) {
        throw io::InputError(input.string(), "tensor '" + name + "'", "shape " + io::shape_to_string(tensor.shape),
                             "[" + std::to_string(vocabulary) + ", hidden]: one row per piece of --vocab");
      }
      const std::int64_t width = tensor.shape[1];
      const float* unknown = tensor.values.data() + tokenizer.unknown_id() * width;
      std::size_t next = 0;
      for (std::int64_t row = 0; row < vocabulary; ++row) {
        if (next < ids.size() && ids[next] == row) {
          ++next;
          continue;
        }
        const float* values = tensor.values.data() + row * width;
        if (!std::equal(values, values + width, unknown)) ++result.changed_rows;
      }
      result.kept_rows += static_cast<std::int64_t>(ids.size());
      result.dropped_rows += vocabulary - static_cast<std::int64_t>(ids.size());
      storage.kept_rows[name] = io::RowSelection{ids, tokenizer.unknown_id()};
    }
    if (storage.kept_rows.empty()) {
      throw io::InputError(input.string(), "tensors", "no word-embedding table (*word_embeddings.weight)",
                           "a checkpoint with a word-embedding table for --prune-vocab-from");
    }
  }
  io::write_checkpoint(output, checkpoint, storage);
  return result;
}

void convert_compact(const ConvertOptions& o) {
  const fs::path input(o.input), output(o.output);
  nlohmann::json summary;
  summary["command"] = "convert";
  summary["input"] = o.input;
  summary["output"] = o.output;
  summary["float16"] = o.float16;
  std::vector<std::pair<fs::path, fs::path>> files;
  if (models::is_ensemble_folder(input)) {
    if (fs::exists(output) && !fs::is_directory(output)) {
      throw io::InputError(o.output, "--output", "is a file", "a folder for the converted ensemble");
    }
    if (fs::exists(output) && fs::equivalent(input, output)) {
      throw io::InputError(o.output, "--output", "is the input folder", "a different folder");
    }
    fs::create_directories(output);
    const auto manifest = models::read_ensemble_manifest(input);
    for (const auto& member : manifest.members) files.emplace_back(input / member.file, output / member.file);
    for (const auto& [from, to] : files) fs::create_directories(to.parent_path());
    for (const auto& [from, to] : files) {
      const auto result = compact_checkpoint(from, to, o);
      summary["members"].push_back({{"file", to.string()}, {"bytes", fs::file_size(to)},
                                    {"dropped_rows", result.dropped_rows}, {"changed_rows", result.changed_rows}});
    }
    auto converted = manifest;
    converted.info["converted_from"] = o.input;
    models::write_ensemble_manifest(output, converted);
  } else {
    if (fs::is_directory(input)) {
      throw io::InputError(o.input, "--input", "a folder without ensemble.json",
                           "a native checkpoint or an ensemble folder (Hugging Face folders: --from-hf first)");
    }
    const auto result = compact_checkpoint(input, output, o);
    summary["bytes"] = fs::file_size(output);
    summary["tensors"] = result.tensors;
    summary["kept_rows"] = result.kept_rows;
    summary["dropped_rows"] = result.dropped_rows;
    summary["changed_rows"] = result.changed_rows;
  }
  std::cout << summary.dump() << "\n";
}

void convert_from_hf(const ConvertOptions& o) {
  const auto files = models::read_teacher_files(o.from_hf);
  // Building the model validates every tensor (missing, mis-shaped, non-finite) with the file's name.
  const auto model = models::teacher_from_tensors<float>(files.config, files.tensors, files.source);
  io::Checkpoint checkpoint;
  checkpoint.config = files.config;
  checkpoint.tensors = models::teacher_tensors(model);
  checkpoint.metadata["source"] = files.source;
  checkpoint.metadata["kind"] = "bert-teacher";
  checkpoint.metadata[kProvenanceKey] =
      provenance_record("convert --from-hf", nlohmann::json::object(), {}, {{"input", o.from_hf}}).dump();
  io::CheckpointStorage storage;
  storage.float16 = o.float16;
  io::write_checkpoint(o.output, checkpoint, storage);
  std::cout << "converted " << checkpoint.tensors.size() << " tensors (" << model.parameter_count()
            << " parameters) from " << o.from_hf << " to " << o.output << "\n";
}

}  // namespace

void add_convert_command(CLI::App& app) {
  auto* command = app.add_subcommand(
      "convert", "Convert a Hugging Face BERT checkpoint to a native checkpoint, or rewrite one compactly");
  auto options = std::make_shared<ConvertOptions>();
  auto* from_hf = command->add_option("--from-hf", options->from_hf, "Hugging Face folder with config.json and model.safetensors");
  auto* input = command->add_option("--input", options->input, "Native checkpoint or ensemble folder to rewrite compactly");
  from_hf->excludes(input);
  command->add_option("--output", options->output, "Native checkpoint (or ensemble folder) to write")->required();
  command->add_flag("--float16", options->float16, "Store tensors as float16 (rounded to nearest even)");
  command->add_option("--prune-vocab-from", options->prune_from,
                      "GLUE file whose word pieces keep their own embedding row; other pieces read as [UNK]");
  command->add_option("--task", options->task, "GLUE task of --prune-vocab-from (default: the checkpoint's)");
  add_vocab_option(command, options->vocab);
  command->callback([options] {
    check_outputs({options->from_hf, options->input, options->prune_from, options->vocab}, {options->output});
    if (options->from_hf.empty() && options->input.empty()) {
      throw io::InputError("command line", "--from-hf/--input", "missing", "one of --from-hf DIR or --input CKPT");
    }
    if (!options->from_hf.empty()) {
      if (!options->prune_from.empty()) {
        throw io::InputError("command line", "--prune-vocab-from", "given with --from-hf",
                             "--from-hf first, then convert --input CKPT --prune-vocab-from FILE");
      }
      convert_from_hf(*options);
      return;
    }
    convert_compact(*options);
  });
}

}  // namespace spikingbert::tools
