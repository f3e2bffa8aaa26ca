#include "io/Error.hpp"
#include "io/ModelConfig.hpp"
#include "support/RunCommand.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <tuple>

using namespace spikingbert::io;
using spikingbert::testing::fresh_folder;
using spikingbert::testing::test_data;

namespace {
nlohmann::json minimal_config() {
  return {{"vocab_size", 100}, {"hidden_size", 32}, {"num_hidden_layers", 2}, {"num_attention_heads", 4},
          {"intermediate_size", 64}};
}
}  // namespace

TEST_CASE("ModelConfig reads the shipped tiny and teacher-tiny configs", "[io][config]") {
  const auto tiny = read_model_config(test_data("tiny/config.json"));
  CHECK(tiny.vocab_size == 64);
  CHECK(tiny.hidden_size == 32);
  CHECK(tiny.intermediate_size == 64);
  CHECK(tiny.num_attention_heads == 2);
  CHECK(tiny.attention_head_size() == 16);
  CHECK(tiny.num_hidden_layers == 2);
  CHECK(tiny.max_position_embeddings == 32);
  CHECK(tiny.type_vocab_size == 2);
  CHECK(tiny.num_labels == 2);
  CHECK(tiny.t_conv == 50);
  CHECK(tiny.vth == 1.0);
  CHECK(tiny.leak == 1.0);
  CHECK(tiny.layer_norm_eps == 1e-12);
  CHECK(tiny.extra.at("case") == "tiny");
  CHECK_FALSE(tiny.extra.contains("hidden_size"));

  const auto teacher = read_model_config(test_data("teacher-tiny/config.json"));
  CHECK(teacher.vocab_size == 97);
  CHECK(teacher.num_attention_heads == 4);
  CHECK(teacher.max_position_embeddings == 64);
  CHECK(teacher.t_conv == 100);  // default: the teacher is not spiking
  CHECK(teacher.extra.at("model_type") == "bert");
}

TEST_CASE("ModelConfig defaults, id2label and JSON round trip", "[io][config]") {
  const auto defaults = parse_model_config(minimal_config(), "c.json");
  CHECK(defaults.max_position_embeddings == 512);
  CHECK(defaults.type_vocab_size == 2);
  CHECK(defaults.num_labels == 2);
  CHECK(defaults.layer_norm_eps == 1e-12);
  CHECK(defaults.vth == 1.0);
  CHECK(defaults.leak == 1.0);
  CHECK(defaults.t_conv == 100);
  CHECK(defaults.task.empty());

  auto json = minimal_config();
  json["id2label"] = {{"0", "a"}, {"1", "b"}, {"2", "c"}};
  json["finetuning_task"] = "mnli";
  json["vth"] = 0.5;
  json["leak"] = 0.9;
  json["t_conv"] = 16;
  json["hidden_act"] = "gelu";
  json["refractory_steps"] = 3;
  json["feedback"] = true;
  const auto config = parse_model_config(json, "c.json");
  CHECK(config.refractory_steps == 3);
  CHECK(config.feedback);
  CHECK(defaults.refractory_steps == 0);  // the reference: no refractory period, feedback unused
  CHECK(!defaults.feedback);
  CHECK(!to_json(defaults).contains("refractory_steps"));  // written only when not the reference's
  CHECK(!to_json(defaults).contains("feedback"));
  CHECK(config.num_labels == 3);
  CHECK(config.task == "mnli");
  CHECK(config.vth == 0.5);
  CHECK(config.leak == 0.9);
  CHECK(config.t_conv == 16);

  const auto folder = fresh_folder("config-roundtrip");
  write_model_config(folder / "config.json", config);
  const auto back = read_model_config(folder / "config.json");
  CHECK(to_json(back) == to_json(config));
  CHECK(back.extra.at("hidden_act") == "gelu");
  CHECK(back.num_labels == 3);
}

TEST_CASE("ModelConfig rejects bad configs naming the file and key", "[io][config]") {
  const auto folder = fresh_folder("config-bad");
  struct Case {
    std::string name;
    nlohmann::json change;  // merged into the minimal config; null values remove the key
    std::string expected;
  };
  const std::vector<Case> cases{
      {"missing hidden_size", {{"hidden_size", nullptr}}, "key 'hidden_size': missing (expected a positive integer)"},
      {"string size", {{"hidden_size", "32"}}, "key 'hidden_size': is the string \"32\" (expected a positive integer)"},
      {"fractional size", {{"intermediate_size", 64.5}}, "key 'intermediate_size': is the number 64.5"},
      {"zero layers", {{"num_hidden_layers", 0}}, "key 'num_hidden_layers': is 0 (expected a positive integer)"},
      {"negative vocab", {{"vocab_size", -3}}, "key 'vocab_size': is -3"},
      {"huge size", {{"vocab_size", 4294967296LL}}, "key 'vocab_size': 4294967296 is too large"},
      {"not divisible", {{"num_attention_heads", 5}}, "key 'hidden_size': 32 is not divisible by num_attention_heads 5"},
      {"vth zero", {{"vth", 0}}, "key 'vth': is 0 (expected a finite number > 0)"},
      {"vth negative", {{"vth", -1.5}}, "key 'vth': is -1.5"},
      {"vth string", {{"vth", "one"}}, "key 'vth': is the string \"one\" (expected a number)"},
      {"leak zero", {{"leak", 0.0}}, "key 'leak': is 0 (expected a number in (0, 1])"},
      {"leak above one", {{"leak", 1.5}}, "key 'leak': is 1.5"},
      {"t_conv zero", {{"t_conv", 0}}, "key 't_conv': is 0"},
      {"refractory negative", {{"refractory_steps", -1}}, "key 'refractory_steps': is -1 (expected an integer number of steps in [0, 1000])"},
      {"refractory huge", {{"refractory_steps", 1LL << 40}}, "key 'refractory_steps': is 1099511627776 (expected an integer"},
      {"refractory fractional", {{"refractory_steps", 2.5}}, "key 'refractory_steps': is the number 2.5 (expected an integer number of steps)"},
      {"feedback not boolean", {{"feedback", 1}}, "key 'feedback': is the number 1 (expected true or false)"},
      {"num_labels vs id2label", {{"num_labels", 3}, {"id2label", {{"0", "a"}, {"1", "b"}}}},
       "key 'num_labels': 3 disagrees with id2label (2 entries)"},
      {"task not string", {{"task", 7}}, "key 'task': is the number 7 (expected a string)"},
      {"eps negative", {{"layer_norm_eps", -1e-5}}, "key 'layer_norm_eps'"},
  };
  for (const auto& bad : cases) {
    INFO(bad.name);
    auto json = minimal_config();
    for (const auto& [key, value] : bad.change.items()) {
      if (value.is_null()) json.erase(key); else json[key] = value;
    }
    const auto path = folder / "config.json";
    std::ofstream(path) << json.dump(1);
    CHECK_THROWS_WITH(read_model_config(path), Catch::StartsWith(path.string() + ":") && Catch::Contains(bad.expected));
  }
  std::ofstream(folder / "broken.json") << "{\n  \"vocab_size\": 10,\n  \"hidden_size\": ,\n}";
  CHECK_THROWS_WITH(read_model_config(folder / "broken.json"), Catch::Contains("broken.json:line 3: not valid JSON"));
  std::ofstream(folder / "array.json") << "[1, 2]";
  CHECK_THROWS_WITH(read_model_config(folder / "array.json"), Catch::EndsWith("array.json: config is an array (expected a JSON object)"));
  CHECK_THROWS_WITH(read_model_config(folder / "absent.json"), Catch::Contains("absent.json: cannot open"));

  ModelConfig changed = parse_model_config(minimal_config(), "c.json");
  changed.t_conv = 0;
  CHECK_THROWS_WITH(validate_model_config(changed, "--t-conv"), "--t-conv:key 't_conv': is 0 (expected a positive integer)");
}

TEST_CASE("Size presets: one table every --size reads, each shape valid and kept by config.json", "[io][config]") {
  // The help texts and errors of bench and train-teacher print the table's names.
  const std::string names = model_size_preset_names();
  CHECK(names == "tiny, small, medium, base or base4");
  for (const std::string name : {"tiny", "small", "medium", "base", "base4"}) {
    INFO(name);
    const auto preset = model_size_preset(name, "test", "--size");
    CHECK_NOTHROW(validate_model_config(preset, "test"));
    const auto back = parse_model_config(to_json(preset), "round trip");
    const ModelShape& a = preset.shape();
    const ModelShape& b = back.shape();
    CHECK(std::tie(a.vocab_size, a.hidden_size, a.intermediate_size, a.num_attention_heads, a.num_hidden_layers,
                   a.max_position_embeddings, a.type_vocab_size) ==
          std::tie(b.vocab_size, b.hidden_size, b.intermediate_size, b.num_attention_heads, b.num_hidden_layers,
                   b.max_position_embeddings, b.type_vocab_size));
  }
  CHECK_THROWS_WITH(model_size_preset("huge", "command line", "--size"),
                    Catch::Contains("--size") && Catch::Contains("unknown size 'huge'") && Catch::Contains(names));
}
