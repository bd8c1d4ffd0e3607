// The NT-semantics core: the one owner of the state that several connections share (MS-FSA's
// object store as far as the server keeps it, MS-SMB2 3.3.1.4 GlobalOpenTable /
// GlobalLeaseTableList):
//   - the open table and share-mode checks (MS-FSA 2.1.5.1.2);
//   - delete-pending and delete-on-close (2.1.5.4, 2.1.5.14.3);
//   - byte-range locks (2.1.5.7, 2.1.5.8);
//   - oplocks, leases and their breaks (MS-FSA 2.1.5.17ff, MS-SMB2 3.3.4.6/3.3.4.7/3.3.5.22);
//   - operations waiting on any of these (a CREATE waiting for a break acknowledgment, a lock
//     waiting for its range, a CHANGE_NOTIFY waiting for a change);
//   - change notification (MS-FSA 2.1.4.1 ChangeNotifyEntry, 2.1.5.10; nt_notify.cpp): what each
//     watching directory open has collected, and who waits for it;
//   - durable opens whose connection is gone (orphans), until their client reconnects them.
// The engine's handlers call this API; nothing else takes its lock or touches its structures
// (Open is opaque outside nt_core.cpp).
//
// Concurrency rule. One mutex guards everything here. It is a leaf: no other lock is taken while
// it is held, no VFS call and no call into a connection happens under it. Whatever the core has
// to tell a connection (a break to send, a wait that is over) is collected under the lock and
// delivered through Owner::post() after the lock is released; the owner queues it and handles it
// on its own executor. So the core may be called from any thread, and a waiting operation always
// resumes on its own connection's executor, never on the thread that released it.
//
// Time comes from the clock the core is given (injected, as everywhere in the engine).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "codec/messages.hpp"
#include "ntcore/name_tunnel.hpp"
#include "ntcore/types.hpp"
#include "smbsrv/path.hpp"
#include "smbsrv/result.hpp"

namespace smbsrv::nt {

class NtCore {
 public:
  struct Options {
    bool leasing = true;                             // grant oplocks and leases at all
    std::uint64_t break_timeout = 35ULL * 10'000'000;  // FILETIME ticks (MS-SMB2 3.3.2.5: 35 s)
    std::size_t max_notify_changes = 1024;           // per watching open (ServerConfig)
  };
  /// `clock` returns the current time as FILETIME; it must outlive the core.
  NtCore(const std::function<std::uint64_t()>& clock, Options options);
  ~NtCore();
  NtCore(const NtCore&) = delete;
  NtCore& operator=(const NtCore&) = delete;

  class Open;  // MS-FSA Open: opaque outside the core
  using OpenRef = std::shared_ptr<Open>;

  // ---- opening (MS-FSA 2.1.5.1.2, MS-SMB2 3.3.5.9.8/3.3.5.9.11) --------------------------------
  struct OpenRequest {
    FileKey file;
    SmbPath path;  // share-relative, as opened
    std::string stream_name;  // a named stream: its name as opened (file.stream is the folded key)
    bool is_directory = false;
    std::uint32_t access = 0;        // granted access mask (generic rights already mapped)
    std::uint32_t share_access = 0;  // FILE_SHARE_READ | _WRITE | _DELETE
    bool truncating = false;         // overwrite or supersede: the file is truncated after the open
    bool delete_on_close = false;    // FILE_DELETE_ON_CLOSE
    std::uint8_t oplock_level = kOplockNone;  // RequestedOplockLevel
    std::optional<LeaseRequest> lease;        // with kOplockLease
    Key16 client_guid{};                      // Connection.ClientGuid
    /// 3.3.5.9.13: an open of the file with the same id from another client is closed first.
    std::optional<AppInstance> app_instance;
    bool leases_allowed = false;              // dialect 2.1 or later
    bool lease_v2_allowed = false;            // dialect 3.x
    std::weak_ptr<Owner> owner;
    OpenTag tag;
    /// When set, the open may wait for break acknowledgments: it is then registered under this
    /// token and the owner gets Wake{token} once the breaks are over (it retries the open). When
    /// not set (a CREATE inside a compound), breaks are sent and the open goes on at once.
    std::optional<std::uint64_t> wait_token;
  };
  /// What the closer must do once close() returns.
  struct Closed {
    bool remove = false;  // the last open of a delete-pending file: remove `path`, then call removed()
    SmbPath path;
    std::string stream;   // set: remove this named stream of `path` rather than the file
    FileKey file;
    bool is_directory = false;
  };
  /// One of: the open (status success, `open` set, with the oplock or lease granted), a wait
  /// (`must_wait`: registered under req.wait_token), a failure status, or (`remove_first.remove`,
  /// no open) the open ended a durable orphan that had the file deleted on close: the caller
  /// removes the file as for close(), calls removed(), and starts its CREATE again.
  struct Opened {
    NtStatus status = NtStatus::success;
    bool must_wait = false;
    /// With must_wait: the open is retried from the start once the wait is over (it waits for
    /// breaks of handle caching after a sharing violation, or for a removal), rather than going
    /// on once breaks are acknowledged. Only the latter is an open already, which a replayed
    /// CREATE finds (MS-SMB2 3.3.5.9.10, as Windows).
    bool waits_unopened = false;
    OpenRef open;
    LeaseGrant grant;
    Closed remove_first;
  };
  /// Checks delete-pending (delete_pending) and share modes (sharing_violation), breaks what other
  /// opens cache as the open requires, and registers the open with the oplock or lease the rules
  /// allow. Before any of that, opens of the file with the request's AppInstanceId and another
  /// ClientGuid close (their owners get OpenEnded; file_forced_closed instead when such an open
  /// has a version at least the request's, 3.3.5.9.13). invalid_parameter when the lease key is
  /// already bound to another file (3.3.5.9.8).
  Opened open(const OpenRequest& req);

  /// The open goes away with its locks and its share of any lease; waits it held up resume. Closing
  /// twice is harmless (the second returns remove = false). An open abandoned before its CREATE
  /// succeeded (its truncation failed) passes `apply_delete_on_close` false: a failed open deletes
  /// nothing. Either way the caller honours Closed::remove, since another open may have left the
  /// file pending deletion.
  Closed close(const OpenRef& open, bool apply_delete_on_close = true);
  /// After Closed::remove: the file is gone (or could not be removed). Until this call, new opens
  /// of it fail with delete_pending, and waits on it stay registered.
  void removed(const FileKey& file);

  // ---- names and deletion ----------------------------------------------------------------------
  /// The open's current path (kept up to date across renames of it or of a directory above it).
  SmbPath path(const OpenRef& open) const;
  bool delete_pending(const OpenRef& open) const;
  /// FileDispositionInformation (MS-FSA 2.1.5.14.3): sets or clears the file's delete-pending
  /// state; the open's own FILE_DELETE_ON_CLOSE no longer applies.
  void set_delete_pending(const OpenRef& open, bool pending);
  /// Whether `open` may be renamed: access_denied for a directory with opens below it (Windows),
  /// sharing_violation when an open of its parent holds DELETE or does not share delete (Windows
  /// behaves as if the rename opened the parent for DELETE; smbtorture smb2.rename.*).
  /// `open_below_ok`: a directory with opens below it may be renamed (what macOS expects of a
  /// server, for connections that negotiated AAPL).
  Result<void> check_rename(const OpenRef& open, bool open_below_ok = false) const;
  /// Whether `file` has an open (or is being removed): a hard link may not replace its name
  /// (MS-FSA 2.1.5.15.6).
  bool in_use(const FileKey& file) const;
  /// After the backend renamed `from` to `to` through `open`: paths of it and of everything below.
  void renamed(const OpenRef& open, const SmbPath& from, const SmbPath& to);
  /// Before a named stream of `open` is renamed to `key` (FileKey::stream form) / `name`: false
  /// when that stream has opens of its own (the rename then fails); otherwise the stream's state
  /// (opens, locks, leases) moves to the new key.
  bool rename_stream(const OpenRef& open, const std::string& key, const std::string& name);

  // ---- byte-range locks (MS-FSA 2.1.4.10, 2.1.5.7 – 2.1.5.9) -----------------------------------
  struct LockRange {
    std::uint64_t offset = 0, length = 0;
    bool exclusive = false;
  };
  /// A lock request that may wait (one range without FAIL_IMMEDIATELY, MS-SMB2 3.3.5.14.2): on a
  /// conflict it is queued under `token`. The core grants it as soon as the range is free (in
  /// the order the waits were queued), or ends it when its open closes; either way the owner
  /// gets Wake{token} and collects the outcome with lock_outcome().
  struct LockWait {
    std::weak_ptr<Owner> owner;
    std::uint64_t token = 0;
  };
  /// MS-FSA 2.1.5.8 for each range in order: first the lock breaks read caching (level II
  /// oplocks, including the locker's own, and the R of other leases: 2.1.4.12), then success;
  /// lock_not_granted on a conflict (the ranges this request already locked are released again,
  /// 3.3.5.14.2); pending: queued under `wait` (a single range only); file_closed. The caller has
  /// validated the ranges (invalid_lock_range).
  NtStatus lock(const OpenRef& open, std::span<const LockRange> ranges, const std::optional<LockWait>& wait = {});
  /// The outcome of the lock wait `token` of `owner`: success (granted; the lock is held),
  /// range_not_locked (its open closed first), or pending (not decided yet; unknown tokens too).
  /// A decided outcome is handed out once.
  NtStatus lock_outcome(const Owner* owner, std::uint64_t token);
  /// MS-FSA 2.1.5.9 for each range in order; range_not_locked at the first that is not a lock of
  /// this open (those before it stay released, as on Windows: smbtorture smb2.lock.multiple-unlock).
  /// Of a shared and an exclusive lock of the same range, the exclusive one goes first. Waiting
  /// locks that the released ranges let through are granted.
  Result<void> unlock(const OpenRef& open, std::span<const LockRange> ranges);
  /// MS-FSA 2.1.4.10 for I/O through `open` (2.1.5.2 READ: `write` false; 2.1.5.3 WRITE: true):
  /// file_lock_conflict when another open's exclusive lock, or (for a write) any shared lock,
  /// covers a byte of the range. A zero-length access never conflicts.
  Result<void> check_io(const OpenRef& open, std::uint64_t offset, std::uint64_t length, bool write) const;

  // ---- oplocks and leases ----------------------------------------------------------------------
  /// Data changed through `by` (WRITE, truncation, end of file): every other open's caching goes,
  /// and so does `by`'s own level II oplock. Nothing waits (MS-FSA: such breaks complete
  /// immediately). `create_truncation`: the truncation of an overwriting CREATE, which finishes
  /// the breaks the CREATE started: `by`'s oplock (granted after it) stays, and V2 lease epochs
  /// do not move (Windows: smbtorture smb2.lease.v2_breaking3).
  void data_changed(const OpenRef& by, bool create_truncation = false);
  /// A delete or rename through `by`: other opens lose handle caching (an oplock drops to level
  /// II at most) so that clients close the handles they keep. Nothing waits.
  void handles_affected(const OpenRef& by);
  /// Before a rename through `by` (MS-FSA 2.1.5.15.11: the rename breaks handle caching of the
  /// file's other opens first, and is held while a break awaits its acknowledgment): breaks as
  /// handles_affected() does. With `wait`, when a break of another open's caching is still
  /// unacknowledged, the rename waits: registered under wait->token, the owner gets Wake once the
  /// file's breaks are over (acknowledged, timed out, or their opens closed) and retries; true is
  /// returned then. A retry calls this again with the same token.
  bool break_for_rename(const OpenRef& by, const std::optional<LockWait>& wait);
  /// Lease Break Acknowledgment (3.3.5.22.2): the state now held, or object_name_not_found /
  /// unsuccessful / request_not_accepted.
  Result<std::uint32_t> ack_lease(const Key16& client_guid, const Key16& key, std::uint32_t state);
  /// Oplock Break Acknowledgment (3.3.5.22.1): the level now held, or invalid_device_state /
  /// invalid_oplock_protocol / invalid_parameter.
  Result<std::uint8_t> ack_oplock(const OpenRef& open, std::uint8_t level);
  /// Breaks whose acknowledgment is overdue complete as if acknowledged (3.3.2.5).
  void tick();
  /// The names deleted lately, for shares with short names (ntcore/name_tunnel.hpp). Its own
  /// leaf lock, never taken with the core's.
  NameTunnel& name_tunnel() { return tunnel_; }

  // ---- durable handles (MS-SMB2 3.3.5.9.6 – 3.3.5.9.12, 3.3.7.1) -------------------------------
  /// The connection of `open` is gone; a durable open is kept for its client to reconnect (an
  /// orphan: no owner, nothing delivered to it). False when it may not be kept and the caller
  /// must close it: it no longer holds a batch oplock or a lease with handle caching (3.3.7.1),
  /// a break of its caching awaits an acknowledgment that can no longer come, or it is to be
  /// deleted on close. Its lock waits end (their requests died with the connection).
  bool orphan(const OpenRef& open);
  /// The channel `from` that held `open` is gone but its session lives on another channel of the
  /// same client (multichannel, MS-SMB2 3.3.7.1): the open, and its lease when `from` took it
  /// last, now belong to `to`, so breaks go out on a channel that is alive.
  void rehome(const OpenRef& open, const Owner* from, std::weak_ptr<Owner> to);
  /// What a reconnecting client presents (3.3.5.9.7 / 3.3.5.9.12).
  struct Reconnect {
    Key16 client_guid{};
    std::optional<Key16> lease_key;  // from its lease context, if it sent one
    std::optional<SmbPath> path;     // the name it sent, compared when the open holds a lease
    std::weak_ptr<Owner> owner;
    OpenTag tag;
  };
  /// The orphan `open` gets its new owner and tag, and the grant to answer with.
  /// object_name_not_found: closed meanwhile (expired, or a conflicting open ended it), not an
  /// orphan (still in use by a connection), or the lease key or ClientGuid differ (or the client
  /// sent none for a leased open); invalid_parameter: a leased open reconnected under another name.
  Result<LeaseGrant> reconnect(const OpenRef& open, const Reconnect& r);
  /// A reconnect (3.3.5.9.7 / 3.3.5.9.12) found no orphan with this persistent FileId, but the
  /// open may still be held by a connection of the same client (`client_guid`) other than the
  /// requester's: the client dropped it and reconnected at once, and the transport has not told
  /// that connection's engine yet. Then the request waits under `wait` until the open becomes
  /// reconnectable (announce_orphan), closes, is reconnected by someone else, or `deadline`
  /// (FILETIME) passes (tick()); the owner gets Wake{token} and tries again. False: no such open,
  /// nothing registered. An open that is an orphan already counts too (the engine is about to
  /// keep it).
  bool await_orphan(std::uint64_t persistent_id, const Key16& client_guid, const LockWait& wait,
                    std::uint64_t deadline);
  /// The engine keeps the orphan `open` for its client now: reconnects waiting for it run again.
  void announce_orphan(const OpenRef& open);
  /// The oplock or lease `open` holds now, as a CREATE answers it (a replayed CREATE, 3.3.5.9.10).
  LeaseGrant current_grant(const OpenRef& open) const;
  /// Whether `open` was ended by the core (an orphan a conflicting open closed): its owner only
  /// has to release the backend file; the core has nothing left of it.
  bool ended(const OpenRef& open) const;

  // ---- change notification (MS-FSA 2.1.5.10, MS-SMB2 3.3.5.19; nt_notify.cpp) -------------------
  struct NotifyRequest {
    std::uint32_t filter = 0;        // CompletionFilter
    bool watch_tree = false;         // SMB2_WATCH_TREE
    std::uint32_t buffer_size = 0;   // OutputBufferLength
    std::optional<LockWait> wait;    // how to wake the request when a change comes (unset: no wait)
  };
  /// The changes a request answers with; `overflow`: changes were lost (NOTIFY_ENUM_DIR).
  struct NotifyBatch {
    NtStatus status = NtStatus::success;  // pending: the request waits (or, without a wait, nothing yet)
    std::vector<codec::NotifyEntry> changes;
    bool overflow = false;
    bool armed = false;  // this request armed the open: the caller sets up the host watch
  };
  /// CHANGE_NOTIFY on the directory open `open` (delete_pending once the directory is to be
  /// deleted: smbtorture smb2.notify.rmdir*). The first one arms it (its filter, WatchTree and
  /// buffer size stay; later requests' are ignored, as on Windows). Changes collected since the
  /// last answer are handed out at once; otherwise the request is queued under `wait` and the
  /// owner gets Wake{token} when a change comes; it then collects it with notify_outcome().
  NotifyBatch notify_request(const OpenRef& open, const NotifyRequest& r);
  /// The changes the woken notify wait `token` of `owner` got (handed out once), or pending.
  NotifyBatch notify_outcome(const Owner* owner, std::uint64_t token);
  /// A change in the backend `vfs`, made through the server or seen by the backend: `path` is
  /// share-relative, `filter` the FILE_NOTIFY_CHANGE_* bits it matches.
  struct Change {
    SmbPath path;
    std::uint32_t action = 0;
    std::uint32_t filter = 0;
    std::string stream;  // a named stream of `path` changed (reported as "name:stream")
  };
  /// Queues each change for every armed open that watches it (the directory holding it; with
  /// WatchTree, any directory above it) and whose filter matches; waiting requests are woken.
  /// Without any watch on the server this is one atomic load (WRITE calls it every time).
  void report(const Vfs* vfs, std::span<const Change> changes);
  /// A change to the file of `open` (a write, new times, attributes or security): `action` on its
  /// current name.
  void report_of(const OpenRef& open, std::uint32_t action, std::uint32_t filter);
  /// The backend's watch for the armed `open` (Vfs::watch, set up by the caller after the request
  /// that armed it): kept until the open stops watching. Dropped at once if it already has.
  void attach_host_watch(const OpenRef& open, std::unique_ptr<VfsWatch> watch);
  /// What the host watch of `open` saw (from the backend's thread): queued for that open alone
  /// (its filter and WatchTree apply as for report()); `lost`: NOTIFY_ENUM_DIR. A change the
  /// server itself reported on the same name with the same action a moment before (kEchoWindow)
  /// is its echo and is dropped; so is a MODIFIED after any change the server made to that name.
  /// The reverse: report() does not queue the server's MODIFIED again for a handle whose host
  /// watch told it a MODIFIED of that name with all the same filter bits a moment before (the
  /// echo of a write may come first).
  void report_host(const std::weak_ptr<Open>& open, std::span<const VfsChange> changes, bool lost);
  /// How long a change the server reported masks the backend's echo of it (and the reverse: the
  /// backend's report may come first), in FILETIME ticks.
  static constexpr std::uint64_t kEchoWindow = 2ULL * 10'000'000;

  // ---- waits -----------------------------------------------------------------------------------
  /// The wait registered under `token` by `owner` ends without a Wake (cancelled, or its
  /// connection went away). A lock wait that had already been granted gives its lock back.
  void cancel_wait(const Owner* owner, std::uint64_t token);

  // ---- inspection (tests and the simulation's invariant checks) --------------------------------
  struct Census {
    std::size_t files = 0, opens = 0, locks = 0, leases = 0, waiters = 0, durable = 0;
  };
  Census census() const;
  /// Opens, locks and waits whose owner is `owner` (must all be gone once it has closed).
  Census census_of(const Owner* owner) const;
  /// Checks the core's internal consistency: every share-mode pair, every byte-range lock pair and
  /// every lease against its opens. Returns a description of the first violation, or nothing.
  std::optional<std::string> check_invariants() const;

 private:
  struct File;
  struct Lease;
  struct Waiter {
    std::weak_ptr<Owner> owner;
    const Owner* who = nullptr;
    std::uint64_t token = 0;
  };
  /// Events to deliver once the lock is released: declared before the lock guard of a method, so
  /// that its destructor runs after the guard's.
  class Outbox;
  enum class BreakCause { open, overwrite, sharing };

  // All *_locked members run with mu_ held.
  /// Breaks `l` to `to` (or lowers the target of the break under way). `new_epoch`: a V2 lease's
  /// epoch goes up with the notification (not for a break that continues an acknowledged one).
  void break_locked(Lease& l, std::uint32_t to, Outbox& out, bool new_epoch = true);
  /// Breaks what `cause` requires in the leases of `file` other than `who`'s (oplocks only unless
  /// `leases_too`); true when the open must wait for an acknowledgment. `new_epoch` as for
  /// break_locked.
  bool break_for_open_locked(File& f, const OpenRequest& who, BreakCause cause, Outbox& out, bool leases_too = true,
                             bool new_epoch = true);
  LeaseGrant grant_locked(File& f, Open& o, const OpenRequest& req, Outbox& out);
  void collect_ready_locked(File& f, Outbox& out);
  bool mine(const Lease& l, const OpenRequest& who) const;
  template <class Keep>
  void break_others_locked(const Open& by, Keep keep, Outbox& out, bool new_epoch = true);
  void erase_if_unused_locked(const FileKey& key);
  /// Named streams (FileKey::stream): the File of `key`'s file itself, if it has one; whether any
  /// named stream of `key`'s file has opens (with `without_share_delete`: an open that does not
  /// share delete and takes part in sharing).
  File* base_file_locked(const FileKey& key);
  bool stream_opens_locked(const FileKey& key, bool without_share_delete = false) const;
  /// MS-FSA 2.1.4.12 for BYTE_RANGE_LOCK through `by`.
  void break_for_lock_locked(const Open& by, Outbox& out);
  /// Grants the queued lock waits of `f` that no longer conflict, in queue order.
  void grant_waiting_locks_locked(File& f, Outbox& out);
  /// `open` closes: its queued lock waits end with range_not_locked.
  void end_lock_waits_locked(File& f, const Open& open, Outbox& out);
  /// The common part of close(): the open leaves its file with its locks, waits and lease share.
  /// `keep_file`: the File stays in files_ even if unused (a caller still holds it).
  Closed close_locked(Open& o, bool apply_delete_on_close, Outbox& out, bool keep_file = false);
  /// A new open from someone else conflicts with orphans of `f` (their share modes, or caching
  /// that would have to be broken with no client left to acknowledge): Windows ends them.
  Closed end_conflicting_orphans_locked(File& f, const OpenRequest& req, Outbox& out);
  /// 3.3.5.9.13: closes the opens of `f` that carry req's AppInstanceId under another ClientGuid
  /// (file_forced_closed instead when one of them has a version at least the request's).
  Result<Closed> end_app_instance_locked(File& f, const OpenRequest& req, Outbox& out);
  static LeaseGrant grant_of_locked(const Open& o);

  const std::function<std::uint64_t()>& clock_;
  const Options options_;
  NameTunnel tunnel_{clock_};
  mutable std::mutex mu_;
  std::map<FileKey, std::shared_ptr<File>> files_;
  std::map<std::pair<Key16, Key16>, std::shared_ptr<Lease>> leases_;  // (ClientGuid, LeaseKey)
  std::uint64_t next_oplock_key_ = 1;
  struct LockOutcome {
    NtStatus status = NtStatus::pending;
    std::weak_ptr<Open> open;  // granted: whose lock to give back if the wait is cancelled now
    LockRange range;
  };
  std::map<std::pair<const Owner*, std::uint64_t>, LockOutcome> lock_outcomes_;  // decided, not collected
  struct NotifyOutcome {
    Open* open = nullptr;
    NotifyBatch batch;
  };
  std::map<std::pair<const Owner*, std::uint64_t>, NotifyOutcome> notify_outcomes_;  // decided, not collected
  struct OrphanWaiter {
    Waiter waiter;
    std::uint64_t persistent_id = 0;
    std::uint64_t deadline = 0;
  };
  std::vector<OrphanWaiter> orphan_waiters_;  // await_orphan(): few, and short-lived
  /// Wakes the reconnects waiting for the open with this persistent FileId.
  /// Wakes and forgets the reconnects waiting for an orphan that `which` selects (defined in
  /// nt_internal.hpp).
  template <class Which>
  void wake_orphan_waiters_if_locked(Which which, Outbox& out);
  void wake_orphan_waiters_locked(std::uint64_t persistent_id, Outbox& out);
  std::vector<Open*> watchers_;  // opens with an armed NotifyWatch
  /// Opens given a host watch (attach_host_watch), which ~NtCore ends before anything else goes:
  /// weak, since an open may be dropped without a close (the NT core's own tests do).
  std::vector<std::weak_ptr<Open>> host_watched_;
  std::atomic<std::size_t> watcher_count_{0};  // watchers_.size(), read without the lock
  /// `o` stops watching (it closes): its pending requests and uncollected outcomes go.
  void unwatch_locked(Open& o, Outbox& out);
  /// Changes reported lately, to tell echoes (report_host): the server's (`host` null) and those
  /// a host watch reported to the open `host`.
  struct Recent {
    const Vfs* vfs = nullptr;
    SmbPath path;
    std::uint32_t action = 0;
    std::uint32_t filter = 0;
    const Open* host = nullptr;
    std::uint64_t at = 0;
  };
  std::vector<Recent> recent_;
  /// Forgets what is older than kEchoWindow.
  void expire_recent_locked();
  /// A recent change of `path` on `vfs` that matches `match`.
  template <class Match>
  bool recent_locked(const Vfs* vfs, const SmbPath& path, Match match) const;
  void remember_locked(const Vfs* vfs, const SmbPath& path, std::uint32_t action, std::uint32_t filter,
                       const Open* host);
  void report_locked(const Vfs* vfs, std::span<const Change> changes, Outbox& out);
  /// The directory `f` is to be deleted (a close applied its delete-pending): the waiting
  /// requests of its watching opens end with STATUS_DELETE_PENDING, as do later ones.
  void notify_delete_pending_locked(File& f, Outbox& out);
  /// The notify wait `token` of `owner` ends unanswered: changes it was given go back to its watch.
  void cancel_notify_locked(const Owner* owner, std::uint64_t token);
  /// Queues `e` for `o` (coalescing, the cap; `overflow`: changes were lost instead).
  void queue_change_locked(Open& o, codec::NotifyEntry e, bool overflow);
  /// Hands what `o` collected to its oldest waiting request, if any, and wakes it.
  void hand_out_locked(Open& o, Outbox& out);
};

}  // namespace smbsrv::nt
