#include "ntcore/name_tunnel.hpp"

#include "codec/fscc.hpp"
#include "util/upcase.hpp"

namespace smbsrv::nt {

void NameTunnel::removed(const Vfs& vfs, const SmbPath& removed) {
  if (removed.is_root()) return;
  const std::string name(removed.name());
  auto sn = fscc::short_name_of(name);
  if (!sn || iequal_names(*sn, name)) return;  // an 8.3 name is its own short name: nothing to tunnel
  const std::uint64_t now = clock_();
  std::lock_guard lk(mu_);
  while (!entries_.empty() && (entries_.size() >= kEntries || now - entries_.front().when > kAge))
    entries_.pop_front();
  entries_.push_back({&vfs, removed.parent().to_string(), std::move(*sn), name, now});
}

std::optional<std::string> NameTunnel::recall(const Vfs& vfs, const SmbPath& dir, std::string_view short_name) {
  const std::uint64_t now = clock_();
  const std::string d = dir.to_string();
  auto same = [&](std::string_view a, std::string_view b) { return vfs.case_sensitive() ? a == b : iequal_names(a, b); };
  std::lock_guard lk(mu_);
  for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {  // the latest first
    if (now - it->when > kAge) break;
    if (it->vfs == &vfs && same(it->dir, d) && iequal_names(it->short_name, short_name)) return it->long_name;
  }
  return std::nullopt;
}

}  // namespace smbsrv::nt
