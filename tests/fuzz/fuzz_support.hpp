// Shared helpers for the libFuzzer targets and the corpus generator: a byte-stream splitter, a
// deterministic server state, and a tiny gtest-free SMB2 client that negotiates, authenticates
// with NTLMv2 (support/ntlm_client.hpp; unsigned) and connects the "share" tree so fuzz_engine
// can reach the handlers that need a session and a tree.
#pragma once

#include <spdlog/spdlog.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "auth/authenticator.hpp"
#include "auth/ntlmssp.hpp"
#include "codec/messages.hpp"
#include "crypto/crypto.hpp"
#include "engine/connection.hpp"
#include "engine/mailbox.hpp"
#include "engine/server_state.hpp"
#include "smbsrv/credentials.hpp"
#include "smbsrv/memory_vfs.hpp"
#include "support/le_bytes.hpp"
#include "support/ntlm_client.hpp"
#include "util/utf16.hpp"

namespace smbsrv::engine {

/// The test seam Connection befriends: copies the state a handshake left in `from` into `to`, a
/// fresh Connection on a fresh ServerState, so fuzz_engine can start every input from the same
/// post-authentication state without redoing (and re-paying for) the handshake. The whole
/// ConnectionState is copied by assignment (a field added there is copied without anyone
/// remembering to); only the sessions are copied deeply, since the input may change them. `from`
/// must have no opens, no async commands and no session mid-authentication. Trees are re-pointed
/// to `to`'s share of the same name.
struct FuzzConnectionCopier {
  static void copy(const Connection& from, Connection& to) {
    const ConnectionState& f = from.state_;
    if (!f.client->opens.empty() || !f.logged_off.empty() || !f.async_commands.empty() || from.jobs_ != 0) __builtin_trap();
    ConnectionState& t = to.state_;
    t = f;
    t.client = std::make_shared<ClientState>();  // its own: the copy shares nothing with `from`
    t.client->next_volatile_id = f.client->next_volatile_id;
    t.client->next_tree_id = f.client->next_tree_id;
    t.sessions.clear();
    for (const auto& [id, s] : f.sessions) t.sessions[id] = copy_session(*s, to);
    to.authenticated_.store(from.authenticated_.load());
  }

 private:
  static std::shared_ptr<Session> copy_session(const Session& f, Connection& to) {
    const ServerState& to_state = *to.server_;
    if (f.authenticator) __builtin_trap();  // an exchange in progress cannot be copied
    auto s = std::make_shared<Session>();
    s->session_id = f.session_id;
    s->state = f.state;
    s->session_key = f.session_key;
    s->signing_key = f.signing_key;
    s->encryption_key = f.encryption_key;
    s->decryption_key = f.decryption_key;
    s->application_key = f.application_key;
    s->signing_required = f.signing_required;
    s->encrypt_data = f.encrypt_data;
    s->is_guest = f.is_guest;
    s->is_anonymous = f.is_anonymous;
    s->user = f.user;
    s->domain = f.domain;
    s->preauth_hash = f.preauth_hash;
    for (const auto& [id, tc] : f.tree_connects) {
      auto c = std::make_shared<TreeConnect>(*tc);
      if (tc->share) c->share = to_state.find_share(tc->share->name);
      s->tree_connects[id] = std::move(c);
    }
    s->nonce_counter = f.nonce_counter.load();
    s->nonce_salt = f.nonce_salt;
    s->channels.push_back(Session::Channel{to.mailbox_.get(), to.mailbox_, to.mailbox_, {}});  // its one channel: `to`
    return s;
  }
};

// A field added to Session must be copied above (or be known to stay untouched by the handshake);
// this size makes the build say so. The replay build also checks that a copy answers every corpus
// input exactly as a real handshake does (fuzz_engine.cpp).
#if defined(__x86_64__) && defined(__GLIBCXX__) && !defined(_GLIBCXX_DEBUG)
static_assert(sizeof(Session) == 360, "update FuzzConnectionCopier::copy_session");
#endif

}  // namespace smbsrv::engine

namespace smbsrv::fuzz {

using Vec = std::vector<std::uint8_t>;

/// Consumes an input as a sequence of [u16 little-endian length][bytes] chunks; a length past the
/// end takes what is left.
class Chunks {
 public:
  Chunks(const std::uint8_t* data, std::size_t size) : p_(data), left_(size) {}
  bool next(Vec& out) {
    if (left_ < 2) return false;
    std::size_t n = static_cast<std::size_t>(p_[0] | (p_[1] << 8));
    p_ += 2;
    left_ -= 2;
    if (n > left_) n = left_;
    out.assign(p_, p_ + n);  // an exactly sized copy so ASan sees overreads
    p_ += n;
    left_ -= n;
    return true;
  }

 private:
  const std::uint8_t* p_;
  std::size_t left_;
};

inline void append_chunk(Vec& out, std::span<const std::uint8_t> chunk) {
  out.push_back(static_cast<std::uint8_t>(chunk.size()));
  out.push_back(static_cast<std::uint8_t>(chunk.size() >> 8));
  out.insert(out.end(), chunk.begin(), chunk.end());
}

inline void quiet_logs() {
  static const bool once = [] {
    spdlog::set_level(spdlog::level::off);
    return true;
  }();
  (void)once;
}

inline std::uint64_t fixed_now() { return 0x01DA000000000000ULL; }
inline void counter_random(std::uint32_t& counter, std::span<std::uint8_t> out) {
  for (auto& b : out) b = static_cast<std::uint8_t>(counter++ * 37u + 11u);
}

inline std::shared_ptr<const CredentialStore> alice_store() {
  static const auto store = [] {
    auto c = std::make_shared<InMemoryCredentialStore>();
    c->add_user("alice", "Secret1");
    return c;
  }();
  return store;
}

/// Signing not required, a fixed ServerGuid, deterministic clock and randomness (the counter `rng`
/// is shared so a copy can continue the sequence), user alice/Secret1 (one immutable store for the
/// process), a memory share named "share" with the same fixed clock.
inline std::shared_ptr<engine::ServerState> make_state(
    std::shared_ptr<std::uint32_t> rng = std::make_shared<std::uint32_t>(0)) {
  ServerConfig cfg;
  cfg.require_signing = false;
  auto st = engine::make_server_state(std::move(cfg), alice_store());
  for (std::size_t i = 0; i < st->server_guid.size(); ++i) st->server_guid[i] = static_cast<std::uint8_t>(0xC0 + i);
  st->now = fixed_now;
  st->random = [counter = std::move(rng)](std::span<std::uint8_t> out) { counter_random(*counter, out); };
  Share s;
  s.name = "share";
  s.vfs = make_memory_vfs({.clock = fixed_now});
  st->add_share(std::move(s));
  return st;
}

/// The Authenticator configuration fuzz_authenticator uses (and the generator, so that the seeds'
/// AUTHENTICATE messages answer the deterministic challenge).
inline auth::AuthConfig auth_config() {
  auth::AuthConfig c;
  c.credentials = alice_store().get();
  c.now = fixed_now;
  c.random = [counter = std::make_shared<std::uint32_t>(0)](std::span<std::uint8_t> out) {
    counter_random(*counter, out);
  };
  return c;
}

// ---- little-endian writer ----------------------------------------------------------------------
struct W {
  Vec b;
  W& u8(std::uint8_t v) { b.push_back(v); return *this; }
  W& u16(std::uint16_t v) { return le(v, 2); }
  W& u32(std::uint32_t v) { return le(v, 4); }
  W& u64(std::uint64_t v) { return le(v, 8); }
  W& zeros(std::size_t n) { b.insert(b.end(), n, 0); return *this; }
  W& bytes(std::span<const std::uint8_t> v) { b.insert(b.end(), v.begin(), v.end()); return *this; }

 private:
  W& le(std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    return *this;
  }
};

using test::put_le;
using test::rd16;
using test::rd32;
using test::rd64;

/// A 64-byte SMB2 request header followed by `body`.
inline Vec message(codec::Command cmd, std::span<const std::uint8_t> body, std::uint64_t mid = 0,
                   std::uint64_t sid = 0, std::uint32_t tid = 0, std::uint16_t charge = 1) {
  W h;
  h.u8(0xFE).u8('S').u8('M').u8('B').u16(64).u16(charge).u32(0);
  h.u16(static_cast<std::uint16_t>(cmd)).u16(64).u32(0).u32(0).u64(mid).u32(0).u32(tid).u64(sid).zeros(16);
  h.bytes(body);
  return h.b;
}

/// Concatenates messages into one compound frame (8-byte aligned, NextCommand set).
inline Vec compound(const std::vector<Vec>& msgs, bool related = false) {
  Vec out;
  for (std::size_t i = 0; i < msgs.size(); ++i) {
    const std::size_t start = out.size();
    out.insert(out.end(), msgs[i].begin(), msgs[i].end());
    if (related && i > 0) out[start + 16] = static_cast<std::uint8_t>(out[start + 16] | codec::kFlagRelatedOperations);
    if (i + 1 < msgs.size()) {
      while ((out.size() - start) % 8) out.push_back(0);
      put_le(out, start + 20, out.size() - start, 4);
    }
  }
  return out;
}

inline Vec negotiate_body(const std::vector<std::uint16_t>& dialects, bool contexts) {
  W b;
  b.u16(36).u16(static_cast<std::uint16_t>(dialects.size())).u16(codec::kSigningEnabled).u16(0).u32(0x7f);
  for (std::uint8_t i = 1; i <= 16; ++i) b.u8(i);
  const std::size_t ctx_off_at = b.b.size();
  b.u32(0).u16(0).u16(0);
  for (auto d : dialects) b.u16(d);
  if (contexts) {
    while ((codec::kHeaderSize + b.b.size()) % 8) b.u8(0);
    put_le(b.b, ctx_off_at, codec::kHeaderSize + b.b.size(), 4);
    put_le(b.b, ctx_off_at + 4, 3, 2);
    // PREAUTH: SHA-512 with a 32-byte salt.
    b.u16(codec::kPreauthIntegrityCapabilities).u16(38).u32(0).u16(1).u16(32).u16(codec::kHashSha512);
    for (std::uint8_t i = 0; i < 32; ++i) b.u8(static_cast<std::uint8_t>(0xA0 + i));
    while ((codec::kHeaderSize + b.b.size()) % 8) b.u8(0);
    // ENCRYPTION: AES-128-GCM, AES-128-CCM.
    b.u16(codec::kEncryptionCapabilities).u16(6).u32(0).u16(2).u16(2).u16(1);
    while ((codec::kHeaderSize + b.b.size()) % 8) b.u8(0);
    // SIGNING: AES-GMAC, AES-CMAC, HMAC-SHA256.
    b.u16(codec::kSigningCapabilities).u16(8).u32(0).u16(3).u16(2).u16(1).u16(0);
  }
  return b.b;
}

inline Vec session_setup_body(std::span<const std::uint8_t> token) {
  W b;
  b.u16(25).u8(0).u8(codec::kSigningEnabled).u32(0).u32(0);
  b.u16(0x58).u16(static_cast<std::uint16_t>(token.size())).u64(0).bytes(token);
  return b.b;
}

inline Vec tree_connect_body(std::string_view unc) {
  const Vec path = to_utf16le(unc);
  W b;
  b.u16(9).u16(0).u16(0x48).u16(static_cast<std::uint16_t>(path.size())).bytes(path);
  return b.b;
}

/// The shared NTLMv2 client as the fuzz seeds were made with it: no SEAL / 56-bit, its own fixed
/// timestamp, client challenge and exported key (0x30..0x3f), workstation FUZZ.
inline test::BasicNtlmClient ntlm_client() {
  test::BasicNtlmClient c;
  c.flags &= ~(auth::ntlm::flag::kSeal | auth::ntlm::flag::k56);
  c.timestamp_byte = 0x22;
  c.client_challenge_byte = 0x5c;
  c.exported_base = 0x30;
  c.workstation = "FUZZ";
  return c;
}

/// The dialect a fuzz_engine mode byte selects for the authenticated setup.
inline std::uint16_t setup_dialect(std::uint8_t mode) {
  static constexpr std::uint16_t kDialects[4] = {0x0311, 0x0302, 0x0210, 0x0202};
  return kDialects[(mode >> 2) & 3];
}

/// A connection driven through NEGOTIATE, SESSION_SETUP (raw NTLMSSP, not signing) and
/// TREE_CONNECT \\srv\share. Frames are recorded in `sent` (the generator uses them).
struct LiveConnection {
  std::shared_ptr<std::uint32_t> rng = std::make_shared<std::uint32_t>(0);
  std::shared_ptr<engine::ServerState> state = make_state(rng);
  engine::Connection conn{state, "fuzz-peer"};
  bool woken = false;  // the NT core posted events for pump()
  LiveConnection() {
    conn.set_wake([this] { woken = true; });
  }
  LiveConnection(const LiveConnection&) = delete;
  LiveConnection& operator=(const LiveConnection&) = delete;
  std::uint64_t next_mid = 0;
  std::uint64_t session_id = 0;
  std::uint32_t tree_id = 0;

  /// Runs the Work of `out` at once (and what completing it hands out), as the transport would;
  /// returns every frame, file tails inlined. `disposition` gets the last one that is not keep.
  std::vector<Vec> drive(engine::Output out, engine::Disposition* disposition = nullptr) {
    std::vector<Vec> frames;
    std::vector<engine::Work> work;
    auto take = [&](engine::Output& o) {
      engine::inline_file_tail(o);
      for (auto& f : o.frames) frames.push_back(std::move(f));
      for (auto w : o.work) work.push_back(w);
      if (disposition && o.disposition != engine::Disposition::keep) *disposition = o.disposition;
    };
    take(out);
    for (std::size_t i = 0; i < work.size(); ++i) {
      work[i].run();
      auto more = conn.on_complete(work[i]);
      take(more);
    }
    return frames;
  }
  /// The frames of what the NT core posted (breaks; CREATEs resumed after their breaks).
  std::vector<Vec> pump() {
    if (!woken) return {};
    woken = false;
    return drive(conn.on_wake());
  }

  /// One message in, the first response frame out (empty when none).
  Vec exchange(const Vec& msg) {
    auto frames = drive(conn.on_message(msg));
    if (frames.empty()) return {};
    return frames[0];
  }

  bool setup(std::uint16_t dialect) {
    Vec r = exchange(message(codec::Command::negotiate, negotiate_body({dialect}, dialect == 0x0311), next_mid++));
    if (r.size() < 64 + 8 || rd32(r, 8) != 0) return false;
    auto cl = ntlm_client();
    r = exchange(message(codec::Command::session_setup, session_setup_body(cl.make_negotiate()), next_mid++));
    if (r.size() < 64 + 8 || rd32(r, 8) != static_cast<std::uint32_t>(NtStatus::more_processing_required)) return false;
    session_id = rd64(r, 40);
    const std::size_t off = rd16(r, 64 + 4), len = rd16(r, 64 + 6);
    if (off > r.size() || len > r.size() - off) return false;
    const Vec auth = cl.make_authenticate(std::span<const std::uint8_t>(r).subspan(off, len));
    if (auth.empty()) return false;
    r = exchange(message(codec::Command::session_setup, session_setup_body(auth), next_mid++, session_id));
    if (r.size() < 64 || rd32(r, 8) != 0) return false;
    r = exchange(message(codec::Command::tree_connect, tree_connect_body("\\\\srv\\share"), next_mid++, session_id));
    if (r.size() < 64 || rd32(r, 8) != 0) return false;
    tree_id = rd32(r, 36);
    return true;
  }

  /// Takes over the state `done` reached with setup() (this must be fresh): the same connection,
  /// session, tree, ids and random sequence, as if this had done the handshake itself.
  void copy_from(const LiveConnection& done) {
    *rng = *done.rng;
    engine::FuzzConnectionCopier::copy(done.conn, conn);
    next_mid = done.next_mid;
    session_id = done.session_id;
    tree_id = done.tree_id;
  }

  /// Rewrites SessionId, TreeId and MessageId of every message of the compound `frame` to the
  /// live ones (walking NextCommand as far as it stays in bounds).
  void patch(Vec& frame) {
    std::size_t pos = 0;
    while (frame.size() - pos >= codec::kHeaderSize) {
      put_le(frame, pos + 40, session_id, 8);
      if ((frame[pos + 16] & codec::kFlagAsyncCommand) == 0) put_le(frame, pos + 36, tree_id, 4);
      const std::uint16_t charge = rd16(frame, pos + 6);
      put_le(frame, pos + 24, next_mid, 8);
      next_mid += charge == 0 ? 1 : charge;
      const std::uint32_t next = rd32(frame, pos + 20);
      if (next == 0 || next > frame.size() - pos) break;
      pos += next;
    }
  }
};

}  // namespace smbsrv::fuzz
