#include "models/StudentInit.hpp"

#include "io/Error.hpp"

namespace spikingbert::models {

std::map<std::string, std::string> teacher_to_student_names(std::int64_t layers) {
  std::map<std::string, std::string> names;
  for (const char* embedding : {"word_embeddings.weight", "position_embeddings.weight", "token_type_embeddings.weight",
                                "LayerNorm.weight", "LayerNorm.bias"}) {
    names[std::string("bert.embeddings.") + embedding] = std::string("network_x.") + embedding;
  }
  for (std::int64_t k = 0; k < layers; ++k) {
    const std::string teacher = "bert.encoder.layer." + std::to_string(k) + ".";
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

void initialise_student_from_teacher(SpikingBertEquilibrium<float>& student, const io::TensorMap& teacher_tensors,
                                     const std::string& source) {
  for (const auto& [teacher_name, student_name] : teacher_to_student_names(student.config().num_hidden_layers)) {
    auto& parameter = student.parameter(student_name);
    const auto& tensor = io::require_tensor(teacher_tensors, teacher_name, parameter.shape, source);
    parameter.value.assign(tensor.values.begin(), tensor.values.end());
  }
}

}  // namespace spikingbert::models
