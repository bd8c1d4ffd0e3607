// What a handler works with (private to the engine): the request, its response, the context of
// its connection, and Job, the blocking work a handler hands out.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/output.hpp"
#include "engine/server_state.hpp"
#include "engine/state.hpp"

namespace smbsrv::engine {

/// One message of a compound, while it is handled.
struct Request {
  Bytes msg;  // the whole message, header first
  codec::Header hdr;
  bool sole = false;  // the only message of its frame (no compound)
  bool related = false;
  bool first_related_invalid = false;
  bool signed_ok = false;
  bool was_encrypted = false;             // arrived inside a transform header
  bool may_go_async = false;              // last of its chain: it may answer STATUS_PENDING (3.3.4.2)
  std::optional<std::uint64_t> async_id;  // went async: interim and final use this AsyncId
  bool resumed = false;                   // the final run of an async request
  /// The AsyncId a CREATE job may register with the NT core while it runs (ConnectionState::
  /// core_waits_in_flight); the request's AsyncId if it then has to wait.
  std::optional<std::uint64_t> core_wait_token;
  // Related-operation inheritance (3.3.5.2.7.2)
  std::uint64_t inherit_session = 0;
  std::uint32_t inherit_tree = 0;
  std::optional<NtStatus> prev_status;
  std::optional<codec::FileId> prev_file_id;
  bool prev_session_unknown = false;  // the message before named a session that does not exist
  std::shared_ptr<Session> chain_session;  // the session of the chain's latest message that had one
  // Resolved by the dispatcher
  std::uint64_t effective_session_id = 0;
  std::uint32_t effective_tree_id = 0;
  std::shared_ptr<Session> session;
  std::shared_ptr<TreeConnect> tree;
  // Filled in by finish_response(), read by the next related message
  NtStatus final_status = NtStatus::success;
  std::optional<codec::FileId> out_file_id;
};

struct Ctx;
struct Response;

/// Blocking work of one request: VFS calls (the NT core may be called too). run() happens off
/// the connection's executor, on any thread, and may touch only what the job owns plus
/// OpenHandle under its mutex; finish() then runs on the executor with the request and response
/// the handler left, and completes the response (or hands out another job).
class Job {
 public:
  virtual ~Job() = default;
  virtual void run() = 0;
  virtual void finish(Ctx& ctx, Request& req, Response& rsp) = 0;
  /// Moves file data (Work::bulk).
  virtual bool bulk() const { return false; }
  /// Disposal (pooled jobs return to their pool).
  virtual void release() { delete this; }
};
struct JobRelease {
  void operator()(Job* j) const { j->release(); }
};
using JobPtr = std::unique_ptr<Job, JobRelease>;

/// A job from two lambdas over a state: run(State&) and finish(Ctx&, Request&, Response&, State&).
template <class State, class Run, class Finish>
class LambdaJob final : public Job {
 public:
  LambdaJob(State s, Run r, Finish f) : state_(std::move(s)), run_(std::move(r)), finish_(std::move(f)) {}
  void run() override { run_(state_); }
  void finish(Ctx& ctx, Request& req, Response& rsp) override { finish_(ctx, req, rsp, state_); }

 private:
  State state_;
  Run run_;
  Finish finish_;
};
template <class State, class Run, class Finish>
JobPtr make_job(State s, Run r, Finish f) {
  return JobPtr(new LambdaJob<State, Run, Finish>(std::move(s), std::move(r), std::move(f)));
}

/// A request's answer, as the handler leaves it.
struct Response {
  NtStatus status = NtStatus::success;
  /// The response: a 64-byte placeholder for the header, then the body (see BodyBuilder). A single
  /// response becomes the output frame without a copy; finish_response() fills the header in.
  std::vector<std::uint8_t> buf;
  bool has_body = false;     // a body to send even though status is an error severity
  bool no_response = false;  // CANCEL
  bool disconnect = false;
  bool no_sign = false;
  bool sign_anyway = false;  // final SESSION_SETUP (3.3.5.5.3)
  bool negotiated_311 = false;
  std::shared_ptr<Session> session_for_signing;
  /// Sign with this algorithm rather than the connection's: a refused binding request is
  /// answered with the algorithm of the session it named (3.3.5.5).
  std::optional<crypto::SigningAlgorithm> sign_algorithm;
  /// A binding's leg (3.1.1): the response goes into this channel's preauth hash, not the session's.
  crypto::Digest64* binding_preauth = nullptr;
  std::optional<std::uint64_t> session_id_out;
  std::optional<std::uint32_t> tree_id_out;
  std::optional<codec::FileId> file_id_out;
  FileTail tail;  // a zero-copy READ's data (Output::tail)
  JobPtr job;     // blocking work still to do before the response is complete
  /// With job: hand it out only once this open has no job in flight (Open::jobs_in_flight).
  std::shared_ptr<Open> job_after;
  /// The request waits (3.3.4.2): answer STATUS_PENDING with this AsyncId now, complete later.
  std::optional<std::uint64_t> async_id;
  bool waits_in_core = false;  // with async_id: registered with the NT core (a Wake ends it)
  codec::FileId async_file_id;  // with async_id: the open it concerns (CHANGE_NOTIFY)

  /// Bodies are built in a buffer that starts with a 64-byte placeholder header, so encoders can
  /// compute offsets from the header start (hdr = 0); set_body() takes the buffer over.
  struct BodyBuilder {
    BodyBuilder() = default;
    /// Over a buffer (from BufferPool::take) whose first 64 bytes are the placeholder.
    explicit BodyBuilder(std::vector<std::uint8_t>&& b) : buf(std::move(b)) {}
    std::vector<std::uint8_t> buf = std::vector<std::uint8_t>(codec::kHeaderSize, 0);
    ByteWriter w{buf};
  };
  void set_body(std::vector<std::uint8_t>& with_header) {
    buf.swap(with_header);
    has_body = true;
  }
  void fail(NtStatus s) {
    status = s;
    has_body = false;
    buf.clear();
  }
  /// Hands the rest of the work to `j` (run off the executor, then j->finish()).
  void defer(JobPtr j) { job = std::move(j); }
  /// Answers STATUS_PENDING (an interim response, 3.3.4.2) under `id`; the final response comes
  /// when the connection completes the AsyncCommand.
  void go_async(std::uint64_t id, bool in_core, codec::FileId file = {}) {
    status = NtStatus::pending;
    has_body = false;
    buf.clear();
    async_id = id;
    waits_in_core = in_core;
    async_file_id = file;
  }
  void reset() { *this = Response{}; }
};

/// What a handler sees of its connection and server: nothing else.
struct Ctx {
  ServerState& server;
  nt::NtCore& nt;
  ConnectionState& conn;
  Output& out;  // frames a handler sends besides its own response (completions of other requests)
  const std::string& peer;
  std::weak_ptr<nt::Owner> owner;  // this connection, as the NT core's events reach it
  const nt::Owner* owner_id = nullptr;
  std::shared_ptr<SessionHost> host;  // this connection, as other connections reach it (session table)

  /// The Open a request names (with compound FileId inheritance, 3.3.5.2.7.2) → file_closed.
  Result<std::shared_ptr<Open>> find_open(Request& req, const codec::FileId& id);
  /// Completes the async command `id` with `rsp` (built as for its request): the final response
  /// goes into `out`. Returns false when there is no such command.
  bool complete_async(std::uint64_t id, Response& rsp);
  /// Takes `o` out of the connection's tables, so no later request finds it; a job then closes
  /// it (close_open()). CHANGE_NOTIFYs pending on it end with STATUS_NOTIFY_CLEANUP (3.3.5.10).
  void unregister_open(const std::shared_ptr<Open>& o);
  /// Registers `o` (not registered anywhere else) with the connection, counting it in its session.
  void register_open(const std::shared_ptr<Open>& o);
  /// Whether the client (every connection sharing this one's open table) or session `sid` holds
  /// as many opens as ServerConfig allows (max_opens_per_connection, max_opens_per_session): a
  /// new one fails with STATUS_TOO_MANY_OPENED_FILES.
  bool open_limit_reached(std::uint64_t sid) const;
  /// Ends the session `sid` of this connection — LOGOFF (3.3.5.6), or another session of the same
  /// user named it as PreviousSessionId (3.3.5.5.3) — and returns its opens, unregistered, for a
  /// job to close (close_open()). The session leaves the connection's and the server's session
  /// tables (its later requests get USER_SESSION_DELETED, still signed: `logged_off`); its waiting
  /// requests are cancelled, but a waiting LOCK is decided by the closes, in open order (Windows:
  /// smbtorture smb2.lock.cancel-logoff); CHANGE_NOTIFYs on its opens end with NOTIFY_CLEANUP.
  /// The one place where a session's opens end: durable opens are to be preserved here (kept in
  /// the NT core's DurableTable for a reconnect) instead of being returned for closing.
  std::vector<std::shared_ptr<Open>> end_session(std::uint64_t sid);
};

/// Closes an unregistered open (blocking: run it in a job): the backend file, its state in the NT
/// core, and the file itself when it was the last open of a file pending deletion.
void close_open(nt::NtCore& nt, Open& o);
/// Takes `open` out of the NT core and, when that was the last open of a file pending deletion,
/// removes the file from `vfs` (blocking). `apply_delete_on_close`: as NtCore::close().
void close_in_core(nt::NtCore& nt, Vfs* vfs, const nt::NtCore::OpenRef& open, bool apply_delete_on_close = true,
                   bool short_names = false);
/// When `closed` says so (the last open of a file pending deletion went), removes the file from
/// `vfs` (blocking) and tells the NT core it is gone. Every close path ends here.
void remove_closed(nt::NtCore& nt, Vfs* vfs, const nt::NtCore::Closed& closed, bool short_names = false);
/// close_open() in two halves, for opens whose connection is gone. The NT core forgets the open at
/// once (memory only: fine on the executor), so that a client connecting again finds share modes,
/// locks and delete-pending settled rather than racing the backend work; a CREATE meeting the
/// file while it is being removed waits for the removal (NtCore::open). finish_close(), in a job,
/// then releases the backend file and removes the file when `closed` says so.
nt::NtCore::Closed close_in_core_now(nt::NtCore& nt, Open& o);
void finish_close(nt::NtCore& nt, Open& o, const nt::NtCore::Closed& closed);

}  // namespace smbsrv::engine
