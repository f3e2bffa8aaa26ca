#pragma once
// A spiking student initialised from a BERT teacher of the same widths (issue 6 item 3; issue 14 item 1 for
// fewer layers): every BERT parameter
// has a SpikingBERT counterpart playing the same role in the steady-state map (models/SpikingBertEquilibrium.hpp,
// method doc §1.3-§1.4), so the student starts from the teacher's weights instead of noise:
//   bert.embeddings.*                                  -> network_x.*                 (embedding population)
//   layer k  attention.self.key / value                -> network_s{6k+1} / {6k+2}.dense.*
//            attention.self.query                      -> network_s{6k+3}.query.*     (real Query, method doc §3)
//            attention.output.dense / LayerNorm        -> network_s{6k+4}.dense / LayerNorm.*
//            intermediate.dense                        -> network_s{6k+5}.dense.*
//            output.dense / LayerNorm                  -> network_s{6k+6}.dense / LayerNorm.*
//   classifier.*                                       -> classification.*
// The teacher's pooler has no student counterpart (the student classifies ReLU(z_O(L)[CLS]), method doc §1.4),
// and fit_dense (W_td), the unused pooler_layer and the feedback weight keep the student's own initialisation.
// The Linear layouts agree ([out, in] for both), so tensors are copied unchanged.
// A student with fewer layers L_S than the teacher's L_T takes, for its layer k, the teacher layer TinyBERT's
// uniform mapping pairs it with for internal-layer KD (training/DistillationLosses.hpp layer_mapping):
// teacher layer (k + 1) L_T / L_S - 1 (0-based), e.g. layers 2, 5, 8, 11 of 12 for a 4-layer student.
#include "io/ModelConfig.hpp"
#include "io/Tensor.hpp"
#include "models/SpikingBertEquilibrium.hpp"

#include <map>
#include <string>

namespace spikingbert::models {

// teacher name -> student name for a student of `student_layers` from a teacher of `teacher_layers`
// (the table above; 1 <= student_layers <= teacher_layers).
std::map<std::string, std::string> teacher_to_student_names(std::int64_t teacher_layers, std::int64_t student_layers);
inline std::map<std::string, std::string> teacher_to_student_names(std::int64_t layers) {
  return teacher_to_student_names(layers, layers);
}

// True if the tensors are a BERT teacher's (they hold bert.embeddings.word_embeddings.weight).
bool is_teacher_tensors(const io::TensorMap& tensors);

// The student's config.json of a teacher: the same sizes and vocabulary, V_th = 1, IF neurons (leak 1),
// t_conv = steps, the teacher's pad_token_id; no dropout (the SNN has none, method doc §1.3).
io::ModelConfig student_config_of_teacher(const io::ModelConfig& teacher, int steps);

// A student shape other than the teacher's (distill --student-layers/-hidden/-intermediate/-heads; 0 keeps
// the teacher's value). fit_size records the teacher's hidden size when the student is narrower, so W_td
// (fit_dense) maps the student's representations onto the teacher's width (method doc §6.2).
struct StudentShape {
  int layers = 0, hidden = 0, intermediate = 0, heads = 0;
};
io::ModelConfig student_config_of_teacher(const io::ModelConfig& teacher, int steps, const StudentShape& shape);

// True when every student tensor has a teacher counterpart of the same shape (hidden, intermediate and heads
// agree; layers may be fewer): the student can start from the teacher's mapped layers.
bool can_initialise_from_teacher(const io::ModelConfig& student, const io::ModelConfig& teacher);

// Copies every mapped teacher tensor into the student's parameter; throws io::InputError naming `source`
// and the tensor when one is missing or its shape differs from the student's.
void initialise_student_from_teacher(SpikingBertEquilibrium<float>& student, const io::TensorMap& teacher_tensors,
                                     std::int64_t teacher_layers, const std::string& source);
inline void initialise_student_from_teacher(SpikingBertEquilibrium<float>& student, const io::TensorMap& teacher_tensors,
                                            const std::string& source) {
  initialise_student_from_teacher(student, teacher_tensors, student.config().num_hidden_layers, source);
}

}  // namespace spikingbert::models
