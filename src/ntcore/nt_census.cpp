// What the core holds, and whether it is consistent: for tests and the simulation's invariant
// checks (tests/sim), never on the request path.
#include <set>
#include <sstream>

#include "codec/access_mask.hpp"
#include "ntcore/nt_core.hpp"
#include "ntcore/nt_internal.hpp"

namespace smbsrv::nt {

NtCore::Census NtCore::census() const {
  std::lock_guard lk(mu_);
  Census c;
  c.files = files_.size();
  c.leases = leases_.size();
  for (const auto& [key, f] : files_) {
    c.opens += f->opens.size();
    for (const Open* o : f->opens) c.durable += o->orphaned ? 1 : 0;
    c.locks += f->locks.size();
    c.waiters += f->waiters.size() + f->lock_waiters.size();
  }
  c.waiters += lock_outcomes_.size() + notify_outcomes_.size() + orphan_waiters_.size();
  for (const Open* o : watchers_) c.waiters += o->notify->pending.size();
  return c;
}

NtCore::Census NtCore::census_of(const Owner* owner) const {
  std::lock_guard lk(mu_);
  Census c;
  for (const auto& [key, f] : files_) {
    bool any = false;
    for (const Open* o : f->opens)
      if (o->who == owner) {
        ++c.opens;
        any = true;
      }
    for (const auto& l : f->locks)
      if (l.open->who == owner) ++c.locks;
    for (const auto& w : f->waiters)
      if (w.who == owner) ++c.waiters;
    for (const auto& w : f->lock_waiters)
      if (w.who == owner) ++c.waiters;
    if (any) ++c.files;
  }
  for (const auto& [key, o] : lock_outcomes_)
    if (key.first == owner) ++c.waiters;
  for (const auto& [key, o] : notify_outcomes_)
    if (key.first == owner) ++c.waiters;
  for (const Open* o : watchers_)
    for (const auto& p : o->notify->pending)
      if (p.who == owner) ++c.waiters;
  for (const auto& w : orphan_waiters_)
    if (w.waiter.who == owner) ++c.waiters;
  return c;
}

std::optional<std::string> NtCore::check_invariants() const {
  using namespace smbsrv::access;
  std::lock_guard lk(mu_);
  std::ostringstream err;
  std::map<const Lease*, std::size_t> lease_opens;
  for (const auto& [key, fp] : files_) {
    const File& f = *fp;
    const std::string name = "'" + f.path.to_string() + "'";
    // A file pending deletion stays while its named streams have opens (close_locked()).
    bool streams_open = false;
    if (key.stream.empty() && f.delete_pending)
      for (auto s = files_.upper_bound(FileKey{key.vfs, key.id, {}});
           s != files_.end() && s->first.vfs == key.vfs && s->first.id == key.id; ++s)
        streams_open = streams_open || !s->second->opens.empty();
    if (f.opens.empty() && f.waiters.empty() && !f.removing && !streams_open) return "unused file object " + name;
    std::set<const Open*> seen;
    for (const Open* o : f.opens) {
      if (o->closed) return "closed open still listed on " + name;
      if (o->file.get() != &f) return "open listed on the wrong file " + name;
      if (!seen.insert(o).second) return "open listed twice on " + name;
      if (o->lease) {
        ++lease_opens[o->lease.get()];
        if (!(o->lease->file == f.key)) return "lease of another file on " + name;
      }
    }
    // Share modes hold between every pair of opens (MS-FSA 2.1.5.1.2).
    for (std::size_t i = 0; i < f.opens.size(); ++i)
      for (std::size_t j = i + 1; j < f.opens.size(); ++j) {
        const Open& a = *f.opens[i];
        const Open& b = *f.opens[j];
        if (!(a.access & kSharingRelevant) || !(b.access & kSharingRelevant)) continue;
        if (share_conflict(a.access, b.share_access) || share_conflict(b.access, a.share_access))
          return "share-mode conflict between two opens of " + name;
      }
    // Byte-range locks: each belongs to a listed open, and no two conflict: an exclusive lock
    // overlaps nothing of another open, and no other exclusive lock of its own (MS-FSA 2.1.4.10).
    for (std::size_t i = 0; i < f.locks.size(); ++i) {
      const auto& a = f.locks[i];
      if (!seen.count(a.open)) return "lock of a closed open on " + name;
      for (std::size_t j = i + 1; j < f.locks.size(); ++j) {
        const auto& b = f.locks[j];
        const bool bad = a.open == b.open ? (a.exclusive && b.exclusive) : (a.exclusive || b.exclusive);
        if (bad && ranges_overlap(a.offset, a.length, b.offset, b.length))
          return "conflicting byte-range locks on " + name;
      }
    }
    // A lock wait belongs to a listed open.
    for (const auto& w : f.lock_waiters)
      if (!seen.count(w.raw)) return "lock wait of a closed open on " + name;
    // Write caching only while no other open with data access exists beside the lease's own
    // (stat opens do not count).
    for (const Open* o : f.opens) {
      const Lease* l = o->lease.get();
      if (!l || l->breaking || !(l->state & kCacheWrite)) continue;
      for (const Open* other : f.opens)
        if (other->lease.get() != l && (other->access & kBreakingAccess))
          return "write caching beside another data open on " + name;
    }
    // A wait is registered only while a break it waits for is under way (or the file is going,
    // or woken waiters of the same owner have yet to retry before it: NtCore::open).
    if (!f.waiters.empty() && !f.removing && f.resumed.empty()) {
      bool breaking = false;
      for (const Open* o : f.opens)
        if (o->lease && o->lease->breaking) breaking = true;
      if (!breaking) return "waiters with no break under way on " + name;
    }
  }
  for (const auto& [l, n] : lease_opens)
    if (l->opens != n) return "lease open count out of step";
  for (const auto& [k, l] : leases_)
    if (l->opens == 0 || !lease_opens.count(l.get())) return "lease without opens in the lease table";
  (void)err;
  return std::nullopt;
}

}  // namespace smbsrv::nt
