// One TCP connection: direct-hosting framing (MS-SMB2 2.1: a zero byte and a 24-bit length),
// a read loop on the network threads, the engine on its own strand of the worker pool (one thread
// at a time, engine/connection.hpp), the engine's blocking work on the worker pool, one writer at
// a time, and an idle / pre-authentication watchdog.
//
// Three executors: `strand_` (the socket: reads, writes, timers; network threads),
// `engine_strand_` (every call into the engine; workers) and the worker pool itself (the engine's
// Work, concurrently). Frames leave the engine in order on engine_strand_ and are posted to
// strand_ in that order, so a client never sees a final response before its interim one.
#pragma once

#include <array>
#include <asio.hpp>
#include <atomic>
#include <chrono>
#include <deque>
#include <memory>
#include <vector>

#include "engine/connection.hpp"

namespace smbsrv::transport {

/// Counters shared by every connection of one server (Server::stats()).
struct TransportCounters {
  std::atomic<std::size_t> peak_queued_bytes{0};  // high-water mark of one connection's queue
};

struct SessionHooks {
  std::function<void()> on_closed;
  std::shared_ptr<TransportCounters> counters;  // may be null
};

class TcpSession : public std::enable_shared_from_this<TcpSession> {
 public:
  TcpSession(asio::ip::tcp::socket socket, asio::thread_pool& workers,
             std::shared_ptr<engine::ServerState> state, SessionHooks hooks);
  void start();
  /// Closes the socket from any thread.
  void stop();

  /// The default of ServerConfig::max_outstanding_requests: frames and jobs of one connection
  /// under way on the worker pool before reading pauses.
  static constexpr std::size_t kMaxInFlight = 128;

 private:
  asio::awaitable<void> read_loop();
  asio::awaitable<void> watchdog();
  void process(std::vector<std::uint8_t> frame);
  /// On engine_strand_: one engine call; hands its Work to the workers and its frames to strand_.
  /// `settles` is how many in-flight units (a frame, a job) the call finishes.
  template <class Call>
  void engine_call(Call call, int settles);
  template <class Call>
  void engine_call_into(engine::Output& out, Call call);
  void run_work(const engine::Work& w);
  /// Hands an engine call's Work to the workers (each comes back through on_complete) and its
  /// frames to strand_.
  void handle(engine::Output out, int settles);
  void deliver(engine::Output out);
  void do_write();
  /// Sends the tail of the frame at the front of write_queue_ (its data already written): the
  /// sendfile calls run on a worker, since a page-cache miss blocks (no VFS I/O on the network
  /// threads); when the socket is full they wait for it on the strand.
  void send_tail();
  void tail_sent(std::uint64_t n, int err, bool eof);
  void frames_written(std::size_t count);
  void close();
  /// Reading pauses while this holds: too much work in flight or too many unsent response bytes.
  bool must_pause_reading() const;

  asio::ip::tcp::socket socket_;
  asio::strand<asio::any_io_executor> strand_;
  asio::thread_pool& workers_;
  asio::strand<asio::thread_pool::executor_type> engine_strand_;
  std::shared_ptr<engine::ServerState> state_;
  std::unique_ptr<engine::Connection> engine_;
  SessionHooks hooks_;
  asio::steady_timer idle_timer_;
  asio::steady_timer flow_timer_;  // wakes the read loop when in-flight work drains
  std::chrono::steady_clock::time_point last_activity_;
  std::chrono::steady_clock::time_point started_;
  /// A frame waiting to be sent: its 4-byte length prefix and the engine's buffer, sent together
  /// by one gathered write (no copy to prepend the length).
  struct Queued {
    std::array<std::uint8_t, 4> prefix;
    std::vector<std::uint8_t> data;
    engine::FileTail tail;  // sent after data with sendfile(2) (a zero-copy READ)
    std::uint64_t tail_sent = 0;
    bool tail_padding = false;  // the file ended early: the rest of the tail is zeros
  };
  /// At most this many frames go into one gathered write.
  static constexpr std::size_t kMaxWriteBatch = 16;
  std::deque<Queued> write_queue_;
  std::array<asio::const_buffer, 2 * kMaxWriteBatch> write_bufs_;  // the write in progress
  std::size_t writing_frames_ = 0;  // frames at the front of write_queue_ being written
  bool writing_ = false;
  bool tail_busy_ = false;  // a worker is in sendfile on socket_: close() must not close the fd yet
  bool close_after_write_ = false;
  bool closed_ = false;
  std::ptrdiff_t in_flight_ = 0;  // frames and jobs under way (on the strand)
  std::size_t queued_bytes_ = 0;  // bytes in write_queue_ (on the strand)
  std::atomic<int> engine_queue_{0};  // calls posted to engine_strand_ and not yet started
};

}  // namespace smbsrv::transport
