// NtCore's structures, private to src/ntcore (nothing else includes this file).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "codec/messages.hpp"
#include "ntcore/nt_core.hpp"

namespace smbsrv::nt {

/// Events collected under the lock, delivered when this goes out of scope. Declare it before the
/// method's lock_guard, so that it is destroyed (and delivers) after the guard releases mu_.
class NtCore::Outbox {
 public:
  Outbox() = default;
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;
  ~Outbox() {
    for (auto& [owner, e] : events_)
      if (auto o = owner.lock()) o->post(std::move(e));
  }
  void add(const std::weak_ptr<Owner>& owner, Event e) { events_.emplace_back(owner, std::move(e)); }
  /// A host watch to end once the lock is released: its destructor waits for a callback of it
  /// that may be waiting for the lock (NtCore::report_host).
  void discard(std::unique_ptr<VfsWatch> w) {
    if (w) watches_.push_back(std::move(w));
  }

 private:
  std::vector<std::unique_ptr<VfsWatch>> watches_;  // destroyed after the events are posted
  std::vector<std::pair<std::weak_ptr<Owner>, Event>> events_;
};

template <class Which>
void NtCore::wake_orphan_waiters_if_locked(Which which, Outbox& out) {
  std::erase_if(orphan_waiters_, [&](const OrphanWaiter& w) {
    if (!which(w)) return false;
    out.add(w.waiter.owner, Wake{w.waiter.token});
    return true;
  });
}

/// The oplock level an oplock's caching state stands for (types.hpp: batch = RWH, exclusive =
/// RW, level II = R).
constexpr std::uint8_t oplock_of_state(std::uint32_t s) {
  if ((s & kCacheWrite) && (s & kCacheHandle)) return kOplockBatch;
  if (s & kCacheWrite) return kOplockExclusive;
  if (s & kCacheRead) return kOplockLevelII;
  return kOplockNone;
}

/// Whether two share-relative paths name the same file on `vfs` (its case rule).
bool same_path(const Vfs* vfs, const SmbPath& a, const SmbPath& b);
/// Whether `p` is below `dir` (or `dir` itself, with or_equal) on `vfs` (its case rule).
bool is_below(const Vfs* vfs, const SmbPath& dir, const SmbPath& p, bool or_equal = false);

/// MS-FSA 2.1.4.1 ChangeNotifyEntry of a directory open: set up by its first CHANGE_NOTIFY
/// (CompletionFilter and WatchTree stay those of that request, as on Windows: smbtorture
/// smb2.notify.mask-change), collecting changes between requests.
struct NotifyWatch {
  std::uint32_t filter = 0;
  bool watch_tree = false;
  std::size_t buffer_limit = 0;  // bytes: Windows sizes the buffer from the first request
  std::vector<codec::NotifyEntry> queue;
  std::size_t queued_bytes = 0;  // an upper bound of queue's encoded size
  bool overflow = false;         // changes were lost: the next request gets NOTIFY_ENUM_DIR
  struct Pending {
    std::weak_ptr<Owner> owner;
    const Owner* who = nullptr;
    std::uint64_t token = 0;
  };
  std::vector<Pending> pending;  // requests waiting, oldest first
  /// The backend's watch of the directory (Vfs::watch) for changes made behind the server's back.
  std::unique_ptr<VfsWatch> host;
};

struct ByteRangeLock {
  const NtCore::Open* open = nullptr;
  std::uint64_t offset = 0, length = 0;
  bool exclusive = false;
};

/// A lock request queued until its range is free (MS-SMB2 3.3.5.14.2, a request without
/// SMB2_LOCKFLAG_FAIL_IMMEDIATELY).
struct LockWaiter {
  std::weak_ptr<NtCore::Open> open;
  const NtCore::Open* raw = nullptr;
  NtCore::LockRange range;
  std::weak_ptr<Owner> owner;
  const Owner* who = nullptr;
  std::uint64_t token = 0;
};

/// MS-FSA 2.1.4.10: whether two ranges overlap. The last byte of a range is Offset + Length - 1,
/// so a zero-length range at O sits between bytes O-1 and O: it overlaps a range that holds
/// both (smbtorture smb2.lock.zerobytelength). The {0, 0} range overlaps nothing. Ranges past
/// 2^64 - 1 are refused before they get here.
inline bool ranges_overlap(std::uint64_t a_off, std::uint64_t a_len, std::uint64_t b_off, std::uint64_t b_len) {
  if ((a_off == 0 && a_len == 0) || (b_off == 0 && b_len == 0)) return false;
  const std::uint64_t a_last = a_off + a_len - 1;
  const std::uint64_t b_last = b_off + b_len - 1;
  return a_off <= b_last && b_off <= a_last;
}

/// MS-FSA File (one per backend file with at least one open or wait).
struct NtCore::File {
  FileKey key;
  SmbPath path;  // as first opened; kept current across renames
  std::string stream_name;  // a named stream (key.stream set): its name as first opened
  bool is_directory = false;
  bool delete_pending = false;  // File.PendingDelete
  bool removing = false;        // the last open closed with delete pending; removal under way
  std::vector<Open*> opens;     // File.OpenList, in open order
  std::vector<ByteRangeLock> locks;
  std::vector<Waiter> waiters;  // opens waiting for this file's breaks to complete
  std::vector<Waiter> resumed;  // woken waiters whose retry has not come yet
  std::vector<LockWaiter> lock_waiters;  // in the order they were queued
};

/// MS-SMB2 3.3.1.4 Lease (an oplock is a lease private to its one open: key from a counter).
struct NtCore::Lease {
  Key16 client_guid{}, key{};
  bool is_oplock = false;
  int version = 1;
  FileKey file{};
  std::uint32_t state = 0;
  std::uint32_t notified_to = 0;  // what the last notification offered
  std::uint32_t breaking_to = 0;  // ≤ notified_to: further breaks wait for the acknowledgment
  bool breaking = false;
  std::uint16_t epoch = 0;
  std::uint64_t deadline = 0;  // FILETIME by which the acknowledgment is due
  std::size_t opens = 0;
  std::weak_ptr<Owner> owner;  // of the open that took it last: notifications go there
  OpenTag tag;
};

/// MS-FSA Open.
class NtCore::Open {
 public:
  std::shared_ptr<File> file;
  std::uint32_t access = 0, share_access = 0;
  bool delete_on_close = false;
  bool closed = false;
  bool orphaned = false;  // durable, its connection gone: no owner until a reconnect
  std::shared_ptr<Lease> lease;  // null: no oplock or lease
  std::weak_ptr<Owner> owner;
  const Owner* who = nullptr;  // identifies the owner in census_of()
  OpenTag tag;
  Key16 client_guid{};  // Open.ClientGuid (of the connection that opened it)
  std::optional<AppInstance> app_instance;  // Open.AppInstanceId / version
  std::unique_ptr<NotifyWatch> notify;  // armed by the first CHANGE_NOTIFY (directories)
};

}  // namespace smbsrv::nt
