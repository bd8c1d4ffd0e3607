#include "engine/leases.hpp"

#include <algorithm>

#include "engine/connection.hpp"

namespace smbsrv::engine {
namespace {

using codec::kLeaseHandle;
using codec::kLeaseRead;
using codec::kLeaseWrite;

constexpr std::uint32_t state_of_oplock(std::uint8_t level) {
  switch (level) {
    case codec::kOplockBatch: return kLeaseRead | kLeaseWrite | kLeaseHandle;
    case codec::kOplockExclusive: return kLeaseRead | kLeaseWrite;
    case codec::kOplockLevelII: return kLeaseRead;
    default: return 0;
  }
}

constexpr std::uint8_t oplock_of_state(std::uint32_t s) {
  if ((s & kLeaseWrite) && (s & kLeaseHandle)) return codec::kOplockBatch;
  if (s & kLeaseWrite) return codec::kOplockExclusive;
  if (s & kLeaseRead) return codec::kOplockLevelII;
  return codec::kOplockNone;
}

}  // namespace

bool LeaseTable::mine(const Lease& l, const Requester& who) const {
  return !l.is_oplock && who.lease_key && l.client_guid == who.client_guid && l.key == *who.lease_key;
}

void LeaseTable::break_locked(Lease& l, std::uint32_t to, std::uint64_t now, std::uint64_t timeout,
                              std::vector<BreakNotice>& out) {
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
  const bool ack = (from & (kLeaseWrite | kLeaseHandle)) != 0;
  if (l.version == 2) ++l.epoch;
  BreakNotice n;
  n.conn = l.conn;
  n.is_oplock = l.is_oplock;
  n.version = l.version;
  n.key = l.key;
  n.from = from;
  n.to = to;
  n.epoch = l.epoch;
  n.ack_required = ack;
  n.session_id = l.session_id;
  n.encrypt = l.encrypt;
  n.file_id = l.file_id;
  out.push_back(std::move(n));
  if (ack) {
    l.breaking = true;
    l.breaking_to = to;
    l.notified_to = to;
    l.deadline = now + timeout;
  } else {
    l.state = to;
  }
}

void LeaseTable::collect_ready_locked(const FileKey& file, std::vector<Waiter>& out) {
  auto it = files_.find(file);
  if (it == files_.end() || it->second.waiters.empty()) return;
  for (auto& [open, l] : it->second.opens)
    if (l && l->breaking) return;
  for (auto& w : it->second.waiters) out.push_back(std::move(w));
  it->second.waiters.clear();
  if (it->second.opens.empty()) files_.erase(it);
}

void LeaseTable::send(std::vector<BreakNotice>& notices) {
  for (auto& n : notices)
    if (auto c = n.conn.lock()) c->send_break(n);
}

void LeaseTable::resume(std::vector<Waiter>& waiters) {
  for (auto& w : waiters)
    if (auto c = w.conn.lock()) c->resume_pending(w.async_id);
}

Result<bool> LeaseTable::prepare_open(const FileKey& file, const Requester& who, BreakCause cause,
                                      const Waiter& waiter, std::uint64_t now, std::uint64_t timeout) {
  std::vector<BreakNotice> notices;
  bool wait = false;
  {
    std::lock_guard lk(mu_);
    if (who.lease_key) {
      auto l = leases_.find({who.client_guid, *who.lease_key});
      if (l != leases_.end() && l->second->file != file) return NtStatus::invalid_parameter;
    }
    auto it = files_.find(file);
    if (it == files_.end()) return false;
    for (auto& [open, l] : it->second.opens) {
      if (!l || mine(*l, who)) continue;
      std::uint32_t keep = l->state;
      switch (cause) {
        case BreakCause::open: keep &= ~kLeaseWrite; break;
        // Leases keep R, which the truncation then breaks; oplocks go straight to none
        // (smbtorture smb2.lease.breaking3, smb2.oplock.exclusive5).
        case BreakCause::overwrite: keep = l->is_oplock ? 0 : (keep & kLeaseRead); break;
        case BreakCause::sharing: keep &= ~kLeaseHandle; break;
      }
      // An oplock cannot keep handle caching without write caching (batch → level II).
      if (l->is_oplock && !(keep & kLeaseWrite)) keep &= ~kLeaseHandle;
      break_locked(*l, keep, now, timeout, notices);
    }
    for (auto& [open, l] : it->second.opens)
      if (l && !mine(*l, who) && l->breaking) wait = true;
    if (wait) it->second.waiters.push_back(waiter);
  }
  send(notices);
  return wait;
}

LeaseGrant LeaseTable::attach(const FileKey& file, const void* open, const Requester& who, const LeaseRequest& req,
                              bool is_directory, bool data_access, std::uint16_t dialect,
                              std::weak_ptr<Connection> conn,
                              std::uint64_t session_id, bool encrypt, const codec::FileId& file_id, std::uint64_t now,
                              std::uint64_t timeout) {
  LeaseGrant g;
  std::vector<BreakNotice> notices;
  {
    std::lock_guard lk(mu_);
    auto& fl = files_[file];
    std::shared_ptr<Lease> lease;
    std::uint32_t wanted = 0;
    bool fresh = false;
    const bool asked_lease = req.oplock_level == codec::kOplockLease && req.lease && dialect >= 0x0210;
    // Directories get no caching: a directory lease would have to be broken on every change of
    // its entries, which this server does not track yet (MS-SMB2 allows granting less).
    const bool want_lease = asked_lease && !is_directory;
    if (want_lease) {
      auto& slot = leases_[{who.client_guid, req.lease->key}];
      if (slot && slot->file != file) {
        // Bound to another file since prepare_open (a race): no lease for this open.
        g.lease = *req.lease;
        g.lease->state = 0;
        g.lease->flags = 0;
        g.oplock_level = codec::kOplockLease;
        fl.opens.emplace_back(open, nullptr);
        return g;
      }
      if (!slot) {
        slot = std::make_shared<Lease>();
        slot->client_guid = who.client_guid;
        slot->key = req.lease->key;
        slot->version = req.lease->version == 2 && dialect >= 0x0300 ? 2 : 1;
        slot->file = file;
        slot->epoch = req.lease->epoch;
        fresh = true;
      }
      lease = slot;
      wanted = req.lease->state & (kLeaseRead | kLeaseWrite | kLeaseHandle);
      if (!(wanted & kLeaseRead)) wanted = 0;  // only R, RW, RH and RWH are lease states
    } else if (req.oplock_level != codec::kOplockNone && req.oplock_level != codec::kOplockLease && data_access) {
      wanted = state_of_oplock(req.oplock_level);
      if (wanted) {
        lease = std::make_shared<Lease>();
        lease->is_oplock = true;
        const std::uint64_t k = next_oplock_key_++;
        for (std::size_t i = 0; i < 8; ++i) lease->key[i] = static_cast<std::uint8_t>(k >> (8 * i));
        lease->file = file;
        fresh = true;
      }
    }
    if (lease) {
      std::uint32_t allowed = is_directory ? 0 : wanted;
      bool others = false;
      for (auto& [o, l] : fl.opens)
        if (l != lease) others = true;
      if (others) allowed &= ~kLeaseWrite;  // write caching needs the file to itself
      if (lease->is_oplock && others) allowed &= ~kLeaseHandle;  // level II at most
      // Oplocks and handle caching do not mix (Windows; smbtorture smb2.lease.oplock): no oplock
      // beside a lease that caches handles, no handle caching beside an oplock.
      for (auto& [o, l] : fl.opens) {
        if (!l || l == lease) continue;
        if (lease->is_oplock && (l->state & kLeaseHandle)) allowed = 0;
        if (!lease->is_oplock && l->is_oplock && l->state) allowed &= ~kLeaseHandle;
      }
      // Another lease still caching writes (it raced with this open): break it now.
      for (auto& [o, l] : fl.opens)
        if (data_access && l && l != lease && (l->state & kLeaseWrite) && !l->breaking)
          break_locked(*l, l->state & ~kLeaseWrite, now, timeout, notices);
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
      lease->conn = std::move(conn);
      lease->session_id = session_id;
      lease->encrypt = encrypt;
      lease->file_id = file_id;
    }
    fl.opens.emplace_back(open, lease);
    if (want_lease) {  // (a directory gets no lease context at all, as Windows: smb2.lease.request)
      g.oplock_level = codec::kOplockLease;
      codec::LeaseContext c = *req.lease;
      c.version = lease->version;
      c.state = lease->state;
      c.flags = (lease->breaking ? codec::kLeaseFlagBreakInProgress : 0) |
                (c.version == 2 ? (req.lease->flags & codec::kLeaseFlagParentKeySet) : 0);
      c.epoch = lease->epoch;
      if (c.version == 1) c.parent_key = {};
      g.lease = c;
    } else if (lease) {
      g.oplock_level = oplock_of_state(lease->state);
    }
  }
  send(notices);
  return g;
}

void LeaseTable::detach(const FileKey& file, const void* open) {
  std::vector<Waiter> ready;
  {
    std::lock_guard lk(mu_);
    auto it = files_.find(file);
    if (it == files_.end()) return;
    auto& opens = it->second.opens;
    auto o = std::find_if(opens.begin(), opens.end(), [&](const auto& e) { return e.first == open; });
    if (o == opens.end()) return;
    auto lease = o->second;
    opens.erase(o);
    if (lease && --lease->opens == 0) {
      // The last open of the lease: it ends, and a break it owed is moot (3.3.4.7 / 3.3.5.10).
      lease->breaking = false;
      if (!lease->is_oplock) {
        auto l = leases_.find({lease->client_guid, lease->key});
        if (l != leases_.end() && l->second == lease) leases_.erase(l);
      }
    }
    collect_ready_locked(file, ready);
    it = files_.find(file);
    if (it != files_.end() && it->second.opens.empty() && it->second.waiters.empty()) files_.erase(it);
  }
  resume(ready);
}

template <class Keep>
void LeaseTable::break_others(const FileKey& file, const void* by, std::uint64_t now, std::uint64_t timeout,
                              Keep keep) {
  std::vector<BreakNotice> notices;
  {
    std::lock_guard lk(mu_);
    auto it = files_.find(file);
    if (it == files_.end()) return;
    std::shared_ptr<Lease> own;
    for (auto& [o, l] : it->second.opens)
      if (o == by) own = l;
    for (auto& [o, l] : it->second.opens)
      if (l && l != own) break_locked(*l, keep(*l), now, timeout, notices);
  }
  send(notices);
}

void LeaseTable::break_for_write(const FileKey& file, const void* writer, std::uint64_t now, std::uint64_t timeout) {
  break_others(file, writer, now, timeout, [](const Lease&) { return std::uint32_t{0}; });
}

void LeaseTable::break_handles(const FileKey& file, const void* by, std::uint64_t now, std::uint64_t timeout) {
  break_others(file, by, now, timeout, [](const Lease& l) -> std::uint32_t {
    return l.is_oplock ? (l.state & kLeaseRead) : (l.state & ~kLeaseHandle);
  });
}

Result<std::uint32_t> LeaseTable::ack_lease(const Key16& client_guid, const Key16& key, std::uint32_t state,
                                            std::uint64_t now, std::uint64_t timeout) {
  std::vector<Waiter> ready;
  std::vector<BreakNotice> notices;
  {
    std::lock_guard lk(mu_);
    auto it = leases_.find({client_guid, key});
    if (it == leases_.end()) return NtStatus::object_name_not_found;
    Lease& l = *it->second;
    if (!l.breaking) return NtStatus::unsuccessful;
    if (state & ~l.notified_to) return NtStatus::request_not_accepted;
    l.state = state;
    l.breaking = false;
    // A further break arrived while this one was pending: send it now.
    if (l.state & ~l.breaking_to) break_locked(l, l.breaking_to, now, timeout, notices);
    collect_ready_locked(l.file, ready);
  }
  send(notices);
  resume(ready);
  return state;
}

Result<std::uint8_t> LeaseTable::ack_oplock(const FileKey& file, const void* open, std::uint8_t level) {
  std::vector<Waiter> ready;
  std::uint8_t held = codec::kOplockNone;
  NtStatus failure = NtStatus::success;
  {
    std::lock_guard lk(mu_);
    auto it = files_.find(file);
    std::shared_ptr<Lease> l;
    if (it != files_.end())
      for (auto& [o, e] : it->second.opens)
        if (o == open) l = e;
    if (!l || !l->is_oplock || !l->breaking) return NtStatus::invalid_device_state;
    const std::uint32_t acked = state_of_oplock(level);
    l->breaking = false;
    if (level == codec::kOplockLease) {
      l->state = 0;
      failure = NtStatus::invalid_parameter;
    } else if (acked & ~l->notified_to || (level != codec::kOplockNone && acked == 0)) {
      l->state = 0;  // acknowledged a level it was not offered (3.3.5.22.1)
      failure = NtStatus::invalid_oplock_protocol;
    } else {
      l->state = acked & l->breaking_to;
      held = oplock_of_state(l->state);
    }
    collect_ready_locked(file, ready);
  }
  resume(ready);
  if (failure != NtStatus::success) return failure;
  return held;
}

void LeaseTable::tick(std::uint64_t now) {
  std::vector<Waiter> ready;
  {
    std::lock_guard lk(mu_);
    std::vector<FileKey> touched;
    for (auto& [key, fl] : files_)
      for (auto& [o, l] : fl.opens)
        if (l && l->breaking && l->deadline <= now) {
          // No acknowledgment in time: the server completes the break itself (3.3.2.5).
          l->state = l->breaking_to;
          l->breaking = false;
          touched.push_back(key);
        }
    for (auto& k : touched) collect_ready_locked(k, ready);
  }
  resume(ready);
}

void LeaseTable::forget_waiter(const Connection* conn, std::uint64_t async_id) {
  std::lock_guard lk(mu_);
  for (auto it = files_.begin(); it != files_.end();) {
    std::erase_if(it->second.waiters, [&](const Waiter& w) { return w.who == conn && w.async_id == async_id; });
    if (it->second.opens.empty() && it->second.waiters.empty()) it = files_.erase(it);
    else ++it;
  }
}

}  // namespace smbsrv::engine
