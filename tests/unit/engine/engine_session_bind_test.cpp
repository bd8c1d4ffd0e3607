// SESSION_SETUP with SMB2_SESSION_FLAG_BINDING (MS-SMB2 3.3.5.5) from a second connection, with
// multichannel off (ServerConfig::multichannel), so that every binding is refused, and the first
// leg of one with it on. What matters to clients is the status and the signature: the session is
// found in the server-wide table, the request is verified with the session's signing key, and a
// verified request is answered signed with that key and the session's algorithm (smbtorture
// smb2.session.bind_negative_* take an unsigned refusal as ACCESS_DENIED). The session itself is
// untouched. Complete bindings are tested against real clients (smbtorture smb2.session.bind*,
// smb2.multichannel.*, the Linux kernel client: tests/kernel/linux_cifs_multichannel.sh).
#include <gtest/gtest.h>

#include "support/engine_client.hpp"

namespace smbsrv::test {
namespace {

constexpr std::uint8_t kInfoFile = 1, kFilePositionInformation = 14;

struct Bind : ::testing::Test {
  std::shared_ptr<engine::ServerState> st;
  std::unique_ptr<EngineClient> a, b;

  void SetUp() override { start(false); }
  void start(bool multichannel) {
    ServerConfig cfg;
    cfg.multichannel = multichannel;
    st = make_test_state(cfg, {{"bob", "Secret2"}});
    a = std::make_unique<EngineClient>(st);
    b = std::make_unique<EngineClient>(st);
    ASSERT_NO_FATAL_FAILURE(a->connect({0x0311}));  // signs with AES-GMAC
    ASSERT_EQ(a->alg, crypto::SigningAlgorithm::aes_gmac);
  }

  /// A binding request for a's session from b, signed (or not) with a's key and algorithm.
  Rsp bind(bool sign = true, bool corrupt = false) {
    Body body;
    body.u16(25).u8(codec::kSessionFlagBinding).u8(codec::kSigningEnabled).u32(0).u32(0);
    body.u16(0x58).u16(0).u64(0);
    Req r{Command::session_setup, body.b};
    r.session_id = a->session_id;
    r.sign = sign;
    const auto key = b->signing_key;
    const auto alg = b->alg;
    b->signing_key = a->signing_key;
    b->alg = a->alg;
    Vec m = b->frame({r});
    if (corrupt) m.back() ^= 1;
    b->strict_signing = false;
    auto rep = b->raw(m);
    b->signing_key = key;
    b->alg = alg;
    EXPECT_EQ(rep.msgs.size(), 1u);
    return rep.msgs.empty() ? Rsp{} : rep.msgs[0];
  }
  bool signed_by_a(const Rsp& r) const {
    return r.is_signed() && crypto::smb2_verify(a->alg, a->signing_key, r.msg);
  }
  void session_a_still_works(const codec::FileId& f) {
    EXPECT_EQ(a->query_info(f, kInfoFile, kFilePositionInformation).status(), NtStatus::success);
  }
};

TEST_F(Bind, ASoundBindingIsRefusedSignedWithTheSessionsKey) {
  auto f = a->create("f.txt", access::kFullAccess, 0, 2);
  ASSERT_EQ(f.status, NtStatus::success);
  ASSERT_EQ(b->negotiate({0x0311}).status(), NtStatus::success);
  auto r = bind();
  EXPECT_EQ(r.status(), NtStatus::request_not_accepted);
  EXPECT_TRUE(signed_by_a(r));
  session_a_still_works(f.fid);
}

TEST_F(Bind, WithMultichannelASoundBindingGoesOnToAuthenticate) {
  start(true);
  auto f = a->create("f.txt", access::kFullAccess, 0, 2);
  ASSERT_EQ(f.status, NtStatus::success);
  ASSERT_EQ(b->negotiate({0x0311}).status(), NtStatus::success);
  auto r = bind();  // no security token: the authentication refuses it, signed with a's key
  EXPECT_EQ(r.status(), NtStatus::invalid_parameter);
  EXPECT_TRUE(signed_by_a(r));
  session_a_still_works(f.fid);
}

TEST_F(Bind, ChannelsShareTheSessionAndItsOpensAndOutliveEachOther) {
  start(true);
  ASSERT_EQ(b->negotiate({0x0311}).status(), NtStatus::success);
  ASSERT_EQ(b->bind_to(*a), NtStatus::success);
  b->tree_id = a->tree_id;  // the session's trees are the channels' too
  // An open made on one channel is used on the other, each signing with its own key.
  auto r = a->one({Command::create, create_body_with_contexts("f.txt", 3, codec::kOplockBatch, {})});
  ASSERT_EQ(r.status(), NtStatus::success);
  EXPECT_EQ(r.body()[2], codec::kOplockBatch);
  const codec::FileId f{r.u64(64), r.u64(72)};
  EXPECT_EQ(b->query_info(f, kInfoFile, kFilePositionInformation).status(), NtStatus::success);
  auto g = b->create("g.txt");
  ASSERT_EQ(g.status, NtStatus::success);
  EXPECT_EQ(a->query_info(g.fid, kInfoFile, kFilePositionInformation).status(), NtStatus::success);
  // The first channel goes: the session and its opens live on; the batch oplock taken on the
  // lost channel is broken on the one left, when another client opens the file.
  a->shutdown();
  EXPECT_EQ(b->query_info(f, kInfoFile, kFilePositionInformation).status(), NtStatus::success);
  EXPECT_EQ(b->query_info(g.fid, kInfoFile, kFilePositionInformation).status(), NtStatus::success);
  EngineClient c(st);
  c.client_guid[0] ^= 0x55;
  ASSERT_NO_FATAL_FAILURE(c.connect({0x0311}));
  (void)c.raw(c.frame({Req{Command::create, EngineClient::create_body("f.txt", access::kFullAccess, kShareAll, 3, 0, 0)}}));
  auto pushed = b->take_pushed();
  ASSERT_EQ(pushed.size(), 1u);
  EXPECT_EQ(pushed[0].hdr.command, Command::oplock_break);
}

TEST_F(Bind, AnotherUserCannotBindAndALogoffOnOneChannelEndsTheSessionOnAll) {
  start(true);
  ASSERT_EQ(b->negotiate({0x0311}).status(), NtStatus::success);
  EXPECT_EQ(b->bind_to(*a, "bob", "Secret2"), NtStatus::access_denied);
  EXPECT_EQ(b->bind_to(*a, "alice", "wrong"), NtStatus::logon_failure);
  ASSERT_EQ(b->bind_to(*a), NtStatus::success);  // the same connection, the right user
  b->tree_id = a->tree_id;
  auto f = a->create("f.txt");
  ASSERT_EQ(f.status, NtStatus::success);
  EXPECT_EQ(b->one({Command::logoff, EngineClient::empty4_body()}).status(), NtStatus::success);
  a->strict_signing = false;
  EXPECT_EQ(a->query_info(f.fid, kInfoFile, kFilePositionInformation).status(), NtStatus::user_session_deleted);
  EXPECT_EQ(st->nt.census().opens, 0u);
}

TEST_F(Bind, ASessionHasAtMost32Channels) {
  start(true);
  std::vector<std::unique_ptr<EngineClient>> channels;
  for (int i = 1; i < 32; ++i) {
    channels.push_back(std::make_unique<EngineClient>(st));
    ASSERT_EQ(channels.back()->negotiate({0x0311}).status(), NtStatus::success);
    ASSERT_EQ(channels.back()->bind_to(*a), NtStatus::success) << "channel " << i + 1;
  }
  EXPECT_EQ(b->negotiate({0x0311}).status(), NtStatus::success);
  EXPECT_EQ(b->bind_to(*a), NtStatus::insufficient_resources);
}

TEST_F(Bind, UnsignedOrBadlySignedOrUnknown) {
  ASSERT_EQ(b->negotiate({0x0311}).status(), NtStatus::success);
  auto r = bind(/*sign=*/false);
  EXPECT_EQ(r.status(), NtStatus::invalid_parameter);
  r = bind(true, /*corrupt=*/true);
  EXPECT_EQ(r.status(), NtStatus::access_denied);
  EXPECT_FALSE(r.is_signed());  // never a signature for a request that did not verify
  const auto sid = a->session_id;
  a->session_id = sid ^ 0x5a5a;
  r = bind();
  a->session_id = sid;
  EXPECT_EQ(r.status(), NtStatus::user_session_deleted);
}

TEST_F(Bind, MismatchesGetWindowsStatuses) {
  // A GMAC session bound from a connection that signs with CMAC: REQUEST_OUT_OF_SEQUENCE.
  ASSERT_EQ(b->negotiate({0x0311}, std::vector<EngineClient::Ctx>{EngineClient::preauth_ctx(),
                                                                 EngineClient::signing_ctx({1})})
                .status(),
            NtStatus::success);
  ASSERT_EQ(b->alg, crypto::SigningAlgorithm::aes_cmac);
  auto r = bind();
  EXPECT_EQ(r.status(), NtStatus::request_out_of_sequence);
  EXPECT_TRUE(signed_by_a(r));
  // From a 2.1 connection, likewise (the GMAC rule comes first).
  b = std::make_unique<EngineClient>(st);
  ASSERT_EQ(b->negotiate({0x0210}).status(), NtStatus::success);
  r = bind();
  EXPECT_EQ(r.status(), NtStatus::request_out_of_sequence);
  // Another client (ClientGuid), otherwise alike: USER_SESSION_DELETED.
  b = std::make_unique<EngineClient>(st);
  b->client_guid[0] ^= 0xff;
  ASSERT_EQ(b->negotiate({0x0311}).status(), NtStatus::success);
  r = bind();
  EXPECT_EQ(r.status(), NtStatus::user_session_deleted);
  EXPECT_TRUE(signed_by_a(r));
}

TEST_F(Bind, A2xConnectionCannotBind) {
  // A 3.0.2 session (CMAC) and a 2.1 connection: REQUEST_NOT_ACCEPTED; a 3.1.1 CMAC connection:
  // another dialect, INVALID_PARAMETER.
  a = std::make_unique<EngineClient>(st);
  ASSERT_NO_FATAL_FAILURE(a->connect({0x0302}));
  ASSERT_EQ(b->negotiate({0x0210}).status(), NtStatus::success);
  auto r = bind();
  EXPECT_EQ(r.status(), NtStatus::request_not_accepted);
  EXPECT_TRUE(signed_by_a(r));
  b = std::make_unique<EngineClient>(st);
  ASSERT_EQ(b->negotiate({0x0311}, std::vector<EngineClient::Ctx>{EngineClient::preauth_ctx(),
                                                                 EngineClient::signing_ctx({1})})
                .status(),
            NtStatus::success);
  r = bind();
  EXPECT_EQ(r.status(), NtStatus::invalid_parameter);
  EXPECT_TRUE(signed_by_a(r));
}

}  // namespace
}  // namespace smbsrv::test
