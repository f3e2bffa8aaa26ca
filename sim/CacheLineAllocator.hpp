#pragma once
// A std::allocator whose blocks start on a 64-byte cache line. The event kernel loads a weight row as
// whole 64-byte vectors; on an unaligned buffer (malloc gives 16-byte alignment) every such load straddles
// two cache lines and costs two L1 accesses.
#include <cstddef>
#include <cstdlib>
#include <new>

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
  template <class U>
  bool operator==(const CacheLineAllocator<U>&) const noexcept { return true; }
};

}  // namespace spikingbert::sim
