#pragma once
// The event queue of the event-driven kernel: a Boost.Heap priority queue of spike packets and
// population updates, ordered by (time block, position in the update order, phase, step, sequence).
// Packets for a population sort before its update in the same block (phase 0 < 1), and the sequence
// number makes the order total, hence deterministic.
//
// With time blocks of one step this is the reference order (step, rank). With longer blocks a
// population integrates all steps of a block before the next population runs; that is exact because
// every zero-delay input has a lower rank and every feedback edge has a delay >= the block.
#include <boost/heap/d_ary_heap.hpp>

#include <cstdint>

namespace spikingbert::sim {

struct Event {
  enum class Kind : std::uint8_t { kSpikePacket = 0, kUpdate = 1 };
  std::int64_t block = 0;   // time block (step / block_steps)
  std::int32_t position = 0;  // target population's position in the update order (a topological rank)
  Kind kind = Kind::kUpdate;
  std::int32_t step = 0;    // packet: step at which the spikes arrive; update: first step of the block
  std::uint64_t sequence = 0;
  std::int32_t population = 0;  // target population
  std::int32_t source = -1;     // packet: the population that fired
};

// Orders a max-heap so that the earliest event is on top.
struct LaterEvent {
  bool operator()(const Event& a, const Event& b) const {
    if (a.block != b.block) return a.block > b.block;
    if (a.position != b.position) return a.position > b.position;
    if (a.kind != b.kind) return a.kind > b.kind;
    if (a.step != b.step) return a.step > b.step;
    return a.sequence > b.sequence;
  }
};

// Chosen by measurement (sim/HeapBenchmark.hpp, `spikingbert bench --heaps`): the 4-ary heap was the
// fastest of d-ary, pairing and Fibonacci on the kernel's push/pop pattern; it is a contiguous array,
// and the kernel never needs the node-based heaps' decrease-key or merge.
using EventHeap = boost::heap::d_ary_heap<Event, boost::heap::arity<4>, boost::heap::compare<LaterEvent>>;

}  // namespace spikingbert::sim
