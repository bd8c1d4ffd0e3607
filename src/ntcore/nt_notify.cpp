// NtCore: change notification (MS-FSA 2.1.4.1 ChangeNotifyEntry, 2.1.5.10 Server Requests Change
// Notifications for a Directory; MS-SMB2 3.3.5.19).
//
// Each directory open armed by a CHANGE_NOTIFY keeps a NotifyWatch: its filter, WatchTree, the
// changes collected since its last answer and the requests waiting. A change is queued on every
// matching watch; the oldest waiting request of a watch then takes the whole queue as its
// outcome (decided here, under the lock, so what it answers does not depend on when its
// connection's executor gets to it) and its owner gets Wake{token}.
#include <algorithm>

#include "ntcore/nt_core.hpp"
#include "ntcore/nt_internal.hpp"

namespace smbsrv::nt {
namespace {

/// The name of `p` relative to `dir`, backslash-separated: `p` must be below `dir`.
std::string relative_name(const SmbPath& dir, const SmbPath& p) {
  std::string name;
  const auto& c = p.components();
  for (std::size_t i = dir.components().size(); i < c.size(); ++i) {
    if (!name.empty()) name += '\\';
    name += c[i];
  }
  return name;
}

/// An upper bound of what `e` adds to an encoded chain (its entry padded to 4 bytes).
std::size_t entry_bytes(const codec::NotifyEntry& e) {
  return (12 + 2 * e.name.size() + 3) & ~std::size_t{3};  // UTF-16 never takes more units than UTF-8 bytes
}

}  // namespace

NtCore::NotifyBatch NtCore::notify_request(const OpenRef& open, const NotifyRequest& r) {
  Outbox out;
  std::lock_guard lk(mu_);
  NotifyBatch b;
  if (open->closed) {
    b.status = NtStatus::notify_cleanup;
    return b;
  }
  Open& o = *open;
  if (o.file->delete_pending && o.file->is_directory) {
    b.status = NtStatus::delete_pending;
    return b;
  }
  if (!o.notify) {
    b.armed = true;
    o.notify = std::make_unique<NotifyWatch>();
    o.notify->filter = r.filter;
    o.notify->watch_tree = r.watch_tree;
    o.notify->buffer_limit = r.buffer_size;
    watchers_.push_back(&o);
    watcher_count_.store(watchers_.size(), std::memory_order_relaxed);
  }
  NotifyWatch& w = *o.notify;
  // Changes collected between requests answer this one at once (MS-FSA 2.1.5.10: the
  // NotifyEventList is checked first); so does a lost change.
  if (w.pending.empty() && (!w.queue.empty() || w.overflow)) {
    b.changes = std::exchange(w.queue, {});
    b.overflow = std::exchange(w.overflow, false);
    w.queued_bytes = 0;
    return b;
  }
  b.status = NtStatus::pending;
  if (r.wait) {
    const Owner* who = nullptr;
    if (auto owner = r.wait->owner.lock()) who = owner.get();
    w.pending.push_back({r.wait->owner, who, r.wait->token});
  }
  return b;
}

NtCore::NotifyBatch NtCore::notify_outcome(const Owner* owner, std::uint64_t token) {
  std::lock_guard lk(mu_);
  auto it = notify_outcomes_.find({owner, token});
  if (it == notify_outcomes_.end()) {
    NotifyBatch b;
    b.status = NtStatus::pending;
    return b;
  }
  NotifyBatch b = std::move(it->second.batch);
  notify_outcomes_.erase(it);
  return b;
}

void NtCore::queue_change_locked(Open& o, codec::NotifyEntry e, bool overflow) {
  NotifyWatch& w = *o.notify;
  if (overflow) {
    w.queue.clear();
    w.queued_bytes = 0;
    w.overflow = true;
  } else if (!w.overflow) {
    // The same change twice in a row is reported once (a WRITE and a SET_INFO of the times of one
    // file are one MODIFIED: smbtorture smb2.notify.valid-req counts them so).
    if (!w.queue.empty() && w.queue.back() == e) return;
    const std::size_t bytes = entry_bytes(e);
    if (w.queue.size() >= options_.max_notify_changes || w.queued_bytes + bytes > w.buffer_limit) {
      // The buffer the first request sized is full: the changes are lost (STATUS_NOTIFY_ENUM_DIR).
      w.queue.clear();
      w.queued_bytes = 0;
      w.overflow = true;
    } else {
      w.queue.push_back(std::move(e));
      w.queued_bytes += bytes;
    }
  }
}

void NtCore::hand_out_locked(Open& o, Outbox& out) {
  NotifyWatch& w = *o.notify;
  if (w.pending.empty() || (w.queue.empty() && !w.overflow)) return;
  const NotifyWatch::Pending p = w.pending.front();
  w.pending.erase(w.pending.begin());
  NotifyOutcome outcome;
  outcome.open = &o;
  outcome.batch.changes = std::exchange(w.queue, {});
  outcome.batch.overflow = std::exchange(w.overflow, false);
  w.queued_bytes = 0;
  notify_outcomes_[{p.who, p.token}] = std::move(outcome);
  out.add(p.owner, Wake{p.token});
}

void NtCore::report_of(const OpenRef& open, std::uint32_t action, std::uint32_t filter) {
  if (watcher_count_.load(std::memory_order_relaxed) == 0) return;  // nobody watches: no lock taken
  Outbox out;
  std::lock_guard lk(mu_);
  if (watchers_.empty() || open->closed) return;
  const File& f = *open->file;
  if (f.key.stream.empty()) {
    const Change c{f.path, action, filter, {}};
    report_locked(f.key.vfs, std::span(&c, 1), out);
    return;
  }
  // Through a stream's handle, data changes are the stream's (MODIFIED_STREAM with STREAM_SIZE /
  // STREAM_WRITE, MS-FSCC 2.7.1); times, attributes and security are the file's.
  Change c[2];
  std::size_t n = 0;
  std::uint32_t stream_filter = 0;
  if (filter & codec::kNotifySize) stream_filter |= codec::kNotifyStreamSize;
  if (filter & codec::kNotifyLastWrite) stream_filter |= codec::kNotifyStreamWrite;
  if (stream_filter) c[n++] = {f.path, codec::kActionModifiedStream, stream_filter, f.stream_name};
  if (const auto rest = filter & ~(codec::kNotifySize | codec::kNotifyLastWrite)) c[n++] = {f.path, action, rest, {}};
  report_locked(f.key.vfs, std::span(c, n), out);
}

void NtCore::report(const Vfs* vfs, std::span<const Change> changes) {
  if (watcher_count_.load(std::memory_order_relaxed) == 0) return;
  Outbox out;
  std::lock_guard lk(mu_);
  report_locked(vfs, changes, out);
}

namespace {

/// Whether the change `c` is for the watching open whose directory is `dir`: a watch sees its
/// direct children; with WatchTree anything below (MS-FSA 2.1.5.10).
bool watches(const Vfs* vfs, const SmbPath& dir, bool watch_tree, const SmbPath& changed) {
  if (changed.is_root()) return false;  // the share's root has no parent to watch it
  const SmbPath parent = changed.parent();
  return same_path(vfs, dir, parent) || (watch_tree && is_below(vfs, dir, parent));
}

}  // namespace

void NtCore::report_locked(const Vfs* vfs, std::span<const Change> changes, Outbox& out) {
  if (watchers_.empty()) return;
  const bool host_watched = std::any_of(watchers_.begin(), watchers_.end(), [](Open* o) { return o->notify->host != nullptr; });
  if (host_watched) expire_recent_locked();
  for (const Change& c : changes) {
    if (c.path.is_root()) continue;
    if (host_watched) remember_locked(vfs, c.path, c.action, c.filter, nullptr);
    for (Open* o : watchers_) {
      const File& f = *o->file;
      if (f.key.vfs != vfs || !(o->notify->filter & c.filter)) continue;
      if (!watches(vfs, f.path, o->notify->watch_tree, c.path)) continue;
      // The echo of a write can beat our report of it: a MODIFIED of this name that the open's
      // host watch has just told, with every bit of this one, is this change (docs/DESIGN.md,
      // "Changes made on the host"). Names the backend marks as its own itself.
      if (o->notify->host && c.stream.empty() && c.action == codec::kActionModified &&
          recent_locked(vfs, c.path, [&](const Recent& r) {
            return r.host == o && r.action == c.action && (r.filter & c.filter) == c.filter;
          }))
        continue;
      std::string name = relative_name(f.path, c.path);
      if (!c.stream.empty()) name += ":" + c.stream;
      queue_change_locked(*o, {c.action, std::move(name)}, false);
    }
  }
  // The changes of one report go out together (a rename's two names answer one request).
  for (Open* o : watchers_) hand_out_locked(*o, out);
}

void NtCore::attach_host_watch(const OpenRef& open, std::unique_ptr<VfsWatch> watch) {
  Outbox out;
  std::lock_guard lk(mu_);
  if (open->closed || !open->notify || open->notify->host) return out.discard(std::move(watch));
  open->notify->host = std::move(watch);
  std::erase_if(host_watched_, [](const std::weak_ptr<Open>& w) { return w.expired(); });
  host_watched_.push_back(open);
}

void NtCore::report_host(const std::weak_ptr<Open>& open, std::span<const VfsChange> changes, bool lost) {
  auto o = open.lock();
  if (!o) return;
  Outbox out;
  std::lock_guard lk(mu_);
  if (o->closed || !o->notify) return;
  const File& f = *o->file;
  const Vfs* vfs = f.key.vfs;
  if (lost) queue_change_locked(*o, {}, true);
  expire_recent_locked();
  // A rename seen in part (one of its directories watched, or its two events read apart) is a
  // removal and an addition: the same change for this purpose.
  const auto kind = [](std::uint32_t a) {
    return a == codec::kActionRenamedOld ? codec::kActionRemoved : a == codec::kActionRenamedNew ? codec::kActionAdded : a;
  };
  for (const VfsChange& c : changes) {
    if (!watches(vfs, f.path, o->notify->watch_tree, c.path)) continue;
    // The echo of a change the server made and reported: the same change of the same name, or
    // a MODIFIED after any (the DOS record written with a new file, a write's several syscalls).
    const bool echo = recent_locked(vfs, c.path, [&](const Recent& r) {
      return !r.host && (c.action == codec::kActionModified || kind(r.action) == kind(c.action));
    });
    if (echo) continue;
    remember_locked(vfs, c.path, c.action, c.filter, o.get());
    if (!(o->notify->filter & c.filter)) continue;
    queue_change_locked(*o, {c.action, relative_name(f.path, c.path)}, false);
  }
  hand_out_locked(*o, out);
}

void NtCore::expire_recent_locked() {
  const std::uint64_t now = clock_();
  std::erase_if(recent_, [&](const Recent& r) { return now - r.at > kEchoWindow || r.at > now; });
}

template <class Match>
bool NtCore::recent_locked(const Vfs* vfs, const SmbPath& path, Match match) const {
  return std::any_of(recent_.begin(), recent_.end(),
                     [&](const Recent& r) { return r.vfs == vfs && match(r) && same_path(vfs, r.path, path); });
}

void NtCore::remember_locked(const Vfs* vfs, const SmbPath& path, std::uint32_t action, std::uint32_t filter,
                             const Open* host) {
  // A run of WRITEs to one file is one entry, refreshed (looked for among the latest only).
  const std::size_t n = recent_.size();
  for (std::size_t i = n; i > 0 && i + 8 > n; --i) {
    Recent& r = recent_[i - 1];
    if (r.vfs == vfs && r.host == host && r.action == action && r.path == path) {
      r.filter |= filter;
      r.at = clock_();
      return;
    }
  }
  if (n >= 4096) recent_.erase(recent_.begin());  // a burst: the oldest go first
  recent_.push_back({vfs, path, action, filter, host, clock_()});
}

void NtCore::cancel_notify_locked(const Owner* owner, std::uint64_t token) {
  for (Open* o : watchers_)
    std::erase_if(o->notify->pending, [&](const NotifyWatch::Pending& p) { return p.who == owner && p.token == token; });
  auto n = notify_outcomes_.find({owner, token});
  if (n == notify_outcomes_.end()) return;
  // Decided but not answered (cancelled meanwhile): the changes go back for the next request.
  if (Open* o = n->second.open; o && o->notify) {
    NotifyWatch& w = *o->notify;
    auto& b = n->second.batch;
    w.queue.insert(w.queue.begin(), std::make_move_iterator(b.changes.begin()), std::make_move_iterator(b.changes.end()));
    w.overflow = w.overflow || b.overflow;
    w.queued_bytes = 0;
    for (const auto& e : w.queue) w.queued_bytes += entry_bytes(e);
  }
  notify_outcomes_.erase(n);
}

void NtCore::notify_delete_pending_locked(File& f, Outbox& out) {
  for (Open* o : f.opens) {
    if (!o->notify) continue;
    for (const auto& p : std::exchange(o->notify->pending, {})) {
      NotifyOutcome outcome;
      outcome.open = o;
      outcome.batch.status = NtStatus::delete_pending;
      notify_outcomes_[{p.who, p.token}] = std::move(outcome);
      out.add(p.owner, Wake{p.token});
    }
  }
}

void NtCore::unwatch_locked(Open& o, Outbox& out) {
  if (!o.notify) return;
  out.discard(std::move(o.notify->host));
  std::erase_if(recent_, [&](const Recent& r) { return r.host == &o; });
  std::erase(watchers_, &o);
  watcher_count_.store(watchers_.size(), std::memory_order_relaxed);
  std::erase_if(notify_outcomes_, [&](const auto& e) { return e.second.open == &o; });
  o.notify.reset();
}

}  // namespace smbsrv::nt
