// `spikingbert convert --from-hf DIR --output CKPT`: a Hugging Face BERT folder (config.json +
// model.safetensors, f32/f16/bf16) into a native checkpoint. Every tensor the teacher needs is checked for
// presence, shape and finiteness before anything is written.
#include "commands/Commands.hpp"

#include "io/Checkpoint.hpp"
#include "models/BertTeacherIo.hpp"

#include <iostream>

namespace spikingbert::tools {

void add_convert_command(CLI::App& app) {
  auto* command = app.add_subcommand("convert", "Convert a Hugging Face BERT checkpoint to a native checkpoint");
  struct Options {
    std::string from_hf, output;
  };
  auto options = std::make_shared<Options>();
  command->add_option("--from-hf", options->from_hf, "Hugging Face folder with config.json and model.safetensors")
      ->required();
  command->add_option("--output", options->output, "Native checkpoint to write (HDF5)")->required();
  command->callback([options] {
    const auto files = models::read_teacher_files(options->from_hf);
    // Building the model validates every tensor (missing, mis-shaped, non-finite) with the file's name.
    const auto model = models::teacher_from_tensors<float>(files.config, files.tensors, files.source);
    io::Checkpoint checkpoint;
    checkpoint.config = files.config;
    checkpoint.tensors = models::teacher_tensors(model);
    checkpoint.metadata["source"] = files.source;
    checkpoint.metadata["kind"] = "bert-teacher";
    io::write_checkpoint(options->output, checkpoint);
    std::cout << "converted " << checkpoint.tensors.size() << " tensors (" << model.parameter_count()
              << " parameters) from " << options->from_hf << " to " << options->output << "\n";
  });
}

}  // namespace spikingbert::tools
