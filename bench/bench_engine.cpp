// The engine's READ/WRITE loop, bytes in → bytes out, with no sockets and no threads:
// engine::Connection::on_message() on a MemoryVfs share, for 64 KiB and 1 MiB payloads, in four
// protection modes (SMB 3.1.1 throughout):
//   Plain  — signing enabled but not required, requests unsigned (responses then unsigned);
//   Cmac   — requests signed with AES-128-CMAC (responses signed too);
//   Gmac   — requests signed with AES-128-GMAC;
//   Gcm    — requests sealed in a transform header with AES-128-GCM (responses sealed too).
// Names: BM_Engine<Read|Write>_<mode>/<bytes>. The bytes/s figure counts the payload.
//
// Only the server's work is timed: requests (signing and sealing included) are built in batches
// with the timer paused, and the responses are not verified inside the loop (one request is
// checked, decrypted when sealed, before timing starts). Rates are over CPU time (Google
// Benchmark's default), which is the better figure on a loaded machine.
#include <benchmark/benchmark.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "codec/access_mask.hpp"
#include "codec/security_descriptor.hpp"
#include "engine_client.hpp"
#include "smbsrv/local_vfs.hpp"

namespace {

using namespace smbsrv;
using test::EngineClient;
using test::Req;
using test::Vec;
using codec::Command;

enum class Mode { plain, cmac, gmac, gcm };
enum class Op { read, write };

// The engine logs every logon at info level through spdlog's default logger (no Server here).
const bool quiet_logs = [] {
  spdlog::set_level(spdlog::level::warn);
  return true;
}();

constexpr std::uint64_t kFileSpan = 16u << 20;  // offsets cycle through 16 MiB of the file
constexpr std::size_t kBatchBytes = 32u << 20;  // request frames built per pause (≈)

std::shared_ptr<engine::ServerState> make_state() {
  ServerConfig cfg;
  cfg.require_signing = false;  // "server signing = auto": signing only when the client signs
  auto creds = std::make_shared<InMemoryCredentialStore>();
  creds->add_user("alice", "Secret1");
  auto st = engine::make_server_state(std::move(cfg), creds);  // real clock and RNG
  Share s;
  s.name = "share";
  s.vfs = make_memory_vfs();
  st->add_share(std::move(s));
  return st;
}

Vec label(std::string_view l) { return Vec(l.begin(), l.end() + 1); }

struct Bench {
  Mode mode;
  std::shared_ptr<engine::ServerState> state = make_state();
  EngineClient cl{state};
  codec::FileId fid;
  Vec c2s_key, s2c_key;  // GCM keys (client → server, server → client)
  std::uint64_t nonce = 1;
  std::string error;

  explicit Bench(Mode m) : mode(m) {
    cl.strict_signing = false;
    std::vector<EngineClient::Ctx> ctx{EngineClient::preauth_ctx()};
    switch (m) {
      case Mode::plain:
      case Mode::gmac: ctx.push_back(EngineClient::signing_ctx({2})); break;
      case Mode::cmac: ctx.push_back(EngineClient::signing_ctx({1})); break;
      case Mode::gcm:
        ctx.push_back(EngineClient::signing_ctx({2}));
        ctx.push_back(EngineClient::encryption_ctx({static_cast<std::uint16_t>(crypto::Cipher::aes128_gcm)}));
        break;
    }
    if (cl.negotiate({0x0311}, ctx).status() != NtStatus::success) { error = "negotiate failed"; return; }
    if (cl.session_setup() != NtStatus::success) { error = "session setup failed"; return; }
    if (cl.tree_connect("share").status() != NtStatus::success) { error = "tree connect failed"; return; }
    auto c = cl.create("bench.dat");
    if (c.status != NtStatus::success) { error = "create failed"; return; }
    fid = c.fid;
    const Vec chunk(1u << 20, 0x5A);
    for (std::uint64_t off = 0; off < kFileSpan; off += chunk.size())
      if (cl.write(fid, off, chunk).status() != NtStatus::success) { error = "initial write failed"; return; }
    if (m == Mode::gcm) {
      c2s_key = crypto::kdf_sp800_108(cl.session_key_bytes, label("SMBC2SCipherKey"), cl.session_preauth, 16);
      s2c_key = crypto::kdf_sp800_108(cl.session_key_bytes, label("SMBS2CCipherKey"), cl.session_preauth, 16);
    }
  }

  /// One framed request, signed or sealed per mode.
  Vec request(Op op, std::uint64_t offset, std::uint32_t len, const Vec& payload) {
    Req r{op == Op::read ? Command::read : Command::write,
          op == Op::read ? EngineClient::read_body(fid, offset, len) : EngineClient::write_body(fid, offset, payload)};
    r.charge = cl.charge_for(len);
    r.credit_request = static_cast<std::uint16_t>(r.charge * 2);
    if (mode == Mode::plain || mode == Mode::gcm) r.sign = false;
    Vec plain = cl.frame({r});
    if (mode != Mode::gcm) return plain;
    codec::TransformHeader t;
    for (int i = 0; i < 8; ++i) t.nonce[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(nonce >> (8 * i));
    ++nonce;
    t.original_message_size = static_cast<std::uint32_t>(plain.size());
    t.flags = 1;
    t.session_id = cl.session_id;
    Vec out;
    out.reserve(codec::kTransformHeaderSize + plain.size());
    ByteWriter w(out);
    codec::encode_transform_header(w, t);
    w.bytes(plain);
    std::array<std::uint8_t, 16> tag{};
    crypto::aead_encrypt(crypto::Cipher::aes128_gcm, c2s_key, crypto::Bytes(t.nonce.data(), 12),
                         crypto::Bytes(out.data() + 20, codec::kTransformHeaderSize - 20),
                         std::span<std::uint8_t>(out.data() + codec::kTransformHeaderSize, plain.size()), tag);
    std::memcpy(out.data() + 4, tag.data(), 16);
    return out;
  }

  /// Checks one response frame: status SUCCESS, the signature when signed, the tag when sealed.
  bool check(const engine::Output& o, std::string& why) {
    if (o.disposition != engine::Disposition::keep || o.frames.size() != 1) { why = "no response"; return false; }
    Vec msg = o.frames[0];
    if (mode == Mode::gcm) {
      auto t = codec::decode_transform_header(msg);
      if (!t) { why = "not sealed"; return false; }
      Vec plain(msg.begin() + codec::kTransformHeaderSize, msg.end());
      if (!crypto::aead_decrypt(crypto::Cipher::aes128_gcm, s2c_key, crypto::Bytes(t->nonce.data(), 12),
                                crypto::Bytes(msg.data() + 20, codec::kTransformHeaderSize - 20), plain,
                                std::span<const std::uint8_t, 16>(t->signature))) {
        why = "response does not decrypt";
        return false;
      }
      msg = std::move(plain);
    }
    auto h = codec::decode_header(msg);
    if (!h || h->status != 0) { why = "response status not SUCCESS"; return false; }
    const bool want_signed = mode == Mode::cmac || mode == Mode::gmac;
    if (((h->flags & codec::kFlagSigned) != 0) != want_signed) { why = "unexpected signing"; return false; }
    if (want_signed && !crypto::smb2_verify(cl.alg, cl.signing_key, msg)) { why = "bad signature"; return false; }
    return true;
  }
};

void engine_io(benchmark::State& state, Op op, Mode mode) {
  const auto len = static_cast<std::uint32_t>(state.range(0));
  Bench b(mode);
  if (!b.error.empty()) {
    state.SkipWithError(b.error.c_str());
    return;
  }
  const Vec payload(op == Op::write ? len : 0, 0xA5);
  std::uint64_t offset = 0;
  auto next_offset = [&] {
    const std::uint64_t o = offset;
    offset = (offset + len) % kFileSpan;
    return o;
  };
  {
    std::string why;
    auto first = b.cl.run_inline(b.cl.connection().on_message(b.request(op, next_offset(), len, payload)));
    if (!b.check(first, why)) {
      state.SkipWithError(why.c_str());
      return;
    }
  }
  const std::size_t batch = std::max<std::size_t>(8, kBatchBytes / (op == Op::write ? len : 65536));
  std::vector<Vec> frames;
  std::size_t next = 0;
  for (auto _ : state) {
    if (next == frames.size()) {
      state.PauseTiming();
      frames.clear();
      for (std::size_t i = 0; i < batch; ++i) frames.push_back(b.cl.pooled(b.request(op, next_offset(), len, payload)));
      next = 0;
      state.ResumeTiming();
    }
    auto out = b.cl.run_inline(b.cl.connection().on_message(std::move(frames[next++])));
    benchmark::DoNotOptimize(out.frames.front().data());
    // As the transport does once the socket write completes: the buffer goes back to the pool.
    for (auto& f : out.frames) b.state->buffers.give(std::move(f));
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * len);
}

#define SMBSRV_ENGINE_BENCH(OP, MODE, op, mode)                                                   \
  void BM_Engine##OP##_##MODE(benchmark::State& s) { engine_io(s, Op::op, Mode::mode); }      \
  BENCHMARK(BM_Engine##OP##_##MODE)->Arg(65536)->Arg(1 << 20)

SMBSRV_ENGINE_BENCH(Read, Plain, read, plain);
SMBSRV_ENGINE_BENCH(Read, Cmac, read, cmac);
SMBSRV_ENGINE_BENCH(Read, Gmac, read, gmac);
SMBSRV_ENGINE_BENCH(Read, Gcm, read, gcm);
SMBSRV_ENGINE_BENCH(Write, Plain, write, plain);
SMBSRV_ENGINE_BENCH(Write, Cmac, write, cmac);
SMBSRV_ENGINE_BENCH(Write, Gmac, write, gmac);
SMBSRV_ENGINE_BENCH(Write, Gcm, write, gcm);

}  // namespace

// CREATE + CLOSE of an existing file, one pair per iteration (the job runs inline): a share in
// AclMode::none against one in AclMode::nt where the file has a stored DACL, so each CREATE also
// reads the file's and the parent's descriptors and runs the MS-DTYP AccessCheck.
// Names: BM_EngineOpenClose/<nt>/<local>: nt 0 (none) or 1 (DACL enforced); local 0 (MemoryVfs)
// or 1 (LocalVfs in a temporary directory: the descriptors are xattrs).
void BM_EngineOpenClose(benchmark::State& state) {
  const bool nt = state.range(0) != 0, local = state.range(1) != 0;
  auto st = make_state();
  Share acl_share;
  acl_share.name = "acls";
  std::string dir;
  if (local) {
    char tmpl[] = "/tmp/smbsrv-bench.XXXXXX";
    if (!::mkdtemp(tmpl)) return state.SkipWithError("mkdtemp failed");
    dir = tmpl;
    acl_share.vfs = make_local_vfs(dir);
  } else {
    acl_share.vfs = make_memory_vfs();
  }
  acl_share.acl_mode = nt ? Share::AclMode::nt : Share::AclMode::none;
  st->add_share(std::move(acl_share));
  EngineClient cl{st};
  cl.strict_signing = false;
  cl.connect({0x0311}, "acls");
  auto f = cl.create("f.txt");
  if (f.status != NtStatus::success) return state.SkipWithError("create failed");
  if (nt) {
    // A DACL granting the file's owner (this session's user) everything.
    auto owner = cl.one({Command::query_info, EngineClient::query_info_body(f.fid, codec::kInfoSecurity, 0, 4096,
                                                                             codec::kOwnerSecurityInformation)});
    auto sd = codec::decode_security_descriptor(owner.buffer(owner.u16(2), owner.u32(4)));
    if (!sd || !sd->owner) return state.SkipWithError("no owner");
    codec::SecurityDescriptor in;
    in.dacl = std::vector<codec::Ace>{{codec::kAccessAllowedAceType, 0, access::kFullAccess, *sd->owner}};
    const Vec bytes = codec::encode_security_descriptor(in);
    test::Body b;
    b.u16(33).u8(codec::kInfoSecurity).u8(0).u32(static_cast<std::uint32_t>(bytes.size())).u16(0x60).u16(0);
    b.u32(codec::kDaclSecurityInformation).fid(f.fid).bytes(bytes);
    if (cl.one({Command::set_info, b.b}).status() != NtStatus::success) return state.SkipWithError("set_info failed");
  }
  cl.close(f.fid);
  for (auto _ : state) {
    auto o = cl.create("f.txt", access::kFileGenericRead | access::kFileWriteData, test::kShareAll, 1 /*open*/);
    if (o.status != NtStatus::success) return state.SkipWithError("open failed");
    cl.close(o.fid);
  }
  if (!dir.empty()) std::filesystem::remove_all(dir);
}
BENCHMARK(BM_EngineOpenClose)->Args({0, 0})->Args({1, 0})->Args({0, 1})->Args({1, 1});

// LocalVfs::list() of a directory of `entries` files (no EAs; each with the DOS record the server
// writes on create): what one QUERY_DIRECTORY costs the backend when it (re)takes a listing.
void BM_LocalVfsList(benchmark::State& state) {
  const auto entries = static_cast<int>(state.range(0));
  char tmpl[] = "/tmp/smbsrv-bench.XXXXXX";
  if (!::mkdtemp(tmpl)) return state.SkipWithError("mkdtemp failed");
  const std::string dir = tmpl;
  auto vfs = make_local_vfs(dir);
  for (int i = 0; i < entries; ++i) {
    OpenParams p;
    p.disposition = CreateDisposition::create;
    if (!vfs->open(*SmbPath::parse("f" + std::to_string(i) + ".txt"), p)) return state.SkipWithError("create failed");
  }
  auto root = vfs->open(SmbPath{}, OpenParams{.directory = true});
  if (!root) return state.SkipWithError("open failed");
  for (auto _ : state) {
    auto l = root->file->list();
    if (!l || l->size() != static_cast<std::size_t>(entries)) return state.SkipWithError("list failed");
    benchmark::DoNotOptimize(l->data());
  }
  state.SetItemsProcessed(state.iterations() * entries);
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_LocalVfsList)->Arg(1000);
