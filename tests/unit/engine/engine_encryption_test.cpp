// SMB 3.x encryption through the engine (MS-SMB2 3.3.4.1.4, 3.3.5.2.1.1, 3.3.5.2.9, 3.3.5.2.11,
// 3.3.5.5.3, 3.3.5.7). The client side (tests/support/engine_client.hpp) derives its own keys and
// seals/opens transform headers without the engine's helpers.
#include <gtest/gtest.h>

#include <chrono>
#include <unordered_set>

#include "engine/encryption.hpp"
#include "support/engine_client.hpp"

namespace smbsrv::test {
namespace {

using crypto::Cipher;
using engine::Disposition;

constexpr std::uint32_t kCreate = 2, kNonDirectoryFile = 0x40;
constexpr std::uint16_t kSessionFlagEncryptData = 0x0004;
constexpr std::uint32_t kShareFlagEncryptData = 0x8000;

Vec bytes(std::string_view s) { return Vec(s.begin(), s.end()); }

struct EncCase {
  const char* name;
  std::uint16_t dialect;
  Cipher cipher;
};

const EncCase kEncCases[] = {
    {"smb300_aes128ccm", 0x0300, Cipher::aes128_ccm}, {"smb302_aes128ccm", 0x0302, Cipher::aes128_ccm},
    {"smb311_aes128ccm", 0x0311, Cipher::aes128_ccm}, {"smb311_aes128gcm", 0x0311, Cipher::aes128_gcm},
    {"smb311_aes256ccm", 0x0311, Cipher::aes256_ccm}, {"smb311_aes256gcm", 0x0311, Cipher::aes256_gcm},
};

std::string case_name(const ::testing::TestParamInfo<EncCase>& i) { return i.param.name; }

/// NEGOTIATE (offering only p.cipher at 3.1.1, CAP_ENCRYPTION at 3.0.x) and SESSION_SETUP.
void logon_encrypting(EngineClient& c, const EncCase& p) {
  std::optional<std::vector<EngineClient::Ctx>> ctx;
  if (p.dialect == 0x0311) {
    ctx = std::vector{EngineClient::preauth_ctx(), EngineClient::signing_ctx({2, 1, 0}),
                      EngineClient::encryption_ctx({static_cast<std::uint16_t>(p.cipher)})};
  } else {
    c.capabilities = codec::kCapEncryption;
  }
  auto n = c.negotiate({p.dialect}, ctx);
  ASSERT_EQ(n.status(), NtStatus::success);
  ASSERT_EQ(c.cipher, p.cipher);
  ASSERT_EQ(c.session_setup(), NtStatus::success);
  ASSERT_EQ(c.encryption_key.size(), crypto::key_length(p.cipher));
}

/// 2.1, 3.0 without CAP_ENCRYPTION, 3.1.1 without an encryption context, 3.1.1 offering only a
/// cipher the server does not know: none of them can encrypt.
enum class Incapable { smb21, smb30_no_cap, smb311_no_context, smb311_no_common_cipher };
const Incapable kIncapable[] = {Incapable::smb21, Incapable::smb30_no_cap, Incapable::smb311_no_context,
                                Incapable::smb311_no_common_cipher};
const char* incapable_name(Incapable i) {
  switch (i) {
    case Incapable::smb21: return "2.1";
    case Incapable::smb30_no_cap: return "3.0 without CAP_ENCRYPTION";
    case Incapable::smb311_no_context: return "3.1.1 without an encryption context";
    case Incapable::smb311_no_common_cipher: return "3.1.1 with no common cipher";
  }
  return "?";
}
void negotiate_incapable(EngineClient& c, Incapable i) {
  switch (i) {
    case Incapable::smb21: ASSERT_EQ(c.negotiate({0x0210}).status(), NtStatus::success); break;
    case Incapable::smb30_no_cap: ASSERT_EQ(c.negotiate({0x0300}).status(), NtStatus::success); break;
    case Incapable::smb311_no_context: ASSERT_EQ(c.negotiate({0x0311}).status(), NtStatus::success); break;
    case Incapable::smb311_no_common_cipher:
      ASSERT_EQ(c.negotiate({0x0311}, std::vector{EngineClient::preauth_ctx(), EngineClient::encryption_ctx({0x0077})})
                    .status(),
                NtStatus::success);
      break;
  }
  ASSERT_FALSE(c.cipher.has_value());
}

// ---- 1. encrypted requests get encrypted responses ----------------------------------------------
class EngineEncryption : public ::testing::TestWithParam<EncCase> {};

TEST_P(EngineEncryption, EncryptedRequestsGetEncryptedResponses) {
  const auto& p = GetParam();
  EngineClient c(make_test_state());
  logon_encrypting(c, p);
  c.encrypt = true;

  // The transform header of an answer.
  auto e = c.send(Req{Command::echo, EngineClient::echo_body()});
  ASSERT_FALSE(e.closed());
  ASSERT_TRUE(e.encrypted());
  ASSERT_EQ(e.msgs.size(), 1u);
  EXPECT_EQ(e.status(), NtStatus::success);
  EXPECT_EQ(e.at(0).hdr.command, Command::echo);
  EXPECT_FALSE(e.at(0).is_signed());  // the AEAD tag authenticates it
  const Vec& t = e.transformed;
  EXPECT_EQ(le32(t, 36), e.frame.size());    // OriginalMessageSize
  EXPECT_EQ(le16(t, 40), 0);                 // Reserved
  EXPECT_EQ(le16(t, 42), 1);                 // Flags: Encrypted
  EXPECT_EQ(le64(t, 44), c.session_id);      // SessionId
  for (std::size_t i = crypto::nonce_length(p.cipher); i < 16; ++i) EXPECT_EQ(t[20 + i], 0) << "nonce byte " << i;

  // A whole conversation, every answer encrypted and right.
  auto tc = c.tree_connect("share");
  ASSERT_EQ(tc.status(), NtStatus::success);
  EXPECT_TRUE(tc.encrypted);
  auto f = c.create("enc.txt", access::kFullAccess, kShareAll, kCreate, kNonDirectoryFile);
  ASSERT_EQ(f.status, NtStatus::success);
  EXPECT_TRUE(f.rsp.encrypted);
  Vec data(100000);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::uint8_t>(i * 13 + 7);
  auto w = c.write(f.fid, 0, data);
  ASSERT_EQ(w.status(), NtStatus::success);
  EXPECT_TRUE(w.encrypted);
  EXPECT_EQ(w.u32(4), data.size());
  auto r = c.read(f.fid, 0, static_cast<std::uint32_t>(data.size()));
  ASSERT_EQ(r.status(), NtStatus::success);
  EXPECT_TRUE(r.encrypted);
  EXPECT_EQ(EngineClient::read_data(r), data);
  auto cl = c.close(f.fid);
  EXPECT_EQ(cl.status(), NtStatus::success);
  EXPECT_TRUE(cl.encrypted);

  // A related compound is answered in one encrypted frame.
  Req cr{Command::create, EngineClient::create_body("chain.txt", access::kFullAccess, kShareAll, kCreate, kNonDirectoryFile)};
  Req wr{Command::write, EngineClient::write_body(codec::kAllOnesFileId, 0, bytes("chained"))};
  wr.flags = codec::kFlagRelatedOperations;
  Req clr{Command::close, EngineClient::close_body(codec::kAllOnesFileId)};
  clr.flags = codec::kFlagRelatedOperations;
  auto chain = c.send({cr, wr, clr});
  ASSERT_TRUE(chain.encrypted());
  ASSERT_EQ(chain.msgs.size(), 3u);
  for (const auto& m : chain.msgs) EXPECT_EQ(m.status(), NtStatus::success) << codec::command_name(m.hdr.command);

  // Encryption is not required here: a plain request still gets a plain, signed answer.
  c.encrypt = false;
  auto plain = c.send(Req{Command::echo, EngineClient::echo_body()});
  EXPECT_FALSE(plain.encrypted());
  ASSERT_EQ(plain.msgs.size(), 1u);
  EXPECT_TRUE(plain.at(0).sig_valid);
}

// ---- 2. anything altered, or an unknown session, disconnects -------------------------------------
TEST_P(EngineEncryption, TamperedTransformDisconnects) {
  const auto& p = GetParam();
  const std::size_t nl = crypto::nonce_length(p.cipher);
  struct Spot {
    const char* what;
    std::size_t at;  // SIZE_MAX: last byte
  };
  const Spot spots[] = {{"signature first byte", 4},  {"signature last byte", 19}, {"nonce first byte", 20},
                        {"nonce last used byte", 20 + nl - 1}, {"nonce reserved byte", 35},
                        {"OriginalMessageSize", 36}, {"Reserved", 40}, {"Flags", 42}, {"SessionId", 44},
                        {"SessionId high byte", 51}, {"ciphertext first byte", 52},
                        {"ciphertext last byte", SIZE_MAX}};
  for (const auto& s : spots) {
    SCOPED_TRACE(s.what);
    EngineClient c(make_test_state());
    logon_encrypting(c, p);
    Vec f = c.seal(c.frame({Req{Command::echo, EngineClient::echo_body()}}));
    f[s.at == SIZE_MAX ? f.size() - 1 : s.at] ^= 0x01;
    auto rep = c.raw(f);
    EXPECT_EQ(rep.disposition, Disposition::close_now);
    EXPECT_TRUE(rep.msgs.empty());
  }
  // Control: the same message untouched is answered.
  EngineClient c(make_test_state());
  logon_encrypting(c, p);
  auto ok = c.raw(c.seal(c.frame({Req{Command::echo, EngineClient::echo_body()}})));
  EXPECT_EQ(ok.disposition, Disposition::keep);
  EXPECT_EQ(ok.status(), NtStatus::success);
  // Truncated: shorter than a transform header, or than OriginalMessageSize says.
  Vec f = c.seal(c.frame({Req{Command::echo, EngineClient::echo_body()}}));
  EXPECT_EQ(c.raw(Vec(f.begin(), f.begin() + 40)).disposition, Disposition::close_now);
  EngineClient c2(make_test_state());
  logon_encrypting(c2, p);
  f = c2.seal(c2.frame({Req{Command::echo, EngineClient::echo_body()}}));
  f.pop_back();
  EXPECT_EQ(c2.raw(f).disposition, Disposition::close_now);
}

TEST_P(EngineEncryption, UnknownSessionIdDisconnects) {
  const auto& p = GetParam();
  {  // A well-formed, correctly keyed transform naming a session that does not exist.
    EngineClient c(make_test_state());
    logon_encrypting(c, p);
    c.seal_session_id = c.session_id ^ 0x0000000100000000ull;
    auto rep = c.raw(c.seal(c.frame({Req{Command::echo, EngineClient::echo_body()}})));
    EXPECT_EQ(rep.disposition, Disposition::close_now);
    EXPECT_TRUE(rep.msgs.empty());
  }
  {  // Before any session exists.
    EngineClient c(make_test_state());
    logon_encrypting(c, p);
    EngineClient fresh(make_test_state());
    std::optional<std::vector<EngineClient::Ctx>> ctx;
    if (p.dialect == 0x0311)
      ctx = std::vector{EngineClient::preauth_ctx(), EngineClient::encryption_ctx({static_cast<std::uint16_t>(p.cipher)})};
    else
      fresh.capabilities = codec::kCapEncryption;
    ASSERT_EQ(fresh.negotiate({p.dialect}, ctx).status(), NtStatus::success);
    auto rep = fresh.raw(c.seal(c.frame({Req{Command::echo, EngineClient::echo_body()}})));
    EXPECT_EQ(rep.disposition, Disposition::close_now);
  }
  {  // Decrypts under session A, but the message inside claims another session.
    EngineClient c(make_test_state());
    logon_encrypting(c, p);
    Req r{Command::echo, EngineClient::echo_body()};
    r.session_id = c.session_id + 1;
    auto rep = c.raw(c.seal(c.frame({r})));
    EXPECT_EQ(rep.disposition, Disposition::close_now);
  }
}

INSTANTIATE_TEST_SUITE_P(Ciphers, EngineEncryption, ::testing::ValuesIn(kEncCases), case_name);

TEST(EngineEncryptionRefusal, TransformOnAConnectionWithoutACipherDisconnects) {
  EngineClient c(make_test_state());
  ASSERT_EQ(c.negotiate({0x0210}).status(), NtStatus::success);
  ASSERT_EQ(c.session_setup(), NtStatus::success);
  c.cipher = Cipher::aes128_ccm;  // whatever the client thinks: 2.1 has no encryption
  c.encryption_key = Vec(16, 0x11);
  auto rep = c.raw(c.seal(c.frame({Req{Command::echo, EngineClient::echo_body()}})));
  EXPECT_EQ(rep.disposition, Disposition::close_now);
}

// ---- 3. a server that requires encryption (ServerConfig::encrypt_all) ---------------------------
class EngineEncryptAll : public ::testing::TestWithParam<EncCase> {};

TEST_P(EngineEncryptAll, SessionFlagAndPlainRequestsDenied) {
  ServerConfig cfg;
  cfg.encrypt_all = true;
  EngineClient c(make_test_state(cfg));
  logon_encrypting(c, GetParam());
  EXPECT_TRUE(c.last_session_rsp.u16(2) & kSessionFlagEncryptData);
  // After SESSION_SETUP, unencrypted requests on the session are refused.
  auto tc = c.tree_connect("share");
  EXPECT_EQ(tc.status(), NtStatus::access_denied);
  EXPECT_FALSE(tc.encrypted);
  EXPECT_EQ(c.echo().status(), NtStatus::access_denied);
  // Encrypted, everything works.
  c.encrypt = true;
  tc = c.tree_connect("share");
  ASSERT_EQ(tc.status(), NtStatus::success);
  EXPECT_TRUE(tc.encrypted);
  auto f = c.create("x.txt", access::kFullAccess, kShareAll, kCreate, kNonDirectoryFile);
  ASSERT_EQ(f.status, NtStatus::success);
  EXPECT_TRUE(f.rsp.encrypted);
  // Back to plain on the tree: still refused.
  c.encrypt = false;
  EXPECT_EQ(c.close(f.fid).status(), NtStatus::access_denied);
  c.encrypt = true;
  EXPECT_EQ(c.close(f.fid).status(), NtStatus::success);
}

INSTANTIATE_TEST_SUITE_P(Ciphers, EngineEncryptAll, ::testing::ValuesIn(kEncCases), case_name);

TEST(EngineEncryptAllRefusal, ClientsThatCannotEncryptAreRefusedAtSessionSetup) {
  for (auto i : kIncapable) {
    SCOPED_TRACE(incapable_name(i));
    ServerConfig cfg;
    cfg.encrypt_all = true;
    EngineClient c(make_test_state(cfg));
    negotiate_incapable(c, i);
    EXPECT_EQ(c.session_setup(), NtStatus::access_denied);
    // No session was left behind.
    auto e = c.one(Req{Command::tree_connect, EngineClient::tree_connect_body("\\\\srv\\share")});
    EXPECT_EQ(e.status(), NtStatus::user_session_deleted);
  }
}

// ---- 4. a share that requires encryption (Share::encrypt_data) -----------------------------------
std::shared_ptr<engine::ServerState> state_with_secure_share() {
  auto st = make_test_state();
  Share s;
  s.name = "secure";
  s.vfs = make_memory_vfs();
  s.encrypt_data = true;
  st->add_share(std::move(s));
  return st;
}

class EngineEncryptedShare : public ::testing::TestWithParam<EncCase> {};

TEST_P(EngineEncryptedShare, ShareFlagAndPlainRequestsOnTheTreeDenied) {
  EngineClient c(state_with_secure_share());
  logon_encrypting(c, GetParam());
  EXPECT_FALSE(c.last_session_rsp.u16(2) & kSessionFlagEncryptData);
  // The TREE_CONNECT itself may be plain (the session does not require encryption).
  auto plain_tc = c.tree_connect("share");
  ASSERT_EQ(plain_tc.status(), NtStatus::success);
  EXPECT_FALSE(plain_tc.u32(4) & kShareFlagEncryptData);
  const auto plain_tree = c.tree_id;
  auto tc = c.tree_connect("secure");
  ASSERT_EQ(tc.status(), NtStatus::success);
  EXPECT_TRUE(tc.u32(4) & kShareFlagEncryptData);
  const auto secure_tree = c.tree_id;
  // Plain requests on the secure tree: ACCESS_DENIED.
  auto denied = c.create("s.txt", access::kFullAccess, kShareAll, kCreate, kNonDirectoryFile);
  EXPECT_EQ(denied.status, NtStatus::access_denied);
  // Encrypted: fine.
  c.encrypt = true;
  auto f = c.create("s.txt", access::kFullAccess, kShareAll, kCreate, kNonDirectoryFile);
  ASSERT_EQ(f.status, NtStatus::success);
  EXPECT_TRUE(f.rsp.encrypted);
  ASSERT_EQ(c.write(f.fid, 0, bytes("secret")).status(), NtStatus::success);
  c.encrypt = false;
  EXPECT_EQ(c.read(f.fid, 0, 6).status(), NtStatus::access_denied);
  c.encrypt = true;
  auto r = c.read(f.fid, 0, 6);
  ASSERT_EQ(r.status(), NtStatus::success);
  EXPECT_EQ(EngineClient::read_data(r), bytes("secret"));
  EXPECT_EQ(c.close(f.fid).status(), NtStatus::success);
  // The other tree of the same session stays usable in plain text.
  c.encrypt = false;
  c.tree_id = plain_tree;
  auto g = c.create("p.txt", access::kFullAccess, kShareAll, kCreate, kNonDirectoryFile);
  ASSERT_EQ(g.status, NtStatus::success);
  EXPECT_FALSE(g.rsp.encrypted);
  EXPECT_EQ(c.close(g.fid).status(), NtStatus::success);
  // TREE_DISCONNECT of the secure tree must be encrypted too.
  c.tree_id = secure_tree;
  EXPECT_EQ(c.tree_disconnect().status(), NtStatus::access_denied);
  c.encrypt = true;
  EXPECT_EQ(c.tree_disconnect().status(), NtStatus::success);
}

INSTANTIATE_TEST_SUITE_P(Ciphers, EngineEncryptedShare, ::testing::ValuesIn(kEncCases), case_name);

TEST(EngineEncryptedShareRefusal, ClientsThatCannotEncryptAreRefusedAtTreeConnect) {
  for (auto i : kIncapable) {
    SCOPED_TRACE(incapable_name(i));
    EngineClient c(state_with_secure_share());
    negotiate_incapable(c, i);
    ASSERT_EQ(c.session_setup(), NtStatus::success);
    EXPECT_EQ(c.tree_connect("secure").status(), NtStatus::access_denied);
    EXPECT_EQ(c.tree_connect("share").status(), NtStatus::success);  // other shares are fine
  }
}

// ---- 5. nonces never repeat under one key ----------------------------------------------------------
// Why they cannot (engine/encryption.hpp): the server encrypts only under Session.EncryptionKey,
// which is per session and server-to-client only; the first 8 nonce bytes are the session's
// 64-bit message counter, taken atomically for every sealed message and never wrapped. The tests
// below check the schedule for 10^6 messages directly and the engine's actual nonces end to end.
struct NonceHash {
  std::size_t operator()(const engine::Nonce16& n) const {
    std::uint64_t a = 0, b = 0;
    std::memcpy(&a, n.data(), 8);
    std::memcpy(&b, n.data() + 8, 8);
    return std::hash<std::uint64_t>{}(a * 0x9E3779B97F4A7C15ull ^ b);
  }
};

TEST(EngineNonces, ScheduleNeverRepeatsOverOneMillionMessages) {
  const std::array<std::uint8_t, 4> salt{0x12, 0x34, 0x56, 0x78};
  for (Cipher c : {Cipher::aes128_ccm, Cipher::aes128_gcm}) {
    std::atomic<std::uint64_t> counter{0};
    std::unordered_set<engine::Nonce16, NonceHash> seen;
    seen.reserve(1'100'000);
    for (int i = 0; i < 1'000'000; ++i) {
      auto n = engine::next_nonce_counter(counter);
      ASSERT_TRUE(n);
      // Only the bytes the cipher uses count; the rest must be zero.
      auto nonce = engine::encryption_nonce(c, *n, salt);
      for (std::size_t k = crypto::nonce_length(c); k < 16; ++k) ASSERT_EQ(nonce[k], 0);
      ASSERT_TRUE(seen.insert(nonce).second) << "nonce repeated at message " << i;
    }
    EXPECT_EQ(seen.size(), 1'000'000u);
  }
}

TEST(EngineNonces, EngineNoncesNeverRepeatWithinASession) {
  // Every encrypted answer of one session, through Connection::on_message: all nonces distinct,
  // and two sessions (different keys) each get their own counter.
  for (const EncCase& p : {EncCase{"smb300", 0x0300, Cipher::aes128_ccm}, EncCase{"smb311", 0x0311, Cipher::aes128_gcm}}) {
    SCOPED_TRACE(p.name);
    EngineClient c(make_test_state());
    logon_encrypting(c, p);
    c.encrypt = true;
    std::unordered_set<engine::Nonce16, NonceHash> seen;
    constexpr int kMessages = 30000;
    for (int i = 0; i < kMessages; ++i) {
      auto rep = c.send(Req{Command::echo, EngineClient::echo_body()});
      ASSERT_TRUE(rep.encrypted()) << i;
      ASSERT_EQ(rep.status(), NtStatus::success);
      engine::Nonce16 n{};
      std::copy(rep.transformed.begin() + 20, rep.transformed.begin() + 36, n.begin());
      ASSERT_TRUE(seen.insert(n).second) << "nonce repeated at message " << i;
    }
    EXPECT_EQ(seen.size(), static_cast<std::size_t>(kMessages));
  }
}

}  // namespace
}  // namespace smbsrv::test
