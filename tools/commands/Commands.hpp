#pragma once
// Each subcommand of the `spikingbert` program lives in its own file under tools/commands/ and is
// registered here. Commands parse their options, call the library layers, and print; they hold no
// model logic of their own.
#include <CLI/CLI.hpp>

namespace spikingbert::tools {

// Registers a subcommand that exists in the interface but is not built yet: it accepts any
// arguments and fails with exit code 2 and a clear message.
void add_placeholder_command(CLI::App& app, const std::string& name, const std::string& description);

// `spikingbert bench`: event kernel vs dense twin on a random SpikingBERT (tools/commands/bench.cpp).
void add_bench_command(CLI::App& app);
// `spikingbert run --model DIR --inputs FILE.h5 --output OUT.h5` (tools/commands/run.cpp).
void add_run_command(CLI::App& app);
// `spikingbert sweep --task T --data FILE --steps 4,8 --vth 0.5,1 [--output ROWS.csv]` (tools/commands/sweep.cpp).
void add_sweep_command(CLI::App& app);
// `spikingbert inspect --model DIR [--dot FILE]` (tools/commands/inspect.cpp).
void add_inspect_command(CLI::App& app);

// `spikingbert convert --from-hf DIR --output CKPT`: Hugging Face BERT folder -> native checkpoint.
void add_convert_command(CLI::App& app);

// `spikingbert run-teacher`: a BERT teacher on case.h5 inputs (outputs, gradients) or on a GLUE file.
void add_run_teacher_command(CLI::App& app);

// `spikingbert train-teacher --task T --size S --epochs N --output CKPT`: a BERT teacher from scratch.
void add_train_teacher_command(CLI::App& app);

// `spikingbert tokenize`: WordPiece ids of TEXT [--pair TEXT], or of every case of --input JSONL.
void add_tokenize_command(CLI::App& app);

// `spikingbert data --task T --file F`: example count, label histogram, token length percentiles.
void add_data_command(CLI::App& app);

// `spikingbert grad --model DIR --inputs case.h5 --output OUT.h5 --gradient MODE`: one step's loss and
// parameter gradients on labelled inputs (tools/commands/grad.cpp).
void add_grad_command(CLI::App& app);
// `spikingbert distill --teacher CKPT --task T --stage S --steps T --gradient MODE --output CKPT`: trains a
// spiking student by distillation (tools/commands/distill.cpp, training/StudentTrainer).
void add_distill_command(CLI::App& app);

}  // namespace spikingbert::tools
