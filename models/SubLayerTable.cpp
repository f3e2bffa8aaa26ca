#include "models/SubLayerTable.hpp"

#include <stdexcept>

namespace spikingbert::models {

namespace {

const char* const kKindNames[] = {"embedding", "key", "value", "attention", "self_output", "intermediate", "output"};

const char* role_name(EdgeRole role) {
  switch (role) {
    case EdgeRole::dense: return "W";
    case EdgeRole::residual: return "residual";
    case EdgeRole::attention_key: return "keys";
    case EdgeRole::attention_value: return "values";
    case EdgeRole::feedback: return "feedback";
  }
  return "?";
}

// What each kind computes, for the documentation table (the formulas of SubLayerKind).
const char* transform_text(SubLayerKind kind) {
  switch (kind) {
    case SubLayerKind::embedding: return "LN(word + position + type)";
    case SubLayerKind::key:
    case SubLayerKind::value: return "W s + b";
    case SubLayerKind::attention: return "softmax(Q K^T / sqrt(d) + M) V";
    case SubLayerKind::self_output:
    case SubLayerKind::output: return "LN(W s + b + residual)";
    case SubLayerKind::intermediate: return "GELU(W s + b)";
  }
  return "?";
}

void add_linear(SubLayer& sublayer, const std::string& prefix, int inputs) {
  sublayer.linear = prefix;
  sublayer.linear_inputs = inputs;
  sublayer.parameters.push_back({prefix + ".weight", {sublayer.width, inputs}});
  sublayer.parameters.push_back({prefix + ".bias", {sublayer.width}});
}

void add_layer_norm(SubLayer& sublayer, const std::string& prefix) {
  sublayer.layer_norm = prefix;
  sublayer.parameters.push_back({prefix + ".weight", {sublayer.width}});
  sublayer.parameters.push_back({prefix + ".bias", {sublayer.width}});
}

}  // namespace

const char* kind_name(SubLayerKind kind) { return kKindNames[static_cast<int>(kind)]; }

SubLayerTable::SubLayerTable(const io::ModelConfig& config) : encoder_layers_(config.num_hidden_layers) {
  const int hidden = config.hidden_size, intermediate = config.intermediate_size;
  SubLayer embedding;
  embedding.name = "embedding";
  embedding.width = hidden;
  embedding.parameters = {{"network_x.word_embeddings.weight", {config.vocab_size, hidden}},
                          {"network_x.position_embeddings.weight", {config.max_position_embeddings, hidden}},
                          {"network_x.token_type_embeddings.weight", {config.type_vocab_size, hidden}}};
  add_layer_norm(embedding, "network_x.LayerNorm");
  sublayers_.push_back(std::move(embedding));

  for (int k = 0; k < encoder_layers_; ++k) {
    const int input = layer_input(k);
    for (int position = 1; position <= kSubLayersPerEncoderLayer; ++position) {
      SubLayer s;
      s.index = static_cast<int>(sublayers_.size());
      s.kind = static_cast<SubLayerKind>(position);
      s.layer = k;
      s.name = "L" + std::to_string(k) + "_" + kind_name(s.kind);
      s.width = s.kind == SubLayerKind::intermediate ? intermediate : hidden;
      const std::string module = "network_s" + std::to_string(s.index);
      const int key = index(k, SubLayerKind::key), value = index(k, SubLayerKind::value);
      const int self_output = index(k, SubLayerKind::self_output);
      switch (s.kind) {
        case SubLayerKind::key:
        case SubLayerKind::value:
          s.inputs = {{input, EdgeRole::dense}};
          add_linear(s, module + ".dense", hidden);
          break;
        case SubLayerKind::attention:
          s.inputs = {{input, EdgeRole::dense}, {key, EdgeRole::attention_key}, {value, EdgeRole::attention_value}};
          add_linear(s, module + ".query", hidden);
          break;
        case SubLayerKind::self_output:
          s.inputs = {{index(k, SubLayerKind::attention), EdgeRole::dense}, {input, EdgeRole::residual}};
          add_linear(s, module + ".dense", hidden);
          add_layer_norm(s, module + ".LayerNorm");
          break;
        case SubLayerKind::intermediate:
          s.inputs = {{self_output, EdgeRole::dense}};
          add_linear(s, module + ".dense", hidden);
          break;
        case SubLayerKind::output:
          s.inputs = {{index(k, SubLayerKind::intermediate), EdgeRole::dense}, {self_output, EdgeRole::residual}};
          add_linear(s, module + ".dense", intermediate);
          add_layer_norm(s, module + ".LayerNorm");
          break;
        case SubLayerKind::embedding: break;
      }
      sublayers_.push_back(std::move(s));
    }
  }
  // The reference's last SNNFC (network_s_list[-1]): last Output -> embedding, no bias.
  feedback_.from = last_output();
  feedback_.to = 0;
  feedback_.weight = {"network_s" + std::to_string(size()) + ".fc.weight", {hidden, hidden}};
}

int SubLayerTable::index(int layer, SubLayerKind kind) const {
  if (kind == SubLayerKind::embedding) return 0;
  if (layer < 0 || layer >= encoder_layers_) throw std::out_of_range("SubLayerTable: no encoder layer " + std::to_string(layer));
  return 1 + kSubLayersPerEncoderLayer * layer + (static_cast<int>(kind) - 1);
}

int SubLayerTable::layer_input(int layer) const {
  return layer == 0 ? 0 : index(layer - 1, SubLayerKind::output);
}

std::vector<std::string> SubLayerTable::names() const {
  std::vector<std::string> names;
  for (const auto& s : sublayers_) names.push_back(s.name);
  return names;
}

std::vector<ParameterShape> SubLayerTable::parameters() const {
  std::vector<ParameterShape> all;
  for (const auto& s : sublayers_) all.insert(all.end(), s.parameters.begin(), s.parameters.end());
  all.push_back(feedback_.weight);
  return all;
}

std::string SubLayerTable::markdown() const {
  auto shape_text = [](const std::vector<std::int64_t>& shape) {
    std::string text;
    for (std::size_t i = 0; i < shape.size(); ++i) text += (i ? "x" : "") + std::to_string(shape[i]);
    return text;
  };
  std::string text = "| # | name | width | computes | inputs | parameters |\n|---|---|---|---|---|---|\n";
  auto row = [&](const std::string& index, const std::string& name, int width, const std::string& computes,
                 const std::vector<SubLayerEdge>& inputs, const std::vector<ParameterShape>& parameters) {
    std::string in, owned;
    for (const auto& edge : inputs) {
      in += (in.empty() ? "" : ", ") + std::string(role_name(edge.role)) + " " + sublayers_[static_cast<std::size_t>(edge.from)].name;
      if (edge.delay_steps > 0) in += " (delay " + std::to_string(edge.delay_steps) + ")";
    }
    for (const auto& p : parameters) owned += (owned.empty() ? "`" : ", `") + p.name + "` " + shape_text(p.shape);
    text += "| " + index + " | " + name + " | " + std::to_string(width) + " | " + computes + " | " +
            (in.empty() ? "tokens" : in) + " | " + owned + " |\n";
  };
  for (const auto& s : sublayers_) row(std::to_string(s.index), s.name, s.width, transform_text(s.kind), s.inputs, s.parameters);
  row("fb", "feedback", width(feedback_.to), "W_fb s (added to embedding's current)",
      {{feedback_.from, EdgeRole::feedback, feedback_.delay_steps}}, {feedback_.weight});
  return text;
}

}  // namespace spikingbert::models
