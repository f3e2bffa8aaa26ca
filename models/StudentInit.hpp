#pragma once
// A spiking student initialised from a BERT teacher of the same shape (issue 6 item 3): every BERT parameter
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
#include "io/ModelConfig.hpp"
#include "io/Tensor.hpp"
#include "models/SpikingBertEquilibrium.hpp"

#include <map>
#include <string>

namespace spikingbert::models {

// teacher name -> student name for a BERT of `layers` encoder layers (the table above).
std::map<std::string, std::string> teacher_to_student_names(std::int64_t layers);

// True if the tensors are a BERT teacher's (they hold bert.embeddings.word_embeddings.weight).
bool is_teacher_tensors(const io::TensorMap& tensors);

// The student's config.json of a teacher: the same sizes and vocabulary, V_th = 1, IF neurons (leak 1),
// t_conv = steps, the teacher's pad_token_id; no dropout (the SNN has none, method doc §1.3).
io::ModelConfig student_config_of_teacher(const io::ModelConfig& teacher, int steps);

// Copies every mapped teacher tensor into the student's parameter; throws io::InputError naming `source`
// and the tensor when one is missing or its shape differs from the student's.
void initialise_student_from_teacher(SpikingBertEquilibrium<float>& student, const io::TensorMap& teacher_tensors,
                                     const std::string& source);

}  // namespace spikingbert::models
