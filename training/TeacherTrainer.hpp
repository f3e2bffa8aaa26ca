#pragma once
// The teacher's trainer (issue 5, method doc §6.4 recipe): the shared loop of training/TrainingLoop.hpp with
// the teacher's step (dropout masks from (seed, step), cross-entropy or MSE, training/TeacherSteps.hpp) and
// its evaluation (the task's metric of the dev logits).
#include "models/BertTeacher.hpp"
#include "training/EncodedExample.hpp"
#include "training/TrainingLoop.hpp"

#include <functional>
#include <vector>

namespace spikingbert::training {

struct TeacherTrainingOptions : TrainingOptions {
  TeacherTrainingOptions() { epochs = 2; }
};

using DevMetric = std::function<DevScore(const std::vector<float>& dev_logits)>;
// Called with the model whenever it is the best so far on dev.
using BestModelSink = std::function<void(const models::BertTeacher<float>& model, const DevScore& score,
                                         std::int64_t step)>;

using TeacherTrainingReport = TrainingReport;

// Metadata 'kind' of the teacher's training states.
inline constexpr const char* kTeacherStateKind = "bert-teacher-training-state";

TeacherTrainingReport train_teacher(models::BertTeacher<float>& model, const std::vector<EncodedExample>& train,
                                    const std::vector<EncodedExample>& dev, const DevMetric& metric,
                                    const BestModelSink& on_best, const TeacherTrainingOptions& options);

}  // namespace spikingbert::training
