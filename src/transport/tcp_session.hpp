// One TCP connection: direct-hosting framing (MS-SMB2 2.1: a zero byte and a 24-bit length),
// a read loop on the network threads, the engine run on the worker pool, one writer at a time,
// and an idle / pre-authentication watchdog.
#pragma once

#include <asio.hpp>
#include <atomic>
#include <chrono>
#include <deque>
#include <memory>
#include <vector>

#include "engine/connection.hpp"

namespace smbsrv::transport {

struct SessionHooks {
  std::function<void()> on_closed;
};

class TcpSession : public std::enable_shared_from_this<TcpSession> {
 public:
  TcpSession(asio::ip::tcp::socket socket, asio::thread_pool& workers,
             std::shared_ptr<engine::ServerState> state, SessionHooks hooks);
  void start();
  /// Closes the socket from any thread.
  void stop();

  /// Frames being processed on the worker pool for one connection before reading pauses.
  static constexpr int kMaxInFlight = 128;

 private:
  asio::awaitable<void> read_loop();
  asio::awaitable<void> watchdog();
  void process(std::vector<std::uint8_t> frame);
  void deliver(engine::Output out);
  void do_write();
  void close();

  asio::ip::tcp::socket socket_;
  asio::strand<asio::any_io_executor> strand_;
  asio::thread_pool& workers_;
  std::shared_ptr<engine::ServerState> state_;
  std::shared_ptr<engine::Connection> engine_;
  SessionHooks hooks_;
  asio::steady_timer idle_timer_;
  asio::steady_timer flow_timer_;  // wakes the read loop when in-flight work drains
  std::chrono::steady_clock::time_point last_activity_;
  std::chrono::steady_clock::time_point started_;
  std::deque<std::vector<std::uint8_t>> write_queue_;
  bool writing_ = false;
  bool close_after_write_ = false;
  bool closed_ = false;
  int in_flight_ = 0;  // on the strand
};

}  // namespace smbsrv::transport
