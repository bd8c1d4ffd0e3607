// No heap allocation per READ or WRITE request in the steady state (issue 4). This binary
// replaces the global operator new/delete with counting versions, drives a connection over a
// MemoryVfs share through engine::Connection::on_message() (and the job it hands out), and gives each response frame back
// to the server's BufferPool the way TcpSession does after its socket write. After a warm-up,
// N READ and N WRITE requests of 1 MiB must allocate nothing at all.
//
// OpenSSL's own allocations are counted too (CRYPTO_set_mem_functions), and the same holds for
// AES-GMAC- and AES-CMAC-signed and AES-128-GCM-sealed requests.
#include <gtest/gtest.h>
#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <new>

#include "support/engine_client.hpp"

namespace {
std::atomic<bool> g_counting{false};
std::atomic<std::size_t> g_allocs{0};

void* counted_alloc(std::size_t n) {
  if (g_counting.load(std::memory_order_relaxed)) g_allocs.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* counted_aligned_alloc(std::size_t n, std::align_val_t al) {
  if (g_counting.load(std::memory_order_relaxed)) g_allocs.fetch_add(1, std::memory_order_relaxed);
  const auto a = static_cast<std::size_t>(al);
  if (void* p = std::aligned_alloc(a, (n + a - 1) / a * a == 0 ? a : (n + a - 1) / a * a)) return p;
  throw std::bad_alloc();
}
// OpenSSL allocates with malloc, not operator new: count its allocations too.
void* ossl_malloc(std::size_t n, const char*, int) {
  if (g_counting.load(std::memory_order_relaxed)) g_allocs.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n);
}
void* ossl_realloc(void* p, std::size_t n, const char*, int) {
  if (g_counting.load(std::memory_order_relaxed)) g_allocs.fetch_add(1, std::memory_order_relaxed);
  return std::realloc(p, n);
}
void ossl_free(void* p, const char*, int) { std::free(p); }
// Before anything calls into OpenSSL (static initialisation of this binary).
const bool g_ossl_counted = CRYPTO_set_mem_functions(ossl_malloc, ossl_realloc, ossl_free) == 1;
}  // namespace

void* operator new(std::size_t n) { return counted_alloc(n); }
void* operator new[](std::size_t n) { return counted_alloc(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return counted_alloc(n);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return counted_alloc(n);
  } catch (...) {
    return nullptr;
  }
}
void* operator new(std::size_t n, std::align_val_t a) { return counted_aligned_alloc(n, a); }
void* operator new[](std::size_t n, std::align_val_t a) { return counted_aligned_alloc(n, a); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

namespace {

using namespace smbsrv;
using codec::Command;
using test::EngineClient;
using test::Req;
using test::Vec;

constexpr std::uint32_t kLen = 1u << 20;
constexpr std::size_t kRequests = 32;
constexpr std::size_t kWarmup = 4;

enum class Mode { plain, gmac, cmac, gcm };

struct Fixture {
  std::shared_ptr<engine::ServerState> state;
  std::unique_ptr<EngineClient> cl;
  codec::FileId fid;

  explicit Fixture(Mode m) {
    spdlog::set_level(spdlog::level::warn);
    ServerConfig cfg;
    cfg.require_signing = false;
    state = test::make_test_state(cfg);
    cl = std::make_unique<EngineClient>(state);
    cl->strict_signing = false;
    std::vector<EngineClient::Ctx> ctx{EngineClient::preauth_ctx(),
                                       EngineClient::signing_ctx({static_cast<std::uint16_t>(m == Mode::cmac ? 1 : 2)})};
    if (m == Mode::gcm)
      ctx.push_back(EngineClient::encryption_ctx({static_cast<std::uint16_t>(crypto::Cipher::aes128_gcm)}));
    EXPECT_EQ(cl->negotiate({0x0311}, ctx).status(), NtStatus::success);
    EXPECT_EQ(cl->session_setup(), NtStatus::success);
    EXPECT_EQ(cl->tree_connect("share").status(), NtStatus::success);
    auto c = cl->create("alloc.dat");
    EXPECT_EQ(c.status, NtStatus::success);
    fid = c.fid;
    const Vec chunk(kLen, 0x5A);
    for (std::uint64_t off = 0; off < 4 * kLen; off += kLen) EXPECT_EQ(cl->write(fid, off, chunk).status(), NtStatus::success);
    if (m == Mode::gcm) {
      auto label = [](std::string_view l) { return Vec(l.begin(), l.end() + 1); };
      c2s_key = crypto::kdf_sp800_108(cl->session_key_bytes, label("SMBC2SCipherKey"), cl->session_preauth, 16);
    }
  }

  Vec c2s_key;
  std::uint64_t nonce = 1;

  /// `plain` in a transform header, sealed with AES-128-GCM as a client would.
  Vec seal(const Vec& plain) {
    codec::TransformHeader t;
    for (std::size_t i = 0; i < 8; ++i) t.nonce[i] = static_cast<std::uint8_t>(nonce >> (8 * i));
    ++nonce;
    t.original_message_size = static_cast<std::uint32_t>(plain.size());
    t.flags = 1;
    t.session_id = cl->session_id;
    Vec out;
    ByteWriter w(out);
    codec::encode_transform_header(w, t);
    w.bytes(plain);
    std::array<std::uint8_t, 16> tag{};
    EXPECT_TRUE(crypto::aead_encrypt(crypto::Cipher::aes128_gcm, c2s_key, crypto::Bytes(t.nonce.data(), 12),
                                     crypto::Bytes(out.data() + 20, codec::kTransformHeaderSize - 20),
                                     std::span<std::uint8_t>(out.data() + codec::kTransformHeaderSize, plain.size()),
                                     tag));
    std::copy(tag.begin(), tag.end(), out.begin() + 4);
    return out;
  }

  Vec request(Mode m, Command cmd, std::uint64_t offset, const Vec& payload) {
    Req r{cmd, cmd == Command::read ? EngineClient::read_body(fid, offset, kLen)
                                    : EngineClient::write_body(fid, offset, payload)};
    r.charge = cl->charge_for(kLen);
    // A client in its steady state asks for as many credits as it spends (the window, and the
    // ring that tracks it, then stop growing).
    r.credit_request = r.charge;
    r.sign = m == Mode::gmac || m == Mode::cmac;
    return m == Mode::gcm ? seal(cl->frame({r})) : cl->frame({r});
  }

  /// Allocations made by the engine for each of `frames`, after `kWarmup` of them.
  std::vector<std::size_t> run(const std::vector<Vec>& frames) {
    std::vector<std::size_t> counts;
    counts.reserve(frames.size());
    for (std::size_t i = 0; i < frames.size(); ++i) {
      g_allocs.store(0);
      g_counting.store(true);
      auto out = cl->run_inline(cl->connection().on_message(cl->pooled(frames[i])));
      // Status SUCCESS (a sealed answer is checked for its size only).
      bool ok = out.disposition == engine::Disposition::keep && out.frames.size() == 1 &&
                out.frames[0].size() >= codec::kHeaderSize &&
                (out.frames[0][0] == 0xFD ||
                 (out.frames[0][8] == 0 && out.frames[0][9] == 0 && out.frames[0][10] == 0 && out.frames[0][11] == 0));
      for (auto& f : out.frames) state->buffers.give(std::move(f));  // what TcpSession does
      out = engine::Output{};
      g_counting.store(false);
      EXPECT_TRUE(ok) << "request " << i;
      if (i >= kWarmup) counts.push_back(g_allocs.load());
    }
    return counts;
  }
};

std::size_t total(const std::vector<std::size_t>& v) {
  std::size_t t = 0;
  for (auto x : v) t += x;
  return t;
}

TEST(AllocTest, CounterWorks) {
  EXPECT_TRUE(g_ossl_counted) << "OpenSSL allocated before its allocator could be replaced";
  g_allocs.store(0);
  g_counting.store(true);
  auto* p = new std::vector<int>(10);
  g_counting.store(false);
  delete p;
  EXPECT_EQ(g_allocs.load(), 2u);
}

TEST(AllocTest, SteadyStateReadAndWriteAllocateNothing) {
  Fixture fx(Mode::plain);
  std::vector<Vec> reads, writes;
  const Vec payload(kLen, 0xA5);
  for (std::size_t i = 0; i < kRequests; ++i) reads.push_back(fx.request(Mode::plain, Command::read, (i % 4) * kLen, payload));
  for (std::size_t i = 0; i < kRequests; ++i) writes.push_back(fx.request(Mode::plain, Command::write, (i % 4) * kLen, payload));
  const auto r = fx.run(reads);
  const auto w = fx.run(writes);
  std::printf("allocations per 1 MiB request after warm-up: READ %zu over %zu, WRITE %zu over %zu\n", total(r),
              r.size(), total(w), w.size());
  for (std::size_t i = 0; i < r.size(); ++i) EXPECT_EQ(r[i], 0u) << "READ " << i + kWarmup << " allocates";
  for (std::size_t i = 0; i < w.size(); ++i) EXPECT_EQ(w[i], 0u) << "WRITE " << i + kWarmup << " allocates";
  EXPECT_EQ(total(r), 0u) << "READ allocates";
  EXPECT_EQ(total(w), 0u) << "WRITE allocates";
}

/// Signed (AES-GMAC, AES-CMAC) and sealed (AES-128-GCM) requests: OpenSSL's contexts are reused
/// per thread, so these allocate nothing either.
void expect_no_allocations(Mode m, const char* name) {
  Fixture fx(m);
  std::vector<Vec> reads, writes;
  const Vec payload(kLen, 0xA5);
  for (std::size_t i = 0; i < 12; ++i) reads.push_back(fx.request(m, Command::read, (i % 4) * kLen, payload));
  for (std::size_t i = 0; i < 12; ++i) writes.push_back(fx.request(m, Command::write, (i % 4) * kLen, payload));
  const auto r = fx.run(reads);
  const auto w = fx.run(writes);
  std::printf("%s: allocations per 1 MiB request after warm-up: READ %zu over %zu, WRITE %zu over %zu\n", name,
              total(r), r.size(), total(w), w.size());
  EXPECT_EQ(total(r), 0u) << name << " READ allocates";
  EXPECT_EQ(total(w), 0u) << name << " WRITE allocates";
}

TEST(AllocTest, GmacSignedAllocateNothing) { expect_no_allocations(Mode::gmac, "AES-GMAC signed"); }
TEST(AllocTest, CmacSignedAllocateNothing) { expect_no_allocations(Mode::cmac, "AES-CMAC signed"); }
TEST(AllocTest, GcmSealedAllocateNothing) { expect_no_allocations(Mode::gcm, "AES-128-GCM sealed"); }

}  // namespace
