// The simulation's SMB2 client side on the wire: request headers and bodies (MS-SMB2 2.2), the
// create contexts it sends (QFid, RqLs), and response parsing. gtest-free, so the libFuzzer
// target shares it. Requests are never signed (the simulated server does not require signing).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "codec/messages.hpp"
#include "util/utf16.hpp"
#include "support/le_bytes.hpp"

namespace smbsrv::sim::wire {

using Vec = std::vector<std::uint8_t>;
using Key16 = std::array<std::uint8_t, 16>;
using codec::Command;

using test::put_le;
using test::rd16;
using test::rd32;
using test::rd64;

/// Little-endian writer.
struct W {
  Vec b;
  W& u8(std::uint8_t v) { b.push_back(v); return *this; }
  W& u16(std::uint16_t v) { return le(v, 2); }
  W& u32(std::uint32_t v) { return le(v, 4); }
  W& u64(std::uint64_t v) { return le(v, 8); }
  W& zeros(std::size_t n) { b.insert(b.end(), n, 0); return *this; }
  W& bytes(std::span<const std::uint8_t> v) { b.insert(b.end(), v.begin(), v.end()); return *this; }
  W& fid(std::uint64_t persistent, std::uint64_t volatile_id) { return u64(persistent).u64(volatile_id); }

 private:
  W& le(std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    return *this;
  }
};

inline constexpr std::uint64_t kAllOnes = ~0ULL;

struct Header {
  Command cmd = Command::echo;
  std::uint16_t charge = 1;
  std::uint16_t credit_request = 16;
  std::uint32_t flags = 0;
  std::uint64_t message_id = 0;
  std::uint64_t async_id = 0;  // with codec::kFlagAsyncCommand (CANCEL of an async request)
  std::uint32_t tree_id = 0;
  std::uint64_t session_id = 0;
};

/// A 64-byte SMB2 header followed by `body`.
inline Vec message(const Header& h, std::span<const std::uint8_t> body) {
  W w;
  w.u8(0xFE).u8('S').u8('M').u8('B').u16(64).u16(h.charge).u32(0);
  w.u16(static_cast<std::uint16_t>(h.cmd)).u16(h.credit_request).u32(h.flags).u32(0).u64(h.message_id);
  if (h.flags & codec::kFlagAsyncCommand) w.u64(h.async_id);
  else w.u32(0).u32(h.tree_id);
  w.u64(h.session_id).zeros(16);
  w.bytes(body);
  return std::move(w.b);
}

/// Messages chained into one compound frame (each 8-byte aligned, NextCommand set).
inline Vec compound(const std::vector<Vec>& msgs) {
  Vec out;
  for (std::size_t i = 0; i < msgs.size(); ++i) {
    const std::size_t start = out.size();
    out.insert(out.end(), msgs[i].begin(), msgs[i].end());
    if (i + 1 < msgs.size()) {
      while ((out.size() - start) % 8) out.push_back(0);
      put_le(out, start + 20, out.size() - start, 4);
    }
  }
  return out;
}

// ---- bodies ----------------------------------------------------------------------------------------

inline Vec negotiate_body(std::uint16_t dialect, const Key16& client_guid) {
  W b;
  const bool contexts = dialect == 0x0311;
  b.u16(36).u16(1).u16(codec::kSigningEnabled).u16(0).u32(codec::kCapLargeMtu | codec::kCapLeasing);
  b.bytes(client_guid);
  const std::size_t ctx_off_at = b.b.size();
  b.u32(0).u16(0).u16(0);
  b.u16(dialect);
  if (contexts) {
    while ((codec::kHeaderSize + b.b.size()) % 8) b.u8(0);
    put_le(b.b, ctx_off_at, codec::kHeaderSize + b.b.size(), 4);
    put_le(b.b, ctx_off_at + 4, 2, 2);
    // PREAUTH: SHA-512 with a 32-byte salt.
    b.u16(codec::kPreauthIntegrityCapabilities).u16(38).u32(0).u16(1).u16(32).u16(codec::kHashSha512);
    for (std::uint8_t i = 0; i < 32; ++i) b.u8(static_cast<std::uint8_t>(0xA0 + i));
    while ((codec::kHeaderSize + b.b.size()) % 8) b.u8(0);
    // SIGNING: AES-CMAC.
    b.u16(codec::kSigningCapabilities).u16(4).u32(0).u16(1).u16(1);
  }
  return std::move(b.b);
}

inline Vec session_setup_body(std::span<const std::uint8_t> token, std::uint64_t previous_session_id = 0) {
  W b;
  b.u16(25).u8(0).u8(codec::kSigningEnabled).u32(0).u32(0);
  b.u16(0x58).u16(static_cast<std::uint16_t>(token.size())).u64(previous_session_id).bytes(token);
  return std::move(b.b);
}

inline Vec tree_connect_body(std::string_view unc) {
  const Vec path = to_utf16le(unc);
  W b;
  b.u16(9).u16(0).u16(0x48).u16(static_cast<std::uint16_t>(path.size())).bytes(path);
  return std::move(b.b);
}

inline Vec empty4_body() { return W{}.u16(4).u16(0).b; }

/// SMB2_CREATE_REQUEST_LEASE (v1, 32 bytes) or _V2 (52 bytes).
struct LeaseRequest {
  Key16 key{};
  std::uint32_t state = 0;
  int version = 1;
};

/// CREATE with a QFid context (so the answer names the file) and, optionally, a lease request.
inline Vec create_body(std::string_view name, std::uint32_t access, std::uint32_t share, std::uint32_t disposition,
                       std::uint32_t options, std::uint8_t oplock, const std::optional<LeaseRequest>& lease) {
  const Vec name16 = to_utf16le(name);
  // Contexts, offsets relative to each context's start.
  struct Ctx {
    std::array<std::uint8_t, 4> tag;
    Vec data;
  };
  std::vector<Ctx> ctxs;
  ctxs.push_back({{'Q', 'F', 'i', 'd'}, {}});
  if (lease) {
    W d;
    d.bytes(lease->key).u32(lease->state).u32(0).u64(0);
    if (lease->version == 2) d.zeros(16).u16(0).u16(0);
    ctxs.push_back({{'R', 'q', 'L', 's'}, std::move(d.b)});
  }
  Vec cc;
  for (std::size_t i = 0; i < ctxs.size(); ++i) {
    const std::size_t start = cc.size();
    W c;
    const bool has_data = !ctxs[i].data.empty();
    c.u32(0).u16(16).u16(4).u16(0).u16(has_data ? 24 : 0).u32(static_cast<std::uint32_t>(ctxs[i].data.size()));
    c.bytes(ctxs[i].tag).zeros(4);
    c.bytes(ctxs[i].data);
    cc.insert(cc.end(), c.b.begin(), c.b.end());
    if (i + 1 < ctxs.size()) {
      while ((cc.size() - start) % 8) cc.push_back(0);
      put_le(cc, start, cc.size() - start, 4);
    }
  }
  W b;
  b.u16(57).u8(0).u8(oplock).u32(2).u64(0).u64(0).u32(access).u32(0).u32(share).u32(disposition).u32(options);
  b.u16(0x78).u16(static_cast<std::uint16_t>(name16.size()));
  const std::size_t ctx_at = b.b.size();
  b.u32(0).u32(0);
  if (name16.empty()) b.u8(0);
  else b.bytes(name16);
  while ((codec::kHeaderSize + b.b.size()) % 8) b.u8(0);
  put_le(b.b, ctx_at, codec::kHeaderSize + b.b.size(), 4);
  put_le(b.b, ctx_at + 4, cc.size(), 4);
  b.bytes(cc);
  return std::move(b.b);
}

inline Vec close_body(std::uint64_t pid, std::uint64_t vid) { return W{}.u16(24).u16(0).u32(0).fid(pid, vid).b; }

inline Vec read_body(std::uint64_t pid, std::uint64_t vid, std::uint64_t offset, std::uint32_t length) {
  W b;
  b.u16(49).u8(0x50).u8(0).u32(length).u64(offset).fid(pid, vid).u32(0).u32(0).u32(0).u16(0).u16(0).u8(0);
  return std::move(b.b);
}

inline Vec write_body(std::uint64_t pid, std::uint64_t vid, std::uint64_t offset, std::span<const std::uint8_t> data) {
  W b;
  b.u16(49).u16(0x70).u32(static_cast<std::uint32_t>(data.size())).u64(offset).fid(pid, vid);
  b.u32(0).u32(0).u16(0).u16(0).u32(0).bytes(data);
  return std::move(b.b);
}

struct LockElement {
  std::uint64_t offset = 0, length = 0;
  std::uint32_t flags = 0;
};
inline Vec lock_body(std::uint64_t pid, std::uint64_t vid, const std::vector<LockElement>& locks) {
  W b;
  b.u16(48).u16(static_cast<std::uint16_t>(locks.size())).u32(0).fid(pid, vid);
  for (const auto& l : locks) b.u64(l.offset).u64(l.length).u32(l.flags).u32(0);
  return std::move(b.b);
}

inline Vec set_info_body(std::uint64_t pid, std::uint64_t vid, std::uint8_t cls, std::span<const std::uint8_t> buf) {
  W b;
  b.u16(33).u8(codec::kInfoFile).u8(cls).u32(static_cast<std::uint32_t>(buf.size())).u16(0x60).u16(0).u32(0);
  b.fid(pid, vid).bytes(buf);
  return std::move(b.b);
}
/// FileRenameInformation (MS-FSCC 2.4.42.2, the SMB2 form).
inline Vec rename_info(std::string_view to, bool replace) {
  const Vec n = to_utf16le(to);
  W b;
  b.u8(replace ? 1 : 0).zeros(7).u64(0).u32(static_cast<std::uint32_t>(n.size())).bytes(n);
  return std::move(b.b);
}
/// FileDispositionInformation (MS-FSCC 2.4.11).
inline Vec disposition_info(bool del) { return W{}.u8(del ? 1 : 0).b; }
inline constexpr std::uint8_t kFileRenameInformation = 10, kFileDispositionInformation = 13;

/// QUERY_INFO of a file information class.
inline Vec query_info_body(std::uint64_t pid, std::uint64_t vid, std::uint8_t cls, std::uint32_t out_len) {
  W b;
  b.u16(41).u8(codec::kInfoFile).u8(cls).u32(out_len).u16(0).u16(0).u32(0).u32(0).u32(0).fid(pid, vid).u8(0);
  return std::move(b.b);
}
inline constexpr std::uint8_t kFileStandardInformation = 5;

/// Oplock Break Acknowledgment (2.2.24.1).
inline Vec oplock_ack_body(std::uint64_t pid, std::uint64_t vid, std::uint8_t level) {
  return W{}.u16(24).u8(level).u8(0).u32(0).fid(pid, vid).b;
}
/// Lease Break Acknowledgment (2.2.24.2).
inline Vec lease_ack_body(const Key16& key, std::uint32_t state) {
  return W{}.u16(36).u16(0).u32(0).bytes(key).u32(state).u64(0).b;
}

// ---- responses -----------------------------------------------------------------------------------

struct Msg {
  Vec raw;  // header + body of this message
  Command cmd = Command::echo;
  std::uint32_t status = 0;
  std::uint32_t flags = 0;
  std::uint16_t credit = 0;
  std::uint64_t message_id = 0;
  std::uint64_t async_id = 0;
  std::uint32_t tree_id = 0;
  std::uint64_t session_id = 0;
  std::span<const std::uint8_t> body() const {
    return std::span<const std::uint8_t>(raw).subspan(codec::kHeaderSize);
  }
  bool body_has(std::size_t n) const { return raw.size() >= codec::kHeaderSize + n; }
};

/// Splits a response frame; false when it is malformed (a failure in itself).
inline bool parse_frame(std::span<const std::uint8_t> f, std::vector<Msg>& out, std::string& why) {
  std::size_t pos = 0;
  while (pos < f.size()) {
    if (f.size() - pos < codec::kHeaderSize) {
      why = "truncated response header";
      return false;
    }
    if (f[pos] != 0xFE || f[pos + 1] != 'S' || f[pos + 2] != 'M' || f[pos + 3] != 'B') {
      why = "response is not an SMB2 message";
      return false;
    }
    const std::uint32_t next = rd32(f, pos + 20);
    const std::size_t end = next ? pos + next : f.size();
    if (end > f.size() || (next && next < codec::kHeaderSize)) {
      why = "bad NextCommand in a response";
      return false;
    }
    Msg m;
    m.raw.assign(f.begin() + static_cast<std::ptrdiff_t>(pos), f.begin() + static_cast<std::ptrdiff_t>(end));
    m.status = rd32(m.raw, 8);
    m.cmd = static_cast<Command>(rd16(m.raw, 12));
    m.credit = rd16(m.raw, 14);
    m.flags = rd32(m.raw, 16);
    m.message_id = rd64(m.raw, 24);
    if (m.flags & codec::kFlagAsyncCommand) m.async_id = rd64(m.raw, 32);
    else m.tree_id = rd32(m.raw, 36);
    m.session_id = rd64(m.raw, 40);
    out.push_back(std::move(m));
    if (!next) break;
    pos = end;
  }
  return true;
}

/// The create contexts of a CREATE response: (tag, data) pairs; false when malformed.
struct RspContext {
  std::array<std::uint8_t, 4> tag{};
  Vec data;
};
inline bool create_contexts(const Msg& m, std::vector<RspContext>& out) {
  if (!m.body_has(88)) return false;
  const auto b = m.body();
  const std::uint32_t off = rd32(b, 80), len = rd32(b, 84);
  if (len == 0) return true;
  if (off < codec::kHeaderSize + 88 || off > m.raw.size() || len > m.raw.size() - off) return false;
  std::span<const std::uint8_t> all(m.raw.data() + off, len);
  std::size_t pos = 0;
  while (true) {
    if (all.size() - pos < 16) return false;
    const std::uint32_t next = rd32(all, pos);
    const std::uint16_t name_off = rd16(all, pos + 4), name_len = rd16(all, pos + 6);
    const std::uint16_t data_off = rd16(all, pos + 10);
    const std::uint32_t data_len = rd32(all, pos + 12);
    const std::size_t lim = next ? pos + next : all.size();
    if (lim > all.size() || name_len != 4 || pos + name_off + 4u > lim) return false;
    if (data_len && (data_off == 0 || pos + data_off + std::size_t{data_len} > lim)) return false;
    RspContext c;
    for (std::size_t i = 0; i < 4; ++i) c.tag[i] = all[pos + name_off + i];
    if (data_len) c.data.assign(all.begin() + static_cast<std::ptrdiff_t>(pos + data_off),
                                all.begin() + static_cast<std::ptrdiff_t>(pos + data_off + data_len));
    out.push_back(std::move(c));
    if (!next) return true;
    pos += next;
  }
}

}  // namespace smbsrv::sim::wire
