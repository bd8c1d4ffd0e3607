// The command sequence window (MS-SMB2 3.3.1.1, 3.3.5.2.3): which MessageIds the client may use.
// Every id is used at most once; a request charging N credits consumes N consecutive ids.
#pragma once

#include <cstdint>
#include <vector>

namespace smbsrv::engine {

class CommandSequenceWindow {
 public:
  /// The default cap on the credits a client may hold (granted and not yet used);
  /// ServerConfig::max_credits sets it.
  static constexpr std::uint32_t kMaxOutstanding = 8192;

  explicit CommandSequenceWindow(std::uint32_t max_outstanding = kMaxOutstanding)
      : max_outstanding_(max_outstanding == 0 ? 1 : max_outstanding) {}
  std::uint32_t max_outstanding() const { return max_outstanding_; }

  /// Consumes ids [message_id, message_id + charge). False when any is outside the window or
  /// already used: the caller disconnects (3.3.5.2.3).
  bool consume(std::uint64_t message_id, std::uint16_t charge);
  /// Grants up to `requested` more ids (at least 1 when the client would otherwise hold none);
  /// returns the number granted.
  std::uint16_t grant(std::uint16_t requested);
  std::uint32_t outstanding() const { return static_cast<std::uint32_t>(size_) - used_in_window_; }

 private:
  // ids [low_, low_ + size_): 1 = used. A ring buffer (a deque would allocate and free a block
  // every few hundred ids); it grows by doubling and never shrinks.
  std::uint8_t& at(std::size_t i) { return ring_[(head_ + i) & (ring_.size() - 1)]; }
  void push_back();  // one more (unused) id at the top

  std::uint64_t low_ = 0;  // lowest id not yet known-used
  std::vector<std::uint8_t> ring_ = std::vector<std::uint8_t>(64, 0);  // size: a power of two
  std::size_t head_ = 0;   // ring_ index of low_
  std::size_t size_ = 1;   // id low_ is granted at the start
  std::uint32_t used_in_window_ = 0;
  std::uint32_t max_outstanding_;
};

}  // namespace smbsrv::engine
