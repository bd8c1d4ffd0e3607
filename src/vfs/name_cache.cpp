#include "vfs/name_cache.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/inotify.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <iterator>

#include "util/upcase.hpp"

namespace smbsrv::detail {

NameCache::NameCache(ReadNames read_names)
    : read_names_(read_names), fd_(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) {}

NameCache::~NameCache() {
  if (fd_ >= 0) ::close(fd_);
}

std::optional<NameCache::Match> NameCache::find(const struct stat& dir, const std::string& upcased) {
  if (fd_ < 0) return std::nullopt;
  std::lock_guard lock(mu_);
  if (lru_.empty()) return std::nullopt;  // nothing indexed: skip the read of the queue
  drain();
  const auto it = by_key_.find(Key{dir.st_dev, dir.st_ino});
  if (it == by_key_.end() || !it->second->ready) return std::nullopt;
  lru_.splice(lru_.begin(), lru_, it->second);
  Match m{{}, it->second->seq};
  auto [b, e] = it->second->names.equal_range(upcased);
  for (; b != e; ++b)  // the smallest match, as the scan picks it
    if (m.name.empty() || b->second < m.name) m.name = b->second;
  return m;
}

bool NameCache::forget(const struct stat& dir, const std::string& upcased, const std::string& name,
                       std::uint64_t seq) {
  std::lock_guard lock(mu_);
  drain();
  const auto it = by_key_.find(Key{dir.st_dev, dir.st_ino});
  if (it == by_key_.end() || !it->second->ready || it->second->seq != seq) return false;
  auto [b, e] = it->second->names.equal_range(upcased);
  for (; b != e; ++b) {
    if (b->second != name) continue;
    it->second->names.erase(b);
    --total_;
    return true;
  }
  return false;
}

void NameCache::maybe_index(int dirfd, const struct stat& dir, std::size_t count) {
  if (fd_ < 0 || count < kMinNames || count > kMaxNames) return;
  const Key key{dir.st_dev, dir.st_ino};
  std::uint64_t id = 0;
  {
    std::lock_guard lock(mu_);
    if (by_key_.contains(key)) return;  // indexed, or another thread is building it
    struct statfs sf {};
    if (::fstatfs(dirfd, &sf) != 0 || !local_fs(static_cast<unsigned long>(sf.f_type))) return;
    // Under the mutex, so that no drain() can see (and drop) events for the wd before it is
    // registered.
    const std::string proc = "/proc/self/fd/" + std::to_string(dirfd);
    const int wd = ::inotify_add_watch(fd_, proc.c_str(),
                                       IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_ONLYDIR);
    if (wd < 0 || by_wd_.contains(wd)) return;
    id = ++last_id_;
    lru_.push_front(Dir{key, wd, id});
    by_key_.emplace(key, lru_.begin());
    by_wd_.emplace(wd, lru_.begin());
  }
  // Events from now on are logged in Dir::log by drain(); the scan (without the mutex) then
  // sees at least everything before the watch, and replaying the log fixes up the rest.
  auto names = read_names_(dirfd);
  std::unordered_multimap<std::string, std::string> index;
  if (names) {
    index.reserve(names->size());
    for (auto& n : *names) {
      auto up = upcase_utf8(n);
      index.emplace(std::move(up), std::move(n));
    }
  }
  std::lock_guard lock(mu_);
  drain();
  const auto it = by_key_.find(key);
  if (it == by_key_.end() || it->second->id != id) return;  // dropped meanwhile (overflow, rmdir)
  const auto d = it->second;
  if (!names) return drop(d, true);
  d->names = std::move(index);
  total_ += d->names.size();
  for (auto& [added, name] : d->log) apply(*d, added, std::move(name));
  d->log.clear();
  d->log.shrink_to_fit();
  d->ready = true;
  trim();
}

bool NameCache::local_fs(unsigned long type) noexcept {
  // File systems whose every change goes through this kernel's VFS (so inotify reports it).
  // Network and FUSE file systems are changed by others behind the kernel's back. Overlayfs
  // reports changes made through the overlay; changing its layers directly is unsupported.
  switch (type) {
    case EXT4_SUPER_MAGIC:  // also ext2/ext3
    case XFS_SUPER_MAGIC:
    case BTRFS_SUPER_MAGIC:
    case TMPFS_MAGIC:
    case F2FS_SUPER_MAGIC:
    case OVERLAYFS_SUPER_MAGIC:
    case 0x2fc12fc1:  // ZFS
      return true;
    default:
      return false;
  }
}

void NameCache::drain() {
  alignas(inotify_event) char buf[16 * 1024];
  for (;;) {
    const ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EAGAIN: the queue is empty
    for (ssize_t off = 0; off < n;) {
      const auto* ev = reinterpret_cast<const inotify_event*>(buf + off);
      off += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
      if (ev->mask & IN_Q_OVERFLOW) {  // events were lost: nothing indexed can be trusted
        while (!lru_.empty()) drop(lru_.begin(), true);
        continue;
      }
      const auto it = by_wd_.find(ev->wd);
      if (it == by_wd_.end()) continue;  // a directory dropped earlier
      if (ev->mask & IN_IGNORED) {       // the directory is gone (or unmounted)
        drop(it->second, false);
        continue;
      }
      Dir& d = *it->second;
      ++d.seq;
      // IN_MOVED_FROM keeps the name (see the class comment); only IN_DELETE removes one.
      const bool added = (ev->mask & (IN_CREATE | IN_MOVED_TO)) != 0;
      if (ev->len == 0 || (!added && (ev->mask & IN_DELETE) == 0)) continue;
      std::string name{ev->name};  // NUL-padded
      if (d.ready)
        apply(d, added, std::move(name));
      else
        d.log.emplace_back(added, std::move(name));
    }
  }
  trim();
}

void NameCache::apply(Dir& d, bool added, std::string name) {
  auto up = upcase_utf8(name);
  auto [b, e] = d.names.equal_range(up);
  for (; b != e; ++b) {
    if (b->second != name) continue;
    if (!added) {
      d.names.erase(b);
      --total_;
    }
    return;
  }
  if (added) {
    d.names.emplace(std::move(up), std::move(name));
    ++total_;
  }
}

void NameCache::drop(std::list<Dir>::iterator d, bool unwatch) {
  if (unwatch) (void)::inotify_rm_watch(fd_, d->wd);
  total_ -= d->names.size();
  by_wd_.erase(d->wd);
  by_key_.erase(d->key);
  lru_.erase(d);
}

void NameCache::trim() {
  while (!lru_.empty() && (lru_.size() > kMaxDirs || total_ > kMaxNames))
    drop(std::prev(lru_.end()), true);
}

}  // namespace smbsrv::detail
