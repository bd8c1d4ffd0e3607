// Test support: drives one engine::Connection the way the transport does (src/transport): every
// call into the engine on one strand of a thread pool, the engine's Work on the pool itself,
// concurrently with other work and with the engine's calls. Race and ThreadSanitizer tests use
// it to exercise the engine's threading rule (engine/connection.hpp) without sockets.
#pragma once

#include <asio.hpp>

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <vector>

#include "engine/connection.hpp"
#include "smbsrv/ntstatus.hpp"

namespace smbsrv::test {

class ThreadedDriver {
 public:
  explicit ThreadedDriver(engine::Connection& conn, std::size_t threads = 4)
      : conn_(conn), pool_(threads), strand_(asio::make_strand(pool_)) {}
  ~ThreadedDriver() {
    wait();
    pool_.join();
  }

  /// Queues a frame for the engine (from any thread).
  void feed(std::vector<std::uint8_t> frame) {
    begin();
    asio::post(strand_, [this, f = std::move(frame)]() mutable { call(conn_.on_message(std::move(f))); });
  }
  /// The connection's transport goes away.
  void shutdown() {
    begin();
    asio::post(strand_, [this] { call(conn_.shutdown()); });
  }
  /// Until every queued call and job is done.
  void wait() {
    std::unique_lock lk(mu_);
    idle_.wait(lk, [&] { return busy_ == 0; });
  }
  /// The frames the engine produced so far, in order.
  std::vector<std::vector<std::uint8_t>> frames() {
    std::lock_guard lk(mu_);
    return frames_;
  }
  bool dropped() {
    std::lock_guard lk(mu_);
    return dropped_;
  }

 private:
  void begin() {
    std::lock_guard lk(mu_);
    ++busy_;
  }
  void end() {
    std::lock_guard lk(mu_);
    if (--busy_ == 0) idle_.notify_all();
  }
  // On the strand.
  void call(engine::Output out) {
    engine::inline_file_tail(out);
    {
      std::lock_guard lk(mu_);
      for (auto& f : out.frames) frames_.push_back(std::move(f));
      if (out.disposition != engine::Disposition::keep) dropped_ = true;
      busy_ += out.work.size();
    }
    for (const engine::Work w : out.work) {
      asio::post(pool_, [this, w] {
        w.run();
        asio::post(strand_, [this, w] { call(conn_.on_complete(w)); });
      });
    }
    end();
  }

  engine::Connection& conn_;
  asio::thread_pool pool_;
  asio::strand<asio::thread_pool::executor_type> strand_;
  std::mutex mu_;
  std::condition_variable idle_;
  std::size_t busy_ = 0;
  std::vector<std::vector<std::uint8_t>> frames_;
  bool dropped_ = false;
};

}  // namespace smbsrv::test
