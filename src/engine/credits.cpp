#include "engine/credits.hpp"

#include <algorithm>

namespace smbsrv::engine {

bool CommandSequenceWindow::consume(std::uint64_t message_id, std::uint16_t charge) {
  const std::uint64_t n = charge == 0 ? 1 : charge;  // CreditCharge 0 counts as 1 (2.0.2)
  if (message_id < low_) return false;
  const std::uint64_t rel = message_id - low_;
  if (rel > window_.size() || n > window_.size() - rel) return false;
  for (std::uint64_t i = rel; i < rel + n; ++i)
    if (window_[static_cast<std::size_t>(i)]) return false;
  for (std::uint64_t i = rel; i < rel + n; ++i) window_[static_cast<std::size_t>(i)] = true;
  used_in_window_ += static_cast<std::uint32_t>(n);
  while (!window_.empty() && window_.front()) {
    window_.pop_front();
    --used_in_window_;
    ++low_;
  }
  return true;
}

std::uint16_t CommandSequenceWindow::grant(std::uint16_t requested) {
  const std::uint32_t have = outstanding();
  std::uint32_t give = requested;
  if (have + give > max_outstanding_) give = max_outstanding_ > have ? max_outstanding_ - have : 0;
  if (have == 0 && give == 0) give = 1;  // never leave the client without a credit
  for (std::uint32_t i = 0; i < give; ++i) window_.push_back(false);
  return static_cast<std::uint16_t>(give);
}

}  // namespace smbsrv::engine
