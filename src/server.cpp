// Server::Impl: the io_context and its threads, the worker pool, the listener, the share
// registry and the set of live connections.
#include "smbsrv/server.hpp"

#include <asio.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "engine/server_state.hpp"
#include "log.hpp"
#include "transport/interfaces.hpp"
#include "transport/tcp_session.hpp"

namespace smbsrv {

struct Server::Impl {
  Impl(ServerConfig config, std::shared_ptr<const CredentialStore> credentials)
      : state(engine::make_server_state(std::move(config), std::move(credentials))),
        workers(std::max<std::size_t>(1, state->config.worker_threads)),
        acceptor(io) {
    // FSCTL_QUERY_NETWORK_INTERFACE_INFO runs on a network thread, and the Linux client asks on
    // every mount and then every 10 minutes: the host's list (getifaddrs and a sysfs read per
    // interface) is read at most once every 10 s and shared by all connections.
    struct InterfaceCache {
      std::mutex mu;
      std::chrono::steady_clock::time_point read_at;
      std::optional<std::vector<codec::NetworkInterfaceInfo>> list;
    };
    state->network_interfaces = [listen = state->config.listen_address,
                                 configured = state->config.network_interfaces,
                                 cache = std::make_shared<InterfaceCache>()] {
      std::lock_guard lk(cache->mu);
      const auto now = std::chrono::steady_clock::now();
      if (!cache->list || now - cache->read_at >= std::chrono::seconds(10)) {
        cache->list = transport::select_interfaces(listen, configured, transport::host_addresses());
        cache->read_at = now;
      }
      return *cache->list;
    };
  }

  asio::awaitable<void> accept_loop() {
    while (true) {
      auto [ec, socket] = co_await acceptor.async_accept(asio::experimental::as_tuple(asio::use_awaitable));
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
        // Out of descriptors or memory (EMFILE, ENFILE, ENOBUFS): the pending connection stays
        // queued, so retrying at once would spin. Back off a little.
        SMBSRV_LOG_WARN("accept failed: {}; retrying in 100 ms", ec.message());
        asio::steady_timer t(io, std::chrono::milliseconds(100));
        co_await t.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
        continue;
      }
      std::unique_lock lk(mu);
      if (sessions.size() >= state->config.max_connections) {
        ++refused;
        lk.unlock();
        std::error_code ignored;
        auto ep = socket.remote_endpoint(ignored);
        SMBSRV_LOG_WARN("connection limit ({}) reached, refusing {}:{}", state->config.max_connections,
                        ep.address().to_string(), ep.port());
        socket.close(ignored);
        continue;
      }
      auto holder = std::make_shared<std::weak_ptr<transport::TcpSession>>();
      auto session = std::make_shared<transport::TcpSession>(
          std::move(socket), workers, state,
          transport::SessionHooks{[this, holder] {
                                    std::lock_guard lk2(mu);
                                    if (auto s = holder->lock()) sessions.erase(s);
                                  },
                                  counters});
      *holder = session;
      sessions.insert(session);
      lk.unlock();
      session->start();
    }
  }

  /// Once a second, on a worker: overdue oplock/lease breaks (MS-SMB2 3.3.2.5) and the durable
  /// open scavenger (3.3.2.2), through the injected clock (ServerState::tick).
  asio::awaitable<void> tick_loop() {
    asio::steady_timer t(io);
    while (true) {
      t.expires_after(std::chrono::seconds(1));
      auto [ec] = co_await t.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
      if (ec || stopping.load()) co_return;
      asio::post(workers, [st = state] { st->tick(); });
    }
  }

  std::shared_ptr<engine::ServerState> state;
  // The pool outlives the io_context: handlers the io_context still holds when it is destroyed
  // (coroutine frames of connections) own TcpSessions, whose engine strand lives on the pool.
  asio::thread_pool workers;
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor;
  std::vector<std::thread> threads;
  std::mutex mu;
  std::set<std::shared_ptr<transport::TcpSession>> sessions;
  std::size_t refused = 0;  // guarded by mu
  std::shared_ptr<transport::TransportCounters> counters = std::make_shared<transport::TransportCounters>();
  std::condition_variable stopped_cv;
  bool stopped = false;
  std::atomic<bool> stopping{false};
  std::uint16_t port = 0;
};

Server::Server(ServerConfig config, std::shared_ptr<const CredentialStore> credentials)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(credentials))) {
  detail::use_logger(impl_->state->config.logger_name);
}

Server::~Server() {
  stop();
  for (auto& t : impl_->threads)
    if (t.joinable()) t.join();
  impl_->workers.join();
}

void Server::add_share(Share share) { impl_->state->add_share(std::move(share)); }
void Server::remove_share(std::string_view name) { impl_->state->remove_share(name); }
void Server::add_pipe_service(std::string_view name, PipeFactory factory) {
  impl_->state->add_pipe_service(name, std::move(factory));
}
void Server::remove_pipe_service(std::string_view name) { impl_->state->remove_pipe_service(name); }

void Server::start() {
  std::error_code ec;
  start(ec);
  if (ec) throw std::system_error(ec, "smbsrv: cannot listen on " + impl_->state->config.listen_address + ":" +
                                          std::to_string(impl_->state->config.port));
}

void Server::start(std::error_code& ec) noexcept {
  try {
    auto& im = *impl_;
    const auto& cfg = im.state->config;
    auto addr = asio::ip::make_address(cfg.listen_address, ec);
    if (ec) return;
    asio::ip::tcp::endpoint ep(addr, cfg.port);
    im.acceptor.open(ep.protocol(), ec);
    if (ec) return;
    im.acceptor.set_option(asio::ip::tcp::acceptor::reuse_address(true), ec);
    im.acceptor.bind(ep, ec);
    if (ec) {
      std::error_code ignored;
      im.acceptor.close(ignored);
      return;
    }
    im.acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return;
    im.port = im.acceptor.local_endpoint().port();
    asio::co_spawn(im.io, im.accept_loop(), asio::detached);
    asio::co_spawn(im.io, im.tick_loop(), asio::detached);
    const std::size_t n = std::max<std::size_t>(1, cfg.io_threads);
    for (std::size_t i = 0; i < n; ++i) im.threads.emplace_back([&im] { im.io.run(); });
  } catch (const std::system_error& e) {
    ec = e.code();
  } catch (...) {
    ec = std::make_error_code(std::errc::not_enough_memory);
  }
}

void Server::stop() noexcept {
  auto& im = *impl_;
  std::vector<std::shared_ptr<transport::TcpSession>> live;
  {
    std::lock_guard lk(im.mu);
    if (im.stopped) return;
    im.stopped = true;
    im.stopping = true;
    live.assign(im.sessions.begin(), im.sessions.end());
  }
  asio::post(im.io, [&im] {
    std::error_code ignored;
    im.acceptor.close(ignored);
  });
  for (auto& s : live) s->stop();
  // Let the sessions close, then stop the loop.
  asio::post(im.io, [&im] { im.io.stop(); });
  {
    std::lock_guard lk(im.mu);
    im.stopped_cv.notify_all();
  }
}

void Server::wait() {
  auto& im = *impl_;
  std::unique_lock lk(im.mu);
  im.stopped_cv.wait(lk, [&] { return im.stopped; });
  lk.unlock();
  for (auto& t : im.threads)
    if (t.joinable()) t.join();
}

std::uint16_t Server::local_port() const { return impl_->port; }

Server::Stats Server::stats() const {
  Stats s;
  std::lock_guard lk(impl_->mu);
  s.connections = impl_->sessions.size();
  s.refused_connections = impl_->refused;
  s.peak_queued_response_bytes = impl_->counters->peak_queued_bytes.load(std::memory_order_relaxed);
  return s;
}

}  // namespace smbsrv
