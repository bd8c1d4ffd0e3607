#include "engine/session_table.hpp"

#include "util/upcase.hpp"

namespace smbsrv::engine {

bool SessionTable::reserve(std::uint64_t id, const std::shared_ptr<SessionHost>& host) {
  std::lock_guard lk(mu_);
  return by_id_.try_emplace(id, Entry{host, host.get(), {}}).second;
}

void SessionTable::authenticated(std::uint64_t id, SessionBindInfo info) {
  info.user = upcase_utf8(info.user);
  info.domain = upcase_utf8(info.domain);
  std::lock_guard lk(mu_);
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return;
  it->second.bind = std::move(info);
}

std::optional<SessionBindInfo> SessionTable::bind_info(std::uint64_t id) const {
  std::lock_guard lk(mu_);
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return std::nullopt;
  return it->second.bind;
}

void SessionTable::forget(std::uint64_t id, const SessionHost* host) {
  std::lock_guard lk(mu_);
  auto it = by_id_.find(id);
  if (it != by_id_.end() && it->second.host_id == host) by_id_.erase(it);
}

void SessionTable::move_host(std::uint64_t id, const SessionHost* from, const std::shared_ptr<SessionHost>& to) {
  std::lock_guard lk(mu_);
  auto it = by_id_.find(id);
  if (it == by_id_.end() || it->second.host_id != from) return;
  it->second.host = to;
  it->second.host_id = to.get();
}

std::shared_ptr<SessionHost> SessionTable::take_previous(std::uint64_t previous, const std::string& user,
                                                         const std::string& domain) {
  if (user.empty()) return nullptr;
  const auto u = upcase_utf8(user);
  const auto d = upcase_utf8(domain);
  std::lock_guard lk(mu_);
  auto it = by_id_.find(previous);
  // 3.3.5.5.3: only a session "created by the same user" is removed; otherwise PreviousSessionId
  // is ignored.
  if (it == by_id_.end() || !it->second.bind) return nullptr;
  const auto& b = *it->second.bind;
  if (b.user.empty() || b.user != u || b.domain != d) return nullptr;
  auto host = it->second.host.lock();
  if (!host) return nullptr;
  by_id_.erase(it);
  return host;
}

std::size_t SessionTable::size() const {
  std::lock_guard lk(mu_);
  return by_id_.size();
}

}  // namespace smbsrv::engine
