#include "engine/server_state.hpp"

#include <chrono>

#include "crypto/crypto.hpp"
#include "util/upcase.hpp"

namespace smbsrv::engine {
namespace {

// MS-FSA 2.1.5.1.2.1: an existing open conflicts when either side's access is not admitted by
// the other side's share mode.
constexpr std::uint32_t kShareRead = 1, kShareWrite = 2, kShareDelete = 4;
constexpr std::uint32_t kDataRead = 0x1 | 0x20;         // FILE_READ_DATA | FILE_EXECUTE
constexpr std::uint32_t kDataWrite = 0x2 | 0x4;         // FILE_WRITE_DATA | FILE_APPEND_DATA
constexpr std::uint32_t kDeleteAccess = 0x10000;

bool conflicts(std::uint32_t access_a, std::uint32_t share_b) {
  if ((access_a & kDataRead) && !(share_b & kShareRead)) return true;
  if ((access_a & kDataWrite) && !(share_b & kShareWrite)) return true;
  if ((access_a & kDeleteAccess) && !(share_b & kShareDelete)) return true;
  return false;
}

bool is_below(const SmbPath& dir, const SmbPath& p) {
  const auto& a = dir.components();
  const auto& b = p.components();
  if (b.size() <= a.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (!iequal_names(a[i], b[i])) return false;
  return true;
}

}  // namespace

Result<std::shared_ptr<FileObject>> FileTable::attach(const Vfs* vfs, std::uint64_t file_id, const SmbPath& path,
                                                      bool is_directory, const void* open,
                                                      std::uint32_t access, std::uint32_t share_access) {
  std::lock_guard lk(mu_);
  auto& slot = objects_[{vfs, file_id}];
  if (!slot) {
    slot = std::make_shared<FileObject>();
    slot->vfs = vfs;
    slot->file_id = file_id;
    slot->path = path;
    slot->is_directory = is_directory;
  }
  if (slot->delete_pending) return NtStatus::delete_pending;
  // Opens with neither data nor DELETE access (attribute/stat opens) take no part in sharing,
  // on either side (MS-FSA 2.1.5.1.2; smbtorture smb2.lease.statopen).
  constexpr std::uint32_t kSharingRelevant = kDataRead | kDataWrite | kDeleteAccess;
  for (const auto& e : slot->opens) {
    if (!(access & kSharingRelevant) || !(e.access & kSharingRelevant)) continue;
    if (conflicts(access, e.share_access) || conflicts(e.access, share_access))
      return NtStatus::sharing_violation;
  }
  slot->opens.push_back({open, access, share_access});
  return slot;
}

bool FileTable::detach(const std::shared_ptr<FileObject>& fo, const void* open) {
  std::lock_guard lk(mu_);
  std::erase_if(fo->opens, [&](const FileObject::ShareEntry& e) { return e.open == open; });
  std::erase_if(fo->locks, [&](const FileObject::ByteRangeLock& l) { return l.open == open; });
  if (!fo->opens.empty()) return false;
  auto it = objects_.find({fo->vfs, fo->file_id});
  if (it != objects_.end() && it->second == fo) objects_.erase(it);
  return fo->delete_pending;
}

void FileTable::renamed(const Vfs* vfs, const SmbPath& from, const SmbPath& to) {
  std::lock_guard lk(mu_);
  for (auto& [key, fo] : objects_) {
    if (key.first != vfs) continue;
    if (fo->path == from) {
      fo->path = to;
    } else if (is_below(from, fo->path)) {
      auto comps = to.components();
      const auto& old = fo->path.components();
      comps.insert(comps.end(), old.begin() + static_cast<std::ptrdiff_t>(from.components().size()), old.end());
      if (auto p = SmbPath::from_components(std::move(comps))) fo->path = *p;
    }
  }
}

bool FileTable::has_other_opens(const std::shared_ptr<FileObject>& fo, const void* open) {
  std::lock_guard lk(mu_);
  for (const auto& e : fo->opens)
    if (e.open != open) return true;
  return false;
}

bool FileTable::parent_blocks_rename(const Vfs* vfs, const SmbPath& dir) {
  std::lock_guard lk(mu_);
  for (auto& [key, fo] : objects_) {
    if (key.first != vfs || !fo->is_directory || !(fo->path == dir)) continue;
    // Opens with neither data nor DELETE access take no part in sharing (MS-FSA 2.1.5.1.2).
    constexpr std::uint32_t kSharingRelevant = 0x1 | 0x2 | 0x4 | 0x20 | kDeleteAccess;
    for (const auto& e : fo->opens)
      if ((e.access & kSharingRelevant) && ((e.access & kDeleteAccess) || !(e.share_access & kShareDelete)))
        return true;
  }
  return false;
}

bool FileTable::has_open_below(const Vfs* vfs, const SmbPath& dir) {
  std::lock_guard lk(mu_);
  for (auto& [key, fo] : objects_)
    if (key.first == vfs && is_below(dir, fo->path)) return true;
  return false;
}

void ServerState::add_share(Share share) {
  auto key = upcase_utf8(share.name);
  auto p = std::make_shared<const Share>(std::move(share));
  std::lock_guard lk(shares_mu_);
  shares_[key] = std::move(p);
}

void ServerState::remove_share(std::string_view name) {
  std::lock_guard lk(shares_mu_);
  shares_.erase(upcase_utf8(name));
}

std::shared_ptr<const Share> ServerState::find_share(std::string_view name) const {
  std::lock_guard lk(shares_mu_);
  auto it = shares_.find(upcase_utf8(name));
  return it == shares_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<const Share>> ServerState::list_shares() const {
  std::lock_guard lk(shares_mu_);
  std::vector<std::shared_ptr<const Share>> v;
  for (auto& [k, s] : shares_) v.push_back(s);
  return v;
}

std::shared_ptr<ServerState> make_server_state(ServerConfig config,
                                               std::shared_ptr<const CredentialStore> credentials) {
  auto s = std::make_shared<ServerState>();
  s->config = std::move(config);
  s->credentials = std::move(credentials);
  s->now = [] {
    const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
    const auto ticks = std::chrono::duration_cast<std::chrono::nanoseconds>(since_epoch).count() / 100;
    return kFileTimeUnixEpoch + static_cast<std::uint64_t>(ticks);
  };
  s->random = [](std::span<std::uint8_t> out) { crypto::random_bytes(out); };
  crypto::random_bytes(s->server_guid);
  s->start_time = s->now();
  return s;
}

}  // namespace smbsrv::engine
