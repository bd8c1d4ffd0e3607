// Byte-range locks (MS-FSA 2.1.4.10 conflicts, 2.1.5.8 lock, 2.1.5.9 unlock), locks that wait for
// their range (MS-SMB2 3.3.5.14.2 without SMB2_LOCKFLAG_FAIL_IMMEDIATELY), and the checks READ
// and WRITE make against them (2.1.5.2, 2.1.5.3).
//
// A waiting lock is decided here, under the core's lock: when a range is released the first
// queued waits that fit are granted on the spot, and when the waiting open closes its waits end
// with range_not_locked. The owner is told through Wake{token} and collects the outcome with
// lock_outcome(), so the answer does not depend on when the owner's executor gets to it (a
// TREE_DISCONNECT that closes the holder first and the waiter second gives the waiter its lock,
// as Windows does: smbtorture smb2.lock.cancel-tdis).
#include <algorithm>

#include "ntcore/nt_core.hpp"
#include "ntcore/nt_internal.hpp"

namespace smbsrv::nt {
namespace {

/// MS-FSA 2.1.4.10 with LockIntent TRUE: whether `held` keeps `by` from locking `want`. An
/// exclusive lock admits a shared lock of its own open on top (stacking), nothing else; a shared
/// lock admits shared locks of anyone.
bool lock_conflict(const ByteRangeLock& held, const NtCore::Open* by, const NtCore::LockRange& want) {
  if (!ranges_overlap(held.offset, held.length, want.offset, want.length)) return false;
  if (held.exclusive) return held.open != by || want.exclusive;
  return want.exclusive;
}

bool conflicts_with_any(const std::vector<ByteRangeLock>& locks, const NtCore::Open* by, const NtCore::LockRange& r) {
  return std::any_of(locks.begin(), locks.end(), [&](const ByteRangeLock& l) { return lock_conflict(l, by, r); });
}

}  // namespace

void NtCore::break_for_lock_locked(const Open& by, Outbox& out) {
  if (!options_.leasing) return;
  // 2.1.4.12, BYTE_RANGE_LOCK: level II oplocks go to none, the locker's own included (smbtorture
  // smb2.oplock.brl1, brl3); other leases go to none, RH ones too (Windows: smb2.lease.lock1); the
  // locker's own lease, and an exclusive or batch oplock of its own open, stay (smb2.oplock.brl2).
  for (Open* o : by.file->opens) {
    Lease* l = o->lease.get();
    if (!l) continue;
    if (l == by.lease.get()) {
      if (l->is_oplock && !(l->state & kCacheWrite)) break_locked(*l, 0, out);
      continue;
    }
    break_locked(*l, 0, out);
  }
}

NtStatus NtCore::lock(const OpenRef& open, std::span<const LockRange> ranges, const std::optional<LockWait>& wait) {
  Outbox out;
  std::lock_guard lk(mu_);
  if (open->closed) return NtStatus::file_closed;
  File& f = *open->file;
  break_for_lock_locked(*open, out);
  const std::size_t before = f.locks.size();
  for (const auto& r : ranges) {
    if (conflicts_with_any(f.locks, open.get(), r)) {
      if (wait && ranges.size() == 1) {
        auto owner = wait->owner.lock();
        f.lock_waiters.push_back({open, open.get(), r, wait->owner, owner.get(), wait->token});
        return NtStatus::pending;
      }
      // 3.3.5.14.2: a failed request unlocks what it locked.
      f.locks.resize(before);
      return NtStatus::lock_not_granted;
    }
    f.locks.push_back({open.get(), r.offset, r.length, r.exclusive});
  }
  return NtStatus::success;
}

NtStatus NtCore::lock_outcome(const Owner* owner, std::uint64_t token) {
  std::lock_guard lk(mu_);
  auto it = lock_outcomes_.find({owner, token});
  if (it == lock_outcomes_.end()) return NtStatus::pending;
  const NtStatus s = it->second.status;
  lock_outcomes_.erase(it);
  return s;
}

Result<void> NtCore::unlock(const OpenRef& open, std::span<const LockRange> ranges) {
  Outbox out;
  std::lock_guard lk(mu_);
  if (open->closed) return NtStatus::file_closed;
  File& f = *open->file;
  NtStatus status = NtStatus::success;
  bool released = false;
  for (const auto& r : ranges) {
    // 2.1.5.9: the same offset and length, of this open; an exclusive lock before a shared one.
    auto victim = f.locks.end();
    for (auto it = f.locks.begin(); it != f.locks.end(); ++it) {
      if (it->open != open.get() || it->offset != r.offset || it->length != r.length) continue;
      victim = it;
      if (it->exclusive) break;
    }
    if (victim == f.locks.end()) {
      status = NtStatus::range_not_locked;
      break;
    }
    f.locks.erase(victim);
    released = true;
  }
  if (released) grant_waiting_locks_locked(f, out);
  if (status != NtStatus::success) return status;
  return {};
}

Result<void> NtCore::check_io(const OpenRef& open, std::uint64_t offset, std::uint64_t length, bool write) const {
  if (length == 0) return {};
  std::lock_guard lk(mu_);
  if (open->closed) return {};  // the I/O itself reports the closed handle
  const std::uint64_t room = offset == 0 ? length : 0 - offset;  // bytes from offset to 2^64
  const std::uint64_t len = std::min(length, room);
  for (const auto& l : open->file->locks) {
    if (!ranges_overlap(l.offset, l.length, offset, len)) continue;
    // 2.1.4.10 with LockIntent FALSE: an exclusive lock bars everyone but its owner; a shared lock
    // bars every write, its owner's too (smbtorture smb2.lock.rw-shared).
    if (l.exclusive ? l.open != open.get() : write) return NtStatus::file_lock_conflict;
  }
  return {};
}

void NtCore::grant_waiting_locks_locked(File& f, Outbox& out) {
  for (auto it = f.lock_waiters.begin(); it != f.lock_waiters.end();) {
    if (conflicts_with_any(f.locks, it->raw, it->range)) {
      ++it;
      continue;
    }
    f.locks.push_back({it->raw, it->range.offset, it->range.length, it->range.exclusive});
    lock_outcomes_[{it->who, it->token}] = LockOutcome{NtStatus::success, it->open, it->range};
    out.add(it->owner, Wake{it->token});
    it = f.lock_waiters.erase(it);
  }
}

void NtCore::end_lock_waits_locked(File& f, const Open& open, Outbox& out) {
  // 3.3.5.14 / Windows: a lock waiting on a handle that closes fails with STATUS_RANGE_NOT_LOCKED
  // (smbtorture smb2.lock.cancel, "cancel by close").
  std::erase_if(f.lock_waiters, [&](const LockWaiter& w) {
    if (w.raw != &open) return false;
    lock_outcomes_[{w.who, w.token}] = LockOutcome{NtStatus::range_not_locked, {}, {}};
    out.add(w.owner, Wake{w.token});
    return true;
  });
}

}  // namespace smbsrv::nt
