#include "engine/durable_opens.hpp"

#include <algorithm>

#include "engine/state.hpp"

namespace smbsrv::engine {

bool DurableOpens::keep(std::shared_ptr<Open> open, std::uint64_t expires_at, std::size_t limit) {
  std::lock_guard lk(mu_);
  if (orphans_.size() >= limit) return false;
  const std::uint64_t id = open->file_id.persistent;
  orphans_[id] = Kept{std::move(open), expires_at};
  return true;
}

std::shared_ptr<Open> DurableOpens::take(std::uint64_t persistent_id, std::uint64_t* expires_at) {
  std::lock_guard lk(mu_);
  auto it = orphans_.find(persistent_id);
  if (it == orphans_.end()) return nullptr;
  auto open = std::move(it->second.open);
  if (expires_at) *expires_at = it->second.expires_at;
  orphans_.erase(it);
  return open;
}

void DurableOpens::put_back(std::shared_ptr<Open> open, std::uint64_t expires_at) {
  std::lock_guard lk(mu_);
  const std::uint64_t id = open->file_id.persistent;
  orphans_[id] = Kept{std::move(open), expires_at};
}

std::vector<std::shared_ptr<Open>> DurableOpens::take_finished(std::uint64_t now, const nt::NtCore& nt) {
  // Asking the core whether an orphan was ended takes its lock: outside ours, so that both stay
  // leaves.
  std::vector<std::pair<std::uint64_t, std::shared_ptr<Open>>> candidates;
  {
    std::lock_guard lk(mu_);
    for (auto& [id, k] : orphans_) candidates.emplace_back(id, k.open);
  }
  std::vector<std::uint64_t> finished;
  for (auto& [id, open] : candidates)
    if (nt.ended(open->nt)) finished.push_back(id);
  std::vector<std::shared_ptr<Open>> done;
  std::lock_guard lk(mu_);
  for (auto it = orphans_.begin(); it != orphans_.end();) {
    const bool ended = std::find(finished.begin(), finished.end(), it->first) != finished.end();
    if (it->second.expires_at <= now || ended) {
      done.push_back(std::move(it->second.open));
      it = orphans_.erase(it);
    } else {
      ++it;
    }
  }
  return done;
}

std::vector<std::shared_ptr<Open>> DurableOpens::take_all() {
  std::vector<std::shared_ptr<Open>> all;
  std::lock_guard lk(mu_);
  for (auto& [id, k] : orphans_) all.push_back(std::move(k.open));
  orphans_.clear();
  create_guids_.clear();
  return all;
}

std::size_t DurableOpens::size() const {
  std::lock_guard lk(mu_);
  return orphans_.size();
}

void DurableOpens::remember(const Guid& client_guid, const Guid& create_guid, const std::shared_ptr<Open>& open) {
  std::lock_guard lk(mu_);
  create_guids_[{client_guid, create_guid}] = open;
  if (create_guids_.size() >= sweep_at_) {
    std::erase_if(create_guids_, [](const auto& e) { return e.second.expired(); });
    sweep_at_ = std::max<std::size_t>(64, create_guids_.size() * 2);
  }
}

std::shared_ptr<Open> DurableOpens::by_create_guid(const Guid& client_guid, const Guid& create_guid) {
  std::lock_guard lk(mu_);
  auto it = create_guids_.find({client_guid, create_guid});
  if (it == create_guids_.end()) return nullptr;
  auto open = it->second.lock();
  if (!open) create_guids_.erase(it);
  return open;
}

}  // namespace smbsrv::engine
