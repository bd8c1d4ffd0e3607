// The simulation driver (sim.hpp). Layout: the client's state (Client, Req, Handle), the driver
// (Sim: steps, Work scheduling, connections), the client's requests (op_*), what it does with
// answers (receive / on_final), and the checks.
//
// Checks, after every step:
//   - NtCore::check_invariants() (share modes, byte-range locks, leases, waiters);
//   - per live client: census_of(owner).opens lies between the opens it certainly holds (CREATE
//     answered, no CLOSE / LOGOFF / TREE_DISCONNECT sent) and those it may hold (plus CREATEs
//     under way); locks likewise (LockModel); waiters ≤ its CREATEs and waiting LOCKs under way;
//   - right after shutdown(): no wait of the connection is left but those of its jobs already run;
//   - a disconnected client's old Connection, once every job it handed out has been run and
//     completed: census_of(owner) is all zero (no open, lock or wait outlives its connection);
//     every second disconnect instead abandons the connection (the server does not notice): the
//     client's next SESSION_SETUP names the old session as PreviousSessionId, and once that has
//     succeeded and the old connection has handled its wake and jobs, it holds nothing either
//     (MS-SMB2 3.3.5.5.3: the previous session's opens are closed);
//   - no live client is left with neither a request outstanding nor a credit.
// On every answer:
//   - it answers an outstanding MessageId of that command (so nothing is answered twice and CANCEL
//     is never answered), carries SERVER_TO_REDIR and the request's SessionId and TreeId; at most
//     one interim (STATUS_PENDING, ASYNC, an AsyncId), only for a CREATE, a rename (held while
//     other clients acknowledge handle breaks) or a LOCK that may wait (--blocking-locks), and then exactly one final with the same AsyncId; a waiting LOCK ends
//     granted, cancelled, or RANGE_NOT_LOCKED once its handle is closing; unsolicited messages are OPLOCK_BREAK notifications with
//     MessageId 0xFFFFFFFFFFFFFFFF about a lease key or FileId of this client;
//   - a CREATE never succeeds after its session's LOGOFF or its tree's TREE_DISCONNECT was sent;
//     a request on a handle that was closed (or whose session or tree went) gets FILE_CLOSED /
//     NETWORK_NAME_DELETED / USER_SESSION_DELETED, and FILE_CLOSED only then; access checks give
//     exactly ACCESS_DENIED / INVALID_DEVICE_REQUEST;
//   - OpenModel: a successful CREATE does not conflict with the share modes of opens held;
//     LockModel: granted / refused locks and unlocks agree with the locks held;
//   - DataModel: every block a READ returns, and every EndOfFile QUERY_INFO reports, is one the
//     model allows.
// At the end (clients quiet; every job run and completed, wakes delivered, waiting LOCKs
// cancelled, the clock moved past the break timeout and ticked, until nothing moves): every request of a connected client was
// answered; each client's census equals what it holds; then every client disconnects and the
// core's census() is all zero.
#include "sim/sim.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cinttypes>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <utility>
#include <vector>

#include "codec/access_mask.hpp"
#include "engine/connection.hpp"
#include "engine/server_state.hpp"
#include "sim/fault_vfs.hpp"
#include "sim/model.hpp"
#include "sim/wire.hpp"
#include "smbsrv/credentials.hpp"
#include "smbsrv/memory_vfs.hpp"
#include "support/ntlm_client.hpp"

namespace smbsrv::sim {

void SimStats::add(const SimStats& o) {
  steps += o.steps;
  requests += o.requests;
  responses += o.responses;
  interims += o.interims;
  cancels_sent += o.cancels_sent;
  cancelled += o.cancelled;
  oplock_breaks += o.oplock_breaks;
  lease_breaks += o.lease_breaks;
  acks += o.acks;
  jobs += o.jobs;
  held_jobs += o.held_jobs;
  vfs_failures += o.vfs_failures;
  disconnects += o.disconnects;
  logoffs += o.logoffs;
  sessions_replaced += o.sessions_replaced;
  tree_disconnects += o.tree_disconnects;
  compounds += o.compounds;
  sharing_violations += o.sharing_violations;
  lock_conflicts += o.lock_conflicts;
  probes += o.probes;
  blocks_checked += o.blocks_checked;
  exact_blocks += o.exact_blocks;
  timeouts_ticks += o.timeouts_ticks;
  zombie_frames += o.zombie_frames;
  late_interims += o.late_interims;
  lock_waits += o.lock_waits;
  lock_waits_granted += o.lock_waits_granted;
  creates_ok += o.creates_ok;
  reads_ok += o.reads_ok;
  writes_ok += o.writes_ok;
}

std::string SimStats::summary() const {
  std::ostringstream s;
  s << "steps " << steps << ", requests " << requests << " (creates ok " << creates_ok << ", reads ok " << reads_ok
    << ", writes ok " << writes_ok << ", compounds " << compounds << ", probes " << probes << "), interims "
    << interims << ", cancels " << cancels_sent << " (cancelled " << cancelled << "), breaks " << oplock_breaks
    << " oplock / " << lease_breaks << " lease, acks " << acks << ", jobs " << jobs << " (held " << held_jobs
    << "), vfs failures " << vfs_failures << ", disconnects " << disconnects << ", logoffs " << logoffs
    << ", sessions replaced (PreviousSessionId) " << sessions_replaced
    << ", tree disconnects " << tree_disconnects << ", sharing violations " << sharing_violations
    << ", lock conflicts " << lock_conflicts << ", lock waits " << lock_waits << " (granted " << lock_waits_granted
    << ")" << ", blocks checked " << blocks_checked << " (exact "
    << exact_blocks << "), frames after shutdown " << zombie_frames
    << ", interims of CREATEs sent before a LOGOFF/TREE_DISCONNECT " << late_interims;
  return s.str();
}

std::string replay_command(const std::string& argv0, const SimOptions& o) {
  return argv0 + " --seed " + std::to_string(o.seed) + " --clients " + std::to_string(o.clients) + " --steps " +
         std::to_string(o.steps) + (o.blocking_locks ? " --blocking-locks" : "");
}

void quiet_logs() {
  static const bool once = [] {
    spdlog::set_level(spdlog::level::off);
    return true;
  }();
  (void)once;
}

namespace {

using namespace smbsrv::access;
using codec::Command;
using wire::Msg;
using wire::Vec;

struct Failure {
  std::string what;
};
[[noreturn]] void fail(std::string what) { throw Failure{std::move(what)}; }

constexpr std::uint64_t kSecond = 10'000'000;
constexpr std::uint64_t kStart = 0x01DA000000000000ULL;
constexpr std::uint32_t kShareAllModes = kShareRead | kShareWrite | kShareDelete;
constexpr std::uint32_t kOptDirectory = 0x1, kOptNonDirectory = 0x40, kOptDeleteOnClose = 0x1000;
constexpr std::uint32_t kLockFailImmediately = 0x10;

// Name spaces: 0 the shared names, c + 1 client c's private names. Only the owner writes,
// truncates, renames or deletes its private files; others may open them for reading.
int names_in(int ns) { return ns == 0 ? 4 : 3; }
std::string name_of(int ns, int i) {
  if (ns == 0) {
    static const char* const shared[] = {"s0", "s1", "S2", "d\\s3"};
    return shared[i];
  }
  const std::string c = std::to_string(ns - 1);
  if (i == 0) return "p" + c + "a";
  if (i == 1) return "P" + c + "b";
  return "d\\p" + c + "c";
}

std::string status_name(std::uint32_t s) { return std::string(to_string(static_cast<NtStatus>(s))); }
std::string cmd_name(Command c) { return std::string(codec::command_name(c)); }

enum class Phase { offline, negotiate, session1, session2, tree, ready, logging_off, tree_disconnecting };

enum class Kind {
  negotiate, session1, session2, tree_connect, create, read, write, lock, unlock, close, rename, dispose, query, logoff,
  tree_disconnect, oplock_ack, lease_ack, echo, probe, cc_create, cc_write, cc_close
};

struct Handle {
  std::uint64_t pid = 0, vid = 0, node = 0;
  int ns = 0;
  bool is_dir = false;
  std::uint32_t access = 0, share = 0;
  std::uint64_t session = 0;
  std::uint32_t tree = 0;
  bool closing = false;
  std::uint64_t closed_by = 0;  // MessageId of the CLOSE, LOGOFF or TREE_DISCONNECT closing it
  bool lease = false;
  wire::Key16 key{};
};

/// An outstanding request (one message; a compound has one per message).
struct Req {
  Kind kind = Kind::echo;
  Command cmd = Command::echo;
  std::uint64_t mid = 0;
  bool interim = false;
  std::uint64_t async_id = 0;
  std::uint64_t session = 0;
  std::uint32_t tree = 0;
  std::uint64_t vid = 0;  // the handle used
  std::uint64_t node = 0;
  int ns = -1, name = -1;
  std::uint32_t access = 0, share = 0, disposition = 0;
  bool is_dir = false;
  std::uint64_t effect = 0;  // DataModel effect (a write, or a truncation)
  std::uint64_t effect2 = 0;
  std::uint64_t read = 0;    // DataModel read
  std::size_t length = 0;
  std::vector<Range> ranges;
  std::optional<NtStatus> expect;  // the exact status an access check must give
  bool probe = false;              // a request on a closed handle
  std::uint64_t group = 0;         // a compound's messages share one
  bool lease = false;
  wire::Key16 key{};
  bool blocking = false;  // a LOCK without FAIL_IMMEDIATELY: may wait (STATUS_PENDING)
};

struct Conn {
  std::shared_ptr<engine::Connection> conn;
  std::shared_ptr<bool> woken;
  std::uint64_t serial = 0;
  int client = -1;
  std::vector<std::uint64_t> effects;  // of requests under way at shutdown: open until its jobs are done
  bool abandoned = false;  // dropped by the client without shutdown(): the server still has it
  bool replaced = false;   // abandoned, and a new session named its session as PreviousSessionId
};

struct Client {
  int idx = 0;
  wire::Key16 guid{};
  std::uint16_t dialect = 0x0311;
  std::size_t max_out = 4;
  bool online = false;
  Conn c;
  Phase phase = Phase::offline;
  bool handshake_pending = false;
  std::uint64_t next_mid = 0, mid_limit = 1;
  std::uint64_t session = 0;
  std::uint32_t tree = 0;
  // The session of an abandoned connection, for the next SESSION_SETUP's PreviousSessionId.
  std::uint64_t previous_session = 0, previous_serial = 0;
  test::BasicNtlmClient ntlm;
  Vec challenge;
  std::map<std::uint64_t, Req> pending;     // by MessageId
  std::map<std::uint64_t, Handle> handles;  // by volatile FileId
  struct Dead {
    std::uint64_t pid, vid, session;
    std::uint32_t tree;
  };
  std::vector<Dead> dead;
  std::set<std::uint64_t> known_vids;
  std::uint64_t creates_failed = 0;
  std::set<wire::Key16> keys_used;
  std::set<std::uint64_t> logoff_sent;
  std::set<std::pair<std::uint64_t, std::uint32_t>> tdis_sent;
  // The LOGOFF / TREE_DISCONNECT under way for a session / tree: its MessageId.
  std::map<std::uint64_t, std::uint64_t> logoff_mid;
  std::map<std::pair<std::uint64_t, std::uint32_t>, std::uint64_t> tdis_mid;
  struct Break {
    bool oplock = false;
    std::uint64_t pid = 0, vid = 0;
    std::uint8_t level = 0;
    wire::Key16 key{};
    std::uint32_t to = 0;
    bool ack_required = false;
  };
  std::vector<Break> breaks;
  struct Group {
    std::uint64_t node = 0, vid = 0;
    bool created = false;
  };
  std::map<std::uint64_t, Group> groups;

  std::size_t blocking_locks_in_flight() const {
    std::size_t n = 0;
    for (const auto& [mid, r] : pending) n += r.kind == Kind::lock && r.blocking;
    return n;
  }
  std::size_t renames_in_flight() const {
    std::size_t n = 0;
    for (const auto& [mid, r] : pending) n += r.kind == Kind::rename;
    return n;
  }
  std::size_t creates_in_flight(bool include_compound) const {
    std::size_t n = 0;
    for (const auto& [mid, r] : pending)
      if (r.kind == Kind::create || (include_compound && r.kind == Kind::cc_create)) ++n;
    return n;
  }
};

struct JobRef {
  std::shared_ptr<engine::Connection> conn;
  std::uint64_t serial = 0;
  int client = -1;
  engine::Work work;
  std::uint64_t release = 0;  // held: not completed before this step
};

class Sim {
 public:
  Sim(const SimOptions& o, Source& src) : opt_(o), rng_(src) {}
  SimResult run() {
    SimResult res;
    try {
      setup();
      for (step_ = 1; step_ <= static_cast<std::uint64_t>(opt_.steps) && !rng_.exhausted(); ++step_) {
        one_step();
        check_step();
      }
      stats_.steps = step_ - 1;
      step_ = static_cast<std::uint64_t>(opt_.steps) + 1;
      finish();
    } catch (const Failure& f) {
      res.ok = false;
      res.failure = f.what;
      res.step = step_;
      if (opt_.trace) std::printf("FAILURE at step %" PRIu64 ": %s\n", step_, f.what.c_str());
    }
    stats_.vfs_failures = vfs_ ? vfs_->failures() : 0;
    stats_.blocks_checked = data_.blocks_checked();
    stats_.exact_blocks = data_.exact_blocks_checked();
    res.stats = stats_;
    return res;
  }

 private:
  // ---- set-up ----------------------------------------------------------------------------------
  void setup() {
    auto creds = std::make_shared<InMemoryCredentialStore>();
    creds->add_user("alice", "Secret1");
    ServerConfig cfg;
    cfg.require_signing = false;
    state_ = engine::make_server_state(std::move(cfg), creds);
    for (std::size_t i = 0; i < state_->server_guid.size(); ++i)
      state_->server_guid[i] = static_cast<std::uint8_t>(0xC0 + i);
    state_->now = [this] { return clock_; };  // the NT core reads the clock through this member
    state_->random = [this](std::span<std::uint8_t> out) {
      for (auto& b : out) b = static_cast<std::uint8_t>(splitmix64(random_counter_));
    };
    auto inner = make_memory_vfs({.clock = [this] { return clock_; }});
    if (auto d = SmbPath::parse("d"); d) {
      OpenParams p;
      p.directory = true;
      p.disposition = CreateDisposition::create;
      if (!inner->open(*d, p)) fail("set-up: cannot create directory d");
    }
    vfs_ = std::make_shared<FaultVfs>(inner);
    Share s;
    s.name = "share";
    s.vfs = vfs_;
    state_->add_share(std::move(s));

    // What this seed does: weights, faults, the clients' dialects and pipelines.
    // Weights in tenths; per client for send, wake, disconnect and reconnect.
    w_send_ = rng_.range(60, 140);
    w_run_ = rng_.range(100, 400);
    w_complete_ = rng_.range(100, 400);
    w_wake_ = rng_.range(50, 300);
    w_disconnect_ = rng_.chance(25) ? 0 : rng_.range(1, 2);
    w_tick_ = rng_.range(10, 60);
    const std::uint64_t call_span = static_cast<std::uint64_t>(opt_.steps) * 2 + 10;
    static constexpr NtStatus kFaults[] = {NtStatus::disk_full,      NtStatus::access_denied,
                                           NtStatus::insufficient_resources, NtStatus::unsuccessful,
                                           NtStatus::object_name_not_found,  NtStatus::io_timeout};
    if (rng_.chance(60)) {
      const auto n = rng_.range(1, 6);
      for (std::uint64_t i = 0; i < n; ++i) {
        // (One draw per statement: the order of function arguments is unspecified, and a seed must
        // mean the same with every compiler.)
        const std::uint64_t k = rng_.range(1, call_span);
        vfs_->fail_call(k, kFaults[rng_.below(std::size(kFaults))]);
      }
    }
    // Failure paths that are rare by count: the k-th call of one kind.
    static constexpr VfsCall kKinds[] = {VfsCall::write, VfsCall::truncate, VfsCall::remove, VfsCall::rename,
                                         VfsCall::stat, VfsCall::read};
    for (const VfsCall kind : kKinds) {
      if (!rng_.chance(15)) continue;
      const std::uint64_t k = rng_.range(1, 12);
      vfs_->fail_call(kind, k, kFaults[rng_.below(std::size(kFaults))]);
    }
    if (rng_.chance(50)) {
      const auto n = rng_.range(1, 4);
      for (std::uint64_t i = 0; i < n; ++i) vfs_->hold_call(rng_.range(1, call_span));
    }
    static constexpr std::uint16_t kDialects[] = {0x0311, 0x0311, 0x0311, 0x0302, 0x0300, 0x0210, 0x0202};
    for (int i = 0; i < opt_.clients; ++i) {
      auto c = std::make_unique<Client>();
      c->idx = i;
      std::uint64_t g = std::uint64_t{0x6A09E667F3BCC908} + static_cast<std::uint64_t>(i);
      for (std::size_t k = 0; k < 16; k += 8) {
        const std::uint64_t v = splitmix64(g);
        for (std::size_t b = 0; b < 8; ++b) c->guid[k + b] = static_cast<std::uint8_t>(v >> (8 * b));
      }
      c->dialect = kDialects[rng_.below(std::size(kDialects))];
      c->max_out = static_cast<std::size_t>(rng_.range(1, 6));
      clients_.push_back(std::move(c));
      connect(*clients_.back());
    }
    trace("set-up: %d clients, weights send %" PRIu64 " run %" PRIu64 " complete %" PRIu64 " wake %" PRIu64
          " disconnect %" PRIu64 " tick %" PRIu64,
          opt_.clients, w_send_, w_run_, w_complete_, w_wake_, w_disconnect_, w_tick_);
  }

  template <class... A>
  void trace(const char* fmt, A... a) {
    if (!opt_.trace) return;
    std::printf("[%4" PRIu64 "] ", step_);
    if constexpr (sizeof...(A) == 0) std::fputs(fmt, stdout);
    else std::printf(fmt, a...);
    std::fputc('\n', stdout);
  }

  void connect(Client& c) {
    Conn k;
    k.conn = std::make_shared<engine::Connection>(state_, "sim-c" + std::to_string(c.idx));
    k.woken = std::make_shared<bool>(false);
    k.conn->set_wake([w = k.woken] { *w = true; });
    k.serial = next_serial_++;
    k.client = c.idx;
    c.c = std::move(k);
    c.online = true;
    c.phase = Phase::negotiate;
    c.handshake_pending = false;
    c.next_mid = 0;
    c.mid_limit = 1;
    c.session = 0;
    c.tree = 0;
    c.pending.clear();
    c.handles.clear();
    c.dead.clear();
    c.known_vids.clear();
    c.creates_failed = 0;
    c.keys_used.clear();
    c.logoff_sent.clear();
    c.tdis_sent.clear();
    c.breaks.clear();
    c.groups.clear();
  }

  bool live(const Conn& k) const {
    if (k.client < 0) return false;
    const Client& c = *clients_[static_cast<std::size_t>(k.client)];
    return c.online && c.c.serial == k.serial;
  }

  /// Takes what a Connection call returned: frames to the client (when the connection is still
  /// its live one), work to the run queue.
  void absorb(const Conn& k, engine::Output out) {
    engine::inline_file_tail(out);
    const bool is_live = live(k);
    if (is_live && out.disposition != engine::Disposition::keep)
      fail("the server dropped the connection of client " + std::to_string(k.client));
    for (auto& f : out.frames) {
      if (is_live) receive(*clients_[static_cast<std::size_t>(k.client)], f);
      else ++stats_.zombie_frames;
    }
    for (const auto& w : out.work) to_run_.push_back(JobRef{k.conn, k.serial, k.client, w, 0});
  }

  // ---- the steps -------------------------------------------------------------------------------
  enum class Act { send, run, complete, wake, wake_zombie, disconnect, reconnect, tick };

  void one_step() {
    struct Choice {
      Act act;
      std::size_t arg;
      std::uint64_t w;
    };
    std::vector<Choice> ch;
    for (std::size_t i = 0; i < clients_.size(); ++i) {
      Client& c = *clients_[i];
      if (c.online) {
        if (can_send(c)) ch.push_back({Act::send, i, w_send_});
        if (*c.c.woken) ch.push_back({Act::wake, i, w_wake_});
        if (w_disconnect_) ch.push_back({Act::disconnect, i, w_disconnect_});
      } else {
        ch.push_back({Act::reconnect, i, 30});
      }
    }
    for (std::size_t i = 0; i < zombies_.size(); ++i)
      if (*zombies_[i].woken) ch.push_back({Act::wake_zombie, i, w_wake_});
    if (!to_run_.empty()) ch.push_back({Act::run, 0, w_run_});
    if (releasable() != 0) ch.push_back({Act::complete, 0, w_complete_});
    ch.push_back({Act::tick, 0, w_tick_});
    std::uint64_t total = 0;
    for (const auto& c : ch) total += c.w;
    std::uint64_t r = rng_.below(total);
    std::size_t pick = 0;
    while (r >= ch[pick].w) r -= ch[pick++].w;
    const Choice& c = ch[pick];
    switch (c.act) {
      case Act::send: client_act(*clients_[c.arg]); break;
      case Act::run: run_one(static_cast<std::size_t>(rng_.below(to_run_.size()))); break;
      case Act::complete: complete_one(); break;
      case Act::wake: deliver_wake(clients_[c.arg]->c); break;
      case Act::wake_zombie: deliver_wake(zombies_[c.arg]); break;
      case Act::disconnect: disconnect(*clients_[c.arg]); break;
      case Act::reconnect:
        trace("c%zu reconnects", c.arg);
        connect(*clients_[c.arg]);
        break;
      case Act::tick: {
        const bool big = rng_.chance(12);
        clock_ += (big ? 36 : 1) * kSecond;
        if (big) ++stats_.timeouts_ticks;
        trace("clock +%ds, tick", big ? 36 : 1);
        state_->nt.tick();
        break;
      }
    }
  }

  std::size_t releasable() const {
    std::size_t n = 0;
    for (const auto& j : to_complete_) n += j.release <= step_;
    return n;
  }

  void run_one(std::size_t i) {
    JobRef j = to_run_[i];
    to_run_.erase(to_run_.begin() + static_cast<std::ptrdiff_t>(i));
    const std::uint64_t failures_before = opt_.trace ? vfs_->failures() : 0;
    j.work.run();
    ++stats_.jobs;
    if (opt_.trace && vfs_->failures() != failures_before) {
      const auto f = vfs_->last_failure();
      trace("  vfs call %" PRIu64 " (%s) failed with %s", f.call, std::string(to_string(f.kind)).c_str(),
            std::string(to_string(f.status)).c_str());
    }
    if (vfs_->take_held()) {
      j.release = step_ + rng_.range(20, 150);
      ++stats_.held_jobs;
    }
    trace("run job of c%d (connection %" PRIu64 ")%s", j.client, j.serial, j.release ? " [held]" : "");
    to_complete_.push_back(j);
  }

  void complete_one() {
    std::uint64_t r = rng_.below(releasable());
    std::size_t i = 0;
    for (;; ++i) {
      if (to_complete_[i].release > step_) continue;
      if (r == 0) break;
      --r;
    }
    complete_at(i);
  }

  void complete_at(std::size_t i) {
    JobRef j = to_complete_[i];
    to_complete_.erase(to_complete_.begin() + static_cast<std::ptrdiff_t>(i));
    trace("complete job of c%d (connection %" PRIu64 ")", j.client, j.serial);
    Conn k = conn_of(j.serial, j.client, j.conn);
    absorb(k, j.conn->on_complete(j.work));
  }

  Conn conn_of(std::uint64_t serial, int client, const std::shared_ptr<engine::Connection>& conn) {
    if (client >= 0 && clients_[static_cast<std::size_t>(client)]->c.serial == serial)
      return clients_[static_cast<std::size_t>(client)]->c;
    for (const auto& z : zombies_)
      if (z.serial == serial) return z;
    Conn k;
    k.conn = conn;
    k.serial = serial;
    return k;
  }

  void deliver_wake(const Conn& k) {
    *k.woken = false;
    trace("wake connection %" PRIu64 " (c%d)", k.serial, k.client);
    absorb(k, k.conn->on_wake());
  }

  /// The client's transport goes away: shutdown(), the connection lives on until its jobs are done.
  void disconnect(Client& c, bool may_abandon = true) {
    trace("c%d disconnects (connection %" PRIu64 ")", c.idx, c.c.serial);
    ++stats_.disconnects;
    Conn k = c.c;
    c.online = false;
    c.phase = Phase::offline;
    // What was under way has an unknown outcome, known once the connection's last job is done
    // (a job may still run and write, or truncate, long after the shutdown).
    for (auto& [mid, r] : c.pending) {
      if (r.effect) k.effects.push_back(r.effect);
      if (r.effect2) k.effects.push_back(r.effect2);
      if (r.read) data_.drop_read(r.read);
    }
    c.pending.clear();
    c.handles.clear();
    c.breaks.clear();
    opens_.uncertain_conn(k.serial);
    locks_.uncertain_conn(k.serial);
    // Every second disconnect (counted, so that the seeded schedule stays as it was) of a client
    // with a session abandons the connection instead; the next session replaces the old one.
    if (may_abandon && stats_.disconnects % 2 == 0 && c.session != 0) {
      trace("c%d abandons connection %" PRIu64 " (session 0x%" PRIx64 ")", c.idx, k.serial, c.session);
      k.abandoned = true;
      c.previous_session = c.session;
      c.previous_serial = k.serial;
      zombies_.push_back(k);
      return;
    }
    std::size_t ran = 0;
    for (const auto& j : to_complete_) ran += j.serial == k.serial;
    zombies_.push_back(k);
    absorb(k, k.conn->shutdown());
    // shutdown() ends every wait of the connection's requests; only a CREATE whose job has run
    // but not yet been completed can have one registered now.
    const auto cen = state_->nt.census_of(k.conn->core_owner());
    if (cen.waiters > ran)
      fail("client " + std::to_string(c.idx) + ": after shutdown() the core holds " + std::to_string(cen.waiters) +
           " waits of the connection; only " + std::to_string(ran) + " of its jobs had run");
  }

  // ---- checks ----------------------------------------------------------------------------------
  void check_step() {
    if (auto v = state_->nt.check_invariants()) fail("NT core invariant: " + *v);
    for (auto& cp : clients_) {
      Client& c = *cp;
      if (!c.online) continue;
      const auto cen = state_->nt.census_of(c.c.conn->core_owner());
      std::size_t certain = 0;
      for (const auto& [vid, h] : c.handles) certain += !h.closing;
      const std::size_t possible = c.handles.size() + c.creates_in_flight(true);
      if (cen.opens < certain || cen.opens > possible)
        fail("client " + std::to_string(c.idx) + ": the core holds " + std::to_string(cen.opens) +
             " opens of its connection; it holds " + std::to_string(certain) + " for certain and at most " +
             std::to_string(possible));
      if (cen.locks < locks_.certain(c.c.serial) || cen.locks > locks_.all(c.c.serial))
        fail("client " + std::to_string(c.idx) + ": the core holds " + std::to_string(cen.locks) +
             " byte-range locks of its connection; granted and held: " + std::to_string(locks_.certain(c.c.serial)) +
             " certain, " + std::to_string(locks_.all(c.c.serial)) + " at most");
      if (c.pending.empty() && c.next_mid >= c.mid_limit)
        fail("client " + std::to_string(c.idx) + " has no request outstanding and no credit left");
      if (cen.waiters > c.creates_in_flight(false) + c.blocking_locks_in_flight() + c.renames_in_flight())
        fail("client " + std::to_string(c.idx) + ": " + std::to_string(cen.waiters) + " waits in the core, but only " +
             std::to_string(c.creates_in_flight(false)) + " CREATEs, " + std::to_string(c.renames_in_flight()) +
             " renames and " + std::to_string(c.blocking_locks_in_flight()) + " waiting LOCKs under way");
    }
    reap_zombies();
  }

  bool has_jobs(std::uint64_t serial) const {
    for (const auto& j : to_run_)
      if (j.serial == serial) return true;
    for (const auto& j : to_complete_)
      if (j.serial == serial) return true;
    return false;
  }

  /// Old connections whose jobs are all done: nothing of theirs may be left in the core.
  void reap_zombies() {
    for (std::size_t i = 0; i < zombies_.size();) {
      const Conn& z = zombies_[i];
      if (has_jobs(z.serial) || z.conn->jobs_outstanding() != 0 || (z.abandoned && (!z.replaced || *z.woken))) {
        ++i;
        continue;
      }
      for (auto e : z.effects) data_.end_effect(e, DataModel::Outcome::unknown);
      zombies_[i].effects.clear();
      const auto cen = state_->nt.census_of(z.conn->core_owner());
      if (cen.opens || cen.locks || cen.waiters)
        fail("connection " + std::to_string(z.serial) + " of client " + std::to_string(z.client) +
             " was shut down and all its jobs completed, but the core still holds " + std::to_string(cen.opens) +
             " opens, " + std::to_string(cen.locks) + " locks, " + std::to_string(cen.waiters) + " waits of it");
      if (z.abandoned) {
        // Its session was torn down: it holds nothing now; the transport finally goes.
        const engine::Output out = z.conn->shutdown();
        if (!out.work.empty()) fail("connection " + std::to_string(z.serial) + ": opens left after its session was replaced");
      }
      opens_.remove_conn(z.serial);
      locks_.remove_conn(z.serial);
      trace("connection %" PRIu64 " of c%d is gone", z.serial, z.client);
      zombies_.erase(zombies_.begin() + static_cast<std::ptrdiff_t>(i));
    }
  }

  /// Runs and completes every job and delivers every wake until nothing moves.
  void drain() {
    for (int guard = 0; guard < 100000; ++guard) {
      bool moved = false;
      while (!to_run_.empty()) {
        run_one(0);
        moved = true;
      }
      while (!to_complete_.empty()) {
        complete_at(0);
        moved = true;
      }
      for (auto& cp : clients_)
        if (cp->online && *cp->c.woken) {
          deliver_wake(cp->c);
          moved = true;
        }
      for (std::size_t i = 0; i < zombies_.size(); ++i)
        if (*zombies_[i].woken) {
          deliver_wake(zombies_[i]);
          moved = true;
        }
      check_step();
      if (!moved) return;
    }
    fail("the simulation does not settle: jobs or wakes keep coming");
  }

  void finish() {
    trace("quiesce");
    // Abandoned connections whose session no new one replaced: their transports go now.
    for (auto& z : zombies_)
      if (z.abandoned && !z.replaced) {
        z.abandoned = false;
        absorb(z, z.conn->shutdown());
      }
    for (int round = 0; round < 16; ++round) {
      drain();
      cancel_waiting_locks();
      bool busy = !zombies_.empty();
      for (auto& cp : clients_) busy |= cp->online && !cp->pending.empty();
      if (!busy) break;
      clock_ += 36 * kSecond;  // past the break timeout (35 s)
      trace("clock +36s, tick");
      state_->nt.tick();
    }
    drain();
    for (auto& cp : clients_) {
      Client& c = *cp;
      if (!c.online) continue;
      for (const auto& [mid, r] : c.pending)
        fail("client " + std::to_string(c.idx) + ": " + cmd_name(r.cmd) + " MessageId " + std::to_string(mid) +
             (r.interim ? " (answered STATUS_PENDING)" : "") + " was never answered");
      const auto cen = state_->nt.census_of(c.c.conn->core_owner());
      if (cen.opens != c.handles.size() || cen.locks != locks_.all(c.c.serial) || cen.waiters != 0)
        fail("client " + std::to_string(c.idx) + " is quiet with " + std::to_string(c.handles.size()) +
             " handles and " + std::to_string(locks_.all(c.c.serial)) + " locks; the core holds " +
             std::to_string(cen.opens) + " opens, " + std::to_string(cen.locks) + " locks, " +
             std::to_string(cen.waiters) + " waits of it");
    }
    if (!zombies_.empty()) fail("a shut-down connection still has jobs after the simulation settled");
    if (data_.open_effects() != 0) fail("data model: effects left open");
    for (auto& cp : clients_)
      if (cp->online) disconnect(*cp, false);
    drain();
    if (!zombies_.empty()) fail("a shut-down connection still has jobs or waits in the core at the end");
    const auto all = state_->nt.census();
    if (all.files || all.opens || all.locks || all.leases || all.waiters || all.durable)
      fail("every client has gone, but the core holds " + std::to_string(all.files) + " files, " +
           std::to_string(all.opens) + " opens, " + std::to_string(all.locks) + " locks, " +
           std::to_string(all.leases) + " leases, " + std::to_string(all.waiters) + " waits, " +
           std::to_string(all.durable) + " durable handles");
  }

  // ---- sending ---------------------------------------------------------------------------------
  bool can_send(const Client& c) const {
    const std::uint64_t need = c.phase == Phase::ready ? 3 : 1;  // a compound takes three
    if (!c.online || c.pending.size() >= c.max_out || c.next_mid + need > c.mid_limit) return false;
    switch (c.phase) {
      case Phase::negotiate:
      case Phase::session1:
      case Phase::session2:
      case Phase::tree: return !c.handshake_pending;
      case Phase::ready: return true;
      case Phase::logging_off:
      case Phase::tree_disconnecting: return !c.dead.empty() || !c.handles.empty();
      case Phase::offline: return false;
    }
    return false;
  }

  wire::Header header(Client& c, Command cmd, std::uint16_t charge = 1) {
    wire::Header h;
    h.cmd = cmd;
    h.charge = charge;
    h.credit_request = static_cast<std::uint16_t>(4 + c.idx % 8);
    h.message_id = c.next_mid;
    c.next_mid += charge;
    h.session_id = c.session;
    h.tree_id = c.tree;
    return h;
  }

  /// A header for a request on handle `h` (its session and tree).
  wire::Header header_for(Client& c, Command cmd, const Handle& h) {
    auto hd = header(c, cmd);
    hd.session_id = h.session;
    hd.tree_id = h.tree;
    return hd;
  }

  /// Sends one frame holding `reqs` (their MessageIds are in `msgs`' headers).
  void send(Client& c, std::vector<Req> reqs, const std::vector<Vec>& msgs) {
    for (auto& r : reqs) {
      ++stats_.requests;
      trace("c%d -> %s mid=%" PRIu64 "%s", c.idx, cmd_name(r.cmd).c_str(), r.mid, r.probe ? " (probe)" : "");
      c.pending.emplace(r.mid, std::move(r));
    }
    Vec frame = msgs.size() == 1 ? msgs[0] : wire::compound(msgs);
    Conn k = c.c;
    absorb(k, k.conn->on_message(std::move(frame)));
  }

  void send_one(Client& c, Req r, const wire::Header& h, const Vec& body) {
    r.cmd = h.cmd;
    r.mid = h.message_id;
    r.session = h.session_id;
    r.tree = h.tree_id;
    std::vector<Req> reqs;
    reqs.push_back(std::move(r));
    send(c, std::move(reqs), {wire::message(h, body)});
  }

  void client_act(Client& c) {
    switch (c.phase) {
      case Phase::negotiate: {
        c.handshake_pending = true;
        auto h = header(c, Command::negotiate);
        h.credit_request = 64;
        send_one(c, Req{.kind = Kind::negotiate}, h, wire::negotiate_body(c.dialect, c.guid));
        return;
      }
      case Phase::session1: {
        c.handshake_pending = true;
        c.ntlm = test::BasicNtlmClient{};
        c.ntlm.flags &= ~(auth::ntlm::flag::kSeal | auth::ntlm::flag::k56);
        c.ntlm.workstation = "SIM" + std::to_string(c.idx);
        c.session = 0;
        c.tree = 0;
        auto h = header(c, Command::session_setup);
        send_one(c, Req{.kind = Kind::session1}, h, wire::session_setup_body(c.ntlm.make_negotiate()));
        return;
      }
      case Phase::session2: {
        c.handshake_pending = true;
        const Vec auth = c.ntlm.make_authenticate(c.challenge);
        if (auth.empty()) fail("client " + std::to_string(c.idx) + ": the NTLM CHALLENGE does not parse");
        auto h = header(c, Command::session_setup);
        send_one(c, Req{.kind = Kind::session2}, h, wire::session_setup_body(auth, c.previous_session));
        return;
      }
      case Phase::tree: {
        c.handshake_pending = true;
        auto h = header(c, Command::tree_connect);
        h.tree_id = 0;
        send_one(c, Req{.kind = Kind::tree_connect}, h, wire::tree_connect_body("\\\\srv\\share"));
        return;
      }
      case Phase::logging_off:
      case Phase::tree_disconnecting: op_probe(c); return;
      case Phase::ready: break;
      case Phase::offline: return;
    }
    struct W {
      void (Sim::*op)(Client&);
      std::uint64_t w;
    };
    std::size_t live_handles = 0;
    for (const auto& [v, h] : c.handles) live_handles += !h.closing;
    const bool hs = live_handles != 0;
    const W table[] = {
        {&Sim::op_break, c.breaks.empty() ? 0u : 40u},
        {&Sim::op_create, live_handles > 8 ? 4u : 22u},
        {&Sim::op_read, hs ? 20u : 0u},
        {&Sim::op_write, hs ? 16u : 0u},
        // (--blocking-locks: more locking, so that waits happen; its seeds have their own range.)
        {&Sim::op_lock, hs ? (opt_.blocking_locks ? 30u : 8u) : 0u},
        {&Sim::op_unlock, hs ? (opt_.blocking_locks ? 15u : 5u) : 0u},
        {&Sim::op_close, hs ? (live_handles > 5 ? 30u : 10u) : 0u},
        {&Sim::op_rename, hs ? 3u : 0u},
        {&Sim::op_dispose, hs ? 3u : 0u},
        {&Sim::op_query, hs ? 4u : 0u},
        {&Sim::op_cancel, c.pending.empty() ? 0u : 4u},
        {&Sim::op_compound, 4},
        {&Sim::op_logoff, 1},
        {&Sim::op_tree_disconnect, 1},
        {&Sim::op_probe, (c.dead.empty() && live_handles == c.handles.size()) ? 0u : 2u},
        {&Sim::op_echo, 1},
    };
    std::uint64_t total = 0;
    for (const auto& t : table) total += t.w;
    std::uint64_t r = rng_.below(total);
    for (const auto& t : table) {
      if (r < t.w) return (this->*t.op)(c);
      r -= t.w;
    }
  }

  Handle* pick_handle(Client& c, bool (*prefer)(const Handle&), unsigned prefer_pct = 85) {
    std::vector<Handle*> all, good;
    for (auto& [v, h] : c.handles) {
      if (h.closing) continue;
      all.push_back(&h);
      if (prefer && prefer(h)) good.push_back(&h);
    }
    if (all.empty()) return nullptr;
    if (!good.empty() && rng_.chance(prefer_pct)) return good[rng_.below(good.size())];
    return all[rng_.below(all.size())];
  }

  wire::Key16 lease_key(const Client& c, int ns, int name) const {
    std::uint64_t x = (static_cast<std::uint64_t>(c.idx) << 32) ^ (static_cast<std::uint64_t>(ns + 7) << 8) ^
                      static_cast<std::uint64_t>(name) ^ std::uint64_t{0x1EA5E};
    wire::Key16 k{};
    for (std::size_t i = 0; i < 16; i += 8) {
      const std::uint64_t v = splitmix64(x);
      for (std::size_t b = 0; b < 8; ++b) k[i + b] = static_cast<std::uint8_t>(v >> (8 * b));
    }
    return k;
  }

  static std::uint32_t granted(std::uint32_t desired) {
    std::uint32_t a = map_generic(desired);
    if (a & kMaximumAllowed) a = (a & ~kMaximumAllowed) | kFullAccess;
    return a;
  }

  void op_create(Client& c) {
    const std::uint64_t r = rng_.below(100);
    int ns;
    bool dir = false;
    if (r < 5) {
      dir = true;
      ns = -2;
    } else if (r < 60 || opt_.clients == 1) {
      ns = 0;
    } else if (r < 90) {
      ns = c.idx + 1;
    } else {
      ns = static_cast<int>(rng_.below(static_cast<std::uint64_t>(opt_.clients))) + 1;
    }
    const bool own = ns == c.idx + 1;
    const bool other = ns > 0 && !own;
    const int name = dir ? 0 : static_cast<int>(rng_.below(static_cast<std::uint64_t>(names_in(ns))));
    const std::string path = dir ? "d" : name_of(ns, name);
    std::uint32_t desired;
    if (dir) {
      desired = rng_.chance(50) ? (kFileReadData | kFileReadAttributes) : kFileReadAttributes;
    } else if (other) {
      static constexpr std::uint32_t kRead[] = {kFileReadData, kFileReadAttributes, kFileReadData | kFileReadAttributes,
                                                kGenericRead};
      desired = kRead[rng_.below(std::size(kRead))];
    } else {
      static constexpr std::uint32_t kAny[] = {kFileReadData,
                                               kFileWriteData,
                                               kFileReadData | kFileWriteData,
                                               kFileReadData | kFileWriteData | kDelete,
                                               kDelete,
                                               kGenericAll,
                                               kMaximumAllowed,
                                               kFileReadAttributes,
                                               kGenericRead,
                                               kGenericWrite | kDelete,
                                               kFileReadData | kFileWriteData};
      desired = kAny[rng_.below(std::size(kAny))];
    }
    const std::uint32_t share = rng_.chance(50) ? kShareAllModes : static_cast<std::uint32_t>(rng_.below(8));
    std::uint32_t disposition;
    if (dir || other) {
      disposition = 1;  // open
    } else if (own) {
      static constexpr std::uint32_t kDisp[] = {1, 2, 3, 3, 3, 4, 5, 0};
      disposition = kDisp[rng_.below(std::size(kDisp))];
    } else {
      static constexpr std::uint32_t kDisp[] = {1, 2, 3, 3, 3};
      disposition = kDisp[rng_.below(std::size(kDisp))];
    }
    const std::uint32_t access = granted(desired);
    std::uint32_t options = dir ? kOptDirectory : kOptNonDirectory;
    if (!dir && !other && (access & kDelete) && rng_.chance(7)) options |= kOptDeleteOnClose;
    std::uint8_t oplock = codec::kOplockNone;
    std::optional<wire::LeaseRequest> lease;
    if (!dir) {
      static constexpr std::uint8_t kLevels[] = {codec::kOplockNone, codec::kOplockLevelII, codec::kOplockExclusive,
                                                 codec::kOplockBatch};
      if (c.dialect != 0x0202 && rng_.chance(40)) {
        oplock = codec::kOplockLease;
        wire::LeaseRequest l;
        l.key = lease_key(c, ns, rng_.chance(92) ? name : (name + 1) % names_in(ns));
        static constexpr std::uint32_t kStates[] = {1, 3, 5, 7, 7};
        l.state = kStates[rng_.below(std::size(kStates))];
        l.version = c.dialect >= 0x0300 ? 2 : 1;
        lease = l;
        c.keys_used.insert(l.key);
      } else {
        oplock = kLevels[rng_.below(std::size(kLevels))];
      }
    }
    Req q{.kind = Kind::create};
    q.ns = dir ? -2 : ns;
    q.name = name;
    q.access = access;
    q.share = share;
    q.disposition = disposition;
    q.is_dir = dir;
    if (lease) {
      q.lease = true;
      q.key = lease->key;
    }
    if (disposition == 0 || disposition == 4 || disposition == 5) q.effect = data_.begin_effect(0, 0, kBlocks, 0, ns);
    auto h = header(c, Command::create);
    trace("c%d CREATE '%s' access 0x%x share %u disposition %u options 0x%x oplock 0x%x", c.idx, path.c_str(), desired,
          share, disposition, options, oplock);
    send_one(c, std::move(q), h, wire::create_body(path, desired, share, disposition, options, oplock, lease));
  }

  /// A block range for `h`: in this client's region of a shared file (mostly), anywhere otherwise.
  std::pair<std::size_t, std::size_t> block_range(const Client& c, const Handle& h, std::size_t max) {
    if (h.ns == 0 && rng_.chance(80)) {
      const std::size_t base = static_cast<std::size_t>(c.idx % 12) * 4;
      const std::size_t first = base + static_cast<std::size_t>(rng_.below(4));
      const std::size_t count = 1 + static_cast<std::size_t>(rng_.below(base + 4 - first));
      return {first, count};
    }
    const std::size_t first = static_cast<std::size_t>(rng_.below(kBlocks));
    const std::size_t count = 1 + static_cast<std::size_t>(rng_.below(std::min(max, kBlocks - first)));
    return {first, count};
  }

  void op_read(Client& c) {
    Handle* h = pick_handle(c, [](const Handle& x) { return !x.is_dir && (x.access & kDataRead) != 0; });
    if (!h) return;
    auto [first, count] = block_range(c, *h, 8);
    Req q{.kind = Kind::read};
    q.vid = h->vid;
    q.node = h->node;
    q.length = count * kBlock;
    if (h->is_dir) q.expect = NtStatus::invalid_device_request;
    else if (!(h->access & kDataRead)) q.expect = NtStatus::access_denied;
    else q.read = data_.begin_read(h->node, first, count);
    auto hd = header_for(c, Command::read, *h);
    trace("c%d READ handle %" PRIu64 " (file %" PRIu64 ") blocks %zu+%zu", c.idx, h->vid, h->node, first, count);
    send_one(c, std::move(q), hd,
             wire::read_body(h->pid, h->vid, first * kBlock, static_cast<std::uint32_t>(count * kBlock)));
  }

  Vec pattern(std::uint64_t wid, std::size_t first, std::size_t count) {
    Vec data(count * kBlock);
    for (std::size_t i = 0; i < count; ++i) fill_block(data.data() + i * kBlock, wid, first + i);
    return data;
  }

  void op_write(Client& c) {
    Handle* h = pick_handle(c, [](const Handle& x) { return !x.is_dir && (x.access & kDataWrite) != 0; });
    if (!h) return;
    auto [first, count] = block_range(c, *h, 6);
    const std::uint64_t wid = next_wid_++;
    Req q{.kind = Kind::write};
    q.vid = h->vid;
    q.node = h->node;
    q.length = count * kBlock;
    if (h->is_dir) q.expect = NtStatus::invalid_device_request;
    else if (!(h->access & kDataWrite)) q.expect = NtStatus::access_denied;
    else q.effect = data_.begin_effect(wid, first, count, h->node, -1);
    auto hd = header_for(c, Command::write, *h);
    trace("c%d WRITE handle %" PRIu64 " (file %" PRIu64 ") blocks %zu+%zu write %" PRIu64, c.idx, h->vid, h->node,
          first, count, wid);
    send_one(c, std::move(q), hd, wire::write_body(h->pid, h->vid, first * kBlock, pattern(wid, first, count)));
  }

  static std::string show_ranges(const std::vector<Range>& rs) {
    std::string out;
    for (const auto& r : rs)
      out += (out.empty() ? "" : ", ") + std::string(r.exclusive ? "excl " : "shared ") + std::to_string(r.offset) +
             "+" + std::to_string(r.length);
    return out;
  }

  Range random_range() {
    static constexpr std::uint64_t kLens[] = {0, 4, 8, 8, 16, 24};
    Range r;
    r.offset = rng_.below(8) * 8;
    r.length = kLens[rng_.below(std::size(kLens))];
    r.exclusive = rng_.chance(50);
    return r;
  }

  void op_lock(Client& c) {
    Handle* h = pick_handle(c, nullptr);
    if (!h) return;
    Req q{.kind = Kind::lock};
    q.vid = h->vid;
    q.node = h->node;
    const std::size_t n = rng_.chance(75) ? 1 : static_cast<std::size_t>(rng_.range(2, 3));
    // (With the option off no draw is made here, so older seeds keep their schedules.)
    q.blocking = opt_.blocking_locks && n == 1 && rng_.chance(60);
    std::vector<wire::LockElement> el;
    for (std::size_t i = 0; i < n; ++i) {
      Range r = random_range();
      q.ranges.push_back(r);
      el.push_back({r.offset, r.length,
                    (r.exclusive ? codec::kLockExclusive : codec::kLockShared) | (q.blocking ? 0 : kLockFailImmediately)});
    }
    auto hd = header_for(c, Command::lock, *h);
    trace("c%d LOCK handle %" PRIu64 " (file %" PRIu64 ") %zu ranges%s: %s", c.idx, h->vid, h->node, n,
          q.blocking ? " (waits)" : "", show_ranges(q.ranges).c_str());
    send_one(c, std::move(q), hd, wire::lock_body(h->pid, h->vid, el));
  }

  void op_unlock(Client& c) {
    Handle* h = pick_handle(c, nullptr);
    if (!h) return;
    Req q{.kind = Kind::unlock};
    q.vid = h->vid;
    q.node = h->node;
    const auto held = locks_.held_by(c.c.serial, h->vid);
    const std::size_t n = rng_.chance(80) ? 1 : 2;
    for (std::size_t i = 0; i < n; ++i)
      q.ranges.push_back(!held.empty() && rng_.chance(75) ? held[rng_.below(held.size())] : random_range());
    std::vector<wire::LockElement> el;
    for (const auto& r : q.ranges) el.push_back({r.offset, r.length, codec::kLockUnlock});
    auto hd = header_for(c, Command::lock, *h);
    trace("c%d UNLOCK handle %" PRIu64 " %zu ranges: %s", c.idx, h->vid, n, show_ranges(q.ranges).c_str());
    send_one(c, std::move(q), hd, wire::lock_body(h->pid, h->vid, el));
  }

  void start_closing(Client& c, Handle& h) {
    h.closing = true;
    h.closed_by = c.next_mid;  // the request about to be sent
    opens_.uncertain(c.c.serial, h.vid);
    locks_.uncertain(c.c.serial, h.vid);
  }

  void close_handle(Client& c, Handle& h) {
    start_closing(c, h);
    Req q{.kind = Kind::close};
    q.vid = h.vid;
    auto hd = header(c, Command::close);
    hd.session_id = h.session;
    hd.tree_id = h.tree;
    trace("c%d CLOSE handle %" PRIu64, c.idx, h.vid);
    send_one(c, std::move(q), hd, wire::close_body(h.pid, h.vid));
  }

  void op_close(Client& c) {
    if (Handle* h = pick_handle(c, nullptr)) close_handle(c, *h);
  }

  void op_rename(Client& c) {
    Handle* h = pick_handle(c, [](const Handle& x) { return !x.is_dir && (x.access & kDelete) != 0; });
    if (!h) return;
    Req q{.kind = Kind::rename};
    q.vid = h->vid;
    if (!(h->access & kDelete)) q.expect = NtStatus::access_denied;
    const int ns = h->ns >= 0 ? h->ns : 0;
    const std::string to = name_of(ns, static_cast<int>(rng_.below(static_cast<std::uint64_t>(names_in(ns)))));
    const bool replace = rng_.chance(40);
    auto hd = header_for(c, Command::set_info, *h);
    trace("c%d RENAME handle %" PRIu64 " to '%s'%s", c.idx, h->vid, to.c_str(), replace ? " (replace)" : "");
    send_one(c, std::move(q), hd,
             wire::set_info_body(h->pid, h->vid, wire::kFileRenameInformation, wire::rename_info(to, replace)));
  }

  void op_dispose(Client& c) {
    Handle* h = pick_handle(c, [](const Handle& x) { return !x.is_dir && (x.access & kDelete) != 0; });
    if (!h) return;
    Req q{.kind = Kind::dispose};
    q.vid = h->vid;
    if (!(h->access & kDelete)) q.expect = NtStatus::access_denied;
    const bool del = rng_.chance(85);
    auto hd = header_for(c, Command::set_info, *h);
    trace("c%d SET_INFO disposition %d on handle %" PRIu64, c.idx, del ? 1 : 0, h->vid);
    send_one(c, std::move(q), hd,
             wire::set_info_body(h->pid, h->vid, wire::kFileDispositionInformation, wire::disposition_info(del)));
  }

  void op_query(Client& c) {
    Handle* h = pick_handle(c, nullptr);
    if (!h) return;
    Req q{.kind = Kind::query};
    q.vid = h->vid;
    q.node = h->node;
    q.is_dir = h->is_dir;
    if (!h->is_dir) q.read = data_.begin_read(h->node, 0, kBlocks);
    auto hd = header_for(c, Command::query_info, *h);
    trace("c%d QUERY_INFO standard on handle %" PRIu64, c.idx, h->vid);
    send_one(c, std::move(q), hd, wire::query_info_body(h->pid, h->vid, wire::kFileStandardInformation, 24));
  }

  /// Quiescing: a LOCK waiting for a range that its holder keeps would never be answered.
  void cancel_waiting_locks() {
    bool sent = false;
    for (auto& cp : clients_) {
      Client& c = *cp;
      if (!c.online) continue;
      std::vector<const Req*> waiting;
      for (const auto& [mid, r] : c.pending)
        if (r.kind == Kind::lock && r.interim) waiting.push_back(&r);
      for (const Req* t : waiting) {
        send_cancel(c, *t);
        sent = true;
      }
    }
    if (sent) drain();
  }

  void send_cancel(Client& c, const Req& t) {
    wire::Header h;
    h.cmd = Command::cancel;
    h.charge = 0;
    h.credit_request = 0;
    h.message_id = t.mid;
    h.session_id = t.session;
    h.tree_id = t.tree;
    if (t.interim) {
      h.flags = codec::kFlagAsyncCommand;
      h.async_id = t.async_id;
    }
    ++stats_.cancels_sent;
    trace("c%d CANCEL mid=%" PRIu64 "%s", c.idx, t.mid, t.interim ? " (async)" : "");
    Conn k = c.c;
    absorb(k, k.conn->on_message(wire::message(h, wire::empty4_body())));
  }

  void op_cancel(Client& c) {
    std::vector<const Req*> cands, waiting;
    for (const auto& [mid, r] : c.pending) {
      if (r.kind == Kind::session1 || r.kind == Kind::session2 || r.kind == Kind::negotiate) continue;
      cands.push_back(&r);
      if (r.interim) waiting.push_back(&r);
    }
    if (cands.empty()) return;
    const Req& t = !waiting.empty() && rng_.chance(75) ? *waiting[rng_.below(waiting.size())]
                                                       : *cands[rng_.below(cands.size())];
    send_cancel(c, t);
  }

  void op_compound(Client& c) {
    const int ns = rng_.chance(60) ? c.idx + 1 : 0;
    const bool own = ns != 0;
    const int name = static_cast<int>(rng_.below(static_cast<std::uint64_t>(names_in(ns))));
    const std::string path = name_of(ns, name);
    const std::uint32_t desired = rng_.chance(70) ? (kFileReadData | kFileWriteData) : kGenericAll;
    const std::uint32_t share = rng_.chance(60) ? kShareAllModes : static_cast<std::uint32_t>(rng_.below(8));
    static constexpr std::uint32_t kOwn[] = {3, 3, 5, 2, 1}, kShared[] = {3, 3, 2, 1};
    const std::uint32_t disposition = own ? kOwn[rng_.below(std::size(kOwn))] : kShared[rng_.below(std::size(kShared))];
    // The write: its block range as for a handle of that name space.
    Handle fake;
    fake.ns = ns;
    auto [first, count] = block_range(c, fake, 6);
    const std::uint64_t wid = next_wid_++;
    const std::uint64_t g = next_group_++;
    c.groups[g] = {};
    Req cr{.kind = Kind::cc_create};
    cr.ns = ns;
    cr.name = name;
    cr.access = granted(desired);
    cr.share = share;
    cr.disposition = disposition;
    cr.group = g;
    if (disposition == 5) cr.effect = data_.begin_effect(0, 0, kBlocks, 0, ns);
    Req wr{.kind = Kind::cc_write};
    wr.group = g;
    wr.length = count * kBlock;
    wr.effect = data_.begin_effect(wid, first, count, 0, ns);
    Req cl{.kind = Kind::cc_close};
    cl.group = g;
    auto h1 = header(c, Command::create);
    auto h2 = header(c, Command::write);
    auto h3 = header(c, Command::close);
    h2.flags = h3.flags = codec::kFlagRelatedOperations;
    std::vector<Vec> msgs;
    msgs.push_back(wire::message(h1, wire::create_body(path, desired, share, disposition, kOptNonDirectory,
                                                        codec::kOplockNone, std::nullopt)));
    msgs.push_back(wire::message(h2, wire::write_body(wire::kAllOnes, wire::kAllOnes, first * kBlock,
                                                       pattern(wid, first, count))));
    msgs.push_back(wire::message(h3, wire::close_body(wire::kAllOnes, wire::kAllOnes)));
    for (auto* p : {&cr, &wr, &cl}) {
      p->session = c.session;
      p->tree = c.tree;
    }
    cr.cmd = Command::create;
    cr.mid = h1.message_id;
    wr.cmd = Command::write;
    wr.mid = h2.message_id;
    cl.cmd = Command::close;
    cl.mid = h3.message_id;
    ++stats_.compounds;
    trace("c%d compound CREATE '%s' disposition %u + WRITE blocks %zu+%zu write %" PRIu64 " + CLOSE", c.idx,
          path.c_str(), disposition, first, count, wid);
    std::vector<Req> reqs;
    reqs.push_back(std::move(cr));
    reqs.push_back(std::move(wr));
    reqs.push_back(std::move(cl));
    send(c, std::move(reqs), msgs);
  }

  void op_logoff(Client& c) {
    for (auto& [v, h] : c.handles)
      if (h.session == c.session && !h.closing) start_closing(c, h);
    c.logoff_sent.insert(c.session);
    c.logoff_mid[c.session] = c.next_mid;
    c.phase = Phase::logging_off;
    ++stats_.logoffs;
    auto h = header(c, Command::logoff);
    trace("c%d LOGOFF session %" PRIx64, c.idx, c.session);
    send_one(c, Req{.kind = Kind::logoff}, h, wire::empty4_body());
  }

  void op_tree_disconnect(Client& c) {
    for (auto& [v, h] : c.handles)
      if (h.session == c.session && h.tree == c.tree && !h.closing) start_closing(c, h);
    c.tdis_sent.insert({c.session, c.tree});
    c.tdis_mid[{c.session, c.tree}] = c.next_mid;
    c.phase = Phase::tree_disconnecting;
    ++stats_.tree_disconnects;
    auto h = header(c, Command::tree_disconnect);
    trace("c%d TREE_DISCONNECT tree %u", c.idx, c.tree);
    send_one(c, Req{.kind = Kind::tree_disconnect}, h, wire::empty4_body());
  }

  /// A request on a handle that was closed, or whose session or tree went.
  void op_probe(Client& c) {
    std::vector<Client::Dead> cands = c.dead;
    for (const auto& [v, h] : c.handles)
      if (h.closing) cands.push_back({h.pid, h.vid, h.session, h.tree});
    if (cands.empty()) return;
    const Client::Dead d = cands[rng_.below(cands.size())];
    Req q{.kind = Kind::probe};
    q.probe = true;
    q.vid = d.vid;
    static constexpr Command kCmds[] = {Command::read, Command::write, Command::lock, Command::close, Command::set_info};
    const Command cmd = kCmds[rng_.below(std::size(kCmds))];
    auto hd = header(c, cmd);
    if (c.phase != Phase::ready || rng_.chance(50)) {
      hd.session_id = d.session;
      hd.tree_id = d.tree;
    }
    Vec body;
    switch (cmd) {
      case Command::read: body = wire::read_body(d.pid, d.vid, 0, kBlock); break;
      case Command::write: body = wire::write_body(d.pid, d.vid, 0, pattern(next_wid_++, 0, 1)); break;
      case Command::lock: body = wire::lock_body(d.pid, d.vid, {{0, 8, codec::kLockExclusive | kLockFailImmediately}}); break;
      case Command::close: body = wire::close_body(d.pid, d.vid); break;
      default:
        body = wire::set_info_body(d.pid, d.vid, wire::kFileDispositionInformation, wire::disposition_info(true));
        break;
    }
    ++stats_.probes;
    send_one(c, std::move(q), hd, body);
  }

  void op_echo(Client& c) {
    auto h = header(c, Command::echo);
    send_one(c, Req{.kind = Kind::echo}, h, wire::empty4_body());
  }

  /// Answers (or closes for, or ignores) a break notification this client received.
  void op_break(Client& c) {
    const std::size_t i = static_cast<std::size_t>(rng_.below(c.breaks.size()));
    const Client::Break b = c.breaks[i];
    c.breaks.erase(c.breaks.begin() + static_cast<std::ptrdiff_t>(i));
    if (!b.ack_required && !rng_.chance(5)) return;
    const std::uint64_t r = rng_.below(100);
    if (r < 15) return;  // never acknowledged: the server's timeout must end the break
    if (r < 30) {        // close the handle instead
      for (auto& [v, h] : c.handles) {
        if (h.closing) continue;
        if ((b.oplock && h.vid == b.vid) || (!b.oplock && h.lease && h.key == b.key)) {
          close_handle(c, h);
          return;
        }
      }
    }
    ++stats_.acks;
    if (b.oplock) {
      auto hd = header(c, Command::oplock_break);
      trace("c%d OPLOCK_BREAK ack handle %" PRIu64 " level %u", c.idx, b.vid, b.level);
      send_one(c, Req{.kind = Kind::oplock_ack}, hd, wire::oplock_ack_body(b.pid, b.vid, b.level));
    } else {
      std::uint32_t state = b.to;
      if (rng_.chance(10)) state &= static_cast<std::uint32_t>(rng_.below(8));
      auto hd = header(c, Command::oplock_break);
      trace("c%d LEASE_BREAK ack state %u", c.idx, state);
      send_one(c, Req{.kind = Kind::lease_ack}, hd, wire::lease_ack_body(b.key, state));
    }
  }

  // ---- receiving -------------------------------------------------------------------------------
  void receive(Client& c, std::span<const std::uint8_t> frame) {
    std::vector<Msg> msgs;
    std::string why;
    if (!wire::parse_frame(frame, msgs, why)) fail("client " + std::to_string(c.idx) + ": " + why);
    for (auto& m : msgs) {
      const std::string who = "client " + std::to_string(c.idx) + ": ";
      if (!(m.flags & codec::kFlagServerToRedir)) fail(who + "a response without SERVER_TO_REDIR");
      if (m.cmd == Command::cancel) fail(who + "CANCEL was answered");
      if (m.message_id == wire::kAllOnes) {
        on_break(c, m);
        continue;
      }
      auto it = c.pending.find(m.message_id);
      if (it == c.pending.end())
        fail(who + cmd_name(m.cmd) + " answer (" + status_name(m.status) + ") to MessageId " +
             std::to_string(m.message_id) + ", which has no outstanding request (answered twice?)");
      Req& r = it->second;
      if (m.cmd != r.cmd)
        fail(who + "MessageId " + std::to_string(m.message_id) + " is a " + cmd_name(r.cmd) + " but was answered as " +
             cmd_name(m.cmd));
      c.mid_limit += m.credit;
      ++stats_.responses;
      const bool async = (m.flags & codec::kFlagAsyncCommand) != 0;
      trace("c%d <- %s mid=%" PRIu64 " %s%s", c.idx, cmd_name(m.cmd).c_str(), m.message_id,
            status_name(m.status).c_str(), async ? " (async)" : "");
      if (static_cast<NtStatus>(m.status) == NtStatus::pending) {
        if (!async) fail(who + "STATUS_PENDING without the ASYNC flag");
        if (r.interim) fail(who + cmd_name(r.cmd) + " MessageId " + std::to_string(r.mid) + " got a second interim");
        if (m.async_id == 0) fail(who + "an interim response with AsyncId 0");
        if (r.kind != Kind::create && r.kind != Kind::rename && !(r.kind == Kind::lock && r.blocking))
          fail(who + cmd_name(r.cmd) + " went async, which it never needs to");
        r.interim = true;
        // A waiting lock may be granted any time from now on: the model holds it, uncertainly.
        if (r.kind == Kind::lock) ++stats_.lock_waits;
        if (r.kind == Kind::lock && !handle_going(c, r.vid)) locks_.waiting(r.node, c.c.serial, r.vid, r.ranges[0]);
        r.async_id = m.async_id;
        ++stats_.interims;
        // (Seen: a CREATE whose job ran across a LOGOFF / TREE_DISCONNECT goes async afterwards
        // and fails only once resumed. Counted, not a failure.)
        if (c.logoff_sent.count(r.session) || c.tdis_sent.count({r.session, r.tree})) ++stats_.late_interims;
        continue;
      }
      const bool handshake = r.kind == Kind::negotiate || r.kind == Kind::session1 || r.kind == Kind::session2 ||
                             r.kind == Kind::tree_connect;
      if (!handshake && m.session_id != r.session)
        fail(who + cmd_name(r.cmd) + " MessageId " + std::to_string(r.mid) + " answered with SessionId " +
             std::to_string(m.session_id) + ", sent with " + std::to_string(r.session));
      if (!handshake && !async && m.tree_id != r.tree)
        fail(who + cmd_name(r.cmd) + " MessageId " + std::to_string(r.mid) + " answered with TreeId " +
             std::to_string(m.tree_id) + ", sent with " + std::to_string(r.tree));
      if (r.interim && (!async || m.async_id != r.async_id))
        fail(who + "the final response to MessageId " + std::to_string(r.mid) +
             " does not carry the AsyncId of its interim");
      if (!r.interim && async) fail(who + "an async final response without an interim");
      Req req = std::move(r);
      c.pending.erase(it);
      on_final(c, req, m);
    }
  }

  void on_break(Client& c, const Msg& m) {
    const std::string who = "client " + std::to_string(c.idx) + ": ";
    if (m.cmd != Command::oplock_break) fail(who + "unsolicited " + cmd_name(m.cmd) + " with MessageId all ones");
    if (m.flags & codec::kFlagAsyncCommand) fail(who + "a break notification with the ASYNC flag");
    const auto b = m.body();
    Client::Break br;
    if (m.body_has(44) && wire::rd16(b, 0) == 44) {
      ++stats_.lease_breaks;
      br.oplock = false;
      br.ack_required = (wire::rd32(b, 4) & codec::kLeaseBreakAckRequired) != 0;
      std::copy(b.begin() + 8, b.begin() + 24, br.key.begin());
      const std::uint32_t from = wire::rd32(b, 24);
      br.to = wire::rd32(b, 28);
      if (c.dialect == 0x0202) fail(who + "a lease break on a 2.0.2 connection");
      if (!c.keys_used.count(br.key)) fail(who + "a lease break for a lease key it never used on this connection");
      if ((br.to & ~from) || br.to == from) fail(who + "a lease break from " + std::to_string(from) + " to " +
                                                  std::to_string(br.to));
      trace("c%d <- LEASE_BREAK %u -> %u%s", c.idx, from, br.to, br.ack_required ? " (ack required)" : "");
    } else if (m.body_has(24) && wire::rd16(b, 0) == 24) {
      ++stats_.oplock_breaks;
      br.oplock = true;
      br.level = b[2];
      br.pid = wire::rd64(b, 8);
      br.vid = wire::rd64(b, 16);
      br.ack_required = true;  // oplock breaks from exclusive/batch; from level II none are sent
      // A break may name an open whose CREATE then failed (its session went while its job ran:
      // the open existed for a moment), so FileIds it never received are accepted as long as a
      // CREATE of this connection failed or is under way.
      if (br.vid == 0 || (!c.known_vids.count(br.vid) && c.creates_failed == 0 && c.creates_in_flight(true) == 0))
        fail(who + "an oplock break for FileId " + std::to_string(br.vid) + ", which no CREATE of it can have had");
      if (br.level != codec::kOplockNone && br.level != codec::kOplockLevelII)
        fail(who + "an oplock break to level " + std::to_string(br.level));
      trace("c%d <- OPLOCK_BREAK handle %" PRIu64 " to level %u", c.idx, br.vid, br.level);
    } else {
      fail(who + "a malformed break notification");
    }
    c.breaks.push_back(br);
  }

  /// FILE_CLOSED (or the session/tree statuses) for a request on handle `vid` is right only when
  /// the handle is gone or going.
  bool handle_going(const Client& c, std::uint64_t vid) const {
    auto it = c.handles.find(vid);
    return it == c.handles.end() || it->second.closing;
  }

  void end_effect_by_status(std::uint64_t effect, NtStatus s, std::uint64_t node) {
    if (!effect) return;
    data_.end_effect(effect, s == NtStatus::success ? DataModel::Outcome::applied : DataModel::Outcome::not_applied,
                     node);
  }

  void on_final(Client& c, Req& r, const Msg& m) {
    const std::string who = "client " + std::to_string(c.idx) + ": ";
    const auto st = static_cast<NtStatus>(m.status);
    const bool ok = st == NtStatus::success;
    const auto b = m.body();
    if (st == NtStatus::cancelled) ++stats_.cancelled;
    if (r.probe) {
      if (st != NtStatus::file_closed && st != NtStatus::network_name_deleted && st != NtStatus::user_session_deleted)
        fail(who + cmd_name(r.cmd) + " on handle " + std::to_string(r.vid) +
             ", closed or of a session/tree that went, answered " + status_name(m.status));
      return;
    }
    // A request on a handle of ours that is still open must not be told it is closed.
    const bool on_handle = r.kind == Kind::read || r.kind == Kind::write || r.kind == Kind::lock ||
                           r.kind == Kind::unlock || r.kind == Kind::rename || r.kind == Kind::dispose ||
                           r.kind == Kind::query;
    if (on_handle && (st == NtStatus::file_closed || st == NtStatus::user_session_deleted ||
                      st == NtStatus::network_name_deleted)) {
      if (!handle_going(c, r.vid))
        fail(who + cmd_name(r.cmd) + " on handle " + std::to_string(r.vid) + ", which is open, answered " +
             status_name(m.status));
      if (r.effect) data_.end_effect(r.effect, DataModel::Outcome::not_applied);
      if (r.read) data_.drop_read(r.read);
      return;
    }
    if (r.expect) {
      if (st != *r.expect)
        fail(who + cmd_name(r.cmd) + " on handle " + std::to_string(r.vid) + " answered " + status_name(m.status) +
             ", expected " + std::string(to_string(*r.expect)));
      return;
    }
    switch (r.kind) {
      case Kind::negotiate:
        c.handshake_pending = false;
        if (!ok) fail(who + "NEGOTIATE failed: " + status_name(m.status));
        c.phase = Phase::session1;
        return;
      case Kind::session1: {
        if (st != NtStatus::more_processing_required) fail(who + "SESSION_SETUP (1) answered " + status_name(m.status));
        c.session = m.session_id;
        if (!m.body_has(8)) fail(who + "short SESSION_SETUP response");
        const std::size_t off = wire::rd16(b, 4), len = wire::rd16(b, 6);
        if (off < codec::kHeaderSize || off + len > m.raw.size()) fail(who + "bad SESSION_SETUP security buffer");
        c.challenge.assign(m.raw.begin() + static_cast<std::ptrdiff_t>(off),
                           m.raw.begin() + static_cast<std::ptrdiff_t>(off + len));
        c.handshake_pending = false;
        c.phase = Phase::session2;
        return;
      }
      case Kind::session2:
        c.handshake_pending = false;
        if (!ok) fail(who + "SESSION_SETUP (2) failed: " + status_name(m.status));
        // A SessionId may come again once its session is gone.
        c.logoff_sent.erase(c.session);
        std::erase_if(c.tdis_sent, [&](const auto& t) { return t.first == c.session; });
        if (c.previous_session) {
          for (auto& z : zombies_)
            if (z.serial == c.previous_serial) {
              z.replaced = true;
              ++stats_.sessions_replaced;
            }
          c.previous_session = 0;
        }
        c.phase = Phase::tree;
        return;
      case Kind::tree_connect:
        c.handshake_pending = false;
        if (!ok) fail(who + "TREE_CONNECT failed: " + status_name(m.status));
        c.tree = m.tree_id;
        c.phase = Phase::ready;
        return;
      case Kind::create:
      case Kind::cc_create: on_create(c, r, m); return;
      case Kind::read:
        if (ok) {
          ++stats_.reads_ok;
          if (!m.body_has(16)) fail(who + "short READ response");
          const std::size_t off = b[2], len = wire::rd32(b, 4);
          if (off < codec::kHeaderSize || off + len > m.raw.size()) fail(who + "READ data outside the response");
          if (auto v = data_.end_read(r.read, std::span<const std::uint8_t>(m.raw).subspan(off, len)))
            fail(who + "READ: " + *v);
        } else if (st == NtStatus::end_of_file) {
          if (auto v = data_.end_read(r.read, {})) fail(who + "READ (END_OF_FILE): " + *v);
        } else {
          data_.drop_read(r.read);
        }
        return;
      case Kind::write:
        if (ok) {
          ++stats_.writes_ok;
          if (!m.body_has(8) || wire::rd32(b, 4) != r.length)
            fail(who + "WRITE of " + std::to_string(r.length) + " bytes answered with another count");
        }
        end_effect_by_status(r.effect, st, r.node);
        return;
      case Kind::lock:
        if (st == NtStatus::lock_not_granted) ++stats_.lock_conflicts;
        if (r.interim) {
          // A waiting lock ends granted, cancelled, or (its handle closing) RANGE_NOT_LOCKED.
          const auto unlocked = locks_.end_waiting(r.node, c.c.serial, r.vid, r.ranges[0]);
          if (ok) ++stats_.lock_waits_granted;
          if (st == NtStatus::range_not_locked && !handle_going(c, r.vid))
            fail(who + "a waiting LOCK on an open handle ended with RANGE_NOT_LOCKED");
          if (st != NtStatus::success && st != NtStatus::cancelled && st != NtStatus::range_not_locked)
            fail(who + "a waiting LOCK ended with " + status_name(m.status));
          // Not granted, or granted and unlocked again meanwhile.
          if (!ok || unlocked == LockModel::Unlocked::yes) return;
          // Granted while its handle closes: held until the close is done (then it goes with it);
          // perhaps unlocked already: held perhaps.
          if (auto h = c.handles.find(r.vid);
              h == c.handles.end() || h->second.closing || unlocked == LockModel::Unlocked::maybe) {
            if (h != c.handles.end()) locks_.hold_uncertain(r.node, c.c.serial, r.vid, r.ranges[0]);
            return;
          }
        }
        if (auto v = locks_.on_lock(r.node, c.c.serial, r.vid, r.ranges, ok, st == NtStatus::lock_not_granted,
                                    r.interim))
          fail(who + *v);
        return;
      case Kind::unlock:
        if (auto v = locks_.on_unlock(r.node, c.c.serial, r.vid, r.ranges, ok, st == NtStatus::range_not_locked))
          fail(who + *v);
        return;
      case Kind::close:
        if (!ok) fail(who + "CLOSE of an open handle failed: " + status_name(m.status));
        finish_handle(c, r.vid);
        return;
      case Kind::logoff: {
        if (!ok) fail(who + "LOGOFF failed: " + status_name(m.status));
        std::vector<std::uint64_t> gone;  // (handles a CLOSE sent earlier closes are the CLOSE's)
        for (auto& [v, h] : c.handles)
          if (h.closed_by == r.mid) gone.push_back(v);
        for (auto v : gone) finish_handle(c, v);
        c.logoff_mid.erase(r.session);
        if (c.phase == Phase::logging_off) c.phase = Phase::session1;
        return;
      }
      case Kind::tree_disconnect: {
        if (!ok) fail(who + "TREE_DISCONNECT failed: " + status_name(m.status));
        std::vector<std::uint64_t> gone;
        for (auto& [v, h] : c.handles)
          if (h.closed_by == r.mid) gone.push_back(v);
        for (auto v : gone) finish_handle(c, v);
        c.tdis_mid.erase({r.session, r.tree});
        if (c.phase == Phase::tree_disconnecting) c.phase = Phase::tree;
        return;
      }
      case Kind::cc_write: {
        const auto& g = c.groups[r.group];
        if (ok && !g.created) fail(who + "a related WRITE succeeded after its CREATE failed");
        if (ok && (!m.body_has(8) || wire::rd32(b, 4) != r.length)) fail(who + "compound WRITE: wrong count");
        if (ok) ++stats_.writes_ok;
        data_.end_effect(r.effect, ok ? DataModel::Outcome::applied : DataModel::Outcome::not_applied, g.node);
        return;
      }
      case Kind::cc_close: {
        const auto g = c.groups[r.group];
        c.groups.erase(r.group);
        const bool gone = c.logoff_sent.count(r.session) || c.tdis_sent.count({r.session, r.tree});
        if (g.created && !ok && !gone)
          fail(who + "a related CLOSE failed after its CREATE succeeded: " + status_name(m.status));
        if (g.created && !ok) {
          // The LOGOFF / TREE_DISCONNECT sent meanwhile closes the open; until it is answered, the
          // open may still be in the core.
          std::optional<std::uint64_t> by;
          if (auto l = c.logoff_mid.find(r.session); l != c.logoff_mid.end()) by = l->second;
          else if (auto t = c.tdis_mid.find({r.session, r.tree}); t != c.tdis_mid.end()) by = t->second;
          if (by) {
            Handle h;
            h.vid = g.vid;
            h.node = g.node;
            h.session = r.session;
            h.tree = r.tree;
            h.closing = true;
            h.closed_by = *by;
            c.handles[h.vid] = h;
          }
        }
        if (!g.created && ok) fail(who + "a related CLOSE succeeded after its CREATE failed");
        return;
      }
      case Kind::query:
        if (ok) {
          if (!m.body_has(8)) fail(who + "short QUERY_INFO response");
          const std::size_t off = wire::rd16(b, 2), len = wire::rd32(b, 4);
          if (len < 22 || off < codec::kHeaderSize || off + len > m.raw.size())
            fail(who + "QUERY_INFO FileStandardInformation of " + std::to_string(len) + " bytes");
          const auto info = std::span<const std::uint8_t>(m.raw).subspan(off, len);
          if ((info[21] != 0) != r.is_dir) fail(who + "FileStandardInformation.Directory is wrong");
          if (r.read)
            if (auto v = data_.end_size(r.read, wire::rd64(info, 8))) fail(who + "QUERY_INFO: " + *v);
        } else if (r.read) {
          data_.drop_read(r.read);
        }
        return;
      case Kind::rename:
      case Kind::dispose:
      case Kind::oplock_ack:
      case Kind::lease_ack:
      case Kind::echo:
      case Kind::probe: return;
    }
  }

  /// The handle is closed (CLOSE, LOGOFF or TREE_DISCONNECT answered): gone from every model.
  void finish_handle(Client& c, std::uint64_t vid) {
    auto it = c.handles.find(vid);
    if (it == c.handles.end()) return;
    c.dead.push_back({it->second.pid, vid, it->second.session, it->second.tree});
    if (c.dead.size() > 16) c.dead.erase(c.dead.begin());
    opens_.remove(c.c.serial, vid);
    locks_.remove(c.c.serial, vid);
    c.handles.erase(it);
  }

  void on_create(Client& c, Req& r, const Msg& m) {
    const std::string who = "client " + std::to_string(c.idx) + ": ";
    const auto st = static_cast<NtStatus>(m.status);
    const bool compound = r.kind == Kind::cc_create;
    if (st != NtStatus::success) {
      ++c.creates_failed;
      if (st == NtStatus::sharing_violation) ++stats_.sharing_violations;
      // A failure may come after the truncation was done (the session or tree went meanwhile).
      const bool maybe_done = st == NtStatus::user_session_deleted || st == NtStatus::network_name_deleted ||
                              st == NtStatus::too_many_opened_files || st == NtStatus::cancelled;
      if (r.effect)
        data_.end_effect(r.effect, maybe_done ? DataModel::Outcome::unknown : DataModel::Outcome::not_applied);
      return;
    }
    ++stats_.creates_ok;
    // (A compound's CREATE may have succeeded before a LOGOFF sent while the rest of its chain
    // waited: its answer comes with the chain's.)
    if (!compound && c.logoff_sent.count(r.session))
      fail(who + "CREATE MessageId " + std::to_string(r.mid) + " succeeded after its session's LOGOFF was sent");
    if (!compound && c.tdis_sent.count({r.session, r.tree}))
      fail(who + "CREATE MessageId " + std::to_string(r.mid) + " succeeded after its tree's TREE_DISCONNECT was sent");
    if (!m.body_has(88)) fail(who + "short CREATE response");
    const auto b = m.body();
    const std::uint32_t action = wire::rd32(b, 4);
    Handle h;
    h.pid = wire::rd64(b, 64);
    h.vid = wire::rd64(b, 72);
    h.ns = r.ns;
    h.is_dir = r.is_dir;
    h.access = r.access;
    h.share = r.share;
    h.session = r.session;
    h.tree = r.tree;
    h.lease = r.lease;
    h.key = r.key;
    if (m.session_id != r.session) fail(who + "CREATE answered with another SessionId");
    std::vector<wire::RspContext> ctxs;
    if (!wire::create_contexts(m, ctxs)) fail(who + "malformed create contexts in a CREATE response");
    bool qfid = false;
    for (const auto& x : ctxs) {
      if (x.tag == std::array<std::uint8_t, 4>{'Q', 'F', 'i', 'd'} && x.data.size() >= 8) {
        h.node = wire::rd64(x.data, 0);
        qfid = true;
      }
    }
    if (!qfid || h.node == 0) fail(who + "CREATE response without a QFid context");
    if (c.known_vids.count(h.vid)) fail(who + "CREATE returned FileId " + std::to_string(h.vid) + " a second time");
    c.known_vids.insert(h.vid);
    const int ns = r.is_dir ? -2 : r.ns;
    if (!data_.discover(h.node, ns))
      fail(who + "file " + std::to_string(h.node) + " opened through a name of name space " + std::to_string(ns) +
           " was seen before through name space " + std::to_string(data_.ns_of(h.node)));
    if (r.effect) {
      const bool truncated = action == 0 /*superseded*/ || action == 3 /*overwritten*/;
      data_.end_effect(r.effect, truncated ? DataModel::Outcome::applied : DataModel::Outcome::not_applied, h.node);
    }
    if (compound) {
      // Its answer comes with the whole chain's, after the chain's CLOSE: the open may have come
      // and gone long before, so it is checked against nothing and not kept.
      auto& g = c.groups[r.group];
      g.created = true;
      g.node = h.node;
      g.vid = h.vid;
      return;
    }
    if (auto v = opens_.on_open(h.node, c.c.serial, h.vid, h.access, h.share, true)) fail(who + *v);
    c.handles[h.vid] = h;
  }

  SimOptions opt_;
  Source& rng_;
  std::uint64_t clock_ = kStart;
  std::uint64_t random_counter_ = 0;
  std::shared_ptr<engine::ServerState> state_;
  std::shared_ptr<FaultVfs> vfs_;
  std::vector<std::unique_ptr<Client>> clients_;
  std::vector<Conn> zombies_;
  std::vector<JobRef> to_run_, to_complete_;
  DataModel data_;
  LockModel locks_;
  OpenModel opens_;
  SimStats stats_;
  std::uint64_t step_ = 0, next_wid_ = 1, next_serial_ = 1, next_group_ = 1;
  std::uint64_t w_send_ = 10, w_run_ = 20, w_complete_ = 20, w_wake_ = 10, w_disconnect_ = 1, w_tick_ = 2;
};

}  // namespace

SimResult run_simulation(const SimOptions& options, Source& source) {
  Sim sim(options, source);
  return sim.run();
}

}  // namespace smbsrv::sim
