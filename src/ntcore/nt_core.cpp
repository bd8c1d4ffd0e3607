// NtCore: opens, share modes, deletion and renames (this file); oplocks and leases
// (nt_leases.cpp); byte-range locks (nt_locks.cpp); census and invariants (nt_census.cpp).
#include "ntcore/nt_core.hpp"

#include <algorithm>

#include "codec/access_mask.hpp"
#include "ntcore/nt_internal.hpp"
#include "util/upcase.hpp"

namespace smbsrv::nt {
namespace {

using namespace smbsrv::access;

bool same_name(const Vfs* vfs, const std::string& a, const std::string& b) {
  return vfs->case_sensitive() ? a == b : iequal_names(a, b);
}

}  // namespace

bool is_below(const Vfs* vfs, const SmbPath& dir, const SmbPath& p, bool or_equal) {
  const auto& a = dir.components();
  const auto& b = p.components();
  if (b.size() < a.size() || (b.size() == a.size() && !or_equal)) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (!same_name(vfs, a[i], b[i])) return false;
  return true;
}

bool same_path(const Vfs* vfs, const SmbPath& a, const SmbPath& b) {
  return a.components().size() == b.components().size() && is_below(vfs, a, b, true);
}

NtCore::NtCore(const std::function<std::uint64_t()>& clock, Options options) : clock_(clock), options_(options) {}

NtCore::~NtCore() {
  // Host watches end first: their callbacks report into this core. Ended outside the lock (a
  // callback may be waiting for it); once reset, none of theirs runs again.
  std::vector<std::unique_ptr<VfsWatch>> ending;
  {
    std::lock_guard lk(mu_);
    for (auto& w : host_watched_)
      if (auto o = w.lock(); o && o->notify && o->notify->host) ending.push_back(std::move(o->notify->host));
  }
  ending.clear();
}

NtCore::Opened NtCore::open(const OpenRequest& req) {
  Outbox out;
  std::lock_guard lk(mu_);
  auto& slot = files_[req.file];
  if (!slot) {
    slot = std::make_shared<File>();
    slot->key = req.file;
    slot->path = req.path;
    slot->stream_name = req.stream_name;
    slot->is_directory = req.is_directory;
  }
  File& f = *slot;
  const auto give_up = [&](NtStatus s) {
    erase_if_unused_locked(req.file);
    Opened r;
    r.status = s;
    return r;
  };
  const auto wait = [&] {
    f.waiters.push_back({req.owner, req.owner.lock().get(), *req.wait_token});
    Opened r;
    r.must_wait = true;
    return r;
  };
  // The retry of an open that waited for breaks continues what it started: the breaks it sends
  // now keep the V2 epoch of the acknowledged ones (Windows: smbtorture smb2.lease.v2_breaking3).
  const auto retry = std::find_if(f.resumed.begin(), f.resumed.end(), [&](const Waiter& w) {
    return req.wait_token && w.token == *req.wait_token && w.who == req.owner.lock().get();
  });
  const bool resumed = retry != f.resumed.end();
  if (resumed) f.resumed.erase(retry);
  // The last open of a file pending deletion closed and its removal is under way (another
  // connection's close job): as on Windows, where the create waits on the file's lock while the
  // last handle's cleanup deletes it, the open waits and then finds the name free.
  if (f.removing && req.wait_token) {
    auto r = wait();
    r.waits_unopened = true;
    return r;
  }
  if (f.delete_pending || f.removing) return give_up(NtStatus::delete_pending);
  // A named stream of a file pending deletion goes with it (smbtorture smb2.streams.delete).
  if (!req.file.stream.empty())
    if (const File* b = base_file_locked(req.file); b && (b->delete_pending || b->removing))
      return give_up(NtStatus::delete_pending);
  if (req.app_instance) {
    auto ended = end_app_instance_locked(f, req, out);
    if (!ended) return give_up(ended.status());
    if (ended->remove) {
      Opened r;
      r.remove_first = std::move(*ended);
      return r;
    }
  }
  if (auto ended = end_conflicting_orphans_locked(f, req, out); ended.remove) {
    Opened r;
    r.remove_first = std::move(ended);
    return r;
  }
  const bool leasing = options_.leasing;
  // A lease key names one file (3.3.5.9.8).
  const auto key_elsewhere = [&] {
    if (!req.lease || req.oplock_level != kOplockLease || !req.leases_allowed) return false;
    auto l = leases_.find({req.client_guid, req.lease->key});
    return l != leases_.end() && l->second->file != req.file;
  };

  // MS-FSA 2.1.5.1.2: the share-mode check first. Opens with neither data nor DELETE access
  // (attribute or stat opens) take no part in sharing, on either side (smbtorture
  // smb2.lease.statopen).
  bool violation = false;
  if (req.access & kSharingRelevant) {
    for (const Open* o : f.opens) {
      if (!(o->access & kSharingRelevant)) continue;
      if (share_conflict(req.access, o->share_access) || share_conflict(o->access, req.share_access)) {
        violation = true;
        break;
      }
    }
  }
  if (violation) {
    // Handles that other clients cache may be what conflicts: break their handle caching; the
    // open is retried once those breaks are over (or fails at once when it may not wait).
    if (leasing) {
      if (key_elsewhere()) return give_up(NtStatus::invalid_parameter);
      if (break_for_open_locked(f, req, BreakCause::sharing, out, true, !resumed) && req.wait_token) {
        auto r = wait();
        r.waits_unopened = true;
        return r;
      }
    }
    return give_up(NtStatus::sharing_violation);
  }
  // DELETE on the file itself conflicts with an open of any of its named streams that does not
  // share delete: deleting the file would delete that stream (Windows; smbtorture
  // smb2.streams.delete).
  if (req.file.stream.empty() && (req.access & kDelete) && stream_opens_locked(req.file, true))
    return give_up(NtStatus::sharing_violation);
  // Then the oplock check: stat opens break nothing (MS-FSA 2.1.5.1.2; smbtorture
  // smb2.lease.statopen, statopen4, smb2.oplock.statopen1); READ_CONTROL breaks oplocks only.
  const bool breaks_oplocks = req.truncating || (req.access & ~kOplockStatAccess);
  const bool breaks_leases = req.truncating || (req.access & ~kLeaseStatAccess);
  if (leasing && breaks_oplocks) {
    if (key_elsewhere()) return give_up(NtStatus::invalid_parameter);
    const auto cause = req.truncating ? BreakCause::overwrite : BreakCause::open;
    const bool waiting = break_for_open_locked(f, req, cause, out, breaks_leases, !resumed);
    if (waiting && req.wait_token) return wait();
  }
  auto o = std::make_shared<Open>();
  o->file = slot;
  o->access = req.access;
  o->share_access = req.share_access;
  o->delete_on_close = req.delete_on_close;
  o->owner = req.owner;
  o->who = req.owner.lock().get();
  o->tag = req.tag;
  o->client_guid = req.client_guid;
  o->app_instance = req.app_instance;
  Opened result;
  if (leasing) result.grant = grant_locked(f, *o, req, out);
  f.opens.push_back(o.get());
  result.open = std::move(o);
  return result;
}

NtCore::Closed NtCore::close(const OpenRef& open, bool apply_delete_on_close) {
  Outbox out;
  std::lock_guard lk(mu_);
  if (open->closed) return {};
  return close_locked(*open, apply_delete_on_close, out);
}

NtCore::Closed NtCore::close_locked(Open& o, bool apply_delete_on_close, Outbox& out, bool keep_file) {
  Closed c;
  o.closed = true;
  o.orphaned = false;
  if (!orphan_waiters_.empty()) wake_orphan_waiters_locked(o.tag.persistent_id, out);
  File& f = *o.file;
  if (o.delete_on_close && apply_delete_on_close) f.delete_pending = true;
  std::erase(f.opens, &o);
  unwatch_locked(o, out);
  if (f.delete_pending && f.is_directory) notify_delete_pending_locked(f, out);
  end_lock_waits_locked(f, o, out);
  const auto locks_before = f.locks.size();
  std::erase_if(f.locks, [&](const ByteRangeLock& l) { return l.open == &o; });
  if (f.locks.size() != locks_before) grant_waiting_locks_locked(f, out);
  if (o.lease && --o.lease->opens == 0) {
    // The last open of the lease: it ends, and a break it owed is moot (3.3.4.7 / 3.3.5.10).
    auto& lease = *o.lease;
    lease.breaking = false;
    if (!lease.is_oplock) {
      auto l = leases_.find({lease.client_guid, lease.key});
      if (l != leases_.end() && l->second == o.lease) leases_.erase(l);
    }
  }
  o.lease.reset();
  // A file pending deletion waits for the last open of its named streams too; that close then
  // removes the file (and the streams with it).
  File* base = nullptr;
  if (!f.key.stream.empty() && f.opens.empty())
    if (File* b = base_file_locked(f.key);
        b && b->opens.empty() && b->delete_pending && !b->removing && !stream_opens_locked(b->key))
      base = b;
  File& gone = base ? *base : f;
  if (base || (f.opens.empty() && f.delete_pending && !(f.key.stream.empty() && stream_opens_locked(f.key)))) {
    // The file goes once the closer has removed it; until then new opens see delete_pending and
    // waits on it stay (a CREATE they release must not find the file still there).
    gone.removing = true;
    c.remove = true;
    c.path = gone.path;
    c.stream = gone.stream_name;
    c.file = gone.key;
    c.is_directory = gone.is_directory;
    if (base) {
      collect_ready_locked(f, out);
      if (!keep_file) erase_if_unused_locked(f.key);
    }
    return c;
  }
  collect_ready_locked(f, out);
  if (!keep_file) erase_if_unused_locked(f.key);
  return c;
}

NtCore::File* NtCore::base_file_locked(const FileKey& key) {
  auto it = files_.find(FileKey{key.vfs, key.id, {}});
  return it == files_.end() ? nullptr : it->second.get();
}

bool NtCore::stream_opens_locked(const FileKey& key, bool without_share_delete) const {
  // Keys order by (vfs, id, stream): the file's streams follow its own key.
  for (auto it = files_.upper_bound(FileKey{key.vfs, key.id, {}});
       it != files_.end() && it->first.vfs == key.vfs && it->first.id == key.id; ++it) {
    for (const Open* o : it->second->opens) {
      if (!without_share_delete) return true;
      if ((o->access & kSharingRelevant) && !(o->share_access & kShareDelete)) return true;
    }
  }
  return false;
}

void NtCore::removed(const FileKey& file) {
  Outbox out;
  std::lock_guard lk(mu_);
  auto it = files_.find(file);
  if (it == files_.end()) return;
  File& f = *it->second;
  f.removing = false;
  f.delete_pending = false;
  collect_ready_locked(f, out);
  erase_if_unused_locked(file);
}

void NtCore::erase_if_unused_locked(const FileKey& key) {
  auto it = files_.find(key);
  if (it == files_.end()) return;
  const File& f = *it->second;
  if (f.delete_pending && key.stream.empty() && stream_opens_locked(key)) return;  // see close_locked()
  if (f.opens.empty() && f.waiters.empty() && !f.removing) files_.erase(it);
}

SmbPath NtCore::path(const OpenRef& open) const {
  std::lock_guard lk(mu_);
  return open->file->path;
}

bool NtCore::delete_pending(const OpenRef& open) const {
  std::lock_guard lk(mu_);
  return open->file->delete_pending;
}

void NtCore::set_delete_pending(const OpenRef& open, bool pending) {
  std::lock_guard lk(mu_);
  if (open->closed) return;
  open->file->delete_pending = pending;
  open->delete_on_close = false;  // the file's state rules now
}

bool NtCore::in_use(const FileKey& file) const {
  std::lock_guard lk(mu_);
  auto it = files_.find(file);
  return it != files_.end() && (!it->second->opens.empty() || it->second->removing);
}

Result<void> NtCore::check_rename(const OpenRef& open, bool open_below_ok) const {
  std::lock_guard lk(mu_);
  const File& f = *open->file;
  if (f.path.is_root()) return NtStatus::access_denied;
  const Vfs* vfs = f.key.vfs;
  // Windows refuses to rename a directory that has open files below it.
  if (f.is_directory && !open_below_ok) {
    for (const auto& [key, other] : files_)
      if (key.vfs == vfs && !other->opens.empty() && is_below(vfs, f.path, other->path)) return NtStatus::access_denied;
  }
  const SmbPath dir = f.path.parent();
  for (const auto& [key, other] : files_) {
    if (key.vfs != vfs || !other->is_directory || !same_path(vfs, dir, other->path)) continue;
    for (const Open* o : other->opens)
      if ((o->access & kSharingRelevant) && ((o->access & kDelete) || !(o->share_access & kShareDelete)))
        return NtStatus::sharing_violation;
  }
  return {};
}

void NtCore::renamed(const OpenRef& open, const SmbPath& from, const SmbPath& to) {
  std::lock_guard lk(mu_);
  const Vfs* vfs = open->file->key.vfs;
  for (auto& [key, f] : files_) {
    if (key.vfs != vfs) continue;
    if (f.get() == open->file.get() || same_path(vfs, f->path, from)) {
      f->path = to;
    } else if (is_below(vfs, from, f->path)) {
      auto comps = to.components();
      const auto& old = f->path.components();
      comps.insert(comps.end(), old.begin() + static_cast<std::ptrdiff_t>(from.components().size()), old.end());
      if (auto p = SmbPath::from_components(std::move(comps))) f->path = *p;
    }
  }
}

bool NtCore::rename_stream(const OpenRef& open, const std::string& key, const std::string& name) {
  std::lock_guard lk(mu_);
  const FileKey from = open->file->key;
  FileKey to = from;
  to.stream = key;
  if (to == from) {
    open->file->stream_name = name;  // only the case changes
    return true;
  }
  if (auto it = files_.find(to); it != files_.end()) {
    const File& t = *it->second;
    if (!t.opens.empty() || t.removing || !t.waiters.empty() || !t.lock_waiters.empty()) return false;
    files_.erase(it);
  }
  auto node = files_.extract(from);
  if (node.empty()) return false;
  node.key() = to;
  File& f = *node.mapped();
  f.key = to;
  f.stream_name = name;
  for (Open* o : f.opens)
    if (o->lease && o->lease->file == from) o->lease->file = to;
  files_.insert(std::move(node));
  return true;
}

void NtCore::cancel_wait(const Owner* owner, std::uint64_t token) {
  Outbox out;
  std::lock_guard lk(mu_);
  if (auto o = lock_outcomes_.find({owner, token}); o != lock_outcomes_.end()) {
    // Granted, but the requester is told otherwise (cancelled, or gone): the lock goes back.
    if (auto open = o->second.open.lock(); open && !open->closed && o->second.status == NtStatus::success) {
      File& f = *open->file;
      const LockRange& r = o->second.range;
      auto it = std::find_if(f.locks.begin(), f.locks.end(), [&](const ByteRangeLock& l) {
        return l.open == open.get() && l.offset == r.offset && l.length == r.length && l.exclusive == r.exclusive;
      });
      if (it != f.locks.end()) {
        f.locks.erase(it);
        grant_waiting_locks_locked(f, out);
      }
    }
    lock_outcomes_.erase(o);
  }
  cancel_notify_locked(owner, token);
  std::erase_if(orphan_waiters_, [&](const OrphanWaiter& w) { return w.waiter.who == owner && w.waiter.token == token; });
  for (auto it = files_.begin(); it != files_.end();) {
    File& f = *it->second;
    std::erase_if(f.waiters, [&](const Waiter& w) { return w.who == owner && w.token == token; });
    std::erase_if(f.resumed, [&](const Waiter& w) { return w.who == owner && w.token == token; });
    std::erase_if(f.lock_waiters, [&](const LockWaiter& w) { return w.who == owner && w.token == token; });
    if (f.opens.empty() && f.waiters.empty() && !f.removing) it = files_.erase(it);
    else ++it;
  }
}

}  // namespace smbsrv::nt
