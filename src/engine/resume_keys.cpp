#include "engine/resume_keys.hpp"

#include <algorithm>
#include <iterator>

namespace smbsrv::engine {

codec::ResumeKey ResumeKeys::key_of(const std::shared_ptr<Open>& open, const Random& random) {
  {
    std::lock_guard lk(mu_);
    if (auto it = by_open_.find(open.get()); it != by_open_.end()) {
      auto k = by_key_.find(it->second);
      if (k != by_key_.end() && k->second.lock() == open) return it->second;
      // A stale entry of an earlier open at the same address.
      if (k != by_key_.end()) by_key_.erase(k);
      by_open_.erase(it);
    }
  }
  for (;;) {
    codec::ResumeKey key{};
    random(key);  // outside the lock: the RNG is not a leaf we control
    std::lock_guard lk(mu_);
    if (by_key_.contains(key)) continue;  // 2^-192: only a broken RNG repeats
    if (by_key_.size() >= sweep_at_) {
      sweep_locked();
      sweep_at_ = std::max<std::size_t>(64, 2 * by_key_.size());
    }
    by_key_.emplace(key, open);
    by_open_[open.get()] = key;
    return key;
  }
}

std::shared_ptr<Open> ResumeKeys::find(const codec::ResumeKey& key) const {
  std::lock_guard lk(mu_);
  auto it = by_key_.find(key);
  return it == by_key_.end() ? nullptr : it->second.lock();
}

void ResumeKeys::forget(const Open* open) {
  std::lock_guard lk(mu_);
  auto it = by_open_.find(open);
  if (it == by_open_.end()) return;
  by_key_.erase(it->second);
  by_open_.erase(it);
}

std::size_t ResumeKeys::size() const {
  std::lock_guard lk(mu_);
  return by_key_.size();
}

void ResumeKeys::sweep_locked() {
  for (auto it = by_key_.begin(); it != by_key_.end();) {
    if (it->second.expired()) it = by_key_.erase(it);
    else ++it;
  }
  // The reverse entries of the keys that went.
  for (auto it = by_open_.begin(); it != by_open_.end();)
    it = by_key_.contains(it->second) ? std::next(it) : by_open_.erase(it);
}

}  // namespace smbsrv::engine
