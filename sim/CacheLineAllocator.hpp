#pragma once
// A std::allocator whose blocks start on a 64-byte cache line. The event kernel loads a weight row as
// whole 64-byte vectors; on an unaligned buffer (malloc gives 16-byte alignment) every such load straddles
// two cache lines and costs two L1 accesses.
#include <cstddef>
#include <cstdlib>
#include <new>
#include <utility>

namespace spikingbert::sim {

inline constexpr std::size_t kCacheLineBytes = 64;

template <class T>
struct CacheLineAllocator {
  using value_type = T;
  CacheLineAllocator() = default;
  template <class U>
  CacheLineAllocator(const CacheLineAllocator<U>&) noexcept {}

  T* allocate(std::size_t count) {
    const std::size_t bytes = (count * sizeof(T) + kCacheLineBytes - 1) / kCacheLineBytes * kCacheLineBytes;
    void* memory = std::aligned_alloc(kCacheLineBytes, bytes == 0 ? kCacheLineBytes : bytes);
    if (memory == nullptr) throw std::bad_alloc();
    return static_cast<T*>(memory);
  }
  void deallocate(T* memory, std::size_t) noexcept { std::free(memory); }
  // resize(n) default-initialises (no fill): scratch that is written before it is read is not cleared
  // on every simulation (touch_pages below maps it instead).
  template <class U>
  void construct(U* place) noexcept { ::new (static_cast<void*>(place)) U; }
  template <class U, class... Arguments>
  void construct(U* place, Arguments&&... arguments) {
    ::new (static_cast<void*>(place)) U(std::forward<Arguments>(arguments)...);
  }
  template <class U>
  bool operator==(const CacheLineAllocator<U>&) const noexcept { return true; }
};

// Writes one byte per memory page of [data, data + bytes): the pages are mapped now, at set-up, rather than
// by a page fault at their first touch inside a timed simulation, without the cost of clearing them.
inline void touch_pages(void* data, std::size_t bytes) {
  constexpr std::size_t kPageBytes = 4096;
  auto* bytes_of = static_cast<volatile unsigned char*>(data);
  for (std::size_t i = 0; i < bytes; i += kPageBytes) bytes_of[i] = 0;
}

}  // namespace spikingbert::sim
