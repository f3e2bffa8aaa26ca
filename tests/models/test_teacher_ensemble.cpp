// TeacherEnsemble: mean logits of the members, member 0's hidden states and scores; loading from an
// ensemble folder (ensemble.json) and from a single checkpoint.
#include "io/Checkpoint.hpp"
#include "io/Error.hpp"
#include "models/BertTeacherIo.hpp"
#include "models/TeacherEnsemble.hpp"
#include "support/RunCommand.hpp"

#include <catch2/catch.hpp>

#include <fstream>

using namespace spikingbert;
using namespace spikingbert::models;
using spikingbert::testing::fresh_folder;

namespace {

io::ModelConfig tiny_config(std::int64_t labels = 2) {
  io::ModelConfig config;
  config.vocab_size = 40;
  config.hidden_size = 16;
  config.num_hidden_layers = 2;
  config.num_attention_heads = 2;
  config.intermediate_size = 32;
  config.max_position_embeddings = 16;
  config.num_labels = labels;
  config.initializer_range = 0.5;  // large weights: members' logits clearly differ
  return config;
}

TokenBatch tiny_batch() {
  TokenBatch batch;
  batch.batch = 3;
  batch.sequence = 5;
  batch.token_ids = {2, 7, 9, 3, 0, 2, 11, 12, 13, 3, 2, 5, 3, 0, 0};
  batch.segment_ids.assign(15, 0);
  batch.attention_mask = {1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0};
  return batch;
}

void save(const BertTeacher<float>& model, const std::filesystem::path& path) {
  io::Checkpoint checkpoint;
  checkpoint.config = teacher_file_config(model.config(), "sst2");
  checkpoint.tensors = teacher_tensors(model);
  io::write_checkpoint(path, checkpoint);
}

}  // namespace

TEST_CASE("teacher ensemble: logits are the members' mean, hidden states and scores member 0's", "[models][teacher]") {
  std::vector<BertTeacher<float>> members;
  for (std::uint64_t seed : {1, 2, 3}) members.emplace_back(tiny_config(), seed);
  const auto batch = tiny_batch();
  std::vector<BertTeacherActivations<float>> alone(3);
  for (std::size_t k = 0; k < 3; ++k) members[k].forward(batch, alone[k]);
  const TeacherEnsemble ensemble(members);
  REQUIRE(ensemble.size() == 3);
  BertTeacherActivations<float> together;
  ensemble.forward(batch, together);
  REQUIRE(together.logits.size() == 6);
  for (std::size_t i = 0; i < 6; ++i) {
    const double mean = (static_cast<double>(alone[0].logits[i]) + alone[1].logits[i] + alone[2].logits[i]) / 3.0;
    CHECK(together.logits[i] == Approx(mean).epsilon(1e-6));
    CHECK(together.logits[i] != alone[0].logits[i]);
  }
  for (std::size_t l = 0; l < together.hidden_states.size(); ++l) CHECK(together.hidden_states[l] == alone[0].hidden_states[l]);
  for (std::size_t l = 0; l < together.layers.size(); ++l) CHECK(together.layers[l].scores == alone[0].layers[l].scores);
  CHECK(together.pooled == alone[0].pooled);
  CHECK(ensemble.logits(batch) == std::vector<float>(together.logits.begin(), together.logits.end()));

  // One member: exactly that member.
  const TeacherEnsemble single({members[1]});
  CHECK(single.logits(batch) == std::vector<float>(alone[1].logits.begin(), alone[1].logits.end()));

  // Members must agree on what the logits mean and which tokens they take.
  CHECK_THROWS_AS(TeacherEnsemble({members[0], BertTeacher<float>(tiny_config(3), 4)}), io::InputError);
  auto other_vocabulary = tiny_config();
  other_vocabulary.vocab_size = 41;
  CHECK_THROWS_WITH(TeacherEnsemble({members[0], BertTeacher<float>(other_vocabulary, 4)}), Catch::Contains("vocab_size"));
}

TEST_CASE("teacher ensemble: loads an ensemble folder, a checkpoint, and rejects bad manifests", "[models][teacher]") {
  const auto folder = fresh_folder("teacher-ensemble");
  std::vector<BertTeacher<float>> members;
  for (std::uint64_t seed : {5, 6}) members.emplace_back(tiny_config(), seed);
  std::filesystem::create_directories(folder / "ensemble");
  save(members[0], folder / "ensemble" / "member-0.h5");
  save(members[1], folder / "ensemble" / "member-1.h5");
  EnsembleManifest manifest;
  manifest.task = "sst2";
  manifest.members = {{"member-0.h5", {{"seed", 5}}}, {"member-1.h5", {{"seed", 6}}}};
  manifest.info["dev"] = "accuracy 0.5";
  write_ensemble_manifest(folder / "ensemble", manifest);

  CHECK(is_ensemble_folder(folder / "ensemble"));
  CHECK_FALSE(is_ensemble_folder(folder / "ensemble" / "member-0.h5"));
  const auto back = read_ensemble_manifest(folder / "ensemble");
  CHECK(back.task == "sst2");
  REQUIRE(back.members.size() == 2);
  CHECK(back.members[1].file == "member-1.h5");
  CHECK(back.members[1].info.at("seed") == 6);
  CHECK(back.info.at("dev") == "accuracy 0.5");
  CHECK(teacher_member_paths(folder / "ensemble") ==
        std::vector<std::filesystem::path>{folder / "ensemble" / "member-0.h5", folder / "ensemble" / "member-1.h5"});

  const auto batch = tiny_batch();
  const auto loaded = TeacherEnsemble::load(folder / "ensemble");
  CHECK(loaded.size() == 2);
  CHECK(loaded.logits(batch) == TeacherEnsemble(members).logits(batch));
  const auto one = TeacherEnsemble::load(folder / "ensemble" / "member-1.h5");
  CHECK(one.size() == 1);
  CHECK(one.logits(batch) == TeacherEnsemble({members[1]}).logits(batch));

  auto write_manifest = [&](const std::string& text) {
    std::ofstream(folder / "ensemble" / "ensemble.json") << text;
  };
  write_manifest("{\"format\": \"spikingbert-teacher-ensemble\", \"format_version\": 1, \"members\": []}");
  CHECK_THROWS_WITH(TeacherEnsemble::load(folder / "ensemble"), Catch::Contains("'members'"));
  write_manifest("{\"format\": \"spikingbert-teacher-ensemble\", \"format_version\": 2, \"members\": [{\"file\": \"member-0.h5\"}]}");
  CHECK_THROWS_WITH(TeacherEnsemble::load(folder / "ensemble"), Catch::Contains("format_version"));
  write_manifest("{\"format\": \"spikingbert-teacher-ensemble\", \"format_version\": 1, \"members\": [{\"file\": \"gone.h5\"}]}");
  CHECK_THROWS_WITH(TeacherEnsemble::load(folder / "ensemble"), Catch::Contains("gone.h5"));
  write_manifest("{\"format\": \"spikingbert-teacher-ensemble\", \"format_version\": 1, \"members\": [{\"file\": \"/etc/passwd\"}]}");
  CHECK_THROWS_WITH(TeacherEnsemble::load(folder / "ensemble"), Catch::Contains("relative"));
  write_manifest("not json");
  CHECK_THROWS_WITH(TeacherEnsemble::load(folder / "ensemble"), Catch::Contains("not valid JSON"));
  std::filesystem::remove_all(folder);
}
