#include "training/ExampleSum.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>

namespace spikingbert::training {

namespace {

// A tree node over micro-batch indices, named by its first micro-batch and its span (a power of two, lo a multiple of it).
struct Node {
  std::int64_t lo = 0, span = 1;
};

std::int64_t root_span(std::int64_t count) {
  std::int64_t span = 1;
  while (span < count) span *= 2;
  return span;
}

// The node's value by the tree rule; `known` holds nodes already summed (keyed by [lo, effective end)),
// `leaf` computes a micro-batch's vector.
class TreeSum {
 public:
  TreeSum(std::int64_t count, std::int64_t width, std::map<std::pair<std::int64_t, std::int64_t>, std::vector<float>> known,
          const std::function<void(std::int64_t, std::vector<float>&)>* leaf)
      : count_(count), width_(width), known_(std::move(known)), leaf_(leaf) {}

  std::vector<float> value(Node node) const {
    const auto end = std::min(node.lo + node.span, count_);
    if (const auto found = known_.find({node.lo, end}); found != known_.end()) return found->second;
    if (node.span == 1) {
      if (!leaf_) throw std::logic_error("sum_over_micro_batches: micro-batch " + std::to_string(node.lo) + " was summed by no rank");
      std::vector<float> out(static_cast<std::size_t>(width_), 0.0f);
      (*leaf_)(node.lo, out);
      if (static_cast<std::int64_t>(out.size()) != width_) throw std::logic_error("sum_over_micro_batches: wrong vector width");
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
  const std::function<void(std::int64_t, std::vector<float>&)>* leaf_;
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

Share micro_batch(std::int64_t index, std::int64_t count) {
  return {index * kMicroBatchExamples, std::min((index + 1) * kMicroBatchExamples, count)};
}

std::int64_t micro_batch_count(std::int64_t count) { return (count + kMicroBatchExamples - 1) / kMicroBatchExamples; }

std::vector<float> sum_over_micro_batches(Communicator& communicator, std::int64_t examples, std::int64_t width,
                                          const MicroBatchVector& compute) {
  if (examples < 1) throw std::invalid_argument("sum_over_micro_batches: no examples");
  const std::int64_t count = micro_batch_count(examples);  // the tree's leaves
  const int ranks = communicator.size();
  const auto share = share_of(count, communicator.rank(), ranks);
  // 1. This rank's nodes, from its own micro-batches only.
  const std::function<void(std::int64_t, std::vector<float>&)> leaf = [&](std::int64_t index, std::vector<float>& out) {
    const auto range = micro_batch(index, examples);
    compute(range.begin, range.end, out);
  };
  const TreeSum local(count, width, {}, &leaf);
  std::vector<std::int64_t> headers;
  std::vector<std::vector<float>> sums;
  for (const auto node : cover(share.begin, share.end, count)) {
    sums.push_back(local.value(node));
    headers.push_back(node.lo);
    headers.push_back(std::min(node.lo + node.span, count));
  }
  if (ranks == 1) return TreeSum(count, width, {{{headers[0], headers[1]}, sums[0]}}, nullptr).value({0, root_span(count)});
  // 2. Reduce-scatter by element ranges: rank c receives element range c of every rank's nodes and completes
  // the tree for those elements (the tree is elementwise, so each element's sum has the same bits as on one
  // rank); 3. the completed ranges gathered in order. Per rank this moves its nodes once and the sum once,
  // not every rank's nodes (docs/scaling.md, "Reduction volume").
  const auto all_headers = communicator.all_gather_concatenated<std::int64_t>(headers);
  std::vector<std::vector<float>> to_each(static_cast<std::size_t>(ranks));
  for (int c = 0; c < ranks; ++c) {
    const auto range = share_of(width, c, ranks);
    for (const auto& sum : sums) to_each[c].insert(to_each[c].end(), sum.begin() + range.begin, sum.begin() + range.end);
  }
  const auto received = communicator.all_to_all<float>(to_each);
  const auto mine = share_of(width, communicator.rank(), ranks);
  std::map<std::pair<std::int64_t, std::int64_t>, std::vector<float>> known;
  std::size_t node = 0;
  for (const auto& from_rank : received) {
    for (std::size_t offset = 0; offset < from_rank.size(); offset += static_cast<std::size_t>(mine.size()), ++node) {
      known[{all_headers[2 * node], all_headers[2 * node + 1]}] =
          std::vector<float>(from_rank.begin() + static_cast<std::ptrdiff_t>(offset),
                             from_rank.begin() + static_cast<std::ptrdiff_t>(offset) + mine.size());
    }
  }
  if (mine.size() == 0) node = all_headers.size() / 2;  // nothing to sum here; every node still counted
  if (node != all_headers.size() / 2) throw std::logic_error("sum_over_micro_batches: node count mismatch");
  const auto range_sum = TreeSum(count, mine.size(), std::move(known), nullptr).value({0, root_span(count)});
  return communicator.all_gather_concatenated<float>(range_sum);
}

}  // namespace spikingbert::training
