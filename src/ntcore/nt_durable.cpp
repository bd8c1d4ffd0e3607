// NtCore: durable opens whose connection is gone (MS-SMB2 3.3.5.9.6 – 3.3.5.9.12, 3.3.7.1). The
// core keeps such an orphan's share mode, locks and lease as if it were open; the engine keeps
// its backend file and its scavenger deadline (engine/durable_opens.hpp).
#include <algorithm>

#include "codec/access_mask.hpp"
#include "ntcore/nt_core.hpp"
#include "ntcore/nt_internal.hpp"

namespace smbsrv::nt {

using namespace smbsrv::access;

bool NtCore::orphan(const OpenRef& open) {
  Outbox out;
  std::lock_guard lk(mu_);
  Open& o = *open;
  if (o.closed) return false;
  // 3.3.7.1: only an open that still caches handles (batch oplock, or a lease with H) survives
  // its connection; one whose break is unacknowledged cannot be acknowledged any more.
  const Lease* l = o.lease.get();
  const bool caches_handles =
      l && (l->state & kCacheHandle) && (!l->is_oplock || oplock_of_state(l->state) == kOplockBatch);
  // An open with FILE_DELETE_ON_CLOSE survives too, and deletes the file when it finally closes
  // (Windows: smbtorture smb2.durable-open.delete_on_close2); one whose file is already pending
  // deletion does not.
  if (!caches_handles || l->breaking || o.file->delete_pending) return false;
  end_lock_waits_locked(*o.file, o, out);
  o.orphaned = true;
  o.owner.reset();
  o.who = nullptr;
  return true;
}

void NtCore::rehome(const OpenRef& open, const Owner* from, std::weak_ptr<Owner> to) {
  std::lock_guard lk(mu_);
  Open& o = *open;
  if (o.closed || o.orphaned || o.who != from) return;
  o.owner = to;
  o.who = to.lock().get();
  if (Lease* l = o.lease.get(); l && l->owner.lock().get() == from) l->owner = std::move(to);
}

Result<LeaseGrant> NtCore::reconnect(const OpenRef& open, const Reconnect& r) {
  Outbox out;
  std::lock_guard lk(mu_);
  Open& o = *open;
  if (o.closed || !o.orphaned) return NtStatus::object_name_not_found;
  Lease* l = o.lease.get();
  const bool leased = l && !l->is_oplock;
  // 3.3.5.9.7 / 3.3.5.9.12: a leased open comes back only with its lease key, to its client.
  if (leased != r.lease_key.has_value()) return NtStatus::object_name_not_found;
  if (leased) {
    if (*r.lease_key != l->key || r.client_guid != l->client_guid) return NtStatus::object_name_not_found;
    // The name must be the open's (Windows answers invalid_parameter, smbtorture
    // smb2.durable-v2-open.reopen2-lease); an oplocked open ignores the name.
    if (!r.path || !same_path(o.file->key.vfs, o.file->path, *r.path)) return NtStatus::invalid_parameter;
  }
  o.orphaned = false;
  wake_orphan_waiters_locked(o.tag.persistent_id, out);  // they find it taken
  o.owner = r.owner;
  o.who = r.owner.lock().get();
  o.tag = r.tag;
  if (l) {
    l->owner = r.owner;
    l->tag = r.tag;
  }
  return grant_of_locked(o);
}

bool NtCore::await_orphan(std::uint64_t persistent_id, const Key16& client_guid, const LockWait& wait,
                          std::uint64_t deadline) {
  std::lock_guard lk(mu_);
  const Owner* requester = wait.owner.lock().get();
  // Rare (a reconnect that found nothing): a scan of the open files is cheap enough.
  for (const auto& [key, f] : files_)
    for (const Open* o : f->opens) {
      if (o->closed || o->tag.persistent_id != persistent_id) continue;
      // The requester's own connection holding it is a client error, not a teardown under way
      // (smbtorture smb2.durable-open.reopen1); another client's open is not its to take.
      if (o->client_guid != client_guid || (!o->orphaned && o->who == requester)) return false;
      orphan_waiters_.push_back({{wait.owner, requester, wait.token}, persistent_id, deadline});
      return true;
    }
  return false;
}

void NtCore::announce_orphan(const OpenRef& open) {
  Outbox out;
  std::lock_guard lk(mu_);
  wake_orphan_waiters_locked(open->tag.persistent_id, out);
}

void NtCore::wake_orphan_waiters_locked(std::uint64_t persistent_id, Outbox& out) {
  wake_orphan_waiters_if_locked([&](const OrphanWaiter& w) { return w.persistent_id == persistent_id; }, out);
}

LeaseGrant NtCore::grant_of_locked(const Open& o) {
  LeaseGrant g;
  const Lease* l = o.lease.get();
  if (!l) return g;
  if (l->is_oplock) {
    g.oplock_level = oplock_of_state(l->state);
    return g;
  }
  g.oplock_level = kOplockLease;
  g.lease = LeaseGrant::Lease{l->state, l->version, l->epoch, l->breaking};
  return g;
}

LeaseGrant NtCore::current_grant(const OpenRef& open) const {
  std::lock_guard lk(mu_);
  return grant_of_locked(*open);
}

bool NtCore::ended(const OpenRef& open) const {
  std::lock_guard lk(mu_);
  return open->closed;
}

NtCore::Closed NtCore::end_conflicting_orphans_locked(File& f, const OpenRequest& req, Outbox& out) {
  std::vector<Open*> doomed;
  for (Open* o : f.opens) {
    if (!o->orphaned) continue;
    const Lease* l = o->lease.get();
    if (l && mine(*l, req)) continue;  // its own client, opening again before reconnecting
    const bool sharing = (req.access & kSharingRelevant) && (o->access & kSharingRelevant) &&
                         (share_conflict(req.access, o->share_access) || share_conflict(o->access, req.share_access));
    // What a break would take away, with no client left to acknowledge it (MS-SMB2 3.3.4.6:
    // Windows closes such an orphan rather than wait; smbtorture smb2.durable-open.oplock/.lease).
    const bool must_break = l && (req.truncating || ((req.access & kBreakingAccess) && (l->state & kCacheWrite)));
    if (sharing || must_break) doomed.push_back(o);
  }
  // An orphan opened with FILE_DELETE_ON_CLOSE deletes the file as it ends, as its close would
  // have (smbtorture smb2.durable-open.delete_on_close1); the new open then starts again.
  Closed removal;
  for (Open* o : doomed)
    if (auto c = close_locked(*o, true, out, true); c.remove) removal = std::move(c);
  return removal;
}

Result<NtCore::Closed> NtCore::end_app_instance_locked(File& f, const OpenRequest& req, Outbox& out) {
  // 3.3.5.9.13: an application that failed over to another client (a cluster node) takes its
  // files back: the opens its previous instance holds close, as the server application closing
  // them would (3.3.4.17), with no break. The same client's own opens are left alone.
  const auto& mine = *req.app_instance;
  std::vector<Open*> doomed;
  for (Open* o : f.opens) {
    if (o->closed || !o->app_instance || o->app_instance->id != mine.id || o->client_guid == req.client_guid) continue;
    // 3.1.1: an instance may not replace a newer one (or itself).
    if (mine.version && o->app_instance->version && *o->app_instance->version >= *mine.version)
      return NtStatus::file_forced_closed;
    doomed.push_back(o);
  }
  Closed removal;
  for (Open* o : doomed) {
    const bool had_owner = !o->orphaned;
    const auto owner = o->owner;
    const OpenTag tag = o->tag;
    if (auto c = close_locked(*o, true, out, true); c.remove) removal = std::move(c);
    if (had_owner) out.add(owner, OpenEnded{tag});
  }
  return removal;
}

}  // namespace smbsrv::nt
