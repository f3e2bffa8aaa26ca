// GCC 12 reports a false "may be used uninitialized" inside Boost.Graph's edge list (list_edge copy).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include "sim/Network.hpp"

#include "io/Error.hpp"

#include <boost/graph/depth_first_search.hpp>
#include <boost/graph/filtered_graph.hpp>
#include <boost/graph/strong_components.hpp>
#include <boost/graph/topological_sort.hpp>

#include <algorithm>
#include <sstream>

namespace spikingbert::sim {

namespace {

const char* kind_name(ProjectionKind kind) {
  switch (kind) {
    case ProjectionKind::kDense: return "dense";
    case ProjectionKind::kIdentity: return "identity";
    case ProjectionKind::kTransformInput: return "transform input";
  }
  return "?";
}

// Keeps only zero-delay edges: the subgraph that must be a DAG.
struct ZeroDelayEdges {
  const Network::Graph* graph = nullptr;
  const std::vector<Projection>* projections = nullptr;
  bool operator()(Network::Graph::edge_descriptor edge) const {
    return (*projections)[static_cast<std::size_t>((*graph)[edge])].delay == 0;
  }
};

// DFS visitor that stops at the first back edge and reports the cycle it closes.
struct CycleFinder : boost::default_dfs_visitor {
  std::vector<std::size_t>* parent;
  std::vector<std::size_t>* cycle;
  template <class Edge, class Graph>
  void tree_edge(Edge edge, const Graph& graph) const {
    (*parent)[boost::target(edge, graph)] = boost::source(edge, graph);
  }
  template <class Edge, class Graph>
  void back_edge(Edge edge, const Graph& graph) const {
    if (!cycle->empty()) return;
    const auto from = boost::source(edge, graph);
    const auto to = boost::target(edge, graph);
    // Walk the DFS tree back from `from` to `to`: that path plus this edge is the cycle.
    std::vector<std::size_t> path{from};
    for (auto v = from; v != to; v = (*parent)[v]) path.push_back((*parent)[v]);
    cycle->assign(path.rbegin(), path.rend());
    cycle->push_back(to);
  }
};

}  // namespace

Network::Network(int rows) : rows_(rows) {
  if (rows <= 0) throw io::InputError("network", "rows", "a network needs at least one row", "rows > 0");
}

PopulationId Network::add_population(Population population) {
  const auto place = "population '" + population.name + "'";
  if (population.width <= 0) throw io::InputError("network", place, "width must be positive", "width > 0");
  if (!population.bias.empty() && static_cast<int>(population.bias.size()) != population.width)
    throw io::InputError("network", place, "bias has " + std::to_string(population.bias.size()) + " values",
                         std::to_string(population.width));
  if (!population.drive.empty() &&
      population.drive.size() != static_cast<std::size_t>(rows_) * static_cast<std::size_t>(population.width))
    throw io::InputError("network", place, "drive has " + std::to_string(population.drive.size()) + " values",
                         "rows x width = " + std::to_string(rows_ * population.width));
  if (const auto reason = population.neuron.invalid_reason(); !reason.empty())
    throw io::InputError("network", place, reason, "V_th > 0, 0 < leak <= 1, refractory_steps >= 0");
  populations_.push_back(std::move(population));
  finalized_ = false;
  return static_cast<PopulationId>(populations_.size() - 1);
}

int Network::add_projection(Projection projection) {
  const int count = population_count();
  if (projection.source < 0 || projection.source >= count || projection.target < 0 || projection.target >= count)
    throw io::InputError("network", "projection", "unknown population id", "ids from add_population");
  const auto& source = populations_[static_cast<std::size_t>(projection.source)];
  const auto& target = populations_[static_cast<std::size_t>(projection.target)];
  const auto place = "projection '" + source.name + "' -> '" + target.name + "'";
  if (projection.delay < 0) throw io::InputError("network", place, "negative delay", "delay >= 0 steps");
  if (projection.kind == ProjectionKind::kDense) {
    const auto expected = static_cast<std::size_t>(source.width) * static_cast<std::size_t>(target.width);
    if (!projection.weights || projection.weights->size() != expected)
      throw io::InputError("network", place, "weights have the wrong size",
                           std::to_string(source.width) + " x " + std::to_string(target.width));
  }
  if (projection.kind == ProjectionKind::kIdentity && source.width != target.width)
    throw io::InputError("network", place, "identity projection between populations of different widths",
                         "equal widths");
  if (projection.kind == ProjectionKind::kTransformInput && projection.delay != 0)
    throw io::InputError("network", place, "a transform input must have delay 0", "delay 0");
  projections_.push_back(std::move(projection));
  finalized_ = false;
  return static_cast<int>(projections_.size() - 1);
}

std::uint64_t Network::fan_out(int projection) const {
  const auto& p = projections_.at(static_cast<std::size_t>(projection));
  switch (p.kind) {
    case ProjectionKind::kDense: return static_cast<std::uint64_t>(populations_[p.target].width);
    case ProjectionKind::kIdentity: return 1;
    case ProjectionKind::kTransformInput: return 0;
  }
  return 0;
}

void Network::finalize() {
  // Transform inputs become edges so the graph (and the ranks) know about them.
  std::vector<Projection> transform_edges;
  for (PopulationId id = 0; id < population_count(); ++id)
    for (const auto& transform : populations_[id].transforms)
      for (const int input : transform->input_populations()) {
        const bool present = std::any_of(projections_.begin(), projections_.end(), [&](const Projection& p) {
          return p.kind == ProjectionKind::kTransformInput && p.source == input && p.target == id;
        });
        if (!present) add_projection(Projection::transform_input(input, id));
      }

  const auto count = static_cast<std::size_t>(population_count());
  Graph fresh(count);
  graph_.swap(fresh);
  for (std::size_t v = 0; v < count; ++v) graph_[v] = static_cast<PopulationId>(v);
  incoming_.assign(count, {});
  max_outgoing_delay_.assign(count, 0);
  for (std::size_t e = 0; e < projections_.size(); ++e) {
    const auto& p = projections_[e];
    boost::add_edge(static_cast<std::size_t>(p.source), static_cast<std::size_t>(p.target), static_cast<int>(e),
                    graph_);
    incoming_[static_cast<std::size_t>(p.target)].push_back(static_cast<int>(e));
    max_outgoing_delay_[static_cast<std::size_t>(p.source)] =
        std::max(max_outgoing_delay_[static_cast<std::size_t>(p.source)], p.delay);
  }

  const ZeroDelayEdges keep{&graph_, &projections_};
  const boost::filtered_graph<Graph, ZeroDelayEdges> zero_delay(graph_, keep);

  // A zero-delay cycle has no valid update order: name it.
  std::vector<std::size_t> parent(count), cycle;
  for (std::size_t v = 0; v < count; ++v) parent[v] = v;
  std::vector<boost::default_color_type> colors(count);
  boost::depth_first_search(
      zero_delay, CycleFinder{{}, &parent, &cycle},
      boost::make_iterator_property_map(colors.begin(), boost::get(boost::vertex_index, zero_delay)));
  if (!cycle.empty()) {
    std::string names;
    for (std::size_t i = 0; i < cycle.size(); ++i) {
      if (i) names += " -> ";
      names += populations_[cycle[i]].name;
    }
    throw io::InputError("network", "zero-delay projections",
                         "cycle without delay: " + names + " (no population can be updated first)",
                         "zero-delay projections forming a DAG; close a loop with a delay >= 1 step");
  }

  // Rank = length of the longest zero-delay path reaching the population.
  std::vector<std::size_t> reverse_topological;
  boost::topological_sort(zero_delay, std::back_inserter(reverse_topological));
  rank_.assign(count, 0);
  for (auto it = reverse_topological.rbegin(); it != reverse_topological.rend(); ++it) {
    for (auto [edge, end] = boost::out_edges(*it, zero_delay); edge != end; ++edge) {
      const auto to = boost::target(*edge, zero_delay);
      rank_[to] = std::max(rank_[to], rank_[*it] + 1);
    }
  }
  // Update order: strongly connected components of the whole graph in topological order (so a delayed
  // edge that closes no cycle still points forward and does not limit the time block), and inside a
  // component by zero-delay rank, then id.
  std::vector<int> component(count);
  const int components = boost::strong_components(
      graph_, boost::make_iterator_property_map(component.begin(), boost::get(boost::vertex_index, graph_)));
  std::vector<std::vector<int>> successors(static_cast<std::size_t>(components));
  std::vector<int> indegree(static_cast<std::size_t>(components), 0);
  for (const auto& p : projections_) {
    const int from = component[static_cast<std::size_t>(p.source)], to = component[static_cast<std::size_t>(p.target)];
    if (from == to) continue;
    successors[static_cast<std::size_t>(from)].push_back(to);
    ++indegree[static_cast<std::size_t>(to)];
  }
  std::vector<int> component_order(static_cast<std::size_t>(components), 0);
  {
    // Kahn's algorithm, smallest component number first, for a deterministic order.
    std::vector<int> ready;
    for (int c = 0; c < components; ++c)
      if (indegree[static_cast<std::size_t>(c)] == 0) ready.push_back(c);
    int next = 0;
    while (!ready.empty()) {
      const auto smallest = std::min_element(ready.begin(), ready.end());
      const int c = *smallest;
      ready.erase(smallest);
      component_order[static_cast<std::size_t>(c)] = next++;
      for (const int to : successors[static_cast<std::size_t>(c)])
        if (--indegree[static_cast<std::size_t>(to)] == 0) ready.push_back(to);
    }
  }
  update_order_.resize(count);
  for (std::size_t v = 0; v < count; ++v) update_order_[v] = static_cast<PopulationId>(v);
  std::stable_sort(update_order_.begin(), update_order_.end(), [&](PopulationId a, PopulationId b) {
    const int ca = component_order[static_cast<std::size_t>(component[static_cast<std::size_t>(a)])];
    const int cb = component_order[static_cast<std::size_t>(component[static_cast<std::size_t>(b)])];
    if (ca != cb) return ca < cb;
    return rank_[static_cast<std::size_t>(a)] < rank_[static_cast<std::size_t>(b)];
  });
  std::vector<std::size_t> position(count);
  for (std::size_t i = 0; i < count; ++i) position[static_cast<std::size_t>(update_order_[i])] = i;

  // Feedback edges: delayed edges whose target is updated no later than their source.
  smallest_feedback_delay_ = 0;
  for (const auto& p : projections_) {
    if (p.delay == 0) continue;
    if (position[static_cast<std::size_t>(p.target)] <= position[static_cast<std::size_t>(p.source)])
      smallest_feedback_delay_ =
          smallest_feedback_delay_ == 0 ? p.delay : std::min(smallest_feedback_delay_, p.delay);
  }
  finalized_ = true;
}

std::string Network::to_dot() const {
  std::ostringstream dot;
  dot << "digraph network {\n  rankdir=TB;\n  node [shape=box];\n";
  for (std::size_t v = 0; v < populations_.size(); ++v) {
    const auto& p = populations_[v];
    dot << "  p" << v << " [label=\"" << p.name << "\\n" << rows_ << " x " << p.width;
    if (finalized_) dot << "\\nrank " << rank_[v];
    for (const auto& t : p.transforms) dot << "\\n+ " << t->name();
    dot << "\"];\n";
  }
  for (const auto& p : projections_) {
    dot << "  p" << p.source << " -> p" << p.target << " [label=\"" << kind_name(p.kind);
    if (p.delay) dot << ", delay " << p.delay;
    dot << "\"" << (p.kind == ProjectionKind::kTransformInput ? ", style=dashed" : "")
        << (p.delay ? ", constraint=false, color=red" : "") << "];\n";
  }
  dot << "}\n";
  return dot.str();
}

}  // namespace spikingbert::sim
