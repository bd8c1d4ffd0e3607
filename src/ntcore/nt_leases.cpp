// Oplocks and leases (MS-SMB2 3.3.1.4, 3.3.4.6, 3.3.4.7, 3.3.5.9.8, 3.3.5.9.11, 3.3.5.22; the
// break rules follow MS-FSA 2.1.5.17ff in simplified form).
//
// An oplock is kept as a lease whose key is private to its one open, so grants and breaks share
// one code path: batch = RWH, exclusive = RW, level II = R. Only the notification and the
// acknowledgment differ on the wire.
#include <algorithm>

#include "codec/access_mask.hpp"
#include "ntcore/nt_core.hpp"
#include "ntcore/nt_internal.hpp"

namespace smbsrv::nt {
namespace {

constexpr std::uint32_t state_of_oplock(std::uint8_t level) {
  switch (level) {
    case kOplockBatch: return kCacheRead | kCacheWrite | kCacheHandle;
    case kOplockExclusive: return kCacheRead | kCacheWrite;
    case kOplockLevelII: return kCacheRead;
    default: return 0;
  }
}

}  // namespace

bool NtCore::mine(const Lease& l, const OpenRequest& who) const {
  return !l.is_oplock && who.lease && who.oplock_level == kOplockLease && who.leases_allowed &&
         l.client_guid == who.client_guid && l.key == who.lease->key;
}

void NtCore::break_locked(Lease& l, std::uint32_t to, Outbox& out, bool new_epoch) {
  if (l.breaking) {
    // A second reason to break while the first is unacknowledged: lower the target; the rest is
    // broken when the acknowledgment for the first arrives (ack_lease).
    l.breaking_to &= to;
    return;
  }
  const std::uint32_t from = l.state;
  to &= from;
  if (to == from) return;
  // MS-FSA: a break from read caching alone completes at once; anything that cached writes or
  // handles must be acknowledged (MS-SMB2 3.3.4.7 SMB2_NOTIFY_BREAK_LEASE_FLAG_ACK_REQUIRED).
  const bool ack = (from & (kCacheWrite | kCacheHandle)) != 0;
  if (l.version == 2 && new_epoch) ++l.epoch;
  BreakNotice n;
  n.is_oplock = l.is_oplock;
  n.version = l.version;
  n.key = l.key;
  n.from = from;
  n.to = to;
  n.epoch = l.epoch;
  n.ack_required = ack;
  n.tag = l.tag;
  out.add(l.owner, n);
  if (ack) {
    l.breaking = true;
    l.breaking_to = to;
    l.notified_to = to;
    l.deadline = clock_() + options_.break_timeout;
  } else {
    l.state = to;
  }
}

bool NtCore::break_for_open_locked(File& f, const OpenRequest& who, BreakCause cause, Outbox& out, bool leases_too,
                                   bool new_epoch) {
  for (Open* o : f.opens) {
    Lease* l = o->lease.get();
    if (!l || mine(*l, who) || (!l->is_oplock && !leases_too)) continue;
    std::uint32_t keep = l->state;
    switch (cause) {
      case BreakCause::open: keep &= ~kCacheWrite; break;
      // Everything goes (smbtorture smb2.lease.breaking2, breaking4, smb2.oplock.exclusive5).
      // A lease already breaking only loses H now: once that break is acknowledged, the
      // truncation itself breaks R (as Windows: smb2.lease.breaking3 / v2_breaking3 see
      // RH -> R and then R -> none).
      case BreakCause::overwrite: keep = (l->is_oplock || !l->breaking) ? 0 : (keep & kCacheRead); break;
      case BreakCause::sharing: keep &= ~kCacheHandle; break;
    }
    // An oplock cannot keep handle caching without write caching (batch → level II).
    if (l->is_oplock && !(keep & kCacheWrite)) keep &= ~kCacheHandle;
    break_locked(*l, keep, out, new_epoch);
  }
  // The open waits for breaks of write caching (the holder must flush first), and for every
  // break on a sharing violation (the holder may close its handle). A break of handle caching
  // alone lets a compatible open go on at once (MS-FSA 2.1.4.12; smbtorture
  // smb2.lease.breaking4: an overwrite is not held up by an RH -> none break).
  return std::any_of(f.opens.begin(), f.opens.end(), [&](const Open* o) {
    const Lease* l = o->lease.get();
    return l && !mine(*l, who) && (l->is_oplock || leases_too) && l->breaking &&
           (cause == BreakCause::sharing || (l->state & kCacheWrite));
  });
}

LeaseGrant NtCore::grant_locked(File& f, Open& open, const OpenRequest& req, Outbox& out) {
  using namespace smbsrv::access;
  LeaseGrant g;
  std::shared_ptr<Lease> lease;
  std::uint32_t wanted = 0;
  bool fresh = false;
  const bool data_access = req.truncating || (req.access & kBreakingAccess) != 0;
  // Directories get no caching: a directory lease would have to be broken on every change of
  // its entries, which this server does not track yet (MS-SMB2 allows granting less), and no
  // lease context at all, as Windows (smbtorture smb2.lease.request).
  const bool want_lease = req.oplock_level == kOplockLease && req.lease && req.leases_allowed && !req.is_directory;
  if (want_lease) {
    auto& slot = leases_[{req.client_guid, req.lease->key}];
    if (slot && slot->file != req.file) {
      // Bound to another file meanwhile (a stat open skips that check): no lease for this open.
      g.oplock_level = kOplockLease;
      g.lease = LeaseGrant::Lease{0, req.lease->version, req.lease->epoch, false};
      return g;
    }
    if (!slot) {
      slot = std::make_shared<Lease>();
      slot->client_guid = req.client_guid;
      slot->key = req.lease->key;
      slot->version = req.lease->version == 2 && req.lease_v2_allowed ? 2 : 1;
      slot->file = req.file;
      slot->epoch = req.lease->epoch;
      fresh = true;
    }
    lease = slot;
    wanted = req.lease->state & (kCacheRead | kCacheWrite | kCacheHandle);
    if (!(wanted & kCacheRead)) wanted = 0;  // only R, RW, RH and RWH are lease states
  } else if (req.oplock_level != kOplockNone && req.oplock_level != kOplockLease && (data_access || f.opens.empty())) {
    // An open without data access gets the oplock it asks for only while it is the file's only
    // open (smbtorture smb2.oplock.batch9, batch9a); beside others it gets none and breaks
    // nothing (batch8).
    wanted = state_of_oplock(req.oplock_level);
    if (wanted) {
      lease = std::make_shared<Lease>();
      lease->is_oplock = true;
      const std::uint64_t k = next_oplock_key_++;
      for (std::size_t i = 0; i < 8; ++i) lease->key[i] = static_cast<std::uint8_t>(k >> (8 * i));
      lease->file = req.file;
      fresh = true;
    }
  }
  if (lease) {
    std::uint32_t allowed = req.is_directory ? 0 : wanted;
    // A stat open (no data or delete access) holding no caching does not keep a lease from
    // caching writes (Windows: smbtorture smb2.lease.statopen3); for oplocks every open counts.
    const bool others = std::any_of(f.opens.begin(), f.opens.end(), [&](const Open* o) {
      if (o->lease == lease) return false;
      const bool stat_open = !(o->access & kBreakingAccess) && (!o->lease || o->lease->state == 0);
      return lease->is_oplock || !stat_open;
    });
    if (others) allowed &= ~kCacheWrite;                       // write caching needs the file to itself
    if (lease->is_oplock && others) allowed &= ~kCacheHandle;  // level II at most
    // Oplocks and handle caching do not mix (Windows; smbtorture smb2.lease.oplock): no oplock
    // beside a lease that caches handles, no handle caching beside an oplock.
    for (const Open* o : f.opens) {
      const Lease* l = o->lease.get();
      if (!l || l == lease.get()) continue;
      if (lease->is_oplock && (l->state & kCacheHandle)) allowed = 0;
      if (!lease->is_oplock && l->is_oplock && l->state) allowed &= ~kCacheHandle;
    }
    // Another lease still caching writes (it raced with this open): break it now.
    for (Open* o : f.opens) {
      Lease* l = o->lease.get();
      if (data_access && l && l != lease.get() && (l->state & kCacheWrite) && !l->breaking)
        break_locked(*l, l->state & ~kCacheWrite, out);
    }
    if (fresh) {
      lease->state = allowed;
      if (lease->version == 2) ++lease->epoch;
    } else if (!lease->breaking && allowed == wanted && (allowed & lease->state) == lease->state &&
               allowed != lease->state) {
      // An upgrade (3.3.5.9.8) happens only when all of it can be granted: a request for W
      // while others have the file open keeps what is held (as Windows: smbtorture
      // smb2.lease.break, upgrade3, nobreakself); a request for less never downgrades.
      lease->state = allowed;
      if (lease->version == 2) ++lease->epoch;
    }
    if (lease->is_oplock && lease->state == 0) lease.reset();
  }
  if (lease) {
    ++lease->opens;
    lease->owner = req.owner;
    lease->tag = req.tag;
  }
  open.lease = lease;
  if (want_lease) {
    g.oplock_level = kOplockLease;
    g.lease = LeaseGrant::Lease{lease->state, lease->version, lease->epoch, lease->breaking};
  } else if (lease) {
    g.oplock_level = oplock_of_state(lease->state);
  }
  return g;
}

void NtCore::collect_ready_locked(File& f, Outbox& out) {
  if (f.waiters.empty() || f.removing) return;
  for (const Open* o : f.opens)
    if (o->lease && o->lease->breaking) return;
  for (auto& w : f.waiters) out.add(w.owner, Wake{w.token});
  f.resumed.insert(f.resumed.end(), f.waiters.begin(), f.waiters.end());
  f.waiters.clear();
}

template <class Keep>
void NtCore::break_others_locked(const Open& by, Keep keep, Outbox& out, bool new_epoch) {
  if (by.closed) return;
  for (Open* o : by.file->opens) {
    Lease* l = o->lease.get();
    if (l && l != by.lease.get()) break_locked(*l, keep(*l), out, new_epoch);
  }
}

void NtCore::data_changed(const OpenRef& by, bool create_truncation) {
  if (!options_.leasing) return;
  Outbox out;
  std::lock_guard lk(mu_);
  break_others_locked(*by, [](const Lease&) { return std::uint32_t{0}; }, out, !create_truncation);
  // A level II oplock breaks even on its own open's write (MS-FSA 2.1.4.12: level II oplocks
  // are not owner-keyed; smbtorture smb2.oplock.batch1, levelii500). A lease is keyed: its own
  // writes leave it alone.
  Lease* own = by->closed || create_truncation ? nullptr : by->lease.get();
  if (own && own->is_oplock && !(own->state & kCacheWrite)) break_locked(*own, 0, out);
}

void NtCore::handles_affected(const OpenRef& by) {
  if (!options_.leasing) return;
  Outbox out;
  std::lock_guard lk(mu_);
  break_others_locked(
      *by,
      [](const Lease& l) -> std::uint32_t {
        return l.is_oplock ? (l.state & kCacheRead) : (l.state & ~kCacheHandle);
      },
      out);
}

bool NtCore::break_for_rename(const OpenRef& by, const std::optional<LockWait>& wait) {
  if (!options_.leasing) return false;
  Outbox out;
  std::lock_guard lk(mu_);
  Open& o = *by;
  if (o.closed) return false;
  File& f = *o.file;
  const Owner* who = wait ? wait->owner.lock().get() : nullptr;
  if (wait)  // a retry: its wake is consumed
    std::erase_if(f.resumed, [&](const Waiter& w) { return w.token == wait->token && w.who == who; });
  break_others_locked(
      o,
      [](const Lease& l) -> std::uint32_t {
        return l.is_oplock ? (l.state & kCacheRead) : (l.state & ~kCacheHandle);
      },
      out);
  if (!wait) return false;
  // Windows holds the rename until the other clients have acknowledged (smbtorture
  // smb2.lease.rename_wait: an open of the new name meanwhile finds nothing).
  const bool pending = std::any_of(f.opens.begin(), f.opens.end(), [&](const Open* x) {
    return x->lease && x->lease != o.lease && x->lease->breaking;
  });
  if (!pending) return false;
  f.waiters.push_back({wait->owner, who, wait->token});
  return true;
}

Result<std::uint32_t> NtCore::ack_lease(const Key16& client_guid, const Key16& key, std::uint32_t state) {
  Outbox out;
  std::lock_guard lk(mu_);
  auto it = leases_.find({client_guid, key});
  if (it == leases_.end()) return NtStatus::object_name_not_found;
  Lease& l = *it->second;
  if (!l.breaking) return NtStatus::unsuccessful;
  if (state & ~l.notified_to) return NtStatus::request_not_accepted;
  l.state = state;
  l.breaking = false;
  // A further break arrived while this one was pending: send it now, under the epoch of the
  // break it continues (Windows: smbtorture smb2.lease.v2_breaking3).
  if (l.state & ~l.breaking_to) break_locked(l, l.breaking_to, out, false);
  if (auto f = files_.find(l.file); f != files_.end()) collect_ready_locked(*f->second, out);
  return state;
}

Result<std::uint8_t> NtCore::ack_oplock(const OpenRef& open, std::uint8_t level) {
  Outbox out;
  std::lock_guard lk(mu_);
  Lease* l = open->closed ? nullptr : open->lease.get();
  // An oplock broken from level II to none was never waiting for this: Windows answers
  // INVALID_OPLOCK_PROTOCOL (smbtorture smb2.oplock.levelii500) where 3.3.5.22.1 says
  // INVALID_DEVICE_STATE, which is kept for opens without an oplock.
  if (l && l->is_oplock && !l->breaking && l->state == 0) return NtStatus::invalid_oplock_protocol;
  if (!l || !l->is_oplock || !l->breaking) return NtStatus::invalid_device_state;
  const std::uint32_t acked = state_of_oplock(level);
  l->breaking = false;
  NtStatus failure = NtStatus::success;
  std::uint8_t held = kOplockNone;
  if (level == kOplockLease) {
    l->state = 0;
    failure = NtStatus::invalid_parameter;
  } else if ((acked & ~l->notified_to) || (level != kOplockNone && acked == 0)) {
    l->state = 0;  // acknowledged a level it was not offered (3.3.5.22.1)
    failure = NtStatus::invalid_oplock_protocol;
  } else {
    l->state = acked & l->breaking_to;
    held = oplock_of_state(l->state);
  }
  collect_ready_locked(*open->file, out);
  if (failure != NtStatus::success) return failure;
  return held;
}

void NtCore::tick() {
  Outbox out;
  std::lock_guard lk(mu_);
  const std::uint64_t now = clock_();
  for (auto& [key, f] : files_) {
    bool touched = false;
    for (Open* o : f->opens) {
      Lease* l = o->lease.get();
      if (l && l->breaking && l->deadline <= now) {
        // No acknowledgment in time: the server completes the break itself (3.3.2.5). A lease
        // loses all its caching then (3.3.6.3; Windows: smbtorture smb2.lease.timeout finds
        // the lease at none); an oplock keeps the level it was offered (smb2.oplock.batch22a).
        l->state = l->is_oplock ? l->breaking_to : 0;
        l->breaking = false;
        touched = true;
      }
    }
    if (touched) collect_ready_locked(*f, out);
  }
  // Reconnects that waited long enough for a connection to finish closing (await_orphan).
  wake_orphan_waiters_if_locked([&](const OrphanWaiter& w) { return w.deadline <= now; }, out);
}

}  // namespace smbsrv::nt
