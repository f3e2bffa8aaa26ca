#pragma once
// Measures the Boost.Heap candidates for the event queue on the kernel's access pattern, so the
// choice in EventScheduler.hpp rests on a measurement (`spikingbert bench --heaps`).
#include <string>
#include <vector>

namespace spikingbert::sim {

struct HeapTiming {
  std::string heap;
  double nanoseconds_per_event = 0.0;  // one push + one pop
};

// Replays `events` pushes/pops shaped like a SpikingBERT run: per time block, each population pushes
// one spike packet per step and out-edge, and the queue drains in key order.
std::vector<HeapTiming> measure_event_heaps(int events);

}  // namespace spikingbert::sim
