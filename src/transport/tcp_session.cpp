#include "transport/tcp_session.hpp"

#include "log.hpp"

#include <asio/experimental/as_tuple.hpp>

#include <pthread.h>
#include <signal.h>
#include <sys/sendfile.h>

#include <cerrno>

namespace smbsrv::transport {

using asio::awaitable;
using asio::use_awaitable;
constexpr auto use_tuple = asio::experimental::as_tuple(use_awaitable);

namespace {

// sendfile(2) takes no MSG_NOSIGNAL: writing to a connection the peer has reset raises SIGPIPE,
// which would kill an application that has not ignored it. The signal is blocked on this (worker)
// thread around the call, and one raised meanwhile is taken off again.
class SigpipeBlock {
 public:
  SigpipeBlock() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
  }
  ~SigpipeBlock() {
    sigset_t pending;
    if (!was_pending_ && sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1) {
      const timespec zero{};
      sigtimedwait(&pipe_, nullptr, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeBlock(const SigpipeBlock&) = delete;
  SigpipeBlock& operator=(const SigpipeBlock&) = delete;

 private:
  sigset_t pipe_{}, old_{};
  bool was_pending_ = false;
};

// Padding for a file that shrank between READ and sendfile (Output::tail).
const std::array<std::uint8_t, 64 * 1024> kZeros{};

}  // namespace

TcpSession::TcpSession(asio::ip::tcp::socket socket, asio::thread_pool& workers,
                       std::shared_ptr<engine::ServerState> state, SessionHooks hooks)
    : socket_(std::move(socket)),
      strand_(asio::make_strand(socket_.get_executor())),
      workers_(workers),
      engine_strand_(asio::make_strand(workers.get_executor())),
      state_(std::move(state)),
      hooks_(std::move(hooks)),
      idle_timer_(strand_),
      flow_timer_(strand_) {
  std::string peer = "?";
  std::error_code ec;
  auto ep = socket_.remote_endpoint(ec);
  if (!ec) peer = ep.address().to_string() + ":" + std::to_string(ep.port());
  engine_ = std::make_unique<engine::Connection>(state_, peer);
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  socket_.native_non_blocking(true, ec);  // sendfile (send_tail) must never block a worker on the socket
  last_activity_ = started_ = std::chrono::steady_clock::now();
}

void TcpSession::start() {
  auto self = shared_from_this();
  // The NT core's events (breaks to send, waits that are over) reach the engine on its strand.
  std::weak_ptr<TcpSession> weak = self;
  engine_->set_wake([weak] {
    if (auto s = weak.lock()) {
      ++s->engine_queue_;
      asio::post(s->engine_strand_, [s] {
        --s->engine_queue_;
        s->engine_call([&] { return s->engine_->on_wake(); }, 0);
      });
    }
  });
  asio::co_spawn(strand_, [self]() { return self->read_loop(); }, asio::detached);
  asio::co_spawn(strand_, [self]() { return self->watchdog(); }, asio::detached);
}

void TcpSession::stop() {
  auto self = shared_from_this();
  asio::post(strand_, [self] { self->close(); });
}

void TcpSession::close() {
  if (closed_) return;
  closed_ = true;
  std::error_code ec;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  // A worker in sendfile still uses the descriptor: it is closed when the worker is done
  // (tail_sent), so the number cannot be reused for another connection meanwhile.
  if (!tail_busy_) socket_.close(ec);
  idle_timer_.cancel();
  flow_timer_.cancel();
  // Release the opens on the engine's strand: the engine hands the closing (which may delete
  // files: delete-on-close) to the workers.
  auto self = shared_from_this();
  ++engine_queue_;
  asio::post(engine_strand_, [self] {
    --self->engine_queue_;
    self->engine_call([&] { return self->engine_->shutdown(); }, 0);
  });
  if (hooks_.on_closed) hooks_.on_closed();
}

awaitable<void> TcpSession::read_loop() {
  auto self = shared_from_this();
  std::uint8_t hdr[4];
  while (!closed_) {
    auto [ec, n] = co_await asio::async_read(socket_, asio::buffer(hdr), use_tuple);
    if (ec) break;
    // 2.1 Direct TCP transport: the first byte is zero, then a 24-bit big-endian length.
    if (hdr[0] != 0) break;
    const std::size_t len = (std::size_t{hdr[1]} << 16) | (std::size_t{hdr[2]} << 8) | hdr[3];
    if (len == 0 || len > engine_->max_frame_size()) {
      SMBSRV_LOG_DEBUG("{}: frame of {} bytes refused", engine_->peer(), len);
      break;
    }
    auto frame = state_->buffers.take(len);  // reused after the engine is done with it
    auto [ec2, n2] = co_await asio::async_read(socket_, asio::buffer(frame), use_tuple);
    if (ec2) break;
    last_activity_ = std::chrono::steady_clock::now();
    ++in_flight_;
    process(std::move(frame));
    // Back-pressure: stop reading (the client's sends then block in TCP) while this client has
    // too much work in flight or does not read its responses. flow_timer_ is cancelled when
    // either drains; the timeout only re-checks.
    while (must_pause_reading() && !closed_) {
      flow_timer_.expires_after(std::chrono::seconds(5));
      co_await flow_timer_.async_wait(use_tuple);
    }
  }
  close();
}

bool TcpSession::must_pause_reading() const {
  const auto& cfg = state_->config;
  return in_flight_ >= static_cast<std::ptrdiff_t>(std::max<std::size_t>(1, cfg.max_outstanding_requests)) ||
         queued_bytes_ > cfg.max_queued_response_bytes;
}

void TcpSession::process(std::vector<std::uint8_t> frame) {
  auto self = shared_from_this();
  ++engine_queue_;
  asio::post(engine_strand_, [self, f = std::move(frame)]() mutable {
    --self->engine_queue_;
    self->engine_call([&] { return self->engine_->on_message(std::move(f)); }, 1);
  });
}

template <class Call>
void TcpSession::engine_call(Call call, int settles) {
  engine::Output out;
  engine_call_into(out, call);
  handle(std::move(out), settles);
}

template <class Call>
void TcpSession::engine_call_into(engine::Output& out, Call call) {
  try {
    out = call();
  } catch (const std::exception& e) {  // bad_alloc and the like: drop this connection only
    SMBSRV_LOG_ERROR("{}: {}", engine_->peer(), e.what());
    out.frames.clear();
    out.work.clear();
    out.disposition = engine::Disposition::close_now;
  }
}

void TcpSession::run_work(const engine::Work& w) {
  try {
    w.run();
  } catch (const std::exception& e) {
    SMBSRV_LOG_ERROR("{}: {}", engine_->peer(), e.what());
    stop();
  }
}

void TcpSession::handle(engine::Output out, int settles) {
  auto self = shared_from_this();
  // A metadata job (not bulk: CREATE, CLOSE, QUERY_INFO, ...) of a connection that has nothing
  // else queued or running runs right here on the engine strand, which is a worker: there is
  // nothing for it to run beside, and this saves two thread hops per request (a latency-bound
  // client such as an mput of small files pays them on every CREATE, WRITE and CLOSE).
  while (out.work.size() == 1 && !out.work.front().bulk && engine_queue_.load() == 0 &&
         engine_->jobs_outstanding() == 1) {
    const engine::Work w = out.work.front();
    out.work.clear();
    if (!out.frames.empty() || out.tail || out.disposition != engine::Disposition::keep || settles != 0) {
      asio::post(strand_, [self, delta = -static_cast<std::ptrdiff_t>(settles), o = std::move(out)]() mutable {
        self->in_flight_ += delta;
        if (delta < 0) self->flow_timer_.cancel();
        self->deliver(std::move(o));
      });
      settles = 0;
    }
    out = engine::Output{};
    run_work(w);
    engine_call_into(out, [&] { return engine_->on_complete(w); });
  }
  // Every other job goes to the workers and comes back to the engine's strand, even after the
  // connection has closed: the engine frees its jobs (and closes files) in on_complete().
  for (const engine::Work w : out.work) {
    asio::post(workers_, [self, w] {
      self->run_work(w);
      ++self->engine_queue_;
      asio::post(self->engine_strand_, [self, w] {
        --self->engine_queue_;
        self->engine_call([&] { return self->engine_->on_complete(w); }, 1);
      });
    });
  }
  const auto delta = static_cast<std::ptrdiff_t>(out.work.size()) - settles;
  out.work.clear();
  asio::post(strand_, [self, delta, o = std::move(out)]() mutable {
    self->in_flight_ += delta;
    if (delta < 0) self->flow_timer_.cancel();
    self->deliver(std::move(o));
  });
}

void TcpSession::deliver(engine::Output out) {
  if (closed_) return;
  if (out.disposition == engine::Disposition::close_now) {
    close();
    return;
  }
  for (std::size_t i = 0; i < out.frames.size(); ++i) {
    auto& f = out.frames[i];
    Queued q;
    if (i + 1 == out.frames.size()) q.tail = std::move(out.tail);  // the tail ends the last frame
    const std::size_t len = f.size() + q.tail.length();
    q.prefix = {0, static_cast<std::uint8_t>(len >> 16), static_cast<std::uint8_t>(len >> 8),
                static_cast<std::uint8_t>(len)};
    q.data = std::move(f);
    queued_bytes_ += len + q.prefix.size();
    write_queue_.push_back(std::move(q));
  }
  if (hooks_.counters) {
    auto& peak = hooks_.counters->peak_queued_bytes;
    std::size_t seen = peak.load(std::memory_order_relaxed);
    while (queued_bytes_ > seen && !peak.compare_exchange_weak(seen, queued_bytes_, std::memory_order_relaxed)) {
    }
  }
  if (out.disposition == engine::Disposition::close_after_flush) close_after_write_ = true;
  if (!writing_) do_write();
}

void TcpSession::do_write() {
  if (closed_) return;
  if (write_queue_.empty()) {
    writing_ = false;
    if (close_after_write_) close();
    return;
  }
  writing_ = true;
  // Every queued frame (up to kMaxWriteBatch) in one gathered write: length prefix, then the
  // engine's buffer as it is. A frame with a file tail ends the batch; its tail follows by
  // sendfile before anything else is written.
  std::size_t n = 0;
  writing_frames_ = 0;
  while (writing_frames_ < std::min(write_queue_.size(), kMaxWriteBatch)) {
    auto& q = write_queue_[writing_frames_++];
    write_bufs_[n++] = asio::buffer(q.prefix);
    write_bufs_[n++] = asio::buffer(q.data);
    if (q.tail) break;
  }
  auto self = shared_from_this();
  asio::async_write(socket_, std::span<const asio::const_buffer>(write_bufs_.data(), n),
                    asio::bind_executor(strand_, [self](std::error_code ec, std::size_t) {
                      if (ec) {
                        self->close();
                        return;
                      }
                      const std::size_t done = std::exchange(self->writing_frames_, 0);
                      if (self->write_queue_[done - 1].tail) {
                        self->frames_written(done - 1);  // the tail's frame is now the front
                        self->send_tail();
                        return;
                      }
                      self->frames_written(done);
                      self->do_write();
                    }));
}

void TcpSession::frames_written(std::size_t count) {
  const bool was_over = queued_bytes_ > state_->config.max_queued_response_bytes;
  for (std::size_t i = 0; i < count; ++i) {
    auto& q = write_queue_.front();
    queued_bytes_ -= q.data.size() + q.tail.length() + q.prefix.size();
    state_->buffers.give(std::move(q.data));
    write_queue_.pop_front();
  }
  if (was_over && !must_pause_reading()) flow_timer_.cancel();
}

void TcpSession::send_tail() {
  if (closed_) return;
  const auto& q = write_queue_.front();
  const int sock = socket_.native_handle();
  const int fd = q.tail.fd();
  const std::uint64_t from = q.tail.offset() + q.tail_sent;
  const std::uint64_t left = q.tail.length() - q.tail_sent;
  tail_busy_ = true;
  auto self = shared_from_this();
  asio::post(workers_, [self, sock, fd, from, left] {
    std::uint64_t sent = 0;
    int err = 0;
    bool eof = false;
    {
      SigpipeBlock no_sigpipe;
      while (sent < left) {
        off_t at = static_cast<off_t>(from + sent);
        const ssize_t n = ::sendfile(sock, fd, &at, static_cast<std::size_t>(left - sent));
        if (n > 0) {
          sent += static_cast<std::uint64_t>(n);
        } else if (n == 0) {
          eof = true;
          break;
        } else if (errno != EINTR) {
          err = errno;  // EAGAIN: the socket is full (it is non-blocking)
          break;
        }
      }
    }
    asio::post(self->strand_, [self, sent, err, eof] { self->tail_sent(sent, err, eof); });
  });
}

void TcpSession::tail_sent(std::uint64_t n, int err, bool eof) {
  tail_busy_ = false;
  std::error_code ec;
  if (closed_) {
    socket_.close(ec);  // deferred by close()
    return;
  }
  auto& q = write_queue_.front();
  q.tail_sent += n;
  if (q.tail_sent == q.tail.length()) {
    frames_written(1);
    do_write();
    return;
  }
  auto self = shared_from_this();
  if (eof) q.tail_padding = true;
  if (q.tail_padding) {
    // The file shrank after the READ was answered: zeros keep the frame the length announced.
    const auto pad = std::min<std::uint64_t>(q.tail.length() - q.tail_sent, kZeros.size());
    asio::async_write(socket_, asio::buffer(kZeros.data(), static_cast<std::size_t>(pad)),
                      asio::bind_executor(strand_, [self](std::error_code e, std::size_t written) {
                        if (e) return self->close();
                        self->tail_sent(written, 0, false);
                      }));
    return;
  }
  if (err == EAGAIN || err == EWOULDBLOCK) {
    socket_.async_wait(asio::ip::tcp::socket::wait_write,
                       asio::bind_executor(strand_, [self](std::error_code e) {
                         if (e) return self->close();
                         self->send_tail();
                       }));
    return;
  }
  close();  // EPIPE, ECONNRESET, EIO, ...
}

awaitable<void> TcpSession::watchdog() {
  auto self = shared_from_this();
  const auto& cfg = state_->config;
  while (!closed_) {
    idle_timer_.expires_after(std::chrono::seconds(1));
    co_await idle_timer_.async_wait(use_tuple);
    if (closed_) break;
    const auto now = std::chrono::steady_clock::now();
    if (!engine_->authenticated() && now - started_ > std::chrono::seconds(cfg.unauthenticated_timeout_seconds)) {
      SMBSRV_LOG_INFO("{}: no session established in {} s, closing", engine_->peer(),
                   cfg.unauthenticated_timeout_seconds);
      close();
      break;
    }
    if (in_flight_ == 0 && now - last_activity_ > std::chrono::seconds(cfg.idle_timeout_seconds)) {
      SMBSRV_LOG_INFO("{}: idle, closing", engine_->peer());
      close();
      break;
    }
  }
}

}  // namespace smbsrv::transport
