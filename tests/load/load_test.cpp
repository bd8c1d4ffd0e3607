// Load and abuse tests against a real smbsrv::Server on 127.0.0.1 (port 0, a MemoryVfs share):
//  - 1,000 concurrent authenticated connections (SMB 3.1.1, signed), each reading a file a few
//    times with the reads of all connections in flight together; every byte is checked;
//  - a flood of 2,000 half-open and NEGOTIATE-only connections against a 2 s pre-authentication
//    timeout: all dropped on time, live connections and RSS bounded, and an authenticated client
//    keeps working meanwhile;
//  - a client that stops reading its responses: the server's queue for it stays capped, other
//    clients are unaffected, and everything is delivered once it reads again;
//  - the connection limit: a refused TCP connection, the others unaffected;
//  - zero-copy READs (sendfile from a LocalVfs share): the bytes, a full socket, a file that
//    shrank under the READ (zero padding keeps the framing), a client that resets mid-sendfile.
// The client side is tests/support/engine_client.hpp over blocking sockets (it builds, signs and
// verifies messages); everything is bounded in count and time.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <chrono>
#include <fstream>
#include <thread>

#include "smbsrv/local_vfs.hpp"
#include "smbsrv/server.hpp"
#include "support/engine_client.hpp"

namespace smbsrv::test {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr std::size_t kFileSize = 64 * 1024;
constexpr std::uint32_t kReadAccess = 0x00120089;
constexpr std::uint32_t kOpenExisting = 1;

std::uint8_t pattern(std::size_t i) { return static_cast<std::uint8_t>((i * 2654435761u) >> 13); }

std::size_t rss_kib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stoul(line.substr(6));
  return 0;
}

void raise_fd_limit(rlim_t want) {
  rlimit rl{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &rl), 0);
  if (rl.rlim_cur >= want) return;
  rl.rlim_cur = std::min(want, rl.rlim_max);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &rl), 0);
  if (rl.rlim_cur < want) GTEST_SKIP() << "RLIMIT_NOFILE hard limit " << rl.rlim_max << " < " << want;
}

// ---- a blocking socket speaking direct-TCP framing ----------------------------------------------
class Sock {
 public:
  Sock() = default;
  explicit Sock(int fd) : fd_(fd) {}
  Sock(Sock&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Sock& operator=(Sock&& o) noexcept {
    reset();
    fd_ = std::exchange(o.fd_, -1);
    return *this;
  }
  ~Sock() { reset(); }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  int fd() const { return fd_; }

  static Sock connect_to(std::uint16_t port, int rcvbuf = 0) {
    Sock s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (s.fd_ < 0) return s;
    if (rcvbuf) ::setsockopt(s.fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(s.fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) s.reset();
    const int one = 1;
    if (s.fd_ >= 0) ::setsockopt(s.fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    timeval tv{20, 0};  // no test step may hang
    if (s.fd_ >= 0) ::setsockopt(s.fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return s;
  }

  bool send_all(const std::uint8_t* p, std::size_t n) {
    while (n) {
      const ssize_t k = ::send(fd_, p, n, MSG_NOSIGNAL);
      if (k <= 0) return false;
      p += k;
      n -= static_cast<std::size_t>(k);
    }
    return true;
  }
  bool send_frame(std::span<const std::uint8_t> msg) {
    Vec f{0, static_cast<std::uint8_t>(msg.size() >> 16), static_cast<std::uint8_t>(msg.size() >> 8),
          static_cast<std::uint8_t>(msg.size())};
    f.insert(f.end(), msg.begin(), msg.end());
    return send_all(f.data(), f.size());
  }
  bool recv_all(std::uint8_t* p, std::size_t n) {
    while (n) {
      const ssize_t k = ::recv(fd_, p, n, 0);
      if (k <= 0) return false;
      p += k;
      n -= static_cast<std::size_t>(k);
    }
    return true;
  }
  std::optional<Vec> recv_frame() {
    std::uint8_t h[4];
    if (!recv_all(h, 4) || h[0] != 0) return std::nullopt;
    Vec f((std::size_t{h[1]} << 16) | (std::size_t{h[2]} << 8) | h[3]);
    if (!recv_all(f.data(), f.size())) return std::nullopt;
    return f;
  }

 private:
  int fd_ = -1;
};

/// An EngineClient whose requests go over a socket.
struct NetClient {
  Sock sock;
  EngineClient c;
  codec::FileId fid;
  explicit NetClient(Sock s)
      : sock(std::move(s)), c(EngineClient::Exchange([this](std::span<const std::uint8_t> f) {
          engine::Output out;
          std::optional<Vec> rsp;
          if (sock.send_frame(f)) rsp = sock.recv_frame();
          if (rsp) out.frames.push_back(std::move(*rsp));
          else out.disposition = engine::Disposition::close_now;
          return out;
        })) {}

  /// NEGOTIATE 3.1.1, NTLMv2 SESSION_SETUP (signing), TREE_CONNECT, open the test file.
  bool setup() {
    c.connect({0x0311});
    if (c.tree_id == 0 || c.closed) return false;
    auto r = c.create("data.bin", kReadAccess, kShareAll, kOpenExisting);
    fid = r.fid;
    return r.status == NtStatus::success;
  }
  Vec read_request(std::uint64_t offset, std::uint32_t len) {
    Req r{Command::read, EngineClient::read_body(fid, offset, len)};
    r.charge = c.charge_for(len);
    return c.frame({r});
  }
  /// Receives one response and checks it carries file bytes [offset, offset + len).
  bool check_read_response(std::uint64_t offset, std::uint32_t len) {
    auto f = sock.recv_frame();
    if (!f) return false;
    std::vector<Rsp> msgs;
    EngineClient::parse_frame(*f, msgs);
    if (msgs.size() != 1) return false;
    c.account(msgs[0]);
    if (msgs[0].status() != NtStatus::success || !msgs[0].sig_valid) return false;
    const Vec data = EngineClient::read_data(msgs[0]);
    if (data.size() != len) return false;
    for (std::size_t i = 0; i < len; ++i)
      if (data[i] != pattern(offset + i)) return false;
    return true;
  }
};

struct TestServer {
  std::unique_ptr<Server> server;
  std::uint16_t port = 0;

  explicit TestServer(ServerConfig cfg) {
    cfg.listen_address = "127.0.0.1";
    cfg.port = 0;
    cfg.logger_name = "smbsrv-load";
    if (!spdlog::get(cfg.logger_name)) spdlog::stderr_color_mt(cfg.logger_name)->set_level(spdlog::level::warn);
    auto creds = std::make_shared<InMemoryCredentialStore>();
    creds->add_user("alice", "Secret1");
    auto vfs = make_memory_vfs();
    OpenParams p;
    p.write = true;
    p.disposition = CreateDisposition::create;
    auto opened = vfs->open(*SmbPath::parse("data.bin"), p);
    EXPECT_TRUE(opened);
    Vec content(kFileSize);
    for (std::size_t i = 0; i < content.size(); ++i) content[i] = pattern(i);
    EXPECT_TRUE(opened->file->write(0, content));
    opened->file.reset();
    server = std::make_unique<Server>(std::move(cfg), creds);
    server->add_share({.name = "share", .vfs = vfs});
    server->start();
    port = server->local_port();
  }
  ~TestServer() { server->stop(); }

  bool wait_connections(std::size_t n, std::chrono::milliseconds limit) const {
    const auto end = Clock::now() + limit;
    while (Clock::now() < end) {
      if (server->stats().connections == n) return true;
      std::this_thread::sleep_for(10ms);
    }
    return server->stats().connections == n;
  }
};

double secs(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// ---- 1,000 concurrent authenticated connections --------------------------------------------------
TEST(Load, ThousandConcurrentAuthenticatedConnections) {
  constexpr std::size_t kConnections = 1000, kThreads = 20, kRounds = 4, kReadLen = 4096;
  raise_fd_limit(4 * kConnections + 256);
  if (HasFatalFailure() || IsSkipped()) return;
  ServerConfig cfg;
  cfg.io_threads = 2;
  TestServer ts(cfg);
  const auto t0 = Clock::now();
  const std::size_t rss0 = rss_kib();

  std::vector<std::unique_ptr<NetClient>> clients(kConnections);
  std::atomic<std::size_t> setup_ok{0}, reads_ok{0}, reads_bad{0};
  auto per_thread = [&](std::size_t t, auto&& fn) {
    for (std::size_t i = t; i < kConnections; i += kThreads) fn(i);
  };
  {
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < kThreads; ++t)
      threads.emplace_back([&, t] {
        per_thread(t, [&](std::size_t i) {
          clients[i] = std::make_unique<NetClient>(Sock::connect_to(ts.port));
          if (clients[i]->sock.fd() >= 0 && clients[i]->setup()) ++setup_ok;
        });
      });
    for (auto& th : threads) th.join();
  }
  const auto t_setup = Clock::now();
  ASSERT_EQ(setup_ok.load(), kConnections);
  EXPECT_EQ(ts.server->stats().connections, kConnections);

  // Each thread sends one READ on each of its connections, then collects the answers: all
  // 1,000 connections have a request in flight together.
  {
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < kThreads; ++t)
      threads.emplace_back([&, t] {
        for (std::size_t round = 0; round < kRounds; ++round) {
          auto offset = [&](std::size_t i) { return ((i * 7 + round * 13) % 60) * 1024; };
          per_thread(t, [&](std::size_t i) {
            if (!clients[i]->sock.send_frame(clients[i]->read_request(offset(i), kReadLen))) ++reads_bad;
          });
          per_thread(t, [&](std::size_t i) {
            if (clients[i]->check_read_response(offset(i), kReadLen)) ++reads_ok;
            else ++reads_bad;
          });
        }
      });
    for (auto& th : threads) th.join();
  }
  const auto t_reads = Clock::now();
  const std::size_t rss1 = rss_kib();
  EXPECT_EQ(reads_ok.load(), kConnections * kRounds);
  EXPECT_EQ(reads_bad.load(), 0u);
  EXPECT_EQ(ts.server->stats().connections, kConnections);
  EXPECT_EQ(ts.server->stats().refused_connections, 0u);

  clients.clear();
  EXPECT_TRUE(ts.wait_connections(0, 10s)) << ts.server->stats().connections << " still live";
  std::printf("[load] %zu connections authenticated in %.2f s; %zu verified reads in %.2f s; "
              "total %.2f s; RSS %zu -> %zu KiB (with all connections open)\n",
              kConnections, secs(t_setup - t0), reads_ok.load(), secs(t_reads - t_setup), secs(Clock::now() - t0),
              rss0, rss1);
}

// ---- the pre-authentication flood -----------------------------------------------------------------
TEST(Load, PreauthFloodIsDroppedOnTime) {
  constexpr std::size_t kFlood = 2000;
  constexpr std::uint32_t kTimeout = 2;
  raise_fd_limit(2 * kFlood + 256);
  if (HasFatalFailure() || IsSkipped()) return;
  ServerConfig cfg;
  cfg.unauthenticated_timeout_seconds = kTimeout;
  TestServer ts(cfg);

  // An authenticated client reads throughout the flood.
  auto keeper = std::make_unique<NetClient>(Sock::connect_to(ts.port));
  ASSERT_TRUE(keeper->setup());
  std::atomic<bool> stop{false};
  std::atomic<std::size_t> keeper_ok{0}, keeper_bad{0};
  double keeper_worst = 0;
  std::thread keeper_thread([&] {
    for (std::size_t n = 0; !stop; ++n) {
      const std::uint64_t off = (n % 15) * 4096;
      const auto start = Clock::now();
      if (keeper->sock.send_frame(keeper->read_request(off, 4096)) && keeper->check_read_response(off, 4096))
        ++keeper_ok;
      else
        ++keeper_bad;
      keeper_worst = std::max(keeper_worst, secs(Clock::now() - start));
      std::this_thread::sleep_for(20ms);
    }
  });

  EngineClient builder{EngineClient::Exchange{}};
  const Vec negotiate = builder.frame(
      {Req{Command::negotiate, builder.negotiate_body({0x0202, 0x0210, 0x0300, 0x0302, 0x0311},
                                                      {EngineClient::preauth_ctx()})}});
  const std::size_t rss_before = rss_kib();
  struct Flooder {
    Sock s;
    Clock::time_point opened;
    std::optional<Clock::time_point> dropped;
    bool got_negotiate_answer = false;
  };
  std::vector<Flooder> flood(kFlood);
  const auto t0 = Clock::now();
  for (std::size_t i = 0; i < kFlood; ++i) {
    flood[i].s = Sock::connect_to(ts.port);
    flood[i].opened = Clock::now();
    ASSERT_GE(flood[i].s.fd(), 0) << "connect " << i;
    if (i % 2) {
      ASSERT_TRUE(flood[i].s.send_frame(negotiate));  // unauthenticated: NEGOTIATE only
    }
    ::fcntl(flood[i].s.fd(), F_SETFL, O_NONBLOCK);            // even ones: half-open, send nothing
  }
  const auto t_connected = Clock::now();

  std::size_t peak_connections = 0, peak_rss = rss_before, remaining = kFlood;
  const auto deadline = Clock::now() + std::chrono::seconds(kTimeout + 10);
  std::vector<pollfd> pfds;
  std::vector<std::size_t> idx;
  std::vector<std::uint8_t> buf(4096);
  while (remaining && Clock::now() < deadline) {
    pfds.clear();
    idx.clear();
    for (std::size_t i = 0; i < kFlood; ++i)
      if (!flood[i].dropped) {
        pfds.push_back({flood[i].s.fd(), POLLIN, 0});
        idx.push_back(i);
      }
    ::poll(pfds.data(), pfds.size(), 100);
    const auto now = Clock::now();
    for (std::size_t k = 0; k < pfds.size(); ++k) {
      if (!pfds[k].revents) continue;
      auto& f = flood[idx[k]];
      while (true) {
        const ssize_t n = ::recv(f.s.fd(), buf.data(), buf.size(), 0);
        if (n > 0) {
          f.got_negotiate_answer = true;
          continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        f.dropped = now;  // EOF or reset
        f.s.reset();
        --remaining;
        break;
      }
    }
    peak_connections = std::max(peak_connections, ts.server->stats().connections);
    peak_rss = std::max(peak_rss, rss_kib());
  }
  stop = true;
  keeper_thread.join();

  EXPECT_EQ(remaining, 0u) << "flood connections still open after the deadline";
  double earliest = 1e9, latest = 0;
  std::size_t answered = 0;
  for (std::size_t i = 0; i < kFlood; ++i) {
    answered += flood[i].got_negotiate_answer;
    if (!flood[i].dropped) continue;
    const double d = secs(*flood[i].dropped - flood[i].opened);
    earliest = std::min(earliest, d);
    latest = std::max(latest, d);
  }
  EXPECT_EQ(answered, kFlood / 2) << "every NEGOTIATE is answered; half-open ones get nothing";
  // The watchdog checks once a second: dropped between kTimeout and kTimeout + 1 s (+ slack for
  // a loaded machine), never before.
  EXPECT_GE(earliest, kTimeout - 0.05);
  EXPECT_LE(latest, kTimeout + 3.0);
  EXPECT_LE(peak_connections, kFlood + 1);
  EXPECT_TRUE(ts.wait_connections(1, 5s)) << ts.server->stats().connections << " live, expected the keeper only";
  EXPECT_LT(peak_rss - rss_before, 128u * 1024) << "RSS grew by " << (peak_rss - rss_before) << " KiB";
  EXPECT_GT(keeper_ok.load(), 10u);
  EXPECT_EQ(keeper_bad.load(), 0u);
  std::printf("[load] flood of %zu (half-open + NEGOTIATE-only) opened in %.2f s; dropped after %.2f..%.2f s "
              "(timeout %u s); peak live connections %zu; RSS %zu -> peak %zu KiB (+%zu); authenticated "
              "client: %zu reads OK, slowest %.0f ms\n",
              kFlood, secs(t_connected - t0), earliest, latest, kTimeout, peak_connections, rss_before, peak_rss,
              peak_rss - rss_before, keeper_ok.load(), keeper_worst * 1000);
}

// ---- a client that stops reading ------------------------------------------------------------------
TEST(Load, SlowReaderQueueIsCapped) {
  constexpr std::size_t kCap = 256 * 1024, kOutstanding = 4, kReads = 1000;
  constexpr std::uint32_t kLen = 64 * 1024;
  ServerConfig cfg;
  cfg.max_queued_response_bytes = kCap;
  cfg.max_outstanding_requests = kOutstanding;
  TestServer ts(cfg);

  NetClient slow(Sock::connect_to(ts.port, 4096));  // a tiny receive buffer
  ASSERT_TRUE(slow.setup());
  // Collect credits for all the reads first.
  while (1 + slow.c.credits_granted - slow.c.next_mid < kReads + 1) {
    Req r{Command::echo, EngineClient::echo_body()};
    r.credit_request = 512;
    ASSERT_EQ(slow.c.one(r).status(), NtStatus::success);
  }
  std::vector<Vec> requests;
  for (std::size_t i = 0; i < kReads; ++i) requests.push_back(slow.read_request(0, kLen));
  std::atomic<std::size_t> sent{0};
  std::thread sender([&] {  // blocks in send() once the server stops reading
    for (auto& r : requests) {
      if (!slow.sock.send_frame(r)) break;
      ++sent;
    }
  });
  std::this_thread::sleep_for(1500ms);
  const auto peak = ts.server->stats().peak_queued_response_bytes;
  // The queue went over the cap (the client is not reading) but only by what was in flight.
  EXPECT_GT(peak, kCap);
  EXPECT_LE(peak, kCap + (kOutstanding + 1) * (kLen + 1024));

  // Meanwhile another client is served normally.
  NetClient other(Sock::connect_to(ts.port));
  ASSERT_TRUE(other.setup());
  ASSERT_TRUE(other.sock.send_frame(other.read_request(100, 1000)));
  EXPECT_TRUE(other.check_read_response(100, 1000));

  // Reading again delivers everything.
  std::size_t ok = 0;
  for (std::size_t i = 0; i < kReads; ++i) ok += slow.check_read_response(0, kLen);
  sender.join();
  EXPECT_EQ(ok, kReads);
  EXPECT_LE(ts.server->stats().peak_queued_response_bytes, kCap + (kOutstanding + 1) * (kLen + 1024));
  std::printf("[load] slow reader: peak queued %zu bytes (cap %zu), %zu of %zu requests sent while stalled\n", peak,
              kCap, sent.load(), kReads);
}

// ---- zero-copy READs over a socket ------------------------------------------------------------------
/// Wraps a LocalVfs; its files claim `extra` more bytes in send_source() than they have, as if the
/// file had been truncated between the READ and the transport's sendfile.
class ShrinkingVfs : public Vfs {
 public:
  ShrinkingVfs(std::shared_ptr<Vfs> inner, std::uint64_t extra) : inner_(std::move(inner)), extra_(extra) {}
  Result<Opened> open(const SmbPath& path, const OpenParams& params) override {
    auto o = inner_->open(path, params);
    if (!o) return o.status();
    o->file = std::make_unique<File>(std::move(o->file), extra_);
    return o;
  }
  Result<void> remove(const SmbPath& p) override { return inner_->remove(p); }
  Result<void> rename(const SmbPath& a, const SmbPath& b, bool r) override { return inner_->rename(a, b, r); }
  Result<FsInfo> fs_info() override { return inner_->fs_info(); }

 private:
  struct File : VfsFile {
    File(std::unique_ptr<VfsFile> f, std::uint64_t extra) : f_(std::move(f)), extra_(extra) {}
    Result<std::size_t> read(std::uint64_t o, std::span<std::uint8_t> out) override { return f_->read(o, out); }
    Result<std::size_t> write(std::uint64_t o, std::span<const std::uint8_t> in) override { return f_->write(o, in); }
    Result<FileInfo> stat() override { return f_->stat(); }
    Result<void> truncate(std::uint64_t n) override { return f_->truncate(n); }
    Result<void> set_times(const FileTimes& t) override { return f_->set_times(t); }
    Result<void> flush() override { return f_->flush(); }
    Result<std::vector<DirEntry>> list() override { return f_->list(); }
    std::optional<SendSource> send_source() override {
      auto s = f_->send_source();
      if (s) s->size += extra_;
      return s;
    }
    std::unique_ptr<VfsFile> f_;
    std::uint64_t extra_;
  };
  std::shared_ptr<Vfs> inner_;
  std::uint64_t extra_;
};

/// A Server with an unsigned-capable LocalVfs share holding data.bin (pattern(), `size` bytes).
struct LocalTestServer {
  std::filesystem::path dir;
  std::unique_ptr<Server> server;
  std::uint16_t port = 0;
  LocalTestServer(std::size_t size, std::uint64_t shrink_by = 0) {
    char tmpl[] = "/tmp/smbsrv-load-XXXXXX";
    EXPECT_NE(::mkdtemp(tmpl), nullptr);
    dir = tmpl;
    {
      std::ofstream f(dir / "data.bin", std::ios::binary);
      for (std::size_t i = 0; i < size; ++i) f.put(static_cast<char>(pattern(i)));
    }
    ServerConfig cfg;
    cfg.listen_address = "127.0.0.1";
    cfg.port = 0;
    cfg.require_signing = false;
    cfg.logger_name = "smbsrv-load";
    if (!spdlog::get(cfg.logger_name)) spdlog::stderr_color_mt(cfg.logger_name)->set_level(spdlog::level::warn);
    auto creds = std::make_shared<InMemoryCredentialStore>();
    creds->add_user("alice", "Secret1");
    std::shared_ptr<Vfs> vfs = make_local_vfs(dir);
    if (shrink_by) vfs = std::make_shared<ShrinkingVfs>(vfs, shrink_by);
    server = std::make_unique<Server>(std::move(cfg), creds);
    server->add_share({.name = "share", .vfs = vfs});
    server->start();
    port = server->local_port();
  }
  ~LocalTestServer() {
    server->stop();
    server.reset();
    std::filesystem::remove_all(dir);
  }
};

/// A NetClient that stops signing after logon (the server does not require it), so its large
/// READs are answered by sendfile.
bool setup_unsigned(NetClient& n) {
  if (!n.setup()) return false;
  n.c.signing_key.clear();
  n.c.strict_signing = false;
  return true;
}

/// Receives one READ response and returns its data (nullopt: no frame, or not a success).
std::optional<Vec> recv_read(NetClient& n) {
  auto f = n.sock.recv_frame();
  if (!f) return std::nullopt;
  std::vector<Rsp> msgs;
  EngineClient::parse_frame(*f, msgs);
  if (msgs.size() != 1 || msgs[0].status() != NtStatus::success) {
    ADD_FAILURE() << msgs.size() << " messages, status " << (msgs.empty() ? "-" : to_string(msgs[0].status()));
    return std::nullopt;
  }
  n.c.account(msgs[0]);
  return EngineClient::read_data(msgs[0]);
}

bool is_pattern(const Vec& data, std::uint64_t offset) {
  for (std::size_t i = 0; i < data.size(); ++i)
    if (data[i] != pattern(offset + i)) return false;
  return true;
}

TEST(Load, ZeroCopyReadsDeliverTheFileThroughAFullSocket) {
  constexpr std::size_t kSize = 20u << 20;
  LocalTestServer ts(kSize);
  NetClient n(Sock::connect_to(ts.port, 16 * 1024));  // a small receive buffer: sendfile hits EAGAIN
  ASSERT_TRUE(setup_unsigned(n));
  while (1 + n.c.credits_granted - n.c.next_mid < 512) {
    Req r{Command::echo, EngineClient::echo_body()};
    r.credit_request = 512;
    ASSERT_EQ(n.c.one(r).status(), NtStatus::success);
  }
  // Pipelined: 8 MiB, 1 MiB, 64 KiB and a short one across the end of the file, all in flight.
  const std::vector<std::pair<std::uint64_t, std::uint32_t>> reads = {
      {0, 8u << 20}, {8u << 20, 1u << 20}, {12345, 65536}, {kSize - 5000, 1u << 20}, {3, 4u << 20}};
  for (auto [off, len] : reads) ASSERT_TRUE(n.sock.send_frame(n.read_request(off, len)));
  std::size_t ok = 0;
  for (std::size_t i = 0; i < reads.size(); ++i) {
    auto data = recv_read(n);
    ASSERT_TRUE(data) << "response " << i;
    // Responses may come back in any order (the worker pool); identify each by its length.
    for (auto [off, len] : reads)
      if (data->size() == std::min<std::uint64_t>(len, kSize - off) && is_pattern(*data, off)) {
        ++ok;
        break;
      }
  }
  EXPECT_EQ(ok, reads.size());
}

TEST(Load, ZeroCopyReadOfAShrunkFileIsPaddedAndTheConnectionLives) {
  constexpr std::size_t kSize = 1u << 20;
  LocalTestServer ts(kSize, /*shrink_by=*/300000);
  NetClient n(Sock::connect_to(ts.port));
  ASSERT_TRUE(setup_unsigned(n));
  // The server believes the file is 300,000 bytes longer than it is when it answers the READ.
  ASSERT_TRUE(n.sock.send_frame(n.read_request(kSize - 100000, 1u << 20)));
  auto data = recv_read(n);
  ASSERT_TRUE(data);
  ASSERT_EQ(data->size(), 400000u);
  EXPECT_TRUE(is_pattern(Vec(data->begin(), data->begin() + 100000), kSize - 100000));
  EXPECT_TRUE(std::all_of(data->begin() + 100000, data->end(), [](std::uint8_t b) { return b == 0; }));
  // The framing held: the next request is answered normally.
  ASSERT_TRUE(n.sock.send_frame(n.read_request(0, 65536)));
  auto next = recv_read(n);
  ASSERT_TRUE(next);
  EXPECT_EQ(next->size(), 65536u);
  EXPECT_TRUE(is_pattern(*next, 0));
}

TEST(Load, ClientResettingDuringZeroCopyReadLeavesTheServerServing) {
  constexpr std::size_t kSize = 8u << 20;
  LocalTestServer ts(kSize);
  for (int round = 0; round < 5; ++round) {
    NetClient n(Sock::connect_to(ts.port, 8192));
    ASSERT_TRUE(setup_unsigned(n));
    ASSERT_TRUE(n.sock.send_frame(n.read_request(0, 8u << 20)));
    std::uint8_t some[4096];
    ASSERT_GT(::recv(n.sock.fd(), some, sizeof some, 0), 0);
    // RST instead of FIN: the server's sendfile fails with ECONNRESET/EPIPE. Without SIGPIPE
    // blocked around sendfile, this test process (which ignores nothing) would die here.
    linger lg{1, 0};
    ::setsockopt(n.sock.fd(), SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    n.sock.reset();
  }
  NetClient other(Sock::connect_to(ts.port));
  ASSERT_TRUE(setup_unsigned(other));
  ASSERT_TRUE(other.sock.send_frame(other.read_request(4096, 1u << 20)));
  auto data = recv_read(other);
  ASSERT_TRUE(data);
  EXPECT_EQ(data->size(), 1u << 20);
  EXPECT_TRUE(is_pattern(*data, 4096));
  const auto end = Clock::now() + 5s;
  while (ts.server->stats().connections > 1 && Clock::now() < end) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(ts.server->stats().connections, 1u);
}

// ---- the connection limit and the pre-auth frame limit --------------------------------------------
TEST(Load, ConnectionLimitRefusesOnlyTheExtraClient) {
  ServerConfig cfg;
  cfg.max_connections = 2;
  TestServer ts(cfg);
  NetClient a(Sock::connect_to(ts.port));
  ASSERT_TRUE(a.setup());
  Sock b = Sock::connect_to(ts.port);
  ASSERT_TRUE(ts.wait_connections(2, 5s));
  Sock c = Sock::connect_to(ts.port);
  ASSERT_GE(c.fd(), 0);  // TCP connects, then the server closes it
  std::uint8_t byte;
  EXPECT_LE(::recv(c.fd(), &byte, 1, 0), 0);
  EXPECT_EQ(ts.server->stats().refused_connections, 1u);
  ASSERT_TRUE(a.sock.send_frame(a.read_request(0, 512)));
  EXPECT_TRUE(a.check_read_response(0, 512));
  b.reset();
  ASSERT_TRUE(ts.wait_connections(1, 5s));
  NetClient d(Sock::connect_to(ts.port));
  EXPECT_TRUE(d.setup());
}

TEST(Load, OversizedPreauthFrameClosesTheConnection) {
  ServerConfig cfg;
  cfg.max_preauth_frame_size = 1024;
  TestServer ts(cfg);
  Sock s = Sock::connect_to(ts.port);
  const std::uint8_t hdr[4] = {0, 0, 0x08, 0x00};  // 2048 bytes announced
  ASSERT_TRUE(s.send_all(hdr, 4));
  std::uint8_t byte;
  EXPECT_LE(::recv(s.fd(), &byte, 1, 0), 0);
  NetClient ok(Sock::connect_to(ts.port));  // a NEGOTIATE of normal size is fine
  EXPECT_TRUE(ok.setup());
}

}  // namespace
}  // namespace smbsrv::test
