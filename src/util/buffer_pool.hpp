// A pool of byte vectors shared by the engine and the transport, so that the READ/WRITE path
// does not allocate (or zero-fill) a fresh megabyte per request: the transport takes its frame
// buffers from it and gives every buffer back once the socket write (or the engine) is done.
//
// A returned vector keeps its size, not only its capacity: std::vector::resize() value-
// initialises (zero-fills) the bytes it adds, so a vector that is resized to no more than the
// size it had is not written to at all. take() therefore prefers the smallest pooled vector
// whose size already covers the request. Callers overwrite every byte they keep.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

namespace smbsrv {

class BufferPool {
 public:
  /// Buffers with less capacity than this are not kept (small allocations are cheap, and the
  /// bytes they would hold on to are not worth a slot).
  static constexpr std::size_t kMinPooledCapacity = 4096;

  /// A request of any size may reuse a buffer of up to this capacity.
  static constexpr std::size_t kSmallReuseLimit = 64 * 1024;

  explicit BufferPool(std::size_t max_buffers = 64, std::size_t max_bytes = 128u << 20)
      : max_buffers_(max_buffers), max_bytes_(max_bytes) {}
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  /// A vector of exactly `size` bytes whose contents are unspecified (the caller overwrites
  /// them). Allocates only when no pooled vector has the capacity.
  std::vector<std::uint8_t> take(std::size_t size) {
    std::vector<std::uint8_t> v;
    {
      std::lock_guard lk(mu_);
      std::size_t best = free_.size();
      for (std::size_t i = 0; i < free_.size(); ++i) {
        const auto& c = free_[i];
        // A small request does not take (and shrink) a large buffer.
        if (c.capacity() < size || c.capacity() > std::max(size * 4, kSmallReuseLimit)) continue;
        if (best == free_.size() || better(c, free_[best], size)) best = i;
      }
      if (best != free_.size()) {
        v.swap(free_[best]);
        if (best + 1 != free_.size()) free_[best].swap(free_.back());
        free_.pop_back();
        bytes_ -= v.capacity();
      }
    }
    if (v.capacity() < size) v.reserve(std::max(size, kMinPooledCapacity));
    v.resize(size);  // no writes when size <= v.size()
    return v;
  }

  /// Gives a vector back (any vector: small ones and those over the limits are just freed).
  void give(std::vector<std::uint8_t>&& v) {
    const std::size_t cap = v.capacity();
    if (cap < kMinPooledCapacity) return;
    std::vector<std::uint8_t> drop;
    std::lock_guard lk(mu_);
    if (free_.size() >= max_buffers_ || bytes_ + cap > max_bytes_) {
      drop.swap(v);  // freed after the lock is released
      return;
    }
    if (free_.capacity() == 0) free_.reserve(max_buffers_);
    bytes_ += cap;
    free_.push_back(std::move(v));
  }

  std::size_t pooled_buffers() const {
    std::lock_guard lk(mu_);
    return free_.size();
  }

 private:
  /// Is `a` a better pick than `b` for a request of `size` bytes? Prefer one that needs no
  /// zero-fill (size() >= request), then the smallest capacity.
  static bool better(const std::vector<std::uint8_t>& a, const std::vector<std::uint8_t>& b, std::size_t size) {
    const bool a_full = a.size() >= size, b_full = b.size() >= size;
    if (a_full != b_full) return a_full;
    return a.capacity() < b.capacity();
  }

  mutable std::mutex mu_;
  std::vector<std::vector<std::uint8_t>> free_;
  std::size_t bytes_ = 0;
  std::size_t max_buffers_;
  std::size_t max_bytes_;
};

}  // namespace smbsrv
