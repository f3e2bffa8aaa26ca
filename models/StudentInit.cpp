#include "models/StudentInit.hpp"

#include "io/Error.hpp"
#include "models/BertTeacher.hpp"

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
  io::ModelConfig student_shape;  // only the depth matters: the table's parameter names
  student_shape.num_hidden_layers = static_cast<int>(student_layers);
  const SubLayerTable student(student_shape);
  for (int k = 0; k < static_cast<int>(student_layers); ++k) {
    const std::int64_t mapped = (k + 1) * teacher_layers / student_layers - 1;  // uniform mapping, see the header
    for (const auto& [module, kind, is_norm] : kHuggingFaceLayerModules) {
      const auto& sublayer = student[student.index(k, kind)];
      const std::string& student_module = is_norm ? sublayer.layer_norm : sublayer.linear;
      for (const char* part : {".weight", ".bias"})
        names[hugging_face_layer_prefix(mapped) + module + part] = student_module + part;
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
  student.shape() = teacher.shape();
  student.num_labels = teacher.num_labels;
  student.layer_norm_eps = teacher.layer_norm_eps;
  student.vth = 1.0;   // method doc §2.1
  student.leak = 1.0;  // IF neurons, as the reference
  student.t_conv = steps;
  student.task = teacher.task;
  student.pad_token_id = teacher.pad_token_id;
  return student;
}

io::ModelConfig student_config_of_teacher(const io::ModelConfig& teacher, int steps, const StudentShape& shape) {
  io::ModelConfig student = student_config_of_teacher(teacher, steps);
  if (shape.layers > 0) student.num_hidden_layers = shape.layers;
  if (shape.hidden > 0) student.hidden_size = shape.hidden;
  if (shape.intermediate > 0) student.intermediate_size = shape.intermediate;
  if (shape.heads > 0) student.num_attention_heads = shape.heads;
  if (student.hidden_size != teacher.hidden_size) student.fit_size = teacher.hidden_size;
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
