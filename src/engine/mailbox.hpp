// Connection::Mailbox: how the NT core (nt::Owner) and other connections (SessionHost: a
// PreviousSessionId teardown, 3.3.5.5.3) reach a connection. Events queue here on any thread; the
// first one after a drain calls the wake callback, whose owner then calls Connection::on_wake()
// on the connection's executor.
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <utility>
#include <vector>

#include "engine/connection.hpp"

namespace smbsrv::engine {

class Connection::Mailbox final : public nt::Owner, public SessionHost {
 public:
  /// Before the first post() (the callback is then only read).
  void set_wake(std::function<void()> wake) {
    std::lock_guard lk(mu_);
    wake_ = std::move(wake);
  }
  void post(nt::Event e) override {
    {
      std::lock_guard lk(mu_);  // a leaf lock
      events_.push_back(std::move(e));
      pending_.store(true, std::memory_order_release);
      if (scheduled_) return;  // a wake is on its way already
      scheduled_ = true;
    }
    if (wake_) wake_();
  }
  void post_session_expired(std::uint64_t session_id) override {
    {
      std::lock_guard lk(mu_);
      expired_.push_back(session_id);
      pending_.store(true, std::memory_order_release);
      if (scheduled_) return;
      scheduled_ = true;
    }
    if (wake_) wake_();
  }
  struct Taken {
    std::vector<nt::Event> events;
    std::vector<std::uint64_t> expired_sessions;  // to tear down (another session replaced them)
  };
  /// Whether take() would find anything (a post from this thread, or one that is visible to it).
  /// Lets the executor look without taking the lock on every completed job.
  bool has_mail() const { return pending_.load(std::memory_order_acquire); }
  Taken take() {
    std::lock_guard lk(mu_);
    scheduled_ = false;
    pending_.store(false, std::memory_order_relaxed);
    return {std::exchange(events_, {}), std::exchange(expired_, {})};
  }

 private:
  std::mutex mu_;
  std::vector<nt::Event> events_;
  std::vector<std::uint64_t> expired_;
  bool scheduled_ = false;
  std::atomic<bool> pending_{false};
  std::function<void()> wake_;
};

}  // namespace smbsrv::engine
