// Writes the seed corpora of the fuzz targets: fuzz_make_corpus <dir> (normally
// tests/fuzz/corpus). Valid messages of every command, negotiate and create contexts, transform
// headers, real NTLMSSP and SPNEGO tokens from a run against the server's Authenticator, SET_INFO
// buffers and wildcard pairs, and whole conversations for fuzz_engine.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "auth/der.hpp"
#include "auth/spnego.hpp"
#include "codec/copychunk.hpp"
#include "codec/ea.hpp"
#include "codec/security_descriptor.hpp"
#include "fuzz/fuzz_support.hpp"
#include "fuzz/rpc_fuzz_support.hpp"

using namespace smbsrv;
using namespace smbsrv::fuzz;
using codec::Command;
namespace fs = std::filesystem;

namespace {
fs::path g_root;

void emit(const std::string& target, const std::string& name, std::span<const std::uint8_t> bytes) {
  const fs::path dir = g_root / target;
  fs::create_directories(dir);
  std::ofstream out(dir / ("seed-" + name), std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

Vec prefixed(std::uint8_t first, std::span<const std::uint8_t> rest) {
  Vec v{first};
  v.insert(v.end(), rest.begin(), rest.end());
  return v;
}

const codec::FileId kFid{0x11, 0x22};

void fid(W& w, const codec::FileId& f) { w.u64(f.persistent).u64(f.volatile_); }

Vec utf16(std::string_view s) { return to_utf16le(s); }

Vec create_body(std::string_view name, std::uint32_t access, std::uint32_t disposition, std::uint32_t options,
                const Vec& contexts = {}, std::uint8_t oplock = 0) {
  const Vec n = utf16(name);
  W b;
  b.u16(57).u8(0).u8(oplock).u32(2).u64(0).u64(0).u32(access).u32(0).u32(7).u32(disposition).u32(options);
  b.u16(0x78).u16(static_cast<std::uint16_t>(n.size()));
  const std::size_t ctx_at = b.b.size();
  b.u32(0).u32(0);
  if (n.empty()) b.u8(0);
  else b.bytes(n);
  if (!contexts.empty()) {
    while ((64 + b.b.size()) % 8) b.u8(0);
    put_le(b.b, ctx_at, 64 + b.b.size(), 4);
    put_le(b.b, ctx_at + 4, contexts.size(), 4);
    b.bytes(contexts);
  }
  return b.b;
}

/// A create-context chain: name (4 chars) + data, 8-byte aligned, Next set.
Vec contexts(const std::vector<std::pair<std::string, Vec>>& items) {
  Vec out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::size_t start = out.size();
    W c;
    const auto& [name, data] = items[i];
    c.u32(0).u16(16).u16(static_cast<std::uint16_t>(name.size())).u16(0);
    const std::size_t doff_at = c.b.size();
    c.u16(0).u32(static_cast<std::uint32_t>(data.size()));
    c.bytes(std::span(reinterpret_cast<const std::uint8_t*>(name.data()), name.size()));
    while (c.b.size() % 8) c.u8(0);
    if (!data.empty()) put_le(c.b, doff_at, c.b.size(), 2);
    c.bytes(data);
    out.insert(out.end(), c.b.begin(), c.b.end());
    if (i + 1 < items.size()) {
      while ((out.size() - start) % 8) out.push_back(0);
      put_le(out, start, out.size() - start, 4);
    }
  }
  return out;
}

Vec lease_v2() {
  W d;
  for (std::uint8_t i = 0; i < 16; ++i) d.u8(static_cast<std::uint8_t>(0x70 + i));
  d.u32(7).u32(0).u64(0);
  for (std::uint8_t i = 0; i < 16; ++i) d.u8(0);
  d.u16(1).u16(0);
  return d.b;
}

std::vector<std::pair<std::string, Vec>> all_contexts() {
  W dh2q;
  dh2q.u32(0).u32(0).u64(0);
  for (std::uint8_t i = 0; i < 16; ++i) dh2q.u8(static_cast<std::uint8_t>(i + 1));
  W twrp;
  twrp.u64(0x01D9000000000000ULL);
  W alsi;
  alsi.u64(4096);
  W mxac;
  mxac.u64(0);
  W dhnc;
  dhnc.u64(7).u64(9);
  W dh2c;
  dh2c.u64(7).u64(9);
  for (std::uint8_t i = 0; i < 16; ++i) dh2c.u8(static_cast<std::uint8_t>(i + 1));
  dh2c.u32(0);
  Vec lease_v1 = lease_v2();
  lease_v1.resize(32);
  return {{"MxAc", {}},        {"QFid", {}},          {"DHnQ", Vec(16, 0)},   {"DH2Q", dh2q.b},
          {"RqLs", lease_v2()}, {"AlSi", alsi.b},     {"TWrp", twrp.b},       {"ExtA", Vec(12, 0)},
          {"SecD", Vec(20, 0)}, {"MxAc", mxac.b},     {"DHnC", dhnc.b},       {"DH2C", dh2c.b}};
}

struct Bodies {
  std::vector<std::pair<Command, Vec>> list;
};

W body() { return W{}; }

std::vector<std::pair<std::string, Vec>> command_messages() {
  std::vector<std::pair<std::string, Vec>> out;
  auto add = [&](const std::string& n, Command c, const Vec& b, std::uint16_t charge = 1) {
    out.emplace_back(n, message(c, b, 5, 0x1122, 3, charge));
  };
  add("negotiate_311", Command::negotiate, negotiate_body({0x0202, 0x0210, 0x0300, 0x0302, 0x0311}, true));
  add("negotiate_21", Command::negotiate, negotiate_body({0x0202, 0x0210}, false));
  auto cl = ntlm_client();
  add("session_setup", Command::session_setup, session_setup_body(cl.make_negotiate()));
  add("logoff", Command::logoff, body().u16(4).u16(0).b);
  add("tree_connect", Command::tree_connect, tree_connect_body("\\\\srv\\share"));
  {  // with TREE_CONNECT_REQUEST_EXTENSION
    const Vec p = utf16("\\\\srv\\share");
    W b;
    b.u16(9).u16(codec::kTreeConnectFlagExtensionPresent).u16(0x48).u16(0);
    b.u32(16).u32(16 + 16).u16(0).u16(0).u32(0);  // TreeConnectContextOffset, PathOffset, count
    b.bytes(p);
    put_le(b.b, 8, 16, 4);
    put_le(b.b, 12, 16, 4);
    put_le(b.b, 6, static_cast<std::uint16_t>(p.size()), 2);
    add("tree_connect_ext", Command::tree_connect, b.b);
  }
  add("tree_disconnect", Command::tree_disconnect, body().u16(4).u16(0).b);
  add("create", Command::create, create_body("dir\\file.txt", 0x12019f, 3, 0x40));
  add("create_root", Command::create, create_body("", 0x100081, 1, 1));
  add("create_ctx", Command::create, create_body("a.txt", 0x12019f, 3, 0, contexts(all_contexts()), 0xff));
  { W b; b.u16(24).u16(1).u32(0); fid(b, kFid); add("close", Command::close, b.b); }
  { W b; b.u16(24).u16(0).u32(0); fid(b, kFid); add("flush", Command::flush, b.b); }
  { W b; b.u16(49).u8(0x50).u8(0).u32(4096).u64(0); fid(b, kFid); b.u32(1).u32(0).u32(0).u16(0).u16(0).u8(0);
    add("read", Command::read, b.b); }
  { const Vec d(100, 'x'); W b; b.u16(49).u16(0x70).u32(100).u64(10); fid(b, kFid);
    b.u32(0).u32(0).u16(0).u16(0).u32(0).bytes(d); add("write", Command::write, b.b); }
  { W b; b.u16(48).u16(2).u32(0); fid(b, kFid);
    b.u64(0).u64(10).u32(codec::kLockExclusive | codec::kLockFailImmediately).u32(0);
    b.u64(100).u64(10).u32(codec::kLockShared).u32(0); add("lock", Command::lock, b.b); }
  { W b; b.u16(48).u16(1).u32(0); fid(b, kFid); b.u64(0).u64(10).u32(codec::kLockUnlock).u32(0);
    add("unlock", Command::lock, b.b); }
  auto ioctl = [&](const std::string& n, std::uint32_t ctl, const Vec& in) {
    W b;
    b.u16(57).u16(0).u32(ctl);
    fid(b, ctl == codec::kFsctlValidateNegotiateInfo || ctl == codec::kFsctlQueryNetworkInterfaceInfo
               ? codec::kAllOnesFileId : kFid);
    b.u32(0x78).u32(static_cast<std::uint32_t>(in.size())).u32(0).u32(0x78).u32(0).u32(65536);
    b.u32(codec::kIoctlIsFsctl).u32(0).bytes(in);
    add(n, Command::ioctl, b.b);
  };
  {
    W v;
    v.u32(0x7f);
    for (std::uint8_t i = 1; i <= 16; ++i) v.u8(i);
    v.u16(codec::kSigningEnabled).u16(3).u16(0x0210).u16(0x0300).u16(0x0311);
    ioctl("ioctl_validate", codec::kFsctlValidateNegotiateInfo, v.b);
  }
  ioctl("ioctl_interfaces", codec::kFsctlQueryNetworkInterfaceInfo, {});
  ioctl("ioctl_resume_key", codec::kFsctlSrvRequestResumeKey, {});
  ioctl("ioctl_snapshots", codec::kFsctlSrvEnumerateSnapshots, {});
  ioctl("ioctl_objectid", codec::kFsctlCreateOrGetObjectId, {});
  {  // the file FSCTLs (engine/handlers/fsctl_file.cpp)
    ioctl("ioctl_set_sparse", codec::kFsctlSetSparse, {1});
    W z;
    z.u64(0).u64(4096);
    ioctl("ioctl_zero_data", codec::kFsctlSetZeroData, z.b);
    ioctl("ioctl_qar", codec::kFsctlQueryAllocatedRanges, z.b);
    W t;
    t.u32(0).u32(1).u64(0).u64(4096);
    ioctl("ioctl_trim", codec::kFsctlFileLevelTrim, t.b);
    ioctl("ioctl_set_compression", codec::kFsctlSetCompression, {1, 0});
    ioctl("ioctl_get_compression", codec::kFsctlGetCompression, {});
    ioctl("ioctl_reparse", codec::kFsctlGetReparsePoint, {});
    W g;
    g.u64(0).u64(4096).u32(codec::kFileRegionUsageValidCachedData).u32(0);
    ioctl("ioctl_file_regions", codec::kFsctlQueryFileRegions, g.b);
  }
  ioctl("ioctl_resiliency", codec::kFsctlLmrRequestResiliency, body().u32(1000).u32(0).b);
  { W b; b.u16(48).u16(1).u32(0x11); fid(b, kFid); b.u64(0).u64(10).u32(codec::kLockExclusive).u32(0);
    add("lock_blocking", Command::lock, b.b); }
  {
    W r;
    r.u16(4);
    r.bytes(utf16("\\srv\\share"));
    r.u16(0);
    ioctl("ioctl_dfs", codec::kFsctlDfsGetReferrals, r.b);
  }
  add("cancel", Command::cancel, body().u16(4).u16(0).b);
  add("echo", Command::echo, body().u16(4).u16(0).b);
  { const Vec p = utf16("*.txt"); W b; b.u16(33).u8(0x25).u8(codec::kRestartScans).u32(0); fid(b, kFid);
    b.u16(0x60).u16(static_cast<std::uint16_t>(p.size())).u32(65536).bytes(p);
    add("query_directory", Command::query_directory, b.b); }
  { W b; b.u16(32).u16(1).u32(4096); fid(b, kFid); b.u32(0x17).u32(0); add("change_notify", Command::change_notify, b.b); }
  { W b; b.u16(41).u8(codec::kInfoFile).u8(18).u32(4096).u16(0).u16(0).u32(0).u32(0).u32(0); fid(b, kFid); b.u8(0);
    add("query_info", Command::query_info, b.b); }
  { W b; b.u16(41).u8(codec::kInfoSecurity).u8(0).u32(4096).u16(0).u16(0).u32(0).u32(7).u32(0); fid(b, kFid); b.u8(0);
    add("query_info_sec", Command::query_info, b.b); }
  { W b; b.u16(41).u8(codec::kInfoFilesystem).u8(5).u32(4096).u16(0).u16(0).u32(0).u32(0).u32(0); fid(b, kFid); b.u8(0);
    add("query_info_fs", Command::query_info, b.b); }
  { const Vec n = utf16("b.txt"); W info; info.u8(1).zeros(7).u64(0).u32(static_cast<std::uint32_t>(n.size())).bytes(n);
    W b; b.u16(33).u8(codec::kInfoFile).u8(10).u32(static_cast<std::uint32_t>(info.b.size())).u16(0x60).u16(0).u32(0);
    fid(b, kFid); b.bytes(info.b); add("set_info_rename", Command::set_info, b.b); }
  { W b; b.u16(33).u8(codec::kInfoFile).u8(20).u32(8).u16(0x60).u16(0).u32(0); fid(b, kFid); b.u64(12345);
    add("set_info_eof", Command::set_info, b.b); }
  { W b; b.u16(24).u8(0).u8(0).u32(0); fid(b, kFid); add("oplock_break", Command::oplock_break, b.b); }
  { W b; b.u16(36).u16(0).u32(0); for (std::uint8_t i = 0; i < 16; ++i) b.u8(static_cast<std::uint8_t>(0x70 + i));
    b.u32(1).u64(0); add("lease_break_ack", Command::oplock_break, b.b); }
  return out;
}

void ntlm_and_spnego() {
  // Raw NTLMSSP against the deterministic Authenticator.
  {
    auth::Authenticator a(auth_config());
    auto cl = ntlm_client();
    const Vec neg = cl.make_negotiate();
    auto s1 = a.step(neg);
    const Vec auth = cl.make_authenticate(s1.out_token);
    auto s2 = a.step(auth);
    if (s1.status != NtStatus::more_processing_required || s2.status != NtStatus::success)
      std::fprintf(stderr, "warning: raw NTLMSSP seed did not authenticate\n");
    emit("ntlmssp", "negotiate", neg);
    emit("ntlmssp", "challenge", s1.out_token);
    emit("ntlmssp", "authenticate", auth);
    auth::ntlm::Challenge ch;
    if (auth::ntlm::parse_challenge(s1.out_token, ch)) emit("ntlmssp", "av_pairs", ch.target_info);
    Vec two;
    append_chunk(two, neg);
    append_chunk(two, auth);
    emit("authenticator", "raw_ntlmssp", two);
    Vec bad;
    append_chunk(bad, neg);
    Vec wrong = auth;
    wrong[wrong.size() - 1] ^= 1;
    append_chunk(bad, wrong);
    emit("authenticator", "raw_ntlmssp_badmic", bad);
  }
  // SPNEGO-wrapped, with mechListMIC.
  {
    auth::Authenticator a(auth_config());
    auto cl = ntlm_client();
    const Vec neg = cl.make_negotiate();
    const std::span<const std::uint8_t> mechs[] = {std::span<const std::uint8_t>(auth::spnego::kOidNtlmssp)};
    Vec mech_types_der;
    const Vec init = auth::spnego::encode_init(mechs, std::span<const std::uint8_t>(neg), &mech_types_der);
    auto s1 = a.step(init);
    auth::spnego::NegTokenResp resp;
    Vec tok2;
    if (auth::spnego::parse_resp(s1.out_token, resp) && resp.response_token) {
      const Vec ch(resp.response_token->begin(), resp.response_token->end());
      const Vec am = cl.make_authenticate(ch);
      // The MIC over mechTypes uses the client's exported session key.
      const auto mic = auth::ntlm::mac_ess(auth::ntlm::derive_keys(cl.exported, cl.flags, true), cl.flags, 0,
                                           mech_types_der);
      tok2 = auth::spnego::encode_resp(std::nullopt, std::nullopt, std::span<const std::uint8_t>(am),
                                       std::span<const std::uint8_t>(mic));
    }
    auto s2 = a.step(tok2);
    if (s2.status != NtStatus::success) std::fprintf(stderr, "warning: SPNEGO seed did not authenticate\n");
    emit("spnego", "init", init);
    emit("spnego", "resp_challenge", s1.out_token);
    emit("spnego", "resp_authenticate", tok2);
    emit("spnego", "resp_final", s2.out_token);
    emit("spnego", "hint", auth::spnego::encode_hint());
    Vec two;
    append_chunk(two, init);
    append_chunk(two, tok2);
    emit("authenticator", "spnego", two);
  }
}

void engine_seeds() {
  // Pre-authentication: raw frames on a fresh connection (mode 0).
  {
    Vec in{0};
    append_chunk(in, message(Command::negotiate, negotiate_body({0x0202, 0x0210, 0x0300, 0x0302, 0x0311}, true), 0));
    auto cl = ntlm_client();
    append_chunk(in, message(Command::session_setup, session_setup_body(cl.make_negotiate()), 1));
    emit("engine", "preauth", in);
    Vec smb1{0};
    const char dialects[] = "\x02NT LM 0.12\0\x02SMB 2.002\0\x02SMB 2.???";
    W m;
    m.u8(0xFF).u8('S').u8('M').u8('B').u8(0x72).zeros(27).u8(0).u16(sizeof(dialects) - 1);
    m.bytes(std::span(reinterpret_cast<const std::uint8_t*>(dialects), sizeof(dialects) - 1));
    append_chunk(smb1, m.b);
    emit("engine", "smb1_negotiate", smb1);
  }
  // Authenticated: mode 3 (+ dialect bits), ids patched by the target.
  const auto msgs = command_messages();
  for (std::uint8_t d = 0; d < 4; ++d) {
    const std::uint8_t mode = static_cast<std::uint8_t>(3 | (d << 2));
    LiveConnection live;
    if (!live.setup(setup_dialect(mode))) {
      std::fprintf(stderr, "warning: setup for dialect %04x failed\n", setup_dialect(mode));
      continue;
    }
    // Create a file, then run every post-auth command on it via the real FileId.
    Vec seq{mode};
    auto send = [&](Vec frame) {
      append_chunk(seq, frame);
      Vec patched = frame;
      live.patch(patched);
      return live.exchange(patched);
    };
    send(message(Command::create, create_body("dir", 0x12019f, 3, 1), 0, 0, 0));
    const Vec r = send(message(Command::create, create_body("dir\\f.txt", 0x12019f | 0x10000, 3, 0), 0, 0, 0));
    codec::FileId live_fid{};
    if (r.size() >= 64 + 88 && rd32(r, 8) == 0) live_fid = {rd64(r, 64 + 64), rd64(r, 64 + 72)};
    for (const auto& [name, m] : msgs) {
      if (name.rfind("negotiate", 0) == 0 || name == "session_setup" || name == "logoff" ||
          name == "tree_disconnect" || name == "close")
        continue;
      Vec copy = m;
      // Point the file-handle commands at the live file.
      for (std::size_t at = 64; at + 16 <= copy.size(); ++at) {
        if (rd64(copy, at) == kFid.persistent && rd64(copy, at + 8) == kFid.volatile_) {
          put_le(copy, at, live_fid.persistent, 8);
          put_le(copy, at + 8, live_fid.volatile_, 8);
          break;
        }
      }
      send(copy);
      if (d == 0) {  // one short input per command too
        Vec one{mode};
        append_chunk(one, message(Command::create, create_body("x.bin", 0x12019f | 0x10000, 3, 0), 0, 0, 0));
        append_chunk(one, copy);
        emit("engine", "post_auth_" + name, one);
      }
    }
    // A related compound: create + write + read + close on the "previous" FileId.
    {
      W w;
      w.u16(49).u16(0x70).u32(4).u64(0);
      fid(w, codec::kAllOnesFileId);
      w.u32(0).u32(0).u16(0).u16(0).u32(0).bytes(Vec{'a', 'b', 'c', 'd'});
      W rd;
      rd.u16(49).u8(0x50).u8(0).u32(4).u64(0);
      fid(rd, codec::kAllOnesFileId);
      rd.u32(0).u32(0).u32(0).u16(0).u16(0).u8(0);
      W cl;
      cl.u16(24).u16(1).u32(0);
      fid(cl, codec::kAllOnesFileId);
      send(compound({message(Command::create, create_body("c.txt", 0x12019f | 0x10000, 3, 0), 0),
                     message(Command::write, w.b, 0), message(Command::read, rd.b, 0),
                     message(Command::close, cl.b, 0)},
                    true));
    }
    send(message(Command::tree_disconnect, W{}.u16(4).u16(0).b));
    send(message(Command::logoff, W{}.u16(4).u16(0).b));
    emit("engine", "conversation_" + std::to_string(d), seq);
  }
  // Server-side copy: a resume key from the live connection (the counter RNG makes it the same
  // on every run), then FSCTL_SRV_COPYCHUNK with it.
  {
    const std::uint8_t mode = 3;
    LiveConnection live;
    if (!live.setup(setup_dialect(mode))) return;
    Vec seq{mode};
    auto send = [&](Vec frame) {
      append_chunk(seq, frame);
      Vec patched = frame;
      live.patch(patched);
      return live.exchange(patched);
    };
    auto fid_of = [](const Vec& r) {
      return r.size() >= 64 + 88 && rd32(r, 8) == 0 ? codec::FileId{rd64(r, 64 + 64), rd64(r, 64 + 72)} : codec::FileId{};
    };
    auto ioctl = [&](std::uint32_t ctl, const codec::FileId& f, const Vec& in, std::uint32_t max_out) {
      W b;
      b.u16(57).u16(0).u32(ctl);
      fid(b, f);
      b.u32(0x78).u32(static_cast<std::uint32_t>(in.size())).u32(0).u32(0x78).u32(0).u32(max_out);
      b.u32(codec::kIoctlIsFsctl).u32(0).bytes(in);
      return send(message(Command::ioctl, b.b, 0, 0, 0));
    };
    const auto src = fid_of(send(message(Command::create, create_body("src.bin", 0x12019f, 3, 0), 0, 0, 0)));
    {
      const Vec data(300, 'q');
      W w;
      w.u16(49).u16(0x70).u32(static_cast<std::uint32_t>(data.size())).u64(0);
      fid(w, src);
      w.u32(0).u32(0).u16(0).u16(0).u32(0).bytes(data);
      send(message(Command::write, w.b, 0, 0, 0));
    }
    const Vec k = ioctl(codec::kFsctlSrvRequestResumeKey, src, {}, 32);
    const auto dst = fid_of(send(message(Command::create, create_body("dst.bin", 0x12019f, 3, 0), 0, 0, 0)));
    W c;
    if (k.size() >= 64 + 48 + 24 && rd32(k, 8) == 0) c.bytes(std::span(k).subspan(rd32(k, 64 + 32), 24));
    else c.zeros(24);
    c.u32(2).u32(0).u64(0).u64(0).u32(200).u32(0).u64(100).u64(1000).u32(200).u32(0);
    ioctl(codec::kFsctlSrvCopychunk, dst, c.b, 12);
    ioctl(codec::kFsctlSrvCopychunkWrite, dst, c.b, 12);
    emit("engine", "copychunk", seq);
  }
}

// DCE/RPC: message sequences for fuzz_rpc_pdu, NDR shapes for fuzz_ndr (selector byte first).
void rpc_seeds() {
  using namespace smbsrv::rpc;
  auto bind = [](std::uint32_t call_id, std::vector<ContextElem> ctxs, PType type = PType::bind,
                 std::uint16_t frag = 4280) {
    BindPdu b;
    b.hdr.ptype = static_cast<std::uint8_t>(type);
    b.hdr.pfc_flags = kPfcFirstFrag | kPfcLastFrag;
    b.hdr.call_id = call_id;
    b.max_xmit_frag = b.max_recv_frag = frag;
    b.contexts = std::move(ctxs);
    return encode_bind(b);
  };
  auto request = [](std::uint32_t call_id, std::uint16_t opnum, Vec stub,
                    std::uint8_t flags = kPfcFirstFrag | kPfcLastFrag, std::uint16_t ctx = 0) {
    RequestPdu r;
    r.hdr.pfc_flags = flags;
    r.hdr.call_id = call_id;
    r.alloc_hint = static_cast<std::uint32_t>(stub.size());
    r.context_id = ctx;
    r.opnum = opnum;
    r.stub = stub;
    return encode_request(r);
  };
  auto seq = [](std::initializer_list<Vec> msgs) {
    Vec out;
    for (const auto& m : msgs) append_chunk(out, m);
    return out;
  };
  const SyntaxId btfn{uuid_from_string("6cb71c2c-9812-4540-0300-000000000000"), 1, 0};
  const Vec b = bind(1, {{0, echo_syntax(), {ndr20_syntax()}}});
  emit("rpc_pdu", "bind", seq({b}));
  emit("rpc_pdu", "bind_request", seq({b, request(2, 0, {'h', 'e', 'l', 'l', 'o'})}));
  emit("rpc_pdu", "windows_bind", seq({bind(1, {{0, echo_syntax(), {ndr20_syntax()}},
                                                 {1, echo_syntax(), {ndr64_syntax()}},
                                                 {2, echo_syntax(), {btfn}}}),
                                       request(2, 0, {1, 2, 3, 4}, kPfcFirstFrag),
                                       request(2, 0, {5, 6, 7, 8}, kPfcLastFrag)}));
  emit("rpc_pdu", "big_response", seq({bind(1, {{0, echo_syntax(), {ndr20_syntax()}}}, PType::bind, 2048),
                                       request(2, 1, {20})}));
  emit("rpc_pdu", "alter", seq({b, bind(2, {{1, echo_syntax(), {ndr20_syntax()}}}, PType::alter_context),
                                request(3, 0, {9}, kPfcFirstFrag | kPfcLastFrag, 1)}));
  {
    Vec two = b;
    const Vec r = request(2, 0, {7});
    two.insert(two.end(), r.begin(), r.end());
    emit("rpc_pdu", "two_in_one", seq({two}));
  }
  {
    Vec v4 = b;
    v4[0] = 4;
    emit("rpc_pdu", "errors", seq({request(1, 0, {1}), v4, b, request(2, 7, {}), request(3, 2, {}),
                                   request(4, 0, {1}, 0), b}));
  }

  auto ndr = [](std::uint8_t sel, const NdrWriter& w) {
    Vec v{sel};
    v.insert(v.end(), w.bytes().begin(), w.bytes().end());
    return v;
  };
  {
    NdrWriter w;
    w.unique_wstring_param("srvsvc");
    emit("ndr", "wstring", ndr(0, w));
  }
  {
    NdrWriter w;
    write_share_enum(w, {{"IPC$", 0x80000003, "IPC Service"}, {"share", 0, ""}, {std::nullopt, 1, std::nullopt}});
    emit("ndr", "share_enum", ndr(1, w));
  }
  {
    codec::Sid a;
    a.authority = {0, 0, 0, 0, 0, 5};
    a.sub_authorities = {32, 544};
    codec::Sid d;
    d.authority = {0, 0, 0, 0, 0, 5};
    d.sub_authorities = {21, 1, 2, 3, 1000};
    NdrWriter w;
    w.param([&] {
      w.u32(3);
      w.unique(true, [&] {
        w.conformance(3);
        w.unique(true, [&] { w.sid(a); });
        w.unique(false, [] {});
        w.unique(true, [&] { w.sid(d); });
      });
    });
    emit("ndr", "sid_enum", ndr(2, w));
  }
  {
    NdrWriter w;
    write_names(w, {{1, "Administrators", 0}, {8, "", 1}, {1, "alice", 0}});
    emit("ndr", "names", ndr(3, w));
  }
  {
    rpc::ContextHandle h;
    h.uuid = uuid_from_string("00112233-4455-6677-8899-aabbccddeeff");
    NdrWriter w;
    w.param([&] {
      w.context_handle(h);
      w.hyper(-1);
      w.uuid(h.uuid);
      w.enum16(2);
      w.conformance(3);
      w.raw(std::vector<std::uint8_t>{1, 2, 3});
    });
    emit("ndr", "handle", ndr(4, w));
  }
  {
    NdrWriter w;
    std::function<void(int)> node = [&](int left) { w.unique(left > 0, [&, left] { node(left - 1); }); };
    w.param([&] { node(3); });
    emit("ndr", "list", ndr(5, w));
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <corpus dir>\n", argv[0]);
    return 2;
  }
  g_root = argv[1];
  quiet_logs();
  const auto msgs = command_messages();
  for (const auto& [name, m] : msgs) {
    const auto cmd = static_cast<std::uint8_t>(rd16(m, 12));
    emit("commands", name, prefixed(cmd, m));
    emit("frame", name, m);
    if (cmd == 0) emit("negotiate_contexts", name, prefixed(0xff, m));
    if (name.rfind("create", 0) == 0) emit("create_contexts", name, m);
  }
  emit("frame", "compound", compound({msgs[0].second, msgs[1].second, msgs[2].second}));
  emit("frame", "compound_related", compound({msgs[5].second, msgs[6].second}, true));
  {
    W pre;
    pre.u16(1).u16(32).u16(codec::kHashSha512);
    for (std::uint8_t i = 0; i < 32; ++i) pre.u8(i);
    emit("negotiate_contexts", "preauth", prefixed(0, pre.b));
    emit("negotiate_contexts", "encryption", prefixed(1, W{}.u16(4).u16(4).u16(3).u16(2).u16(1).b));
    emit("negotiate_contexts", "signing", prefixed(2, W{}.u16(3).u16(2).u16(1).u16(0).b));
  }
  for (const auto& [n, d] : all_contexts()) {
    const std::string name = "create_ctx_" + n + (d.empty() ? "" : "_" + std::to_string(d.size()));
    emit("create_contexts", name, message(Command::create, create_body("f", 0x80, 1, 0, contexts({{n, d}}))));
  }
  // Transform headers with a payload of the declared size.
  for (const std::uint16_t flags : {std::uint16_t{1}, std::uint16_t{0}}) {
    const Vec inner = msgs[1].second;
    W t;
    t.u8(0xFD).u8('S').u8('M').u8('B');
    for (std::uint8_t i = 0; i < 16; ++i) t.u8(static_cast<std::uint8_t>(0xE0 + i));
    for (std::uint8_t i = 0; i < 16; ++i) t.u8(static_cast<std::uint8_t>(i));
    t.u32(static_cast<std::uint32_t>(inner.size())).u16(0).u16(flags).u64(0x1122).bytes(inner);
    emit("transform", "flags" + std::to_string(flags), t.b);
  }
  ntlm_and_spnego();
  // SET_INFO buffers and wildcard pairs.
  {
    W basic;
    basic.u64(0x01D9000000000000ULL).u64(0).u64(~0ULL).u64(0).u32(0x20).u32(0);
    emit("fscc", "basic", prefixed(0, basic.b));
    const Vec n = utf16("dir\\new name.txt");
    W ren;
    ren.u8(1).zeros(7).u64(0).u32(static_cast<std::uint32_t>(n.size())).bytes(n);
    emit("fscc", "rename", prefixed(1, ren.b));
    W renx;
    renx.u32(1).u32(0).u64(0).u32(static_cast<std::uint32_t>(n.size())).bytes(n);
    emit("fscc", "rename_ex", prefixed(2, renx.b));
    emit("fscc", "u64", prefixed(3, W{}.u64(4096).b));
    emit("fscc", "disposition", prefixed(4, Vec{1}));
    emit("fscc", "disposition_ex", prefixed(5, W{}.u32(3).b));
    emit("fscc", "mode", prefixed(6, W{}.u32(2).b));
    const std::pair<const char*, const char*> pairs[] = {
        {"*.txt", "Readme.TXT"}, {"a?c*", "abcdef"}, {"<.doc", "x.y.doc"}, {"foo\">", "foo."}, {"*", ""},
        {"*a*b*c*d*", "aaaaaaaabbbbbbbbccccccccdddd"}, {"<<<*>", "a.b.c.d.e"}};
    std::uint8_t i = 0;
    for (const auto& [p, s] : pairs) {
      Vec v{static_cast<std::uint8_t>(7 + (i & 1))};
      v.insert(v.end(), p, p + std::strlen(p));
      v.push_back(0);
      v.insert(v.end(), s, s + std::strlen(s));
      emit("fscc", "wildcard" + std::to_string(i++), v);
    }
    // LocalVfs's DOS record (version 1, creation and change set) and a Samba DOSATTRIB string:
    // fuzz_fscc decodes every input as both.
    W dos;
    dos.u8(1).u8(3).u16(0).u32(0x23).u64(0x01D9000000000000ULL).u64(0x01DA000000000000ULL).u64(42);
    emit("fscc", "dos_record", dos.b);
    const char samba[] = "0x2021";
    emit("fscc", "samba_dosattrib", Vec(samba, samba + sizeof samba));
    // A FILE_NOTIFY_INFORMATION chain of two entries (every fscc input is decoded as one).
    std::vector<codec::NotifyEntry> changes = {{codec::kActionRenamedOld, "old name"},
                                               {codec::kActionRenamedNew, "sub\\new name"}};
    Vec chain;
    ByteWriter cw(chain);
    codec::encode_notify_information(cw, changes);
    emit("fscc", "notify_information", chain);
    // Extended attribute lists: fuzz_fscc decodes every input as both kinds.
    const std::vector<ExtendedAttribute> eas{{"user.one", {'1'}}, {"Two", {}}, {"three", Vec(5, 3)}};
    emit("fscc", "ea_full", codec::encode_full_ea_list(eas));
    const std::vector<std::string> names{"user.one", "Two"};
    emit("fscc", "ea_get", codec::encode_get_ea_list(names));
    // Security descriptors: owner, group, an inheritable DACL and a SACL; a NULL DACL.
    codec::SecurityDescriptor sd;
    sd.owner = codec::parse_sid("S-1-5-21-1-2-3-1000");
    sd.group = codec::everyone_sid();
    sd.dacl = std::vector<codec::Ace>{
        {codec::kAccessAllowedAceType, codec::kObjectInheritAce | codec::kContainerInheritAce, 0x10000000,
         *codec::parse_sid("S-1-3-0")},
        {codec::kAccessDeniedAceType, codec::kNoPropagateInheritAce | codec::kContainerInheritAce, 0x00000002,
         codec::everyone_sid()}};
    sd.sacl = std::vector<codec::Ace>{{codec::kSystemAuditAceType, 0x40, 0x00010000, codec::everyone_sid()}};
    emit("fscc", "security_descriptor", codec::encode_security_descriptor(sd));
    codec::SecurityDescriptor null_dacl;
    null_dacl.control = codec::kSeDaclPresent;
    emit("fscc", "security_descriptor_null_dacl", codec::encode_security_descriptor(null_dacl));
  }
  // SRV_COPYCHUNK_COPY inputs: no chunks, two chunks, a count beyond the input.
  for (const std::uint32_t n : {0u, 2u, 5u}) {
    W c;
    for (std::uint8_t i = 0; i < 24; ++i) c.u8(static_cast<std::uint8_t>(0xC0 + i));
    c.u32(n).u32(0);
    for (std::uint32_t i = 0; i < std::min(n, 2u); ++i) c.u64(4096 * i).u64(8192 * i).u32(4096).u32(0);
    emit("copychunk", "chunks" + std::to_string(n), c.b);
  }
  engine_seeds();
  rpc_seeds();
  return 0;
}
