#include "sim/HeapBenchmark.hpp"

#include "sim/EventScheduler.hpp"

#include <boost/heap/fibonacci_heap.hpp>
#include <boost/heap/pairing_heap.hpp>

#include <chrono>
#include <stdexcept>

namespace spikingbert::sim {

namespace {

template <class Heap>
double replay(int events) {
  constexpr int kPopulations = 25, kBlockSteps = 16, kOutEdges = 3;
  Heap heap;
  std::uint64_t sequence = 0, checksum = 0;
  int done = 0;
  const auto start = std::chrono::steady_clock::now();
  for (std::int64_t block = 0; done < events; ++block) {
    for (int p = 0; p < kPopulations; ++p)
      heap.push(Event{block, p, Event::Kind::kUpdate, static_cast<std::int32_t>(block * kBlockSteps), sequence++, p, -1});
    while (!heap.empty()) {
      const Event e = heap.top();
      heap.pop();
      checksum += e.sequence;
      ++done;
      if (e.kind == Event::Kind::kUpdate && e.population + 1 < kPopulations)
        for (int s = 0; s < kBlockSteps; ++s)
          for (int k = 1; k <= kOutEdges && e.population + k < kPopulations; ++k)
            heap.push(Event{block, e.population + k, Event::Kind::kSpikePacket,
                            static_cast<std::int32_t>(block * kBlockSteps + s), sequence++, e.population + k,
                            e.population});
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (checksum == 0) throw std::logic_error("heap replay did nothing");
  return seconds * 1e9 / done;
}

}  // namespace

std::vector<HeapTiming> measure_event_heaps(int events) {
  using boost::heap::compare;
  return {
      {"d_ary_heap<arity 2>", replay<boost::heap::d_ary_heap<Event, boost::heap::arity<2>, compare<LaterEvent>>>(events)},
      {"d_ary_heap<arity 4>", replay<boost::heap::d_ary_heap<Event, boost::heap::arity<4>, compare<LaterEvent>>>(events)},
      {"pairing_heap", replay<boost::heap::pairing_heap<Event, compare<LaterEvent>>>(events)},
      {"fibonacci_heap", replay<boost::heap::fibonacci_heap<Event, compare<LaterEvent>>>(events)},
  };
}

}  // namespace spikingbert::sim
