// Test support: a small in-process SMB2 client that talks to engine::Connection directly (no
// sockets). It builds request headers (MessageId, CreditCharge, SessionId, TreeId, flags),
// signs requests once a session key exists, verifies response signatures, tracks the 3.1.1
// preauth integrity hash, and authenticates with NTLMv2 (raw NTLMSSP or inside SPNEGO; the client
// is support/ntlm_client.hpp).
//
// The key schedule is written from MS-SMB2 3.2.5.3.1 (client side): 2.x signs with the session
// key itself; 3.0/3.0.2 derive SMB2AESCMAC/SmbSign; 3.1.1 derives SMBSigningKey with the
// session's preauth hash (NEGOTIATE request+response, then every SESSION_SETUP request and every
// non-final SESSION_SETUP response) as context.
//
// Encryption (MS-SMB2 3.1.4.3, client side 3.2.5.3.1): after SESSION_SETUP the client derives
// its EncryptionKey (3.0: SMB2AESCCM/"ServerIn ", 3.1.1: SMBC2SCipherKey) and DecryptionKey
// (SMB2AESCCM/"ServerOut", SMBS2CCipherKey), 32 bytes with L=256 for the AES-256 ciphers. With
// `encrypt` set, send() wraps each frame in a transform header (its own nonce counter, AAD =
// header bytes 20..51) instead of signing; raw() opens any 0xFD response with DecryptionKey.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <array>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "auth/ntlmssp.hpp"
#include "auth/spnego.hpp"
#include "codec/access_mask.hpp"
#include "codec/messages.hpp"
#include "crypto/crypto.hpp"
#include "engine/connection.hpp"
#include "engine/server_state.hpp"
#include "smbsrv/credentials.hpp"
#include "smbsrv/memory_vfs.hpp"
#include "support/ntlm_client.hpp"
#include "util/utf16.hpp"

namespace smbsrv {
// gtest prints NtStatus by name.
inline void PrintTo(NtStatus s, std::ostream* os) { *os << to_string(s); }
namespace engine {
inline void PrintTo(Disposition d, std::ostream* os) {
  *os << (d == Disposition::keep ? "keep" : d == Disposition::close_now ? "close_now" : "close_after_flush");
}
}  // namespace engine
}  // namespace smbsrv

namespace smbsrv::test {

using Vec = std::vector<std::uint8_t>;
using codec::Command;

// ---- little-endian body writer whose offsets count from the SMB2 header start ----------------
struct Body {
  Vec b;
  Body& u8(std::uint8_t v) { b.push_back(v); return *this; }
  Body& u16(std::uint16_t v) { return le(v, 2); }
  Body& u32(std::uint32_t v) { return le(v, 4); }
  Body& u64(std::uint64_t v) { return le(v, 8); }
  Body& zeros(std::size_t n) { b.insert(b.end(), n, 0); return *this; }
  Body& bytes(std::span<const std::uint8_t> v) { b.insert(b.end(), v.begin(), v.end()); return *this; }
  Body& fid(const codec::FileId& f) { return u64(f.persistent).u64(f.volatile_); }
  /// Offset from the header start of the next byte.
  std::uint16_t off() const { return static_cast<std::uint16_t>(codec::kHeaderSize + b.size()); }
  Body& align8() { while ((codec::kHeaderSize + b.size()) % 8) b.push_back(0); return *this; }
  void put16(std::size_t body_off, std::uint16_t v) {
    b.at(body_off) = static_cast<std::uint8_t>(v);
    b.at(body_off + 1) = static_cast<std::uint8_t>(v >> 8);
  }
  void put32(std::size_t body_off, std::uint32_t v) {
    for (std::size_t i = 0; i < 4; ++i) b.at(body_off + i) = static_cast<std::uint8_t>(v >> (8 * i));
  }

 private:
  Body& le(std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    return *this;
  }
};

inline std::uint16_t le16(std::span<const std::uint8_t> b, std::size_t at) {
  return static_cast<std::uint16_t>(b[at] | (b[at + 1] << 8));
}
inline std::uint32_t le32(std::span<const std::uint8_t> b, std::size_t at) {
  return static_cast<std::uint32_t>(le16(b, at)) | (static_cast<std::uint32_t>(le16(b, at + 2)) << 16);
}
inline std::uint64_t le64(std::span<const std::uint8_t> b, std::size_t at) {
  return static_cast<std::uint64_t>(le32(b, at)) | (static_cast<std::uint64_t>(le32(b, at + 4)) << 32);
}

/// The shared NTLMv2 client, failing the test when the server's CHALLENGE does not parse.
struct NtlmClient : BasicNtlmClient {
  Vec make_authenticate(std::span<const std::uint8_t> challenge_msg) {
    Vec a = BasicNtlmClient::make_authenticate(challenge_msg);
    EXPECT_TRUE(challenge_parsed) << "CHALLENGE (or its target info) does not parse";
    return a;
  }
};

// ---- one response message ----------------------------------------------------------------------
struct Rsp {
  Vec msg;  // header + body (+ padding when not last in a compound)
  codec::Header hdr;
  bool sig_valid = false;
  bool encrypted = false;  // arrived inside a transform header
  NtStatus status() const { return static_cast<NtStatus>(hdr.status); }
  bool is_signed() const { return (hdr.flags & codec::kFlagSigned) != 0; }
  std::span<const std::uint8_t> body() const { return std::span<const std::uint8_t>(msg).subspan(codec::kHeaderSize); }
  std::uint16_t u16(std::size_t body_off) const { return le16(body(), body_off); }
  std::uint32_t u32(std::size_t body_off) const { return le32(body(), body_off); }
  std::uint64_t u64(std::size_t body_off) const { return le64(body(), body_off); }
  /// A buffer described by an offset (from the header) and a length.
  Vec buffer(std::size_t off, std::size_t len) const {
    if (off + len > msg.size()) return {};
    return Vec(msg.begin() + static_cast<std::ptrdiff_t>(off), msg.begin() + static_cast<std::ptrdiff_t>(off + len));
  }
};

struct Reply {
  engine::Disposition disposition = engine::Disposition::keep;
  std::vector<Rsp> msgs;
  Vec frame;  // the raw response frame (first one; for an encrypted answer, the plaintext)
  Vec transformed;  // the encrypted frame as received (empty when the answer was not encrypted)
  bool encrypted() const { return !transformed.empty(); }
  bool closed() const { return disposition != engine::Disposition::keep; }
  const Rsp& at(std::size_t i) const { return msgs.at(i); }
  NtStatus status() const { return msgs.empty() ? NtStatus::internal_error : msgs[0].status(); }
};

/// One request to be framed: a header template plus a body.
struct Req {
  Command cmd = Command::echo;
  Vec body;
  std::uint16_t charge = 1;
  std::uint16_t credit_request = 32;
  std::uint32_t flags = 0;                  // extra flags (RELATED, ...)
  std::uint16_t channel_sequence = 0;       // 3.x: ChannelSequence (the header's Status field)
  std::optional<std::uint64_t> message_id;  // default: next in sequence
  std::optional<std::uint64_t> session_id;  // default: the client's
  std::optional<std::uint32_t> tree_id;     // default: the client's
  std::optional<bool> sign;                 // default: when a signing key exists
};

inline constexpr std::uint32_t kShareAll = 7;

// ---- the client -----------------------------------------------------------------------------------
class EngineClient {
 public:
  explicit EngineClient(std::shared_ptr<engine::ServerState> state)
      : state_(std::move(state)), conn_(std::make_shared<engine::Connection>(state_, "test-peer")) {
    // The NT core's events for this connection (breaks, waits that are over) are handled at the
    // next exchange or take_pushed(), on the test's thread: the connection's executor here.
    conn_->set_wake([w = woken_] { w->store(true); });
  }
  /// Sends each request frame through `exchange` instead of an in-process Connection (e.g. over
  /// a socket: tests/load). connection() must not be used then.
  using Exchange = std::function<engine::Output(std::span<const std::uint8_t>)>;
  explicit EngineClient(Exchange exchange) : exchange_(std::move(exchange)) {}

  engine::Connection& connection() { return *conn_; }
  std::shared_ptr<engine::Connection> connection_ptr() { return conn_; }
  const std::shared_ptr<engine::ServerState>& state() const { return state_; }

  /// Runs every Work of `out` (and of what completing it hands out) at once, on this thread, as
  /// the transport would on its workers; returns every frame, each with its file tail inlined.
  std::vector<Vec> drive(engine::Output out) {
    std::vector<Vec> frames;
    std::vector<engine::Work> work;
    auto take = [&](engine::Output& o) {
      engine::inline_file_tail(o);  // a zero-copy READ (LocalVfs): the bytes sendfile would send
      for (auto& f : o.frames) frames.push_back(std::move(f));
      for (auto w : o.work) work.push_back(w);
      if (o.disposition != engine::Disposition::keep) {
        closed = true;
        last_disposition_ = o.disposition;
      }
    };
    take(out);
    while (!work.empty()) {
      const engine::Work w = work.front();
      work.erase(work.begin());
      w.run();
      auto more = conn_->on_complete(w);
      take(more);
    }
    return frames;
  }
  /// Like drive(), but returns everything as one Output with the file tail of a zero-copy READ
  /// left in place (it ends the last frame).
  engine::Output drive_raw(engine::Output out) {
    engine::Output all;
    std::vector<engine::Work> work;
    auto take = [&](engine::Output& o) {
      for (auto& f : o.frames) all.frames.push_back(std::move(f));
      if (o.tail) all.tail = std::move(o.tail);
      for (auto w : o.work) work.push_back(w);
      if (o.disposition != engine::Disposition::keep) all.disposition = o.disposition;
    };
    take(out);
    while (!work.empty()) {
      const engine::Work w = work.front();
      work.erase(work.begin());
      w.run();
      auto more = conn_->on_complete(w);
      take(more);
    }
    return all;
  }
  /// The cheap form of drive_raw() for the READ/WRITE path (allocation test, benchmarks): while
  /// the output is one job and no frame, runs it and takes what completing it returns.
  engine::Output run_inline(engine::Output out) {
    while (out.work.size() == 1 && out.frames.empty()) {
      const engine::Work w = out.work.front();
      w.run();
      out = conn_->on_complete(w);
    }
    EXPECT_TRUE(out.work.empty()) << "run_inline() handles one job at a time";
    return out;
  }
  /// `frame` in a buffer from the server's pool, as the transport passes frames (the engine gives
  /// it back when done): no allocation once the pool holds buffers this large.
  std::vector<std::uint8_t> pooled(std::span<const std::uint8_t> frame) {
    auto b = state_->buffers.take(frame.size());
    std::copy(frame.begin(), frame.end(), b.begin());
    return b;
  }
  /// Handles what the NT core posted for this connection: frames go to the pushed list.
  void pump() {
    if (!conn_ || !woken_->exchange(false)) return;
    for (auto& f : drive(conn_->on_wake())) pushed_frames_.push_back(std::move(f));
  }
  /// The connection closes, as when its socket goes away.
  void shutdown() {
    if (conn_) (void)drive(conn_->shutdown());
  }
  /// Overdue break acknowledgments complete (the server does this once a second).
  void tick() { state_->nt.tick(); }

  /// The messages the server pushed since the last call — break notifications and final
  /// responses of async requests (decrypted; each frame may hold one).
  std::vector<Rsp> take_pushed() {
    pump();
    std::vector<Vec> frames;
    frames.swap(pushed_frames_);
    std::vector<Rsp> out;
    for (auto& f : frames) {
      Vec plain = f;
      bool enc = false;
      if (f.size() >= 4 && f[0] == 0xFD) {
        auto p = unseal(f);
        if (!p) {
          ADD_FAILURE() << "pushed frame does not decrypt";
          continue;
        }
        plain = std::move(*p);
        enc = true;
      }
      const std::size_t first = out.size();
      parse_frame(plain, out);
      for (std::size_t i = first; i < out.size(); ++i) {
        out[i].encrypted = enc;
        if (!enc && out[i].is_signed() && !signing_key.empty())
          out[i].sig_valid = crypto::smb2_verify(alg, signing_key, out[i].msg);
      }
    }
    return out;
  }

  // Connection / session parameters (public for tests that play tricks).
  std::uint16_t dialect = 0;
  std::uint64_t next_mid = 0;
  std::uint64_t session_id = 0;
  std::uint32_t tree_id = 0;
  Vec signing_key;
  crypto::SigningAlgorithm alg = crypto::SigningAlgorithm::hmac_sha256;
  std::optional<crypto::SigningAlgorithm> negotiated_sign_alg;
  std::array<std::uint8_t, 16> client_guid{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  std::uint16_t security_mode = codec::kSigningEnabled;
  std::uint32_t capabilities = 0;
  std::vector<std::uint16_t> offered_dialects;
  crypto::Digest64 preauth{};
  crypto::Digest64 session_preauth{};
  std::uint32_t credits_granted = 0;  // sum of CreditResponse
  std::uint16_t max_credit_seen = 0;
  std::uint32_t max_read = 0, max_write = 0;
  /// When true, every response carrying our established SessionId must be signed and verify.
  bool strict_signing = true;
  bool closed = false;

  // ---- framing ----
  /// Builds one message (header + body); assigns a MessageId when none was given.
  Vec build(const Req& r) {
    Body h;
    h.u8(0xFE).u8('S').u8('M').u8('B').u16(64).u16(r.charge).u32(r.channel_sequence);
    h.u16(static_cast<std::uint16_t>(r.cmd)).u16(r.credit_request);
    h.u32(r.flags).u32(0);
    std::uint64_t mid;
    if (r.message_id) {
      mid = *r.message_id;
    } else {
      mid = next_mid;
      next_mid += r.charge == 0 ? 1 : r.charge;
    }
    h.u64(mid).u32(0).u32(r.tree_id.value_or(tree_id)).u64(r.session_id.value_or(session_id)).zeros(16);
    Vec m = std::move(h.b);
    m.insert(m.end(), r.body.begin(), r.body.end());
    return m;
  }

  bool should_sign(const Req& r) const {
    if (r.sign) return *r.sign;
    return !signing_key.empty() && r.cmd != Command::negotiate && !encrypt;
  }

  void sign_msg(std::span<std::uint8_t> msg) {
    msg[16] = static_cast<std::uint8_t>(msg[16] | codec::kFlagSigned);
    crypto::smb2_sign(alg, signing_key, msg);
  }

  /// Frames several requests as one compound (8-byte aligned, NextCommand set, each signed).
  Vec frame(const std::vector<Req>& reqs) {
    Vec out;
    std::vector<std::pair<std::size_t, bool>> starts;
    for (std::size_t i = 0; i < reqs.size(); ++i) {
      const std::size_t start = out.size();
      Vec m = build(reqs[i]);
      out.insert(out.end(), m.begin(), m.end());
      if (i + 1 < reqs.size()) {
        while ((out.size() - start) % 8) out.push_back(0);
        const auto next = static_cast<std::uint32_t>(out.size() - start);
        for (std::size_t k = 0; k < 4; ++k) out[start + 20 + k] = static_cast<std::uint8_t>(next >> (8 * k));
      }
      starts.emplace_back(start, should_sign(reqs[i]));
    }
    for (std::size_t i = 0; i < starts.size(); ++i) {
      if (!starts[i].second) continue;
      const std::size_t end = i + 1 < starts.size() ? starts[i + 1].first : out.size();
      sign_msg(std::span<std::uint8_t>(out.data() + starts[i].first, end - starts[i].first));
    }
    return out;
  }

  /// Feeds a raw frame and parses what comes back. Frames that are not the answer to this one —
  /// break notifications (MessageId all ones) and final responses of async requests — go to the
  /// pushed list, as they would be sent on their own.
  Reply raw(std::span<const std::uint8_t> frame_bytes) {
    const Vec copy(frame_bytes.begin(), frame_bytes.end());  // exact-size buffer for sanitizers
    std::vector<Vec> frames;
    last_disposition_ = engine::Disposition::keep;
    if (exchange_) {
      auto out = exchange_(copy);
      engine::inline_file_tail(out);
      for (auto& f : out.frames) frames.push_back(std::move(f));
      if (out.disposition != engine::Disposition::keep) {
        closed = true;
        last_disposition_ = out.disposition;
      }
    } else {
      pump();
      frames = drive(conn_->on_message(copy));
      pump();
    }
    Reply rep;
    rep.disposition = last_disposition_;
    bool answered = false;
    for (auto& f : frames) {
      Vec plain = f;
      if (f.size() >= 4 && f[0] == 0xFD) {
        auto p = unseal(f);
        if (!p) {
          ADD_FAILURE() << "encrypted response does not decrypt with the client's DecryptionKey";
          continue;
        }
        plain = std::move(*p);
      }
      if (!is_answer(plain)) {
        pushed_frames_.push_back(std::move(f));
        continue;
      }
      EXPECT_FALSE(answered) << "more than one answer to one frame";
      answered = true;
      if (f.size() >= 4 && f[0] == 0xFD) rep.transformed = std::move(f);
      rep.frame = std::move(plain);
    }
    if (!answered) return rep;
    parse_frame(rep.frame, rep.msgs);
    for (auto& m : rep.msgs) m.encrypted = rep.encrypted();
    for (auto& m : rep.msgs) account(m);
    return rep;
  }

  /// Whether a (plaintext) frame answers a request of ours now, rather than being a break
  /// notification or the final response of a request that went async earlier.
  static bool is_answer(std::span<const std::uint8_t> f) {
    if (f.size() < codec::kHeaderSize) return true;
    if (le64(f, 24) == ~0ULL) return false;  // MessageId all ones: a break notification
    const bool async = (le32(f, 16) & codec::kFlagAsyncCommand) != 0;
    return !async || static_cast<NtStatus>(le32(f, 8)) == NtStatus::pending;
  }

  Reply send(const std::vector<Req>& reqs) {
    Vec f = frame(reqs);
    return raw(encrypt ? seal(f) : f);
  }

  // ---- encryption ----
  std::optional<crypto::Cipher> cipher;  // negotiated (3.0/3.0.2: AES-128-CCM when both can)
  Vec encryption_key, decryption_key;              // the client's (EncryptionKey = server's DecryptionKey)
  bool encrypt = false;                            // seal every request sent through send()
  std::uint64_t client_nonce = 0x1000;
  std::optional<std::uint64_t> seal_session_id;    // transform header SessionId override

  /// Transform header + ciphertext of `plain` under the client's EncryptionKey.
  Vec seal(std::span<const std::uint8_t> plain) {
    Body h;
    h.u8(0xFD).u8('S').u8('M').u8('B').zeros(16);
    std::array<std::uint8_t, 16> nonce{};
    const std::uint64_t n = client_nonce++;
    for (std::size_t i = 0; i < 8; ++i) nonce[i] = static_cast<std::uint8_t>(n >> (8 * i));
    nonce[8] = 0x5A;  // a client "salt" inside the nonce length (CCM 11, GCM 12 bytes)
    h.bytes(nonce).u32(static_cast<std::uint32_t>(plain.size())).u16(0).u16(1);
    h.u64(seal_session_id.value_or(session_id));
    Vec out = std::move(h.b);
    out.insert(out.end(), plain.begin(), plain.end());
    std::array<std::uint8_t, 16> tag{};
    EXPECT_TRUE(cipher.has_value());
    if (!cipher) return out;
    EXPECT_TRUE(crypto::aead_encrypt(*cipher, encryption_key,
                                     std::span<const std::uint8_t>(nonce).first(crypto::nonce_length(*cipher)),
                                     std::span<const std::uint8_t>(out).subspan(20, 32),
                                     std::span<std::uint8_t>(out).subspan(52), tag));
    std::copy(tag.begin(), tag.end(), out.begin() + 4);
    return out;
  }

  /// Plaintext of a transformed response, or nullopt when it does not verify.
  std::optional<Vec> unseal(const Vec& t) const {
    if (t.size() < 52 || !cipher || decryption_key.empty()) return std::nullopt;
    if (le32(t, 36) != t.size() - 52 || le16(t, 42) != 1) return std::nullopt;
    Vec plain(t.begin() + 52, t.end());
    std::array<std::uint8_t, 16> tag{};
    std::copy(t.begin() + 4, t.begin() + 20, tag.begin());
    if (!crypto::aead_decrypt(*cipher, decryption_key, std::span<const std::uint8_t>(t).subspan(20, crypto::nonce_length(*cipher)),
                              std::span<const std::uint8_t>(t).subspan(20, 32), plain, tag))
      return std::nullopt;
    return plain;
  }

  void derive_encryption_keys(const Vec& key) {
    encryption_key.clear();
    decryption_key.clear();
    if (dialect < 0x0300 || !cipher) return;
    auto label = [](std::string_view l) { return Vec(l.begin(), l.end() + 1); };
    if (dialect == 0x0311) {
      const std::size_t len = crypto::key_length(*cipher);
      encryption_key = crypto::kdf_sp800_108(key, label("SMBC2SCipherKey"), session_preauth, len);
      decryption_key = crypto::kdf_sp800_108(key, label("SMBS2CCipherKey"), session_preauth, len);
    } else {
      encryption_key = crypto::kdf_sp800_108(key, label("SMB2AESCCM"), label("ServerIn "), 16);
      decryption_key = crypto::kdf_sp800_108(key, label("SMB2AESCCM"), label("ServerOut"), 16);
    }
  }
  Reply send(const Req& r) { return send(std::vector<Req>{r}); }
  Rsp one(const Req& r) {
    auto rep = send(r);
    if (rep.msgs.size() != 1) {
      ADD_FAILURE() << "expected one response to " << codec::command_name(r.cmd) << ", got " << rep.msgs.size()
                    << (rep.closed() ? " (connection closed)" : "");
      Rsp empty;
      empty.hdr.status = static_cast<std::uint32_t>(NtStatus::internal_error);
      return empty;
    }
    return rep.msgs[0];
  }

  static void parse_frame(const Vec& f, std::vector<Rsp>& out) {
    std::size_t pos = 0;
    while (pos < f.size()) {
      if (f.size() - pos < codec::kHeaderSize) {
        ADD_FAILURE() << "truncated response";
        return;
      }
      const std::uint32_t next = le32(f, pos + 20);
      const std::size_t end = next ? pos + next : f.size();
      if (end > f.size() || (next && next < codec::kHeaderSize)) {
        ADD_FAILURE() << "bad response NextCommand";
        return;
      }
      Rsp r;
      r.msg.assign(f.begin() + static_cast<std::ptrdiff_t>(pos), f.begin() + static_cast<std::ptrdiff_t>(end));
      auto h = codec::decode_header(r.msg);
      if (!h && le16(r.msg, 12) >= codec::kCommandCount) {
        // An answer to an unknown command echoes it; decode the rest of the header.
        Vec patched = r.msg;
        patched[12] = patched[13] = 0;
        h = codec::decode_header(patched);
        if (h) h->command = static_cast<Command>(le16(r.msg, 12));
      }
      if (!h) {
        ADD_FAILURE() << "undecodable response header";
        return;
      }
      r.hdr = *h;
      out.push_back(std::move(r));
      if (!next) break;
      pos = end;
    }
  }

  void account(Rsp& r) {
    credits_granted += r.hdr.credit;
    if (r.hdr.credit > max_credit_seen) max_credit_seen = r.hdr.credit;
    if (r.encrypted) return;  // authenticated by the AEAD tag; encrypted answers are not signed
    if (r.is_signed() && !signing_key.empty()) r.sig_valid = crypto::smb2_verify(alg, signing_key, r.msg);
    if (strict_signing && !signing_key.empty() && session_id != 0 && r.hdr.session_id == session_id &&
        r.status() != NtStatus::pending) {
      EXPECT_TRUE(r.is_signed()) << codec::command_name(r.hdr.command) << " response not signed ("
                                 << to_string(r.status()) << ")";
      EXPECT_TRUE(r.sig_valid) << codec::command_name(r.hdr.command) << " response signature does not verify";
    }
  }

  // ---- NEGOTIATE ----
  struct Ctx {
    std::uint16_t type;
    Vec data;
  };
  static Ctx preauth_ctx(std::vector<std::uint16_t> hashes = {codec::kHashSha512}) {
    Body d;
    d.u16(static_cast<std::uint16_t>(hashes.size())).u16(32);
    for (auto x : hashes) d.u16(x);
    for (std::uint8_t i = 0; i < 32; ++i) d.u8(static_cast<std::uint8_t>(0xA0 + i));
    return {codec::kPreauthIntegrityCapabilities, d.b};
  }
  static Ctx signing_ctx(std::vector<std::uint16_t> algs) {
    Body d;
    d.u16(static_cast<std::uint16_t>(algs.size()));
    for (auto x : algs) d.u16(x);
    return {codec::kSigningCapabilities, d.b};
  }
  static Ctx encryption_ctx(std::vector<std::uint16_t> ciphers) {
    Body d;
    d.u16(static_cast<std::uint16_t>(ciphers.size()));
    for (auto x : ciphers) d.u16(x);
    return {codec::kEncryptionCapabilities, d.b};
  }

  Vec negotiate_body(const std::vector<std::uint16_t>& dialects, const std::vector<Ctx>& contexts) {
    Body b;
    b.u16(36).u16(static_cast<std::uint16_t>(dialects.size())).u16(security_mode).u16(0).u32(capabilities);
    b.bytes(client_guid);
    const std::size_t ctx_off_at = b.b.size();
    b.u32(0).u16(static_cast<std::uint16_t>(contexts.size())).u16(0);
    for (auto d : dialects) b.u16(d);
    if (!contexts.empty()) {
      b.align8();
      b.put32(ctx_off_at, b.off());
      for (std::size_t i = 0; i < contexts.size(); ++i) {
        b.u16(contexts[i].type).u16(static_cast<std::uint16_t>(contexts[i].data.size())).u32(0);
        b.bytes(contexts[i].data);
        if (i + 1 < contexts.size()) b.align8();
      }
    }
    return b.b;
  }

  /// Default contexts for 3.1.1: SHA-512 preauth + signing (GMAC, CMAC, HMAC) unless given.
  Rsp negotiate(std::vector<std::uint16_t> dialects, std::optional<std::vector<Ctx>> contexts = std::nullopt) {
    const bool has311 = std::find(dialects.begin(), dialects.end(), 0x0311) != dialects.end();
    std::vector<Ctx> ctx = contexts ? *contexts
                                    : (has311 ? std::vector<Ctx>{preauth_ctx(), signing_ctx({2, 1, 0})}
                                              : std::vector<Ctx>{});
    offered_dialects = dialects;
    Req r{Command::negotiate, negotiate_body(dialects, ctx)};
    Vec m = frame({r});
    auto rep = raw(m);
    if (rep.msgs.size() != 1) {
      Rsp empty;
      empty.hdr.status = static_cast<std::uint32_t>(NtStatus::internal_error);
      return empty;
    }
    const Rsp& rsp = rep.msgs[0];
    if (rsp.status() == NtStatus::success) {
      dialect = rsp.u16(4);
      max_read = rsp.u32(32);
      max_write = rsp.u32(36);
      cipher.reset();
      if ((dialect == 0x0300 || dialect == 0x0302) && (rsp.u32(24) & codec::kCapEncryption))
        cipher = crypto::Cipher::aes128_ccm;
      if (dialect == 0x0311) {
        preauth = crypto::sha512({preauth, m});
        preauth = crypto::sha512({preauth, rsp.msg});
        parse_negotiate_contexts(rsp);
      }
      alg = dialect < 0x0300 ? crypto::SigningAlgorithm::hmac_sha256
                             : (dialect == 0x0311 && negotiated_sign_alg ? *negotiated_sign_alg
                                                                          : crypto::SigningAlgorithm::aes_cmac);
    }
    return rsp;
  }

  void parse_negotiate_contexts(const Rsp& rsp) {
    const std::uint32_t off = rsp.u32(60);
    const std::uint16_t count = rsp.u16(6);
    std::size_t pos = off;
    for (std::uint16_t i = 0; i < count && pos + 8 <= rsp.msg.size(); ++i) {
      const std::uint16_t type = le16(rsp.msg, pos);
      const std::uint16_t len = le16(rsp.msg, pos + 2);
      if (type == codec::kEncryptionCapabilities && len >= 4) {
        const std::uint16_t id = le16(rsp.msg, pos + 8 + 2);
        if (id == 0) cipher.reset();
        else cipher = static_cast<crypto::Cipher>(id);
      }
      if (type == codec::kSigningCapabilities && len >= 4)
        negotiated_sign_alg = static_cast<crypto::SigningAlgorithm>(le16(rsp.msg, pos + 8 + 2));
      pos += (8 + len + 7) & ~std::size_t{7};
    }
  }

  // ---- SESSION_SETUP ----
  Req session_setup_req(std::span<const std::uint8_t> token) {
    Body b;
    b.u16(25).u8(0).u8(static_cast<std::uint8_t>(security_mode)).u32(0).u32(0);
    b.u16(0x58).u16(static_cast<std::uint16_t>(token.size())).u64(previous_session_id).bytes(token);
    Req r{Command::session_setup, b.b};
    r.sign = false;
    return r;
  }

  /// One SESSION_SETUP round trip, keeping the 3.1.1 session preauth hash.
  Rsp session_setup_step(std::span<const std::uint8_t> token) {
    Req r = session_setup_req(token);
    Vec m = frame({r});
    if (dialect == 0x0311) session_preauth = crypto::sha512({session_preauth, m});
    auto rep = raw(m);
    if (rep.msgs.size() != 1) {
      Rsp empty;
      empty.hdr.status = static_cast<std::uint32_t>(NtStatus::internal_error);
      return empty;
    }
    Rsp rsp = rep.msgs[0];
    if (rsp.status() == NtStatus::more_processing_required && dialect == 0x0311)
      session_preauth = crypto::sha512({session_preauth, rsp.msg});
    return rsp;
  }

  static Vec security_buffer(const Rsp& r) { return r.buffer(r.u16(4), r.u16(6)); }

  Vec session_key_bytes;
  Rsp last_session_rsp;
  /// PreviousSessionId of the next session_setup() (3.3.5.5.3: a reconnect replaces that session).
  std::uint64_t previous_session_id = 0;

  /// NTLMv2 authentication; spnego wraps the tokens. Returns the final status.
  NtStatus session_setup(std::string user = "alice", std::string password = "Secret1", bool spnego = false) {
    NtlmClient cl;
    cl.user = std::move(user);
    cl.password = std::move(password);
    session_id = 0;
    signing_key.clear();
    session_preauth = preauth;
    Vec mech_types_der;
    Vec tok1;
    if (spnego) {
      const std::span<const std::uint8_t> mechs[] = {std::span<const std::uint8_t>(auth::spnego::kOidNtlmssp)};
      tok1 = auth::spnego::encode_init(mechs, std::span<const std::uint8_t>(cl.make_negotiate()), &mech_types_der);
    } else {
      tok1 = cl.make_negotiate();
    }
    Rsp r1 = session_setup_step(tok1);
    last_session_rsp = r1;
    if (r1.status() != NtStatus::more_processing_required) return r1.status();
    session_id = r1.hdr.session_id;
    Vec challenge = security_buffer(r1);
    Vec tok2;
    if (spnego) {
      auth::spnego::NegTokenResp resp;
      if (!auth::spnego::parse_resp(challenge, resp) || !resp.response_token) {
        ADD_FAILURE() << "bad SPNEGO response";
        return NtStatus::internal_error;
      }
      const Vec ch(resp.response_token->begin(), resp.response_token->end());
      const Vec a = cl.make_authenticate(ch);
      const auto mic = auth::ntlm::mac_ess(auth::ntlm::derive_keys(cl.exported, cl.flags, true), cl.flags, 0,
                                           mech_types_der);
      tok2 = auth::spnego::encode_resp(std::nullopt, std::nullopt, std::span<const std::uint8_t>(a),
                                       std::span<const std::uint8_t>(mic));
    } else {
      tok2 = cl.make_authenticate(challenge);
    }
    // The final response must verify with the key the client derives; derive it before parsing.
    session_key_bytes.assign(cl.exported.begin(), cl.exported.end());
    Req r = session_setup_req(tok2);
    Vec m = frame({r});
    if (dialect == 0x0311) session_preauth = crypto::sha512({session_preauth, m});
    auto rep = raw(m);
    if (rep.msgs.size() != 1) return NtStatus::internal_error;
    last_session_rsp = rep.msgs[0];
    if (last_session_rsp.status() != NtStatus::success) return last_session_rsp.status();
    signing_key = derive_signing_key(session_key_bytes);
    derive_encryption_keys(session_key_bytes);
    last_session_rsp.sig_valid =
        last_session_rsp.is_signed() && crypto::smb2_verify(alg, signing_key, last_session_rsp.msg);
    if (strict_signing) {
      EXPECT_TRUE(last_session_rsp.is_signed()) << "final SESSION_SETUP response not signed";
      EXPECT_TRUE(last_session_rsp.sig_valid) << "final SESSION_SETUP response does not verify with the client's key";
    }
    return last_session_rsp.status();
  }

  /// Binds this connection (negotiated, no session of its own) as a channel of `primary`'s
  /// session (MS-SMB2 3.2.4.1.7, 3.3.5.5): NTLMv2 with SMB2_SESSION_FLAG_BINDING, the requests
  /// signed with Session.SigningKey; on success this client signs with its Channel.SigningKey
  /// (derived from the binding's own session key; 3.1.1: with this connection's preauth hash).
  NtStatus bind_to(const EngineClient& primary, std::string user = "alice", std::string password = "Secret1") {
    NtlmClient cl;
    cl.user = std::move(user);
    cl.password = std::move(password);
    session_id = primary.session_id;
    signing_key = primary.signing_key;
    encryption_key = primary.encryption_key;
    decryption_key = primary.decryption_key;
    session_preauth = preauth;
    const bool strict = std::exchange(strict_signing, false);
    auto leg = [&](const Vec& token) {
      Req r = session_setup_req(token);
      r.body[2] = codec::kSessionFlagBinding;
      r.sign = true;
      Vec m = frame({r});
      if (dialect == 0x0311) session_preauth = crypto::sha512({session_preauth, m});
      auto rep = raw(m);
      Rsp rsp = rep.msgs.size() == 1 ? rep.msgs[0] : Rsp{};
      if (rep.msgs.size() != 1) rsp.hdr.status = static_cast<std::uint32_t>(NtStatus::internal_error);
      return rsp;
    };
    Rsp r1 = leg(cl.make_negotiate());
    last_session_rsp = r1;
    if (r1.status() != NtStatus::more_processing_required) {
      strict_signing = strict;
      return r1.status();
    }
    EXPECT_TRUE(r1.is_signed() && crypto::smb2_verify(alg, primary.signing_key, r1.msg))
        << "a binding's intermediate response is signed with the session's key";
    if (dialect == 0x0311) session_preauth = crypto::sha512({session_preauth, r1.msg});
    Rsp r2 = leg(cl.make_authenticate(security_buffer(r1)));
    last_session_rsp = r2;
    strict_signing = strict;
    if (r2.status() != NtStatus::success) return r2.status();
    signing_key = derive_signing_key(Vec(cl.exported.begin(), cl.exported.end()));
    r2.sig_valid = r2.is_signed() && crypto::smb2_verify(alg, signing_key, r2.msg);
    EXPECT_TRUE(r2.sig_valid) << "the final binding response is signed with the channel's key";
    last_session_rsp = r2;
    return r2.status();
  }

  Vec derive_signing_key(const Vec& key) const {
    auto label = [](std::string_view l) { return Vec(l.begin(), l.end() + 1); };  // with the NUL
    if (dialect < 0x0300) return key;
    if (dialect == 0x0311)
      return crypto::kdf_sp800_108(key, label("SMBSigningKey"), session_preauth, 16);
    return crypto::kdf_sp800_108(key, label("SMB2AESCMAC"), label("SmbSign"), 16);
  }

  // ---- request bodies ----
  static Vec echo_body() { return Body{}.u16(4).u16(0).b; }
  static Vec empty4_body() { return Body{}.u16(4).u16(0).b; }

  static Vec tree_connect_body(std::string_view unc) {
    const Vec path = to_utf16le(unc);
    Body b;
    b.u16(9).u16(0).u16(0x48).u16(static_cast<std::uint16_t>(path.size())).bytes(path);
    return b.b;
  }

  static Vec create_body(std::string_view name, std::uint32_t access, std::uint32_t share,
                         std::uint32_t disposition, std::uint32_t options, std::uint32_t attributes = 0) {
    return create_body_raw(to_utf16le(name), access, share, disposition, options, attributes);
  }
  static Vec create_body_raw(const Vec& name16, std::uint32_t access, std::uint32_t share, std::uint32_t disposition,
                             std::uint32_t options, std::uint32_t attributes = 0) {
    Body b;
    b.u16(57).u8(0).u8(0).u32(2).u64(0).u64(0).u32(access).u32(attributes).u32(share).u32(disposition).u32(options);
    b.u16(0x78).u16(static_cast<std::uint16_t>(name16.size())).u32(0).u32(0);
    if (name16.empty()) b.u8(0);
    else b.bytes(name16);
    return b.b;
  }
  static Vec close_body(const codec::FileId& f, std::uint16_t flags = 0) {
    return Body{}.u16(24).u16(flags).u32(0).fid(f).b;
  }
  static Vec read_body(const codec::FileId& f, std::uint64_t offset, std::uint32_t length) {
    Body b;
    b.u16(49).u8(0x50).u8(0).u32(length).u64(offset).fid(f).u32(0).u32(0).u32(0).u16(0).u16(0).u8(0);
    return b.b;
  }
  static Vec write_body(const codec::FileId& f, std::uint64_t offset, std::span<const std::uint8_t> data) {
    Body b;
    b.u16(49).u16(0x70).u32(static_cast<std::uint32_t>(data.size())).u64(offset).fid(f);
    b.u32(0).u32(0).u16(0).u16(0).u32(0).bytes(data);
    return b.b;
  }
  /// CHANGE_NOTIFY (MS-SMB2 2.2.35): StructureSize 32, Flags (WATCH_TREE), OutputBufferLength,
  /// FileId, CompletionFilter.
  static Vec change_notify_body(const codec::FileId& f, std::uint32_t filter, bool tree = false,
                                std::uint32_t out_len = 4096) {
    return Body{}.u16(32).u16(tree ? codec::kWatchTree : 0).u32(out_len).fid(f).u32(filter).u32(0).b;
  }
  static Vec query_directory_body(const codec::FileId& f, std::string_view pattern, std::uint8_t cls = 0x25,
                                  std::uint8_t flags = 0, std::uint32_t out_len = 65536) {
    const Vec p = to_utf16le(pattern);
    Body b;
    b.u16(33).u8(cls).u8(flags).u32(0).fid(f).u16(0x60).u16(static_cast<std::uint16_t>(p.size())).u32(out_len);
    if (p.empty()) b.u8(0);
    else b.bytes(p);
    return b.b;
  }
  static Vec query_info_body(const codec::FileId& f, std::uint8_t type, std::uint8_t cls,
                             std::uint32_t out_len = 4096, std::uint32_t additional = 0) {
    Body b;
    b.u16(41).u8(type).u8(cls).u32(out_len).u16(0).u16(0).u32(0).u32(additional).u32(0).fid(f).u8(0);
    return b.b;
  }
  static Vec set_info_body(const codec::FileId& f, std::uint8_t type, std::uint8_t cls,
                           std::span<const std::uint8_t> buf) {
    Body b;
    b.u16(33).u8(type).u8(cls).u32(static_cast<std::uint32_t>(buf.size())).u16(0x60).u16(0).u32(0).fid(f).bytes(buf);
    return b.b;
  }
  static Vec ioctl_body(std::uint32_t ctl, const codec::FileId& f, std::span<const std::uint8_t> input,
                        std::uint32_t max_out = 65536) {
    Body b;
    b.u16(57).u16(0).u32(ctl).fid(f).u32(0x78).u32(static_cast<std::uint32_t>(input.size())).u32(0);
    b.u32(0x78).u32(0).u32(max_out).u32(codec::kIoctlIsFsctl).u32(0).bytes(input);
    return b.b;
  }

  // ---- convenience round trips ----
  Rsp echo() { return one({Command::echo, echo_body()}); }
  Rsp tree_connect(std::string_view share) {
    Rsp r = one({Command::tree_connect, tree_connect_body("\\\\srv\\" + std::string(share))});
    if (r.status() == NtStatus::success) tree_id = r.hdr.tree_id;
    return r;
  }
  Rsp tree_disconnect() { return one({Command::tree_disconnect, empty4_body()}); }
  Rsp logoff() { return one({Command::logoff, empty4_body()}); }

  struct Created {
    NtStatus status = NtStatus::internal_error;
    codec::FileId fid;
    std::uint32_t action = 0;
    Rsp rsp;
  };
  Created create(std::string_view name, std::uint32_t access = access::kFullAccess, std::uint32_t share = kShareAll,
                 std::uint32_t disposition = 3 /*open_if*/, std::uint32_t options = 0, std::uint32_t attributes = 0) {
    Created c;
    c.rsp = one({Command::create, create_body(name, access, share, disposition, options, attributes)});
    c.status = c.rsp.status();
    if (c.status == NtStatus::success) {
      c.action = c.rsp.u32(4);
      c.fid = {c.rsp.u64(64), c.rsp.u64(72)};
    }
    return c;
  }
  Rsp close(const codec::FileId& f, std::uint16_t flags = 0) { return one({Command::close, close_body(f, flags)}); }

  /// READ with CreditCharge computed from the length unless given.
  Rsp read(const codec::FileId& f, std::uint64_t offset, std::uint32_t length, std::optional<std::uint16_t> charge = {}) {
    Req r{Command::read, read_body(f, offset, length)};
    r.charge = charge.value_or(charge_for(length));
    return one(r);
  }
  static Vec read_data(const Rsp& r) { return r.buffer(r.body()[2], r.u32(4)); }
  Rsp write(const codec::FileId& f, std::uint64_t offset, std::span<const std::uint8_t> data) {
    Req r{Command::write, write_body(f, offset, data)};
    r.charge = charge_for(data.size());
    return one(r);
  }
  Rsp query_directory(const codec::FileId& f, std::string_view pattern, std::uint8_t cls = 0x25, std::uint8_t flags = 0) {
    return one({Command::query_directory, query_directory_body(f, pattern, cls, flags)});
  }
  Rsp query_info(const codec::FileId& f, std::uint8_t type, std::uint8_t cls, std::uint32_t out_len = 4096) {
    return one({Command::query_info, query_info_body(f, type, cls, out_len)});
  }
  Rsp set_info(const codec::FileId& f, std::uint8_t type, std::uint8_t cls, std::span<const std::uint8_t> buf) {
    return one({Command::set_info, set_info_body(f, type, cls, buf)});
  }
  Rsp ioctl(std::uint32_t ctl, const codec::FileId& f, std::span<const std::uint8_t> input, std::uint32_t max_out = 65536) {
    return one({Command::ioctl, ioctl_body(ctl, f, input, max_out)});
  }
  static std::vector<std::string> dir_names(const Rsp& r) {
    // FileIdBothDirectoryInformation (0x25): NextEntryOffset 0, FileNameLength 60, FileName 104.
    std::vector<std::string> names;
    const Vec buf = r.buffer(r.u16(2), r.u32(4));
    std::size_t pos = 0;
    while (pos + 104 <= buf.size()) {
      const std::uint32_t next = le32(buf, pos);
      const std::uint32_t len = le32(buf, pos + 60);
      if (pos + 104 + len > buf.size()) break;
      names.push_back(utf16le_to_utf8(std::span<const std::uint8_t>(buf).subspan(pos + 104, len)).value_or("?"));
      if (!next) break;
      pos += next;
    }
    return names;
  }

  std::uint16_t charge_for(std::size_t payload) const {
    if (dialect == 0x0202) return 1;
    return static_cast<std::uint16_t>(payload == 0 ? 1 : (payload - 1) / 65536 + 1);
  }

  /// negotiate → session setup → tree connect, asserting success along the way.
  void connect(std::vector<std::uint16_t> dialects, std::string_view share = "share",
               std::optional<std::vector<Ctx>> contexts = std::nullopt) {
    auto n = negotiate(std::move(dialects), std::move(contexts));
    ASSERT_EQ(n.status(), NtStatus::success);
    ASSERT_EQ(session_setup(), NtStatus::success);
    ASSERT_EQ(tree_connect(share).status(), NtStatus::success);
  }

 private:
  std::shared_ptr<engine::ServerState> state_;
  std::shared_ptr<std::atomic<bool>> woken_ = std::make_shared<std::atomic<bool>>(false);
  std::shared_ptr<engine::Connection> conn_;
  std::vector<Vec> pushed_frames_;
  engine::Disposition last_disposition_ = engine::Disposition::keep;
  Exchange exchange_;
};

/// The data of the create context `tag` in a CREATE response (2.2.14.2), if it has one.
/// A create context as a test sends it: a 4-character tag or a 16-byte GUID name, and its data.
struct CreateContextSpec {
  std::string tag;
  Vec data;
};

/// A CREATE body for `name` (full access, share all) with `disposition`, RequestedOplockLevel
/// `oplock` and `contexts`, each name and data 8-aligned as 2.2.13.2 lays them out.
inline Vec create_body_with_contexts(std::string_view name, std::uint32_t disposition, std::uint8_t oplock,
                                     const std::vector<CreateContextSpec>& contexts) {
  const Vec name16 = to_utf16le(name);
  Body b;
  b.u16(57).u8(0).u8(oplock).u32(2).u64(0).u64(0).u32(access::kFullAccess).u32(0).u32(kShareAll).u32(disposition).u32(0);
  b.u16(0x78).u16(static_cast<std::uint16_t>(name16.size()));
  const std::size_t ctx_at = b.b.size();
  b.u32(0).u32(0);
  if (name16.empty()) b.u8(0);
  else b.bytes(name16);
  std::size_t first = 0, prev = 0;
  for (std::size_t i = 0; i < contexts.size(); ++i) {
    b.align8();
    const std::size_t at = b.off();
    if (i == 0) first = at;
    else b.put32(prev - 64, static_cast<std::uint32_t>(at - prev));
    prev = at;
    const auto name_len = static_cast<std::uint16_t>(contexts[i].tag.size());
    const auto data_at = static_cast<std::uint16_t>(16 + (name_len + 7) / 8 * 8);
    b.u32(0).u16(16).u16(name_len).u16(0).u16(data_at).u32(static_cast<std::uint32_t>(contexts[i].data.size()));
    b.bytes(Vec(contexts[i].tag.begin(), contexts[i].tag.end()))
        .zeros(static_cast<std::size_t>(data_at - 16 - name_len))
        .bytes(contexts[i].data);
  }
  if (!contexts.empty()) {
    b.put32(ctx_at, static_cast<std::uint32_t>(first));
    b.put32(ctx_at + 4, static_cast<std::uint32_t>(b.off() - first));
  }
  return b.b;
}

/// The entries of a QUERY_INFO FileStreamInformation answer (MS-FSCC 2.4.44): (name, size), the
/// names ASCII only. Each NextEntryOffset is checked to be 8-aligned.
inline std::vector<std::pair<std::string, std::uint64_t>> stream_information(const Rsp& r) {
  std::vector<std::pair<std::string, std::uint64_t>> out;
  const Vec data = r.buffer(r.u16(2), r.u32(4));
  std::size_t pos = 0;
  while (pos + 24 <= data.size()) {
    const std::uint32_t next = le32(data, pos), len = le32(data, pos + 4);
    std::string name;
    for (std::size_t i = 0; i + 1 < len && pos + 24 + i + 1 < data.size() + 1; i += 2)
      name.push_back(static_cast<char>(data[pos + 24 + i]));
    out.emplace_back(name, le64(data, pos + 8));
    if (next == 0) break;
    EXPECT_EQ(next % 8, 0u);
    pos += next;
  }
  return out;
}

inline std::optional<Vec> create_response_context(const Rsp& r, std::string_view tag) {
  std::size_t pos = r.u32(80);
  const std::size_t len = r.u32(84);
  const std::size_t end = pos + len;
  while (len && pos + 16 <= end && end <= r.msg.size()) {
    const std::uint32_t next = le32(r.msg, pos);
    const std::uint16_t noff = le16(r.msg, pos + 4);
    const std::uint16_t doff = le16(r.msg, pos + 10);
    const std::uint32_t dlen = le32(r.msg, pos + 12);
    if (pos + noff + tag.size() <= r.msg.size() && std::memcmp(r.msg.data() + pos + noff, tag.data(), tag.size()) == 0 &&
        pos + doff + dlen <= r.msg.size())
      return Vec(r.msg.begin() + static_cast<std::ptrdiff_t>(pos + doff),
                 r.msg.begin() + static_cast<std::ptrdiff_t>(pos + doff + dlen));
    if (!next) break;
    pos += next;
  }
  return std::nullopt;
}

/// A server state with deterministic time and randomness, user alice/Secret1 (plus
/// `more_users`, name and password), and a memory share named "share".
inline std::shared_ptr<engine::ServerState> make_test_state(
    ServerConfig cfg = {}, const std::vector<std::pair<std::string, std::string>>& more_users = {}) {
  auto creds = std::make_shared<InMemoryCredentialStore>();
  creds->add_user("alice", "Secret1");
  for (const auto& [user, password] : more_users) creds->add_user(user, password);
  auto st = engine::make_server_state(std::move(cfg), creds);
  st->now = [] { return std::uint64_t{0x01DA000000000000}; };
  st->random = [counter = std::make_shared<std::uint32_t>(0)](std::span<std::uint8_t> out) {
    for (auto& b : out) b = static_cast<std::uint8_t>((*counter)++ * 37u + 11u);
  };
  Share s;
  s.name = "share";
  s.vfs = make_memory_vfs();
  st->add_share(std::move(s));
  return st;
}

}  // namespace smbsrv::test
