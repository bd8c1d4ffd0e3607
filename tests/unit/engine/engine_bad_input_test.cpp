// Raw bad input fed to engine::Connection: truncations of every command, random byte flips over a
// recorded conversation, and path escapes against a LocalVfs share. The server may answer with an
// error or disconnect, but must never crash, and a live connection must keep serving.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <cstdio>
#include <set>

#include "codec/fscc.hpp"
#include "smbsrv/local_vfs.hpp"
#include "support/engine_client.hpp"

namespace smbsrv::test {
namespace {

namespace fs = std::filesystem;
using engine::Disposition;

constexpr std::uint32_t kOpen = 1, kCreate = 2, kOpenIf = 3;
constexpr std::uint32_t kDirectoryFile = 0x1;

/// Signing not required: unsigned requests reach the handlers (a truncated signed message would
/// only ever get ACCESS_DENIED from the signature check).
std::shared_ptr<engine::ServerState> unsigned_state() {
  ServerConfig cfg;
  cfg.require_signing = false;
  return make_test_state(cfg);
}

/// A live connection with a session, a tree, a directory "d" and a file "d\\f" (with data).
struct Live {
  std::shared_ptr<engine::ServerState> st = unsigned_state();
  std::unique_ptr<EngineClient> c;
  codec::FileId dir, file;

  void open(std::uint16_t dialect = 0x0311) {
    c = std::make_unique<EngineClient>(st);
    c->strict_signing = false;
    ASSERT_EQ(c->negotiate({dialect}).status(), NtStatus::success);
    ASSERT_EQ(c->session_setup(), NtStatus::success);
    c->signing_key.clear();  // send unsigned from here on
    ASSERT_EQ(c->tree_connect("share").status(), NtStatus::success);
    auto d = c->create("d", access::kFullAccess, kShareAll, kOpenIf, kDirectoryFile);
    ASSERT_EQ(d.status, NtStatus::success);
    dir = d.fid;
    auto f = c->create("d\\f", access::kFullAccess, kShareAll, kOpenIf, 0);
    ASSERT_EQ(f.status, NtStatus::success);
    file = f.fid;
    const Vec data(100, 0x42);
    ASSERT_EQ(c->write(file, 0, data).status(), NtStatus::success);
  }
};

/// A valid body of every command (built against a live connection's handles).
std::vector<std::pair<Command, Vec>> sample_bodies(const Live& l) {
  std::vector<std::pair<Command, Vec>> v;
  // CREATE with an MxAc and a QFid create context, so the context chain is truncated too.
  {
    Vec name = to_utf16le("d\\new.txt");
    Body b;
    b.u16(57).u8(0).u8(0).u32(2).u64(0).u64(0).u32(access::kFullAccess).u32(0).u32(kShareAll).u32(kOpenIf).u32(0);
    b.u16(0x78).u16(static_cast<std::uint16_t>(name.size()));
    const std::size_t ctx_fields = b.b.size();
    b.u32(0).u32(0).bytes(name).align8();
    const std::uint32_t ctx_off = b.off();
    // context 1: MxAc, no data
    b.u32(24).u16(16).u16(4).u16(0).u16(0).u32(0).bytes(Vec{'M', 'x', 'A', 'c'}).zeros(4);
    // context 2: QFid, no data
    b.u32(0).u16(16).u16(4).u16(0).u16(0).u32(0).bytes(Vec{'Q', 'F', 'i', 'd'});
    b.put32(ctx_fields, ctx_off);
    b.put32(ctx_fields + 4, static_cast<std::uint32_t>(b.off() - ctx_off));
    v.emplace_back(Command::create, b.b);
  }
  v.emplace_back(Command::tree_connect, EngineClient::tree_connect_body("\\\\srv\\share"));
  v.emplace_back(Command::echo, EngineClient::echo_body());
  v.emplace_back(Command::read, EngineClient::read_body(l.file, 0, 50));
  const Vec data = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  v.emplace_back(Command::write, EngineClient::write_body(l.file, 10, data));
  v.emplace_back(Command::flush, Body{}.u16(24).u16(0).u32(0).fid(l.file).b);
  v.emplace_back(Command::lock, Body{}.u16(48).u16(1).u32(0).fid(l.file).u64(0).u64(10).u32(codec::kLockExclusive | codec::kLockFailImmediately).u32(0).b);
  v.emplace_back(Command::lock, Body{}.u16(48).u16(1).u32(0).fid(l.file).u64(0).u64(10).u32(codec::kLockUnlock).u32(0).b);
  v.emplace_back(Command::query_directory, EngineClient::query_directory_body(l.dir, "*", 0x25, codec::kRestartScans));
  v.emplace_back(Command::query_info, EngineClient::query_info_body(l.file, codec::kInfoFile, fscc::kFileAllInformation));
  v.emplace_back(Command::query_info, EngineClient::query_info_body(l.file, codec::kInfoSecurity, 0, 4096, 7));
  v.emplace_back(Command::query_info, EngineClient::query_info_body(l.file, codec::kInfoFilesystem, fscc::kFileFsFullSizeInformation));
  {
    // FileRenameInformation (SMB2 form): ReplaceIfExists 1, Reserved 7, RootDirectory 8,
    // FileNameLength 4, FileName.
    const Vec to = to_utf16le("d\\f");
    Body r;
    r.u8(1).zeros(7).u64(0).u32(static_cast<std::uint32_t>(to.size())).bytes(to);
    v.emplace_back(Command::set_info, EngineClient::set_info_body(l.file, codec::kInfoFile, fscc::kFileRenameInformation, r.b));
  }
  {
    Body eof;
    eof.u64(100);
    v.emplace_back(Command::set_info, EngineClient::set_info_body(l.file, codec::kInfoFile, fscc::kFileEndOfFileInformation, eof.b));
  }
  {
    Body basic;
    basic.u64(0).u64(0).u64(0).u64(0).u32(0).u32(0);
    v.emplace_back(Command::set_info, EngineClient::set_info_body(l.file, codec::kInfoFile, fscc::kFileBasicInformation, basic.b));
  }
  v.emplace_back(Command::ioctl, EngineClient::ioctl_body(codec::kFsctlCreateOrGetObjectId, l.file, {}, 64));
  {
    Body vni;
    vni.u32(0).zeros(16).u16(1).u16(1).u16(0x0311);
    v.emplace_back(Command::ioctl, EngineClient::ioctl_body(codec::kFsctlSrvEnumerateSnapshots, l.file, vni.b, 64));
  }
  v.emplace_back(Command::change_notify, Body{}.u16(32).u16(0).u32(4096).fid(l.dir).u32(0x17).u32(0).b);
  v.emplace_back(Command::oplock_break, Body{}.u16(24).u8(0).u8(0).u32(0).fid(l.file).b);
  v.emplace_back(Command::cancel, Body{}.u16(4).u16(0).b);
  v.emplace_back(Command::close, EngineClient::close_body(l.file, codec::kClosePostqueryAttrib));
  v.emplace_back(Command::tree_disconnect, EngineClient::empty4_body());
  v.emplace_back(Command::logoff, EngineClient::empty4_body());
  return v;
}

/// Every prefix of one valid message of each command, fed to a live connection; when the
/// connection survives, a valid ECHO still works. A prefix that ends the connection starts a new
/// one. The same prefixes fed to a fresh (un-negotiated) connection always disconnect.
TEST(EngineBadInputTest, TruncationsOfEveryCommandNeverCrash) {
  Live l;
  ASSERT_NO_FATAL_FAILURE(l.open());
  const auto samples = sample_bodies(l);
  std::size_t prefixes = 0, disconnects = 0;
  for (const auto& [cmd, body] : samples) {
    for (std::size_t n = 0; n < codec::kHeaderSize + body.size(); ++n) {
      ++prefixes;
      const Vec full = l.c->build(Req{cmd, body});
      const Vec prefix(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
      auto rep = l.c->raw(prefix);
      if (n < codec::kHeaderSize) {
        EXPECT_EQ(rep.disposition, Disposition::close_now) << codec::command_name(cmd) << " prefix " << n;
      }
      if (rep.closed()) {
        ++disconnects;
        const auto fid = l.file;
        ASSERT_NO_FATAL_FAILURE(l.open());
        (void)fid;
        continue;
      }
      ASSERT_LE(rep.msgs.size(), 1u);
      if (cmd != Command::cancel) {
        ASSERT_EQ(rep.msgs.size(), 1u) << codec::command_name(cmd) << " prefix " << n;
        // A decoder that sees a short body must refuse it, never succeed on garbage.
        if (n < codec::kHeaderSize + 4) {
          EXPECT_TRUE(is_error(rep.at(0).status())) << codec::command_name(cmd) << " prefix " << n << ": "
                                                    << to_string(rep.at(0).status());
        }
      }
      // LOGOFF / TREE_DISCONNECT prefixes must not have succeeded; the session keeps working.
      ASSERT_EQ(l.c->echo().status(), NtStatus::success) << codec::command_name(cmd) << " prefix " << n;
      if (cmd == Command::create || cmd == Command::read || cmd == Command::close) {
        // The handles the later samples use are still valid (a short CLOSE closed nothing).
        ASSERT_EQ(l.c->read(l.file, 0, 1).status(), NtStatus::success) << codec::command_name(cmd) << " prefix " << n;
      }
    }
  }
  EXPECT_GT(prefixes, 1000u);
  EXPECT_GT(disconnects, 0u);

  // Fresh connections: anything but NEGOTIATE (whole or not) disconnects.
  for (const auto& [cmd, body] : samples) {
    for (std::size_t n = 0; n <= codec::kHeaderSize + body.size(); n += 7) {
      auto st = unsigned_state();
      EngineClient fresh(st);
      const Vec full = fresh.build(Req{cmd, body});
      auto rep = fresh.raw(Vec(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n)));
      EXPECT_EQ(rep.disposition, Disposition::close_now);
    }
  }
}

TEST(EngineBadInputTest, TruncatedNegotiateAndSessionSetupNeverCrash) {
  // NEGOTIATE, on a fresh connection each.
  {
    auto st = unsigned_state();
    EngineClient proto(st);
    const Vec body = proto.negotiate_body({0x0202, 0x0210, 0x0300, 0x0302, 0x0311},
                                          {EngineClient::preauth_ctx(), EngineClient::signing_ctx({2, 1}),
                                           EngineClient::encryption_ctx({1, 2})});
    for (std::size_t n = 0; n < codec::kHeaderSize + body.size(); ++n) {
      auto st2 = unsigned_state();
      EngineClient c(st2);
      const Vec full = c.build(Req{Command::negotiate, body});
      auto rep = c.raw(Vec(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n)));
      if (n < codec::kHeaderSize) {
        EXPECT_EQ(rep.disposition, Disposition::close_now);
        continue;
      }
      ASSERT_EQ(rep.msgs.size(), 1u) << n;
      EXPECT_EQ(rep.at(0).status(), NtStatus::invalid_parameter) << "prefix " << n;
      // After a failed NEGOTIATE a good one still works.
      EXPECT_EQ(c.negotiate({0x0311}).status(), NtStatus::success) << "prefix " << n;
    }
  }
  // SESSION_SETUP, both legs, on a live (negotiated) connection.
  auto st = unsigned_state();
  auto c = std::make_unique<EngineClient>(st);
  c->strict_signing = false;
  ASSERT_EQ(c->negotiate({0x0311}).status(), NtStatus::success);
  NtlmClient ntlm;
  const Vec neg_body = c->session_setup_req(ntlm.make_negotiate()).body;
  for (std::size_t n = codec::kHeaderSize; n < codec::kHeaderSize + neg_body.size(); ++n) {
    const Vec full = c->build(Req{Command::session_setup, neg_body});
    auto rep = c->raw(Vec(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n)));
    ASSERT_EQ(rep.disposition, Disposition::keep);
    ASSERT_EQ(rep.msgs.size(), 1u);
    EXPECT_TRUE(is_error(rep.at(0).status()) && rep.at(0).status() != NtStatus::more_processing_required)
        << "prefix " << n << ": " << to_string(rep.at(0).status());
  }
  // The AUTHENTICATE leg: every prefix against a fresh in-progress session.
  for (std::size_t cut = 0; cut < 400; cut += 3) {
    NtlmClient cl;
    auto r1 = c->session_setup_step(cl.make_negotiate());
    ASSERT_EQ(r1.status(), NtStatus::more_processing_required);
    const Vec auth = cl.make_authenticate(EngineClient::security_buffer(r1));
    if (cut >= auth.size()) break;
    Req r = c->session_setup_req(Vec(auth.begin(), auth.begin() + static_cast<std::ptrdiff_t>(cut)));
    r.session_id = r1.hdr.session_id;
    auto rep = c->send(r);
    ASSERT_EQ(rep.disposition, Disposition::keep);
    ASSERT_EQ(rep.msgs.size(), 1u);
    EXPECT_TRUE(is_error(rep.at(0).status())) << "cut " << cut << ": " << to_string(rep.at(0).status());
  }
  EXPECT_EQ(c->session_setup(), NtStatus::success);
}

/// Records a valid unsigned conversation as frames, then replays it with bytes flipped.
std::vector<Vec> record_conversation(std::shared_ptr<engine::ServerState> st, std::uint16_t dialect) {
  std::vector<Vec> frames;
  EngineClient c(st);
  c.strict_signing = false;
  auto keep = [&](const Req& r) {
    Vec f = c.frame({r});
    frames.push_back(f);
    auto rep = c.raw(f);
    EXPECT_EQ(rep.disposition, Disposition::keep);
    return rep;
  };
  auto n = c.negotiate_body({dialect}, dialect == 0x0311 ? std::vector{EngineClient::preauth_ctx(), EngineClient::signing_ctx({1})}
                                                          : std::vector<EngineClient::Ctx>{});
  EXPECT_EQ(keep(Req{Command::negotiate, n}).status(), NtStatus::success);
  NtlmClient cl;
  auto r1 = keep(c.session_setup_req(cl.make_negotiate()));
  EXPECT_EQ(r1.status(), NtStatus::more_processing_required);
  c.session_id = r1.at(0).hdr.session_id;
  EXPECT_EQ(keep(c.session_setup_req(cl.make_authenticate(EngineClient::security_buffer(r1.at(0))))).status(),
            NtStatus::success);
  auto t = keep(Req{Command::tree_connect, EngineClient::tree_connect_body("\\\\srv\\share")});
  c.tree_id = t.at(0).hdr.tree_id;
  auto cr = keep(Req{Command::create, EngineClient::create_body("dir", access::kFullAccess, kShareAll, kOpenIf, kDirectoryFile)});
  const codec::FileId d{cr.at(0).u64(64), cr.at(0).u64(72)};
  auto cf = keep(Req{Command::create, EngineClient::create_body("dir\\f.txt", access::kFullAccess, kShareAll, kOpenIf, 0)});
  const codec::FileId f{cf.at(0).u64(64), cf.at(0).u64(72)};
  const Vec data(300, 0x61);
  keep(Req{Command::write, EngineClient::write_body(f, 0, data)});
  keep(Req{Command::read, EngineClient::read_body(f, 0, 300)});
  keep(Req{Command::query_directory, EngineClient::query_directory_body(d, "*")});
  keep(Req{Command::query_info, EngineClient::query_info_body(f, codec::kInfoFile, fscc::kFileAllInformation)});
  Req qi{Command::query_info, EngineClient::query_info_body(codec::kAllOnesFileId, codec::kInfoFile, 5)};
  qi.flags = codec::kFlagRelatedOperations;
  Req cl2{Command::close, EngineClient::close_body(codec::kAllOnesFileId)};
  cl2.flags = codec::kFlagRelatedOperations;
  {
    Vec fr = c.frame({Req{Command::create, EngineClient::create_body("dir\\g", access::kFullAccess, kShareAll, kOpenIf, 0)}, qi, cl2});
    frames.push_back(fr);
    c.raw(fr);
  }
  const Vec yes = {1};
  keep(Req{Command::set_info, EngineClient::set_info_body(f, codec::kInfoFile, fscc::kFileDispositionInformation, yes)});
  keep(Req{Command::close, EngineClient::close_body(f)});
  keep(Req{Command::close, EngineClient::close_body(d)});
  keep(Req{Command::tree_disconnect, EngineClient::empty4_body()});
  keep(Req{Command::logoff, EngineClient::empty4_body()});
  return frames;
}

TEST(EngineBadInputTest, RandomByteFlipsOverARecordedConversation) {
  for (std::uint16_t dialect : {std::uint16_t{0x0210}, std::uint16_t{0x0311}}) {
    const auto frames = record_conversation(unsigned_state(), dialect);
    ASSERT_GE(frames.size(), 15u);
    // Replaying it unchanged on a fresh server gives the same (successful) answers: determinism.
    {
      auto st = unsigned_state();
      EngineClient c(st);
      c.strict_signing = false;
      for (std::size_t i = 0; i < frames.size(); ++i) {
        auto rep = c.raw(frames[i]);
        ASSERT_EQ(rep.disposition, Disposition::keep) << i;
        ASSERT_FALSE(rep.msgs.empty());
        const auto want = i == 1 ? NtStatus::more_processing_required : NtStatus::success;
        EXPECT_EQ(rep.at(0).status(), want) << "frame " << i;
      }
    }
    std::mt19937 rng(0x5eed0000u + dialect);
    std::size_t answered = 0, closed = 0;
    for (int iter = 0; iter < 400; ++iter) {
      auto st = unsigned_state();
      EngineClient c(st);
      c.strict_signing = false;
      const std::size_t victim = rng() % frames.size();
      const int flips = 1 + static_cast<int>(rng() % 4);
      for (std::size_t i = 0; i < frames.size(); ++i) {
        Vec f = frames[i];
        if (i == victim) {
          for (int k = 0; k < flips; ++k) {
            const std::size_t at = rng() % f.size();
            f[at] = static_cast<std::uint8_t>(f[at] ^ (1u << (rng() % 8)));
          }
        }
        auto rep = c.raw(f);  // parse_frame checks every answer is a well-formed SMB2 message
        answered += rep.msgs.size();
        if (rep.closed()) {
          ++closed;
          break;
        }
        for (const auto& m : rep.msgs) EXPECT_TRUE(m.hdr.flags & codec::kFlagServerToRedir);
      }
      c.shutdown();
    }
    // The flips did reach the handlers (most replays run to the end) and some broke framing.
    EXPECT_GT(answered, 400u * 8u);
    EXPECT_GT(closed, 10u);
    std::printf("dialect %04x: %zu answers, %zu disconnects\n", dialect, answered, closed);
  }
}

TEST(EngineBadInputTest, GarbageFramesDisconnect) {
  const std::vector<Vec> garbage = {{},
                                    {0xFE},
                                    {0xFE, 'S', 'M'},
                                    {0xFD, 'S', 'M', 'B', 0, 0, 0, 0},
                                    {0xFC, 'S', 'M', 'B', 1, 2, 3, 4},
                                    {'G', 'E', 'T', ' ', '/'},
                                    Vec(64, 0),
                                    {0xFF, 'S', 'M', 'B'}};
  for (const auto& g : garbage) {
    auto st = unsigned_state();
    EngineClient c(st);
    EXPECT_EQ(c.raw(g).disposition, Disposition::close_now);
  }
  // A header with a bad StructureSize or an unknown command on a live connection.
  Live l;
  ASSERT_NO_FATAL_FAILURE(l.open(0x0210));
  Vec m = l.c->build(Req{Command::echo, EngineClient::echo_body()});
  m[4] = 65;
  EXPECT_EQ(l.c->raw(m).disposition, Disposition::close_now);
  ASSERT_NO_FATAL_FAILURE(l.open(0x0210));
  // An unknown command (0x13..0xFFFF): a disconnect or STATUS_INVALID_PARAMETER; if the
  // connection survives it keeps serving.
  for (std::uint16_t cmd : {std::uint16_t{0x13}, std::uint16_t{0x100}, std::uint16_t{0xFFFF}}) {
    ASSERT_NO_FATAL_FAILURE(l.open(0x0210));
    m = l.c->build(Req{Command::echo, EngineClient::echo_body()});
    m[12] = static_cast<std::uint8_t>(cmd);
    m[13] = static_cast<std::uint8_t>(cmd >> 8);
    auto rep = l.c->raw(m);
    if (rep.closed()) continue;
    ASSERT_EQ(rep.msgs.size(), 1u);
    EXPECT_EQ(rep.at(0).status(), NtStatus::invalid_parameter);
    EXPECT_EQ(l.c->echo().status(), NtStatus::success);
  }
}

// ---- path escapes with a LocalVfs share -------------------------------------------------------------
class EnginePathEscape : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/smbsrv-engine-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    base_ = tmpl;
    fs::create_directory(base_ / "share");
    fs::create_directory(base_ / "outside");
    std::ofstream(base_ / "outside" / "secret") << "top secret";
    std::ofstream(base_ / "share" / "inside.txt") << "inside";
    fs::create_directory_symlink("../outside", base_ / "share" / "link");
    fs::create_symlink("../outside/secret", base_ / "share" / "filelink");
    st_ = make_test_state();
    Share s;
    s.name = "local";
    s.vfs = make_local_vfs(base_ / "share");
    st_->add_share(std::move(s));
    c_ = std::make_unique<EngineClient>(st_);
    ASSERT_NO_FATAL_FAILURE(c_->connect({0x0311}, "local"));
  }
  void TearDown() override {
    c_.reset();
    st_.reset();
    std::error_code ec;
    fs::remove_all(base_, ec);
  }
  std::set<std::string> listing(const fs::path& p) {
    std::set<std::string> names;
    for (const auto& e : fs::directory_iterator(p)) names.insert(e.path().filename().string());
    return names;
  }
  void expect_outside_untouched() {
    EXPECT_EQ(listing(base_), (std::set<std::string>{"outside", "share"}));
    EXPECT_EQ(listing(base_ / "outside"), (std::set<std::string>{"secret"}));
    std::ifstream in(base_ / "outside" / "secret");
    std::string s;
    std::getline(in, s);
    EXPECT_EQ(s, "top secret");
  }
  /// CREATE with open_if (creates when missing) and full access; the status.
  NtStatus try_name(std::string_view name, std::uint32_t disposition = kOpenIf) {
    auto r = c_->create(name, access::kFullAccess, kShareAll, disposition, 0);
    if (r.status == NtStatus::success) c_->close(r.fid);
    return r.status;
  }

  fs::path base_;
  std::shared_ptr<engine::ServerState> st_;
  std::unique_ptr<EngineClient> c_;
};

// Names with a lone UTF-16 surrogate are stored as sent and listed back unchanged, as Windows and
// Samba keep them; a proper pair is the one supplementary character it stands for.
TEST_F(EnginePathEscape, LoneSurrogateNamesAreStoredLosslessly) {
  const auto raw = [](std::initializer_list<char16_t> units) {
    Vec b;
    for (char16_t u : units) {
      b.push_back(static_cast<std::uint8_t>(u & 0xFF));
      b.push_back(static_cast<std::uint8_t>(u >> 8));
    }
    return b;
  };
  for (const auto& name : {raw({0xD800}), raw({0xDC00}), raw({'a', 0xDBFF}), raw({0xD800, 0xDC00})}) {
    auto r = c_->one({Command::create, EngineClient::create_body_raw(name, access::kFullAccess, kShareAll, 2 /*create*/, 0)});
    ASSERT_EQ(r.status(), NtStatus::success);
    ASSERT_EQ(c_->close({r.u64(64), r.u64(72)}).status(), NtStatus::success);
  }
  // Opening by the same UTF-16 name finds it again; a pair is not its lone halves.
  auto again = c_->one({Command::create, EngineClient::create_body_raw(raw({0xD800}), access::kFullAccess, kShareAll, 2, 0)});
  EXPECT_EQ(again.status(), NtStatus::object_name_collision);
  const auto on_disk = listing(base_ / "share");
  EXPECT_TRUE(on_disk.count("\xED\xA0\x80"));
  EXPECT_TRUE(on_disk.count("\xED\xB0\x80"));
  EXPECT_TRUE(on_disk.count("a\xED\xAF\xBF"));
  EXPECT_TRUE(on_disk.count("\xF0\x90\x80\x80"));
  auto d = c_->create("", access::kGenericRead, kShareAll, kOpen, 1 /*directory*/);
  ASSERT_EQ(d.status, NtStatus::success);
  auto q = c_->query_directory(d.fid, "*");
  ASSERT_EQ(q.status(), NtStatus::success);
  const auto names = EngineClient::dir_names(q);
  for (const char* n : {"\xED\xA0\x80", "\xED\xB0\x80", "a\xED\xAF\xBF", "\xF0\x90\x80\x80"})
    EXPECT_NE(std::find(names.begin(), names.end(), n), names.end()) << n;
  EXPECT_EQ(c_->close(d.fid).status(), NtStatus::success);
}

TEST_F(EnginePathEscape, DotDotNeverLeavesTheShare) {
  EXPECT_EQ(try_name("..\\outside\\x"), NtStatus::object_path_syntax_bad);
  EXPECT_EQ(try_name("..\\outside\\secret", kOpen), NtStatus::object_path_syntax_bad);
  EXPECT_EQ(try_name("a\\..\\..\\x"), NtStatus::object_path_syntax_bad);
  EXPECT_EQ(try_name("a/../../x"), NtStatus::object_path_syntax_bad);
  EXPECT_EQ(try_name(".."), NtStatus::object_path_syntax_bad);
  EXPECT_EQ(try_name("."), NtStatus::object_name_invalid);
  // Inside the share it resolves, as on Windows.
  EXPECT_EQ(try_name("nowhere\\..\\inside.txt", kOpen), NtStatus::success);
  expect_outside_untouched();
}

TEST_F(EnginePathEscape, LeadingSeparatorIsInvalidParameter) {
  EXPECT_EQ(try_name("\\x"), NtStatus::invalid_parameter);
  EXPECT_EQ(try_name("/x"), NtStatus::invalid_parameter);
  EXPECT_EQ(try_name("\\..\\outside\\secret", kOpen), NtStatus::invalid_parameter);
  expect_outside_untouched();
  EXPECT_FALSE(fs::exists(base_ / "share" / "x"));
}

TEST_F(EnginePathEscape, DriveLettersAndStreamSyntaxStayInside) {
  // A drive letter is a file name followed by a stream name ("C:x" is stream x of file C,
  // MS-FSCC 2.1.5): a path after the ':' is invalid, and nothing ever lands outside the share or
  // under a name with ':' in it.
  EXPECT_EQ(try_name("C:\\x"), NtStatus::object_name_invalid);
  EXPECT_EQ(try_name("C:..\\x"), NtStatus::object_name_invalid);
  EXPECT_EQ(try_name("x:a/b"), NtStatus::object_name_invalid);
  EXPECT_EQ(try_name("x:a:$BOGUS"), NtStatus::object_name_invalid);
  // The file itself, where the backend has streams; an invalid name where it has none.
  auto fs = st_->find_share("local")->vfs->fs_info();
  ASSERT_TRUE(fs);
  EXPECT_EQ(try_name("inside.txt::$DATA", kOpen), fs->named_streams ? NtStatus::success : NtStatus::object_name_invalid);
  for (const char* bad : {"a<b", "a>b", "a\"b", "a|b", "a?b", "a*b"})
    EXPECT_EQ(try_name(bad), NtStatus::object_name_invalid) << bad;
  expect_outside_untouched();
  for (const auto& name : listing(base_ / "share")) EXPECT_EQ(name.find(':'), std::string::npos) << name;
}

TEST_F(EnginePathEscape, ReservedDosNamesAreRefusedAsWindowsDoes) {
  // Share::windows_names (the default): the names Win32 cannot use are OBJECT_NAME_INVALID.
  for (const char* name : {"con", "NUL", "aux.txt", "com1", "LPT1", "dot.", "space ", "con\\x"})
    EXPECT_EQ(try_name(name), NtStatus::object_name_invalid) << name;
  EXPECT_EQ(listing(base_ / "share"), (std::set<std::string>{"inside.txt", "link", "filelink"}));
}

TEST_F(EnginePathEscape, ReservedDosNamesAreOrdinaryFilesWhenAllowed) {
  // Without windows_names, device names mean nothing to a POSIX backend: "con", "nul", "aux",
  // "com1", "lpt1" are created as plain files inside the share.
  Share s;
  s.name = "any";
  s.vfs = make_local_vfs(base_ / "share");
  s.windows_names = false;
  st_->add_share(std::move(s));
  EngineClient c2(st_);
  ASSERT_NO_FATAL_FAILURE(c2.connect({0x0311}, "any"));
  for (const char* name : {"con", "NUL", "aux.txt", "com1", "LPT1", "dot."}) {
    auto r = c2.create(name, access::kFullAccess, kShareAll, kOpenIf, 0);
    EXPECT_EQ(r.status, NtStatus::success) << name;
    if (r.status == NtStatus::success) c2.close(r.fid);
  }
  EXPECT_TRUE(fs::is_regular_file(base_ / "share" / "con"));
  EXPECT_TRUE(fs::is_regular_file(base_ / "share" / "NUL"));
  expect_outside_untouched();
}

TEST_F(EnginePathEscape, OverlongComponentIsObjectNameInvalid) {
  EXPECT_EQ(try_name(std::string(300, 'a')), NtStatus::object_name_invalid);
  EXPECT_EQ(try_name("dir\\" + std::string(256, 'b')), NtStatus::object_name_invalid);
  EXPECT_EQ(try_name(std::string(255, 'c')), NtStatus::success);  // the limit itself is fine
  expect_outside_untouched();
}

TEST_F(EnginePathEscape, EmbeddedNulIsObjectNameInvalid) {
  Vec name = to_utf16le("inside.txt");
  name.insert(name.begin() + 6, {0, 0});  // "ins\0ide.txt"
  auto r = c_->one({Command::create, EngineClient::create_body_raw(name, access::kFullAccess, kShareAll, kOpenIf, 0)});
  EXPECT_EQ(r.status(), NtStatus::object_name_invalid);
  Vec trailing = to_utf16le("newfile");
  trailing.insert(trailing.end(), {0, 0});  // a trailing NUL
  r = c_->one({Command::create, EngineClient::create_body_raw(trailing, access::kFullAccess, kShareAll, kOpenIf, 0)});
  EXPECT_EQ(r.status(), NtStatus::object_name_invalid);
  // An odd NameLength (an unpaired surrogate is a valid name: LoneSurrogateNamesAreStoredLosslessly).
  Vec odd = {'a', 0, 'b'};
  r = c_->one({Command::create, EngineClient::create_body_raw(odd, access::kFullAccess, kShareAll, kOpenIf, 0)});
  EXPECT_EQ(r.status(), NtStatus::object_name_invalid);
  EXPECT_EQ(listing(base_ / "share"), (std::set<std::string>{"inside.txt", "link", "filelink"}));
  expect_outside_untouched();
}

TEST_F(EnginePathEscape, SymlinksInsideTheShareAreNeverFollowed) {
  EXPECT_EQ(try_name("link\\secret", kOpen), NtStatus::access_denied);
  EXPECT_EQ(try_name("link\\new.txt", kCreate), NtStatus::access_denied);
  EXPECT_EQ(try_name("link\\new.txt", kOpenIf), NtStatus::access_denied);
  EXPECT_EQ(try_name("filelink", kOpen), NtStatus::access_denied);
  EXPECT_EQ(try_name("filelink", 5 /*overwrite_if*/), NtStatus::access_denied);
  auto d = c_->create("link", access::kFullAccess, kShareAll, kOpen, kDirectoryFile);
  EXPECT_EQ(d.status, NtStatus::access_denied);
  // Symlinks do not show up in listings either.
  auto root = c_->create("", access::kReadOnlyAccess, kShareAll, kOpen, kDirectoryFile);
  ASSERT_EQ(root.status, NtStatus::success);
  auto q = c_->query_directory(root.fid, "*");
  ASSERT_EQ(q.status(), NtStatus::success);
  EXPECT_EQ(EngineClient::dir_names(q), (std::vector<std::string>{".", "..", "inside.txt"}));
  // Renaming onto a path through the symlink fails too.
  auto f = c_->create("inside.txt", access::kFullAccess, kShareAll, kOpen, 0);
  ASSERT_EQ(f.status, NtStatus::success);
  for (const char* target : {"link\\stolen", "..\\outside\\stolen", "\\..\\stolen"}) {
    const Vec to = to_utf16le(target);
    Body r;
    r.u8(0).zeros(7).u64(0).u32(static_cast<std::uint32_t>(to.size())).bytes(to);
    auto s = c_->set_info(f.fid, codec::kInfoFile, fscc::kFileRenameInformation, r.b);
    EXPECT_TRUE(s.status() == NtStatus::access_denied || s.status() == NtStatus::object_name_invalid ||
                s.status() == NtStatus::object_path_syntax_bad)
        << target << ": " << to_string(s.status());
  }
  EXPECT_EQ(c_->close(f.fid).status(), NtStatus::success);
  EXPECT_TRUE(fs::exists(base_ / "share" / "inside.txt"));
  expect_outside_untouched();
}

}  // namespace
}  // namespace smbsrv::test
