// Connection::Mailbox: how the NT core reaches a connection (nt::Owner). Events queue here on any
// thread; the first one after a drain calls the wake callback, whose owner then calls
// Connection::on_wake() on the connection's executor.
#pragma once

#include <functional>
#include <mutex>
#include <utility>
#include <vector>

#include "engine/connection.hpp"

namespace smbsrv::engine {

class Connection::Mailbox final : public nt::Owner {
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
      if (scheduled_) return;  // a wake is on its way already
      scheduled_ = true;
    }
    if (wake_) wake_();
  }
  std::vector<nt::Event> take() {
    std::lock_guard lk(mu_);
    scheduled_ = false;
    return std::exchange(events_, {});
  }

 private:
  std::mutex mu_;
  std::vector<nt::Event> events_;
  bool scheduled_ = false;
  std::function<void()> wake_;
};

}  // namespace smbsrv::engine
