#include "engine/credits.hpp"

#include <algorithm>

namespace smbsrv::engine {

bool CommandSequenceWindow::consume(std::uint64_t message_id, std::uint16_t charge) {
  const std::uint64_t n = charge == 0 ? 1 : charge;  // CreditCharge 0 counts as 1 (2.0.2)
  if (message_id < low_) return false;
  const std::uint64_t rel = message_id - low_;
  if (rel > size_ || n > size_ - rel) return false;
  for (std::uint64_t i = rel; i < rel + n; ++i)
    if (at(static_cast<std::size_t>(i))) return false;
  for (std::uint64_t i = rel; i < rel + n; ++i) at(static_cast<std::size_t>(i)) = 1;
  used_in_window_ += static_cast<std::uint32_t>(n);
  while (size_ != 0 && at(0)) {
    at(0) = 0;
    head_ = (head_ + 1) & (ring_.size() - 1);
    --size_;
    --used_in_window_;
    ++low_;
  }
  return true;
}

void CommandSequenceWindow::push_back() {
  if (size_ == ring_.size()) {
    std::vector<std::uint8_t> bigger(ring_.size() * 2, 0);
    for (std::size_t i = 0; i < size_; ++i) bigger[i] = at(i);
    ring_.swap(bigger);
    head_ = 0;
  }
  at(size_) = 0;
  ++size_;
}

std::uint16_t CommandSequenceWindow::grant(std::uint16_t requested) {
  const std::uint32_t have = outstanding();
  std::uint32_t give = requested;
  if (have + give > max_outstanding_) give = max_outstanding_ > have ? max_outstanding_ - have : 0;
  if (have == 0 && give == 0) give = 1;  // never leave the client without a credit
  for (std::uint32_t i = 0; i < give; ++i) push_back();
  return static_cast<std::uint16_t>(give);
}

}  // namespace smbsrv::engine
