#pragma once
// A network of populations (graph vertices) and projections (graph edges with a delay in steps),
// instantiated for a fixed number of rows (tokens). finalize() checks the graph (zero-delay edges must
// form a DAG; the error names the cycle) and ranks the populations topologically. The kernels
// update populations of lower rank first within a step, so a zero-delay projection always reads
// spikes of the same step, as the reference does (method doc §2.1).
#include "sim/Population.hpp"
#include "sim/Projection.hpp"

#include <boost/graph/adjacency_list.hpp>

#include <string>
#include <vector>

namespace spikingbert::sim {

class Network {
 public:
  // Graph: vertex property = population id, edge property = projection index.
  using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS, PopulationId, int>;

  explicit Network(int rows);

  int rows() const { return rows_; }
  PopulationId add_population(Population population);
  // Validates sizes against the populations; transform inputs are added by finalize().
  int add_projection(Projection projection);
  // Builds the graph (adding kTransformInput edges for every transform's inputs), checks the
  // zero-delay subgraph is acyclic and computes ranks. Must be called before simulating.
  void finalize();

  bool finalized() const { return finalized_; }
  int population_count() const { return static_cast<int>(populations_.size()); }
  const Population& population(PopulationId id) const { return populations_.at(id); }
  Population& population(PopulationId id) { return populations_.at(id); }
  const std::vector<Population>& populations() const { return populations_; }
  const std::vector<Projection>& projections() const { return projections_; }
  const Graph& graph() const { return graph_; }

  // Topological rank of each population on the zero-delay subgraph (0 = no zero-delay input).
  int rank(PopulationId id) const { return rank_.at(id); }
  // The update order within a step: strongly connected components in topological order, inside a
  // component by rank, then id. Every zero-delay edge points forward in it.
  const std::vector<PopulationId>& update_order() const { return update_order_; }
  // Projection indices into population `id`, in insertion order.
  const std::vector<int>& incoming(PopulationId id) const { return incoming_.at(id); }
  // Largest delay of a projection leaving `id` (0 if none).
  int max_outgoing_delay(PopulationId id) const { return max_outgoing_delay_.at(id); }
  // Smallest delay of an edge that does not go forward in the update order (a feedback edge closing a
  // cycle); 0 if there is none. The event kernel's time block must not exceed it.
  int smallest_feedback_delay() const { return smallest_feedback_delay_; }
  // Number of target neurons one spike of the source reaches through projection p (its fan-out).
  std::uint64_t fan_out(int projection) const;

  // GraphViz rendering: one node per population (name, size, rank), one edge per projection.
  std::string to_dot() const;

 private:
  int rows_;
  bool finalized_ = false;
  std::vector<Population> populations_;
  std::vector<Projection> projections_;
  Graph graph_;
  std::vector<int> rank_;
  std::vector<PopulationId> update_order_;
  std::vector<std::vector<int>> incoming_;
  std::vector<int> max_outgoing_delay_;
  int smallest_feedback_delay_ = 0;
};

}  // namespace spikingbert::sim
