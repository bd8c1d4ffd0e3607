// The sans-I/O protocol engine for one client connection (MS-SMB2 3.3.5): SMB2 frames in, frames
// out. It never touches a socket, a thread or a clock: time and randomness come from ServerState.
//
// THE RULE FOR CONNECTION STATE. A Connection is used by one thread at a time. Its owner calls
// every entry point (on_message, on_complete, on_wake, shutdown) on one serial executor — the
// transport's per-connection strand on the worker pool, a test's thread, the simulation's
// scheduler — so the connection's state (engine/state.hpp) has no lock. Those calls never block:
// blocking work (VFS calls) is handed out as Work, which the owner runs on any thread,
// concurrently with other work and with the connection's calls, and hands back through
// on_complete(). A job touches only what it owns and OpenHandle (under its mutex).
// State shared with other connections lives in the NT core (ntcore/nt_core.hpp), which has its
// own lock. The core reaches this connection only by posting an event to its mailbox, which calls
// the wake callback; the owner then calls on_wake() on the executor. So a waiting operation always
// resumes on its own connection's executor, never on another connection's thread.
// Multichannel (MS-SMB2 3.3.5.5): the connections of one client that negotiated multichannel
// share a ClientState (engine/state.hpp: the open table) and use each other's sessions as
// channels. Every entry point holds that ClientState's mutex for its whole call, so the rule
// holds for the group as a whole: one engine call at a time among a client's channels. A mutex
// rather than moving the connections onto one strand: an engine call never blocks and is short,
// and the transport stays as it is. The lock is taken before the NT core's, never after it.
// Thread-safe exceptions: the wake callback's caller, max_frame_size(), authenticated(), peer().
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "engine/output.hpp"
#include "engine/server_state.hpp"
#include "engine/state.hpp"

namespace smbsrv::engine {

struct Ctx;
struct Open;
struct Request;
struct Response;

class Connection {
 public:
  Connection(std::shared_ptr<ServerState> server, std::string peer);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /// One transport frame (without the 4-byte length). The engine keeps the buffer until the
  /// frame's last job has completed, then gives it to the server's BufferPool.
  Output on_message(std::vector<std::uint8_t> frame);
  /// A Work this connection handed out, after Work::run().
  Output on_complete(Work done);
  /// Handles what the NT core posted since the last call: break notifications to send, waiting
  /// requests to resume. Call it (on the executor) after the wake callback fired.
  Output on_wake();
  /// The transport is gone: cancels waits and hands out the work that closes every open. Later
  /// on_message() calls are refused; on_complete() must still be called for outstanding work.
  Output shutdown();
  /// Called (on any thread) when events arrive for on_wake(); coalesced until on_wake() runs.
  /// Set it before the first call.
  void set_wake(std::function<void()> wake);

  /// The largest frame the transport should accept now (MS-SMB2 3.3.5.2: small before a session
  /// is established).
  std::size_t max_frame_size() const;
  /// True once any session completed authentication.
  bool authenticated() const { return authenticated_.load(std::memory_order_relaxed); }
  const std::string& peer() const { return peer_; }
  /// Work handed out and not yet completed.
  std::size_t jobs_outstanding() const { return jobs_; }
  /// This connection as the NT core knows it (tests and the simulation's checks).
  const nt::Owner* core_owner() const;

 private:
  friend struct FuzzConnectionCopier;  // tests/fuzz: copies a post-handshake state
  class Mailbox;
  struct Chain;

  Ctx context(Output& out);
  /// The NEGOTIATE offered multichannel: from the next call on, this connection shares its
  /// client's ClientState (and its lock) with the client's other connections.
  void join_group();
  /// A lease break that belongs on an older connection of the client: posted there, true.
  bool forward_lease_break(const nt::BreakNotice& b);
  Chain& new_chain();
  void release_chain(Chain& c);
  Output handle_encrypted(std::vector<std::uint8_t> frame);
  /// Handles the messages of `c` until one hands out a job (the chain then waits for its
  /// on_complete) or the frame is done.
  void run_chain(Ctx& ctx, Chain& c);
  /// Hands out c's job (c.rsp.job) and counts it against the open it works on.
  void hand_out(Ctx& ctx, Chain& c);
  /// Resumes the async commands whose waits ended (ConnectionState::to_resume).
  void drain_resumes(Output& out);
  /// Handles what the mailbox holds (breaks to send, waits that are over, opens and sessions
  /// others ended), into ctx.out.
  void take_mail(Ctx& ctx);
  void begin_message(Ctx& ctx, Chain& c);
  void end_message(Ctx& ctx, Chain& c);
  void finish_chain(Ctx& ctx, Chain& c);
  /// Runs the async command `id` again (its wait is over).
  void resume(Ctx& ctx, std::uint64_t id);
  void send_break(Ctx& ctx, const nt::BreakNotice& n);
  /// nt::OpenEnded: the open named by `tag` leaves this connection's table.
  void drop_ended_open(Ctx& ctx, const nt::OpenTag& tag);
  /// The connection is gone: it leaves its sessions' channel lists and the session table. Returns
  /// the opens to close: those of sessions with no channel left (with keep_durable, not the
  /// durable ones, which become orphans), taken out of the open table. The opens of a session
  /// that lives on, on another channel, stay, their breaks going to that channel.
  std::vector<std::shared_ptr<Open>> leave_client(bool keep_durable);
  /// Hands out a job that closes `opens` (unregistered already), on a chain with no messages.
  void close_in_background(Ctx& ctx, std::vector<std::shared_ptr<Open>> opens);

  std::shared_ptr<ServerState> server_;
  std::string peer_;
  std::shared_ptr<Mailbox> mailbox_;
  ConnectionState state_;
  std::vector<std::unique_ptr<Chain>> chains_;  // by id; reused
  std::vector<std::uint32_t> free_chains_;
  std::size_t jobs_ = 0;
  bool dropped_ = false;   // close_now was decided or shutdown() ran: refuse further frames
  bool shut_down_ = false;
  std::atomic<bool> authenticated_{false};
};

/// Default limits (ServerConfig documents each one and its reason).
inline constexpr std::size_t kMaxFrameSize = 0x00FFFFFF;  // the 24-bit length of direct TCP (2.1)

}  // namespace smbsrv::engine
