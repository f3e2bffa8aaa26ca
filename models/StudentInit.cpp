#include "models/StudentInit.hpp"

#include "io/Error.hpp"

#include <stdexcept>

namespace spikingbert::models {

std::map<std::string, std::string> teacher_to_student_names(std::int64_t teacher_layers, std::int64_t student_layers) {
  if (student_layers < 1 || student_layers > teacher_layers) {
    throw std::invalid_argument("teacher_to_student_names: need 1 <= student layers <= teacher layers");
  }
  std::map<std::string, std::string> names;
  for (const char* embedding : {"word_embeddings.weight", "position_embeddings.weight", "token_type_embeddings.weight",
                                "LayerNorm.weight", "LayerNorm.bias"}) {
    names[std::string("bert.embeddings.") + embedding] = std::string("network_x.") + embedding;
  }
  for (std::int64_t k = 0; k < student_layers; ++k) {
    const std::int64_t mapped = (k + 1) * teacher_layers / student_layers - 1;  // uniform mapping, see the header
    const std::string teacher = "bert.encoder.layer." + std::to_string(mapped) + ".";
    auto student = [&](SubLayer sub_layer) { return "network_s" + std::to_string(population_index(k, sub_layer)) + "."; };
    for (const char* part : {"weight", "bias"}) {
      const std::string p = part;
      names[teacher + "attention.self.key." + p] = student(SubLayer::key) + "dense." + p;
      names[teacher + "attention.self.value." + p] = student(SubLayer::value) + "dense." + p;
      names[teacher + "attention.self.query." + p] = student(SubLayer::attention) + "query." + p;
      names[teacher + "attention.output.dense." + p] = student(SubLayer::self_output) + "dense." + p;
      names[teacher + "attention.output.LayerNorm." + p] = student(SubLayer::self_output) + "LayerNorm." + p;
      names[teacher + "intermediate.dense." + p] = student(SubLayer::intermediate) + "dense." + p;
      names[teacher + "output.dense." + p] = student(SubLayer::output) + "dense." + p;
      names[teacher + "output.LayerNorm." + p] = student(SubLayer::output) + "LayerNorm." + p;
    }
  }
  names["classifier.weight"] = "classification.weight";
  names["classifier.bias"] = "classification.bias";
  return names;
}

bool is_teacher_tensors(const io::TensorMap& tensors) {
  return tensors.count("bert.embeddings.word_embeddings.weight") > 0;
}

io::ModelConfig student_config_of_teacher(const io::ModelConfig& teacher, int steps) {
  io::ModelConfig student;
  student.vocab_size = teacher.vocab_size;
  student.hidden_size = teacher.hidden_size;
  student.intermediate_size = teacher.intermediate_size;
  student.num_attention_heads = teacher.num_attention_heads;
  student.num_hidden_layers = teacher.num_hidden_layers;
  student.max_position_embeddings = teacher.max_position_embeddings;
  student.type_vocab_size = teacher.type_vocab_size;
  student.num_labels = teacher.num_labels;
  student.layer_norm_eps = teacher.layer_norm_eps;
  student.vth = 1.0;   // method doc §2.1
  student.leak = 1.0;  // IF neurons, as the reference
  student.t_conv = steps;
  student.task = teacher.task;
  if (teacher.extra.contains("pad_token_id")) student.extra["pad_token_id"] = teacher.extra["pad_token_id"];
  return student;
}

io::ModelConfig student_config_of_teacher(const io::ModelConfig& teacher, int steps, const StudentShape& shape) {
  io::ModelConfig student = student_config_of_teacher(teacher, steps);
  if (shape.layers > 0) student.num_hidden_layers = shape.layers;
  if (shape.hidden > 0) student.hidden_size = shape.hidden;
  if (shape.intermediate > 0) student.intermediate_size = shape.intermediate;
  if (shape.heads > 0) student.num_attention_heads = shape.heads;
  if (student.hidden_size != teacher.hidden_size) student.extra["fit_size"] = teacher.hidden_size;
  return student;
}

bool can_initialise_from_teacher(const io::ModelConfig& student, const io::ModelConfig& teacher) {
  return student.hidden_size == teacher.hidden_size && student.intermediate_size == teacher.intermediate_size &&
         student.num_attention_heads == teacher.num_attention_heads &&
         student.num_hidden_layers <= teacher.num_hidden_layers && student.vocab_size == teacher.vocab_size &&
         student.max_position_embeddings == teacher.max_position_embeddings &&
         student.type_vocab_size == teacher.type_vocab_size;
}

void initialise_student_from_teacher(SpikingBertEquilibrium<float>& student, const io::TensorMap& teacher_tensors,
                                     std::int64_t teacher_layers, const std::string& source) {
  for (const auto& [teacher_name, student_name] :
       teacher_to_student_names(teacher_layers, student.config().num_hidden_layers)) {
    auto& parameter = student.parameter(student_name);
    const auto& tensor = io::require_tensor(teacher_tensors, teacher_name, parameter.shape, source);
    parameter.value.assign(tensor.values.begin(), tensor.values.end());
  }
}

}  // namespace spikingbert::models
