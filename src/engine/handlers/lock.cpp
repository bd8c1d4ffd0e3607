// LOCK (MS-SMB2 3.3.5.14): lock sequence replay detection, unlocks (3.3.5.14.1), locks
// (3.3.5.14.2), and locks that wait for their range. The locks themselves, and the queue of
// waiting requests, live in the NT core (ntcore/nt_locks.cpp); a waiting LOCK is an async
// command that the core wakes once it has decided it, and that then collects the outcome.
#include "engine/dispatch.hpp"
#include "log.hpp"

namespace smbsrv::engine::handlers {
namespace {

using codec::kLockExclusive;
using codec::kLockFailImmediately;
using codec::kLockShared;
using codec::kLockUnlock;

/// The Open.LockSequenceArray entry a request names, when lock sequences apply (3.3.5.14): not
/// on 2.0.2; only for resilient, durable or persistent opens, or on a 3.x connection that offers
/// multichannel (the specification's rule; Windows applies only the first part, note <314>).
/// LockSequenceIndex 0 and indexes past 64 name no entry.
Open::LockSequence* sequence_entry(const Ctx& ctx, Open& o, std::uint32_t lock_sequence) {
  const auto& conn = ctx.conn;
  if (conn.dialect == Dialect::smb2_0_2) return nullptr;
  const bool multichannel =
      conn.dialect >= Dialect::smb3_0 && (conn.server_capabilities & codec::kCapMultiChannel) != 0;
  if (!o.is_resilient && !o.is_durable && !o.is_persistent && !multichannel) return nullptr;
  const std::uint32_t index = lock_sequence >> 4;  // LockSequenceIndex: the upper 28 bits
  if (index == 0 || index > o.lock_sequences.size()) return nullptr;
  return &o.lock_sequences[index - 1];
}

/// After a request succeeded: its LockSequenceNumber (the low 4 bits) is what a replay carries.
void remember_sequence(const Ctx& ctx, Open& o, std::uint32_t lock_sequence) {
  if (auto* e = sequence_entry(ctx, o, lock_sequence)) *e = {true, static_cast<std::uint8_t>(lock_sequence & 0xF)};
}

void succeed(Response& rsp) {
  Response::BodyBuilder b;
  codec::encode_lock_response(b.w);
  rsp.set_body(b.buf);
}

/// 3.3.5.14.1: each element in order; a failure stops there, and what was unlocked before it
/// stays unlocked. Windows refuses any flag beside UNLOCK, FAIL_IMMEDIATELY included (smbtorture
/// smb2.lock.valid-request).
NtStatus unlock(Ctx& ctx, Open& o, const std::vector<codec::LockElement>& locks) {
  for (const auto& l : locks) {
    if (l.flags != kLockUnlock) return NtStatus::invalid_parameter;
    const nt::NtCore::LockRange r{l.offset, l.length, false};
    if (auto u = ctx.nt.unlock(o.nt, {&r, 1}); !u) return u.status();
  }
  return NtStatus::success;
}

/// A waiting LOCK runs again once the core has decided it (or spuriously): it answers with the
/// outcome, or keeps waiting.
void resume_lock(Ctx& ctx, Request& req, Response& rsp, const codec::LockRequest& r) {
  const std::uint64_t id = *req.async_id;
  const NtStatus s = ctx.nt.lock_outcome(ctx.owner_id, id);
  if (s == NtStatus::pending) return rsp.go_async(id, true, r.file_id);
  if (s != NtStatus::success) return rsp.fail(s);
  // The open may have closed since the lock was granted (TREE_DISCONNECT closes the holder,
  // then the waiter): the request still succeeded, as on Windows (smbtorture smb2.lock.cancel-tdis).
  if (auto it = ctx.conn.client->opens.find(r.file_id.volatile_); it != ctx.conn.client->opens.end() && it->second->nt)
    remember_sequence(ctx, *it->second, r.lock_sequence);
  succeed(rsp);
}

}  // namespace

void lock(Ctx& ctx, Request& req, Response& rsp) {
  auto decoded = codec::decode_lock_request(req.msg);
  if (!decoded) return rsp.fail(decoded.status());
  const auto& r = *decoded;
  if (req.resumed) return resume_lock(ctx, req, rsp, r);
  auto found = ctx.find_open(req, r.file_id);
  if (!found) return rsp.fail(found.status());
  Open& o = **found;
  if (!o.nt) return rsp.fail(NtStatus::invalid_device_request);  // not a file (IPC$)
  // MS-FSA 2.1.5.8: byte-range locks are not permitted on directories.
  if (o.is_directory) return rsp.fail(NtStatus::invalid_parameter);

  // 3.3.5.14: a replay of a request that already succeeded succeeds again without effect; any
  // other sequence number invalidates the entry.
  if (auto* e = sequence_entry(ctx, o, r.lock_sequence)) {
    if (e->valid && e->number == (r.lock_sequence & 0xF)) return succeed(rsp);
    e->valid = false;
  }

  const auto& locks = r.locks;
  NtStatus status = NtStatus::success;
  if (locks[0].flags & kLockUnlock) {
    status = unlock(ctx, o, locks);
  } else {
    // 3.3.5.14.2: several locks in one request must all be FAIL_IMMEDIATELY.
    if (locks.size() > 1)
      for (const auto& l : locks)
        if (!(l.flags & kLockFailImmediately)) return rsp.fail(NtStatus::invalid_parameter);
    // The elements in order up to the first one with invalid flags, which fails the request
    // without undoing the locks before it (3.3.5.14.2). A range past 2^64 - 1 fails the whole
    // request (MS-FSA 2.1.5.8; what the object store refuses is undone).
    std::vector<nt::NtCore::LockRange> ranges;
    ranges.reserve(locks.size());
    NtStatus tail = NtStatus::success;
    for (const auto& l : locks) {
      const std::uint32_t kind = l.flags & ~kLockFailImmediately;
      if (kind != kLockShared && kind != kLockExclusive) {
        tail = NtStatus::invalid_parameter;
        break;
      }
      if (l.length != 0 && l.offset + (l.length - 1) < l.offset) return rsp.fail(NtStatus::invalid_lock_range);
      ranges.push_back({l.offset, l.length, kind == kLockExclusive});
    }
    if (!ranges.empty()) {
      std::optional<nt::NtCore::LockWait> wait;
      const bool blocking = locks.size() == 1 && !(locks[0].flags & kLockFailImmediately);
      if (blocking && req.may_go_async) {
        std::size_t waiting = 0;
        for (const auto& [id, a] : ctx.conn.async_commands)
          if (a.command == codec::Command::lock) ++waiting;
        if (waiting < ctx.server.config.max_blocking_locks_per_connection)
          wait = nt::NtCore::LockWait{ctx.owner, ctx.conn.next_async_id++};
        else
          SMBSRV_LOG_DEBUG("{}: {} locks already wait: this one does not", ctx.peer, waiting);
      }
      status = ctx.nt.lock(o.nt, ranges, wait);
      // The range is taken: answer STATUS_PENDING; the core wakes the request once it is decided.
      if (status == NtStatus::pending) return rsp.go_async(wait->token, true, r.file_id);
    }
    if (status == NtStatus::success) status = tail;
  }
  if (status != NtStatus::success) return rsp.fail(status);
  remember_sequence(ctx, o, r.lock_sequence);
  succeed(rsp);
}

}  // namespace smbsrv::engine::handlers
