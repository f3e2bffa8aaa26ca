#include "training/ExampleSum.hpp"

#include <map>
#include <stdexcept>
#include <string>
#include <utility>

namespace spikingbert::training {

namespace {

// A tree node, named by its first example and its span (a power of two, lo a multiple of it).
struct Node {
  std::int64_t lo = 0, span = 1;
};

std::int64_t root_span(std::int64_t count) {
  std::int64_t span = 1;
  while (span < count) span *= 2;
  return span;
}

// The node's value by the tree rule; `known` holds nodes already summed (keyed by [lo, effective end)),
// `leaf` computes an example's vector.
class TreeSum {
 public:
  TreeSum(std::int64_t count, std::int64_t width, std::map<std::pair<std::int64_t, std::int64_t>, std::vector<float>> known,
          const ExampleVector* leaf)
      : count_(count), width_(width), known_(std::move(known)), leaf_(leaf) {}

  std::vector<float> value(Node node) const {
    const auto end = std::min(node.lo + node.span, count_);
    if (const auto found = known_.find({node.lo, end}); found != known_.end()) return found->second;
    if (node.span == 1) {
      if (!leaf_) throw std::logic_error("sum_over_examples: example " + std::to_string(node.lo) + " was summed by no rank");
      std::vector<float> out(static_cast<std::size_t>(width_), 0.0f);
      (*leaf_)(node.lo, out);
      if (static_cast<std::int64_t>(out.size()) != width_) throw std::logic_error("sum_over_examples: wrong vector width");
      return out;
    }
    const std::int64_t half = node.span / 2;
    auto left = value({node.lo, half});
    if (node.lo + half >= count_) return left;
    const auto right = value({node.lo + half, half});
    for (std::size_t i = 0; i < left.size(); ++i) left[i] += right[i];
    return left;
  }

 private:
  std::int64_t count_, width_;
  std::map<std::pair<std::int64_t, std::int64_t>, std::vector<float>> known_;
  const ExampleVector* leaf_;
};

// The largest tree nodes covering [begin, end) exactly, in order.
std::vector<Node> cover(std::int64_t begin, std::int64_t end, std::int64_t count) {
  std::vector<Node> nodes;
  const std::int64_t root = root_span(count);
  for (std::int64_t lo = begin; lo < end;) {
    std::int64_t span = 1;
    while (span * 2 <= root && lo % (span * 2) == 0 && std::min(lo + span * 2, count) <= end) span *= 2;
    nodes.push_back({lo, span});
    lo = std::min(lo + span, count);
  }
  return nodes;
}

}  // namespace

std::vector<float> sum_over_examples(Communicator& communicator, std::int64_t count, std::int64_t width,
                                     const ExampleVector& compute) {
  if (count < 1) throw std::invalid_argument("sum_over_examples: no examples");
  const auto share = share_of(count, communicator.rank(), communicator.size());
  // 1. This rank's nodes, from its own examples only.
  const TreeSum local(count, width, {}, &compute);
  std::vector<std::int64_t> headers;
  std::vector<float> values;
  for (const auto node : cover(share.begin, share.end, count)) {
    const auto sum = local.value(node);
    headers.push_back(node.lo);
    headers.push_back(std::min(node.lo + node.span, count));
    values.insert(values.end(), sum.begin(), sum.end());
  }
  // 2. Every rank's nodes on every rank; 3. the same tree completed from them.
  const auto all_headers = communicator.all_gather_concatenated<std::int64_t>(headers);
  const auto all_values = communicator.all_gather_concatenated<float>(values);
  std::map<std::pair<std::int64_t, std::int64_t>, std::vector<float>> known;
  for (std::size_t k = 0; k < all_headers.size() / 2; ++k) {
    const auto first = all_values.begin() + static_cast<std::ptrdiff_t>(k * static_cast<std::size_t>(width));
    known[{all_headers[2 * k], all_headers[2 * k + 1]}] = std::vector<float>(first, first + width);
  }
  return TreeSum(count, width, std::move(known), nullptr).value({0, root_span(count)});
}

}  // namespace spikingbert::training
