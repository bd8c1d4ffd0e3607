// The sans-I/O protocol engine for one client connection: SMB2 messages in, SMB2 messages out.
// It never touches a socket and never reads a clock: time and randomness come from ServerState.
// VFS calls happen inside on_message(); the transport therefore runs on_message() on its worker
// pool, never on the network threads.
//
// Thread safety: on_message() may be called concurrently for one Connection (the client
// pipelines requests); internal state is guarded, and no lock is held across a VFS call except
// the per-Open one that serialises calls on one VfsFile.
#pragma once

#include <cstdint>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "codec/messages.hpp"
#include "crypto/crypto.hpp"
#include "engine/credits.hpp"
#include "engine/server_state.hpp"
#include "engine/state.hpp"

namespace smbsrv::engine {

enum class Disposition {
  keep,               // carry on
  close_after_flush,  // send the frames, then close
  close_now,          // drop the connection without sending anything more
};

/// The frames of one Output: a vector of frames that keeps the first one inline, so that the
/// usual single response costs no allocation for the list itself.
class FrameList {
 public:
  using Frame = std::vector<std::uint8_t>;
  FrameList() = default;

  std::size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  void clear() {
    first_.clear();
    rest_.clear();
    count_ = 0;
  }
  void push_back(Frame f) {
    if (count_ == 0) first_ = std::move(f);
    else rest_.push_back(std::move(f));
    ++count_;
  }
  Frame& operator[](std::size_t i) { return i == 0 ? first_ : rest_[i - 1]; }
  const Frame& operator[](std::size_t i) const { return i == 0 ? first_ : rest_[i - 1]; }
  Frame& front() { return first_; }
  const Frame& front() const { return first_; }

  template <class List, class F>
  class Iter {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = Frame;
    using difference_type = std::ptrdiff_t;
    using pointer = F*;
    using reference = F&;
    Iter() = default;
    Iter(List* l, std::size_t i) : l_(l), i_(i) {}
    F& operator*() const { return (*l_)[i_]; }
    F* operator->() const { return &(*l_)[i_]; }
    Iter& operator++() {
      ++i_;
      return *this;
    }
    Iter operator++(int) {
      Iter t = *this;
      ++i_;
      return t;
    }
    bool operator==(const Iter& o) const { return i_ == o.i_; }

   private:
    List* l_ = nullptr;
    std::size_t i_ = 0;
  };
  using iterator = Iter<FrameList, Frame>;
  using const_iterator = Iter<const FrameList, const Frame>;
  iterator begin() { return {this, 0}; }
  iterator end() { return {this, count_}; }
  const_iterator begin() const { return {this, 0}; }
  const_iterator end() const { return {this, count_}; }

 private:
  Frame first_;
  std::vector<Frame> rest_;
  std::size_t count_ = 0;
};

/// READ data to be sent straight from a file after the frame it belongs to (sendfile(2): from
/// the page cache to the socket, with no copy through user space). Owns its descriptor.
class FileTail {
 public:
  FileTail() = default;
  /// Takes fd over; `held` (may be null) counts it and is decremented when it is closed.
  FileTail(int fd, std::uint64_t offset, std::uint32_t length, std::atomic<std::size_t>* held = nullptr)
      : fd_(fd), offset_(offset), length_(length), held_(held) {}
  FileTail(FileTail&& o) noexcept { *this = std::move(o); }
  FileTail& operator=(FileTail&& o) noexcept;
  FileTail(const FileTail&) = delete;
  FileTail& operator=(const FileTail&) = delete;
  ~FileTail() { reset(); }
  void reset() noexcept;
  explicit operator bool() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  std::uint64_t offset() const { return offset_; }
  std::uint32_t length() const { return length_; }

 private:
  int fd_ = -1;
  std::uint64_t offset_ = 0;
  std::uint32_t length_ = 0;
  std::atomic<std::size_t>* held_ = nullptr;
};

struct Output {
  FrameList frames;  // each one transport frame's payload
  Disposition disposition = Disposition::keep;
  /// When set, `tail.length()` bytes of a file follow frames.back() on the wire, inside the same
  /// transport frame (a zero-copy READ response; only ever on a single-message output). Should the
  /// file have shrunk meanwhile, the missing bytes are sent as zeros: the frame length is fixed.
  /// Consumers that do not send files call inline_file_tail().
  FileTail tail;
  /// AsyncIds of the STATUS_PENDING interim responses in `frames`. Pass them to
  /// Connection::interims_posted() once `frames` are queued: the final responses, which leave through
  /// the sink, wait for that, so a client never sees a final response before its interim one.
  std::vector<std::uint64_t> interims;
};

/// Reads out.tail into out.frames.back() (zero-filled past EOF) and clears it: what the transport
/// would have sent, for consumers that do not use sendfile (tests, fuzzers, benchmarks).
void inline_file_tail(Output& out);

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(std::shared_ptr<ServerState> server, std::string peer);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /// One transport frame (without the 4-byte length).
  Output on_message(Bytes frame);
  /// The interim responses `ids` (Output::interims) are queued for sending; their requests may now
  /// complete through the sink (at once, if their breaks already completed).
  void interims_posted(std::span<const std::uint64_t> ids);

  /// The largest frame the transport should accept now (MS-SMB2 3.3.5.2: small before a session
  /// is established).
  std::size_t max_frame_size() const;
  /// True once any session completed authentication.
  bool authenticated() const;
  /// Closes every open (the transport calls this when the socket goes away).
  void shutdown();
  const std::string& peer() const { return peer_; }

  /// Where frames the server sends on its own go: oplock and lease break notifications
  /// (MS-SMB2 3.3.4.6, 3.3.4.7) and final responses of requests that went async (3.3.4.2). The
  /// transport posts them to its writer; it may be called from any thread, never with a lock of
  /// the engine held. Without a sink (or when the Connection is not owned by a shared_ptr)
  /// nothing is sent and breaks complete by timeout.
  void set_sink(std::function<void(Output)> sink);
  /// Time-driven work (overdue break acknowledgments); the transport calls it about once a
  /// second on its worker pool.
  void on_tick();

  // Called by LeaseTable (never with its lock held).
  void send_break(const BreakNotice& n);
  void resume_pending(std::uint64_t async_id);

 private:
  // Test seam with no definition in the library: fuzz_engine (tests/fuzz/fuzz_support.hpp) copies
  // a post-handshake Connection so each input need not redo NEGOTIATE/SESSION_SETUP/TREE_CONNECT.
  friend struct FuzzConnectionCopier;

  struct Request;   // one message of a compound, while it is handled
  struct Response;  // its answer

  Output handle_frame(Bytes frame, std::shared_ptr<Session> encrypted_by = nullptr);
  Output handle_encrypted(Bytes frame);
  /// Wraps `plain` in a transform header encrypted with the session's EncryptionKey.
  std::optional<std::vector<std::uint8_t>> encrypt(Session& s, Bytes plain);
  Output handle_smb1_negotiate(Bytes frame);
  void handle_one(Request& req, Response& rsp);
  void finish_response(Request& req, Response& rsp, std::vector<std::uint8_t>& out,
                       std::size_t hdr, bool last);

  // Handlers (engine/handlers/*.cpp). Each appends a response body to rsp or sets an error.
  void on_negotiate(Request& req, Response& rsp);
  void on_session_setup(Request& req, Response& rsp);
  void on_logoff(Request& req, Response& rsp);
  void on_tree_connect(Request& req, Response& rsp);
  void on_tree_disconnect(Request& req, Response& rsp);
  void on_create(Request& req, Response& rsp);
  void on_close(Request& req, Response& rsp);
  void on_flush(Request& req, Response& rsp);
  void on_read(Request& req, Response& rsp);
  void on_write(Request& req, Response& rsp);
  void on_lock(Request& req, Response& rsp);
  void on_ioctl(Request& req, Response& rsp);
  void on_echo(Request& req, Response& rsp);
  void on_query_directory(Request& req, Response& rsp);
  void on_change_notify(Request& req, Response& rsp);
  void on_query_info(Request& req, Response& rsp);
  void on_set_info(Request& req, Response& rsp);
  void on_oplock_break(Request& req, Response& rsp);
  void on_cancel(Request& req, Response& rsp);

  // Helpers shared by handlers.
  /// The Open a request names (with compound FileId inheritance, 3.3.5.2.7.2) → file_closed.
  Result<std::shared_ptr<Open>> find_open(Request& req, const codec::FileId& id);
  void close_open(const std::shared_ptr<Open>& open);
  /// Data of o's file changed (WRITE, truncation): other leases and oplocks on it break to none.
  void break_caches_for_write(Open& o);
  /// o's file is being deleted or renamed: other leases lose handle caching, so that clients
  /// close the handles they keep open (MS-FSA 2.1.5.14.11, 2.1.5.14.3). Nothing waits.
  void break_cached_handles(Open& o);
  void close_tree_opens(std::uint64_t session_id, std::uint32_t tree_id);
  /// Removes opens_[it] and counts it off its session; mu_ held.
  std::map<std::uint64_t, std::shared_ptr<Open>>::iterator erase_open_locked(
      std::map<std::uint64_t, std::shared_ptr<Open>>::iterator it);
  void derive_keys(Session& s);
  /// A request answered STATUS_PENDING (3.3.4.2): a CREATE waiting for a break
  /// acknowledgment, or a CHANGE_NOTIFY (completed only by CANCEL or the close of its handle).
  struct Pending {
    codec::Command command = codec::Command::create;
    codec::FileId file_id;          // CHANGE_NOTIFY: the directory's open
    std::vector<std::uint8_t> msg;  // the request, header first
    std::shared_ptr<Session> session;
    std::shared_ptr<TreeConnect> tree;
    std::uint64_t message_id = 0;
    std::uint64_t session_id = 0;
    std::uint32_t tree_id = 0;
    bool was_encrypted = false;
    bool signed_ok = false;
    bool interim_pending = true;  // the handler that went async has not returned yet
    bool ready = false;           // resumed while interim_pending: retry at once
  };
  /// What a request needs to be resumed later, and the request it becomes again.
  static Pending pending_of(const Request& req);
  Request request_of(const Pending& p, std::uint64_t async_id);
  /// Builds the final response of a pending request and hands it to the sink.
  void complete_pending(Pending& p, std::uint64_t async_id, Request& req, Response& rsp);
  void emit(Output out);
  crypto::SigningAlgorithm signing_algorithm() const;
  /// Whether finish_response() will sign this response (3.3.4.1.1).
  bool signs_response(const Request& req, const Response& rsp) const;

  std::shared_ptr<ServerState> server_;
  std::string peer_;

  mutable std::mutex mu_;  // guards everything below
  // MS-SMB2 3.3.1.7 Connection
  bool negotiated_ = false;
  std::uint16_t dialect_ = 0;  // Connection.Dialect (0 until NEGOTIATE; 0x02FF after SMB1 upgrade)
  std::uint16_t client_security_mode_ = 0;
  std::uint32_t client_capabilities_ = 0;
  std::uint32_t server_capabilities_ = 0;
  std::uint16_t server_security_mode_ = 0;
  std::array<std::uint8_t, 16> client_guid_{};
  std::vector<std::uint16_t> client_dialects_;
  crypto::Digest64 preauth_hash_{};  // Connection.PreauthIntegrityHashValue
  std::uint16_t cipher_id_ = 0;
  std::optional<crypto::SigningAlgorithm> signing_algorithm_id_;  // from SIGNING_CAPABILITIES
  CommandSequenceWindow sequence_window_;
  std::map<std::uint64_t, std::shared_ptr<Session>> sessions_;
  // Recently logged-off sessions, kept only to sign the USER_SESSION_DELETED answers to requests
  // that still carry a valid signature (clients that require signing reject them unsigned).
  std::map<std::uint64_t, std::shared_ptr<Session>> logged_off_;
  std::map<std::uint64_t, std::shared_ptr<Open>> opens_;  // by volatile id
  std::map<std::uint64_t, std::size_t> opens_per_session_;  // by SessionId (max_opens_per_session)
  std::uint64_t next_volatile_id_ = 1;
  std::uint32_t next_tree_id_ = 1;
  bool any_session_valid_ = false;
  std::map<std::uint64_t, Pending> pending_;  // by AsyncId
  std::uint64_t next_async_id_ = 1;
  std::mutex sink_mu_;  // guards sink_ only, so emit() never waits for mu_
  std::function<void(Output)> sink_;
};

/// Default limits (ServerConfig documents each one and its reason; these are its defaults).
inline constexpr std::size_t kPreAuthMaxFrame = 64 * 1024;  // NEGOTIATE / SESSION_SETUP fit easily
inline constexpr std::size_t kMaxSessionsPerConnection = 64;
inline constexpr std::size_t kMaxOpensPerConnection = 16384;
inline constexpr std::size_t kMaxOpensPerSession = 16384;
inline constexpr std::size_t kMaxTreesPerSession = 256;
inline constexpr std::size_t kMaxFrameSize = 0x00FFFFFF;  // the 24-bit length of direct TCP (2.1)

}  // namespace smbsrv::engine
