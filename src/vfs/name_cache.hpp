// LocalVfs's index of the names in large directories (case-insensitive shares only).
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "smbsrv/result.hpp"

namespace smbsrv::detail {

/// Case-insensitive index of the names in large directories, so that looking up a name that does
/// not exist (every CREATE of a new file) is a hash probe instead of a readdir of the whole
/// directory: creating N files in one directory was O(N²) getdents.
///
/// Validity comes from an inotify watch on each indexed directory, not from its timestamps. The
/// kernel queues the event of every create, unlink and rename in the directory, ours and other
/// processes' alike, before the syscall that made it returns, and find() drains the queue under
/// the mutex before answering, so an answer reflects every change that completed before the
/// lookup. mtime/ctime cannot give that: they are stamped from a clock that advances in ticks
/// (1-4 ms, or the file system's 1-2 s granularity), so another process's change in the same tick
/// as one of ours leaves them unchanged, and a directory we keep writing to (an mput) is always
/// within that racy window, which would mean rescanning on every create again.
/// Only local file systems, where inotify sees every change, are indexed; elsewhere, and when
/// inotify or /proc is unavailable, lookup scans as before.
///
/// The index may hold names that no longer exist, never miss one that does: a rename's
/// IN_MOVED_FROM does not remove the old name, because renameat2(RENAME_EXCHANGE) reports
/// exactly what "x -> y, then y -> x" reports, yet leaves both names. A matching name is
/// therefore checked with fstatat by the caller, and forget() drops it if it is gone.
class NameCache {
 public:
  // Directories with fewer names are cheap to scan and are not indexed.
  static constexpr std::size_t kMinNames = 64;
  // At most this many directories are indexed (one inotify watch each, out of the per-user
  // fs.inotify.max_user_watches) ...
  static constexpr std::size_t kMaxDirs = 128;
  // ... holding at most this many names in all (roughly 100 bytes each: ~13 MiB); the least
  // recently used directories are dropped first. A larger single directory is not indexed.
  static constexpr std::size_t kMaxNames = 128 * 1024;

  /// Reads the names in a directory (without "." and ".."), as the caller's scan does.
  using ReadNames = Result<std::vector<std::string>> (*)(int dirfd);

  explicit NameCache(ReadNames read_names);
  ~NameCache();
  NameCache(const NameCache&) = delete;
  NameCache& operator=(const NameCache&) = delete;

  struct Match {
    std::string name;   // empty: no name matches
    std::uint64_t seq;  // for forget()
  };

  /// nullopt when `dir` is not indexed (the caller scans); otherwise the smallest indexed name
  /// whose upcase is `upcased`, if any (of any length: upcasing may change it).
  std::optional<Match> find(const struct stat& dir, const std::string& upcased);

  /// Drops `name` (found by find() with `seq`, then not on disk) unless the directory changed
  /// since: a create of the name after the caller's fstatat has queued its event by now.
  bool forget(const struct stat& dir, const std::string& upcased, const std::string& name,
              std::uint64_t seq);

  /// Indexes dirfd (which `dir` describes) if it is worth it and not indexed yet. Called after a
  /// scan found `count` names; scans again once the watch is in place.
  void maybe_index(int dirfd, const struct stat& dir, std::size_t count);

 private:
  struct Key {
    dev_t dev;
    ino_t ino;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const noexcept {
      return std::hash<std::uint64_t>{}(static_cast<std::uint64_t>(k.ino) * 0x9E3779B97F4A7C15ULL ^
                                        static_cast<std::uint64_t>(k.dev));
    }
  };
  struct Dir {
    Key key;
    int wd;
    std::uint64_t id;  // tells a rebuilt entry from the one maybe_index() started
    bool ready = false;                                       // built; until then events are logged
    std::uint64_t seq = 0;                                    // events seen
    std::unordered_multimap<std::string, std::string> names;  // upcased -> on-disk spelling
    std::vector<std::pair<bool, std::string>> log;            // (created, name) while building
  };

  static bool local_fs(unsigned long type) noexcept;
  /// Applies the queued events. Caller holds mu_.
  void drain();
  /// Records that `name` was created or removed. Idempotent: the build scan may already (or no
  /// longer) contain a name that its logged events mention.
  void apply(Dir& d, bool added, std::string name);
  void drop(std::list<Dir>::iterator d, bool unwatch);
  /// Drops the least recently used directories while over a limit.
  void trim();

  ReadNames read_names_;
  int fd_;  // inotify instance; negative when unavailable
  std::mutex mu_;
  std::list<Dir> lru_;  // most recently used first
  std::unordered_map<Key, std::list<Dir>::iterator, KeyHash> by_key_;
  std::unordered_map<int, std::list<Dir>::iterator> by_wd_;
  std::size_t total_ = 0;  // names in all directories
  std::uint64_t last_id_ = 0;
};

}  // namespace smbsrv::detail
