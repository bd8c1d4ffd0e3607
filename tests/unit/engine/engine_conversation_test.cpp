// Engine-level conversations without sockets: an in-process client (tests/support/
// engine_client.hpp) drives engine::Connection::on_message() and checks exact NTSTATUS values,
// signatures and dispositions.
#include <gtest/gtest.h>

#include <algorithm>

#include "codec/fscc.hpp"
#include "support/engine_client.hpp"

namespace smbsrv::test {
namespace {

using engine::Disposition;

constexpr std::uint32_t kOpen = 1, kCreate = 2, kOpenIf = 3;
constexpr std::uint32_t kDirectoryFile = 0x1, kNonDirectoryFile = 0x40, kDeleteOnCloseOpt = 0x1000;
constexpr std::uint32_t kRead = 0x00120089, kWrite = 0x00120116, kDeleteAccess = 0x10000;
constexpr std::uint16_t kAllDialects[] = {0x0202, 0x0210, 0x0300, 0x0302, 0x0311};

Vec bytes(std::string_view s) { return Vec(s.begin(), s.end()); }

// ---- 1. a full conversation at every dialect --------------------------------------------------
struct DialectCase {
  const char* name;
  std::uint16_t dialect;
  std::uint16_t signing_alg;  // 3.1.1 only: the one algorithm offered
  bool spnego;
};

class EngineConversation : public ::testing::TestWithParam<DialectCase> {};

TEST_P(EngineConversation, FullConversationSignedAndVerified) {
  const auto& p = GetParam();
  auto st = make_test_state();
  EngineClient c(st);
  std::optional<std::vector<EngineClient::Ctx>> ctx;
  if (p.dialect == 0x0311) ctx = std::vector{EngineClient::preauth_ctx(), EngineClient::signing_ctx({p.signing_alg})};
  auto n = c.negotiate({p.dialect}, ctx);
  ASSERT_EQ(n.status(), NtStatus::success);
  EXPECT_EQ(c.dialect, p.dialect);
  EXPECT_TRUE(n.u16(2) & codec::kSigningRequired);
  if (p.dialect == 0x0311) {
    ASSERT_TRUE(c.negotiated_sign_alg.has_value());
    EXPECT_EQ(static_cast<std::uint16_t>(*c.negotiated_sign_alg), p.signing_alg);
  }
  ASSERT_EQ(c.session_setup("alice", "Secret1", p.spnego), NtStatus::success);
  // The final SESSION_SETUP response is signed with the key the client derived on its own.
  EXPECT_TRUE(c.last_session_rsp.is_signed());
  EXPECT_TRUE(c.last_session_rsp.sig_valid);
  ASSERT_EQ(c.tree_connect("share").status(), NtStatus::success);

  auto dir = c.create("dir", access::kFullAccess, kShareAll, kCreate, kDirectoryFile);
  ASSERT_EQ(dir.status, NtStatus::success);
  EXPECT_EQ(dir.action, 2u);  // created
  auto f = c.create("dir\\file.txt", access::kFullAccess, kShareAll, kCreate, kNonDirectoryFile);
  ASSERT_EQ(f.status, NtStatus::success);
  const Vec data = bytes("hello, engine");
  auto w = c.write(f.fid, 0, data);
  ASSERT_EQ(w.status(), NtStatus::success);
  EXPECT_EQ(w.u32(4), data.size());
  auto r = c.read(f.fid, 0, 4096);
  ASSERT_EQ(r.status(), NtStatus::success);
  EXPECT_EQ(EngineClient::read_data(r), data);
  auto q = c.query_directory(dir.fid, "*");
  ASSERT_EQ(q.status(), NtStatus::success);
  auto names = EngineClient::dir_names(q);
  EXPECT_EQ(names, (std::vector<std::string>{".", "..", "file.txt"}));
  EXPECT_EQ(c.query_directory(dir.fid, "*").status(), NtStatus::no_more_files);
  auto qi = c.query_info(f.fid, codec::kInfoFile, fscc::kFileStandardInformation);
  ASSERT_EQ(qi.status(), NtStatus::success);
  EXPECT_EQ(le64(qi.buffer(qi.u16(2), qi.u32(4)), 8), data.size());  // EndOfFile
  EXPECT_EQ(c.close(f.fid).status(), NtStatus::success);
  EXPECT_EQ(c.close(dir.fid).status(), NtStatus::success);
  EXPECT_EQ(c.tree_disconnect().status(), NtStatus::success);
  EXPECT_EQ(c.logoff().status(), NtStatus::success);
  EXPECT_FALSE(c.closed);
}

INSTANTIATE_TEST_SUITE_P(
    EngineDialects, EngineConversation,
    ::testing::Values(DialectCase{"smb202", 0x0202, 0, false}, DialectCase{"smb21", 0x0210, 0, true},
                      DialectCase{"smb30", 0x0300, 0, false}, DialectCase{"smb302", 0x0302, 0, true},
                      DialectCase{"smb311_gmac", 0x0311, 2, true}, DialectCase{"smb311_cmac", 0x0311, 1, false},
                      DialectCase{"smb311_hmac", 0x0311, 0, true}),
    [](const ::testing::TestParamInfo<DialectCase>& i) { return std::string(i.param.name); });

TEST(EngineConversationTest, AllDialectsOfferedPicks311WithGmac) {
  auto st = make_test_state();
  EngineClient c(st);
  c.connect({std::begin(kAllDialects), std::end(kAllDialects)});
  EXPECT_EQ(c.dialect, 0x0311);
  EXPECT_EQ(c.alg, crypto::SigningAlgorithm::aes_gmac);
  EXPECT_EQ(c.echo().status(), NtStatus::success);
}

// ---- VALIDATE_NEGOTIATE_INFO ------------------------------------------------------------------
Vec validate_input(const EngineClient& c, std::vector<std::uint16_t> dialects) {
  Body b;
  b.u32(c.capabilities).bytes(c.client_guid).u16(c.security_mode).u16(static_cast<std::uint16_t>(dialects.size()));
  for (auto d : dialects) b.u16(d);
  return b.b;
}

class EngineValidateNegotiate : public ::testing::TestWithParam<std::uint16_t> {};

TEST_P(EngineValidateNegotiate, SignedAndFieldsEcho) {
  auto st = make_test_state();
  EngineClient c(st);
  c.connect({0x0202, 0x0210, GetParam()});
  auto r = c.ioctl(codec::kFsctlValidateNegotiateInfo, codec::kAllOnesFileId, validate_input(c, c.offered_dialects));
  ASSERT_EQ(r.status(), NtStatus::success);
  EXPECT_TRUE(r.is_signed());
  EXPECT_TRUE(r.sig_valid);
  // IOCTL response: OutputOffset at body 32, OutputCount at 36.
  const Vec out = r.buffer(r.u32(32), r.u32(36));
  ASSERT_EQ(out.size(), 24u);
  EXPECT_EQ(le32(out, 0), codec::kCapLargeMtu | codec::kCapLeasing | codec::kCapMultiChannel);
  EXPECT_TRUE(std::equal(st->server_guid.begin(), st->server_guid.end(), out.begin() + 4));
  EXPECT_EQ(le16(out, 20), codec::kSigningEnabled | codec::kSigningRequired);
  EXPECT_EQ(le16(out, 22), GetParam());
}

TEST_P(EngineValidateNegotiate, MismatchDisconnects) {
  auto st = make_test_state();
  EngineClient c(st);
  c.connect({0x0210, GetParam()});
  auto rep = c.send(Req{Command::ioctl,
                        EngineClient::ioctl_body(codec::kFsctlValidateNegotiateInfo, codec::kAllOnesFileId,
                                                 validate_input(c, {GetParam()}))});  // 0x0210 dropped
  EXPECT_EQ(rep.disposition, Disposition::close_now);
  EXPECT_TRUE(rep.msgs.empty());
}

INSTANTIATE_TEST_SUITE_P(EngineSmb3, EngineValidateNegotiate, ::testing::Values(0x0300, 0x0302));

TEST(EngineValidateNegotiateTest, At311Disconnects) {
  auto st = make_test_state();
  EngineClient c(st);
  c.connect({0x0311});
  auto rep = c.send(Req{Command::ioctl, EngineClient::ioctl_body(codec::kFsctlValidateNegotiateInfo, codec::kAllOnesFileId,
                                                                 validate_input(c, c.offered_dialects))});
  EXPECT_EQ(rep.disposition, Disposition::close_now);
}

// ---- 2. SMB1 multi-protocol NEGOTIATE ------------------------------------------------------------
Vec smb1_negotiate(std::initializer_list<std::string_view> dialects) {
  Body b;
  b.u8(0xFF).u8('S').u8('M').u8('B').u8(0x72).u32(0).u8(0x18).u16(0xC853).zeros(20);  // 32-byte header
  Vec names;
  for (auto d : dialects) {
    names.push_back(0x02);
    names.insert(names.end(), d.begin(), d.end());
    names.push_back(0);
  }
  b.u8(0).u16(static_cast<std::uint16_t>(names.size())).bytes(names);
  return b.b;
}

TEST(EngineSmb1Test, MultiProtocolNegotiateUpgradesToSmb2) {
  auto st = make_test_state();
  EngineClient c(st);
  auto rep = c.raw(smb1_negotiate({"NT LM 0.12", "SMB 2.002", "SMB 2.???"}));
  ASSERT_EQ(rep.disposition, Disposition::keep);
  ASSERT_EQ(rep.msgs.size(), 1u);
  EXPECT_EQ(rep.at(0).hdr.command, Command::negotiate);
  EXPECT_EQ(rep.at(0).status(), NtStatus::success);
  EXPECT_EQ(rep.at(0).u16(4), 0x02FF);
  EXPECT_EQ(rep.at(0).hdr.message_id, 0u);
  c.next_mid = 1;  // the SMB1 request used MessageId 0
  auto n = c.negotiate({0x0202, 0x0210, 0x0300, 0x0302, 0x0311});
  ASSERT_EQ(n.status(), NtStatus::success);
  EXPECT_EQ(c.dialect, 0x0311);
  ASSERT_EQ(c.session_setup(), NtStatus::success);
  EXPECT_EQ(c.tree_connect("share").status(), NtStatus::success);
}

TEST(EngineSmb1Test, Only202AnswersWith202) {
  auto st = make_test_state();
  EngineClient c(st);
  auto rep = c.raw(smb1_negotiate({"NT LM 0.12", "SMB 2.002"}));
  ASSERT_EQ(rep.msgs.size(), 1u);
  EXPECT_EQ(rep.at(0).u16(4), 0x0202);
}

TEST(EngineSmb1Test, WithoutSmb2DialectsClosesNow) {
  auto st = make_test_state();
  EngineClient c(st);
  auto rep = c.raw(smb1_negotiate({"PC NETWORK PROGRAM 1.0", "NT LM 0.12"}));
  EXPECT_EQ(rep.disposition, Disposition::close_now);
  EXPECT_TRUE(rep.msgs.empty());
}

TEST(EngineSmb1Test, NonNegotiateSmb1ClosesNow) {
  auto st = make_test_state();
  EngineClient c(st);
  Vec m = smb1_negotiate({"SMB 2.002"});
  m[4] = 0x73;  // SESSION_SETUP_ANDX
  EXPECT_EQ(c.raw(m).disposition, Disposition::close_now);
}

// ---- 3. negotiate contexts and ordering ------------------------------------------------------------
TEST(EngineNegotiateTest, Smb311WithoutPreauthContextIsInvalidParameter) {
  auto st = make_test_state();
  EngineClient c(st);
  EXPECT_EQ(c.negotiate({0x0311}, std::vector{EngineClient::signing_ctx({1})}).status(), NtStatus::invalid_parameter);
}

TEST(EngineNegotiateTest, Smb311WithNoContextsIsInvalidParameter) {
  auto st = make_test_state();
  EngineClient c(st);
  EXPECT_EQ(c.negotiate({0x0311}, std::vector<EngineClient::Ctx>{}).status(), NtStatus::invalid_parameter);
}

TEST(EngineNegotiateTest, Smb311WithoutSha512IsInvalidParameter) {
  auto st = make_test_state();
  EngineClient c(st);
  EXPECT_EQ(c.negotiate({0x0311}, std::vector{EngineClient::preauth_ctx({0x0002})}).status(),
            NtStatus::invalid_parameter);
}

TEST(EngineNegotiateTest, MalformedContextIsInvalidParameter) {
  {
    auto st = make_test_state();
    EngineClient c(st);
    // HashAlgorithmCount 0.
    EngineClient::Ctx bad{codec::kPreauthIntegrityCapabilities, Body{}.u16(0).u16(0).b};
    EXPECT_EQ(c.negotiate({0x0311}, std::vector{bad}).status(), NtStatus::invalid_parameter);
  }
  {
    auto st = make_test_state();
    EngineClient c(st);
    // DataLength running past the end of the message.
    Vec body = c.negotiate_body({0x0311}, {EngineClient::preauth_ctx()});
    const std::uint32_t ctx_off = le32(body, 28) - 64;
    body[ctx_off + 2] = 0xFF;
    body[ctx_off + 3] = 0x00;
    auto rsp = c.one(Req{Command::negotiate, body});
    EXPECT_EQ(rsp.status(), NtStatus::invalid_parameter);
  }
  {
    auto st = make_test_state();
    EngineClient c(st);
    // NegotiateContextOffset not 8-aligned.
    Vec body = c.negotiate_body({0x0311}, {EngineClient::preauth_ctx()});
    body[28] = static_cast<std::uint8_t>(body[28] + 2);
    EXPECT_EQ(c.one(Req{Command::negotiate, body}).status(), NtStatus::invalid_parameter);
  }
  {
    auto st = make_test_state();
    EngineClient c(st);
    // Two preauth contexts.
    EXPECT_EQ(c.negotiate({0x0311}, std::vector{EngineClient::preauth_ctx(), EngineClient::preauth_ctx()}).status(),
              NtStatus::invalid_parameter);
  }
}

TEST(EngineNegotiateTest, UnknownContextIsIgnored) {
  auto st = make_test_state();
  EngineClient c(st);
  EngineClient::Ctx unknown{0x7777, bytes("whatever")};
  auto n = c.negotiate({0x0311}, std::vector{EngineClient::preauth_ctx(), unknown, EngineClient::signing_ctx({1})});
  ASSERT_EQ(n.status(), NtStatus::success);
  EXPECT_EQ(c.dialect, 0x0311);
  ASSERT_EQ(c.session_setup(), NtStatus::success);
  EXPECT_EQ(c.tree_connect("share").status(), NtStatus::success);
}

TEST(EngineNegotiateTest, SecondNegotiateDisconnects) {
  auto st = make_test_state();
  EngineClient c(st);
  ASSERT_EQ(c.negotiate({0x0210}).status(), NtStatus::success);
  auto rep = c.send(Req{Command::negotiate, c.negotiate_body({0x0210}, {})});
  EXPECT_EQ(rep.disposition, Disposition::close_now);
  EXPECT_TRUE(rep.msgs.empty());
}

TEST(EngineNegotiateTest, NoCommonDialectIsNotSupported) {
  ServerConfig cfg;
  cfg.min_dialect = Dialect::smb3_0;
  auto st = make_test_state(cfg);
  EngineClient c(st);
  EXPECT_EQ(c.negotiate({0x0202, 0x0210}).status(), NtStatus::not_supported);
}

TEST(EngineNegotiateTest, CommandsBeforeNegotiateDisconnect) {
  for (auto cmd : {Command::echo, Command::session_setup, Command::tree_connect, Command::create, Command::logoff}) {
    auto st = make_test_state();
    EngineClient c(st);
    Vec body = cmd == Command::session_setup ? c.session_setup_req(auth::ntlm::encode_negotiate(0x200)).body
                                             : EngineClient::echo_body();
    auto rep = c.send(Req{cmd, body});
    EXPECT_EQ(rep.disposition, Disposition::close_now) << codec::command_name(cmd);
    EXPECT_TRUE(rep.msgs.empty());
  }
}

// ---- 4. signing --------------------------------------------------------------------------------------
class EngineSigning : public ::testing::TestWithParam<std::uint16_t> {};

TEST_P(EngineSigning, UnsignedAndBadlySignedRequestsAreDenied) {
  auto st = make_test_state();
  EngineClient c(st);
  c.connect({GetParam()});
  auto f = c.create("a.txt");
  ASSERT_EQ(f.status, NtStatus::success);
  c.strict_signing = false;  // the denials below are not signed (the key could not be trusted)
  Req unsigned_req{Command::query_info, EngineClient::query_info_body(f.fid, codec::kInfoFile, fscc::kFileBasicInformation)};
  unsigned_req.sign = false;
  auto r1 = c.one(unsigned_req);
  EXPECT_EQ(r1.status(), NtStatus::access_denied);
  EXPECT_FALSE(r1.is_signed());

  Vec m = c.frame({Req{Command::query_info, EngineClient::query_info_body(f.fid, codec::kInfoFile, fscc::kFileBasicInformation)}});
  m[50] ^= 0x01;  // corrupt the signature
  auto rep = c.raw(m);
  ASSERT_EQ(rep.msgs.size(), 1u);
  EXPECT_EQ(rep.at(0).status(), NtStatus::access_denied);
  EXPECT_EQ(rep.disposition, Disposition::keep);

  Vec m2 = c.frame({Req{Command::query_info, EngineClient::query_info_body(f.fid, codec::kInfoFile, fscc::kFileBasicInformation)}});
  m2[100] ^= 0x01;  // corrupt the body (the FileId): the signature no longer matches
  EXPECT_EQ(c.raw(m2).status(), NtStatus::access_denied);

  // The connection keeps serving.
  c.strict_signing = true;
  EXPECT_EQ(c.query_info(f.fid, codec::kInfoFile, fscc::kFileBasicInformation).status(), NtStatus::success);
  EXPECT_EQ(c.close(f.fid).status(), NtStatus::success);
}

INSTANTIATE_TEST_SUITE_P(EngineDialects, EngineSigning, ::testing::ValuesIn(kAllDialects));

TEST(EngineSigningTest, UnsignedEchoIsServed) {
  auto st = make_test_state();
  EngineClient c(st);
  c.connect({0x0311});
  Req e{Command::echo, EngineClient::echo_body()};
  e.sign = false;
  EXPECT_EQ(c.one(e).status(), NtStatus::success);
}

// ---- 5. credits and message ids ---------------------------------------------------------------------
TEST(EngineCreditsTest, ReusedMessageIdDisconnects) {
  auto st = make_test_state();
  EngineClient c(st);
  c.connect({0x0311});
  const std::uint64_t used = c.next_mid - 1;
  EXPECT_EQ(c.echo().status(), NtStatus::success);
  Req e{Command::echo, EngineClient::echo_body()};
  e.message_id = used;
  auto rep = c.send(e);
  EXPECT_EQ(rep.disposition, Disposition::close_now);
  EXPECT_TRUE(rep.msgs.empty());
}

TEST(EngineCreditsTest, MessageIdBeyondWindowDisconnects) {
  auto st = make_test_state();
  EngineClient c(st);
  c.connect({0x0210});
  const std::uint64_t window_end = c.credits_granted + 1;  // ids [0, granted+1) were granted
  Req e{Command::echo, EngineClient::echo_body()};
  e.message_id = window_end;
  EXPECT_EQ(c.send(e).disposition, Disposition::close_now);
}

TEST(EngineCreditsTest, LastIdOfWindowIsAccepted) {
  auto st = make_test_state();
  EngineClient c(st);
  c.connect({0x0210});
  Req e{Command::echo, EngineClient::echo_body()};
  e.message_id = c.credits_granted;  // the highest granted id
  EXPECT_EQ(c.one(e).status(), NtStatus::success);
}

TEST(EngineCreditsTest, ChargeRunningPastTheWindowDisconnects) {
  auto st = make_test_state();
  EngineClient c(st);
  c.connect({0x0311});
  auto f = c.create("f");
  ASSERT_EQ(f.status, NtStatus::success);
  // The last granted id with a charge of 4: ids past the window → disconnect (3.3.5.2.3).
  Req r{Command::read, EngineClient::read_body(f.fid, 0, 200000)};
  r.charge = 4;
  r.message_id = c.credits_granted - 1;  // ids [granted-1, granted+3) but only up to granted exist
  EXPECT_EQ(c.send(r).disposition, Disposition::close_now);
}

TEST(EngineCreditsTest, MultiCreditReadWithTooSmallChargeIsInvalidParameter) {
  auto st = make_test_state();
  EngineClient c(st);
  c.connect({0x0300});
  auto f = c.create("big");
  ASSERT_EQ(f.status, NtStatus::success);
  Vec data(200000, 0x5A);
  ASSERT_EQ(c.write(f.fid, 0, data).status(), NtStatus::success);
  EXPECT_EQ(c.read(f.fid, 0, 200000, std::uint16_t{1}).status(), NtStatus::invalid_parameter);
  EXPECT_EQ(c.read(f.fid, 0, 200000, std::uint16_t{3}).status(), NtStatus::invalid_parameter);
  auto ok = c.read(f.fid, 0, 200000, std::uint16_t{4});
  ASSERT_EQ(ok.status(), NtStatus::success);
  EXPECT_EQ(EngineClient::read_data(ok), data);
  // WRITE too.
  Req w{Command::write, EngineClient::write_body(f.fid, 0, data)};
  w.charge = 2;
  EXPECT_EQ(c.one(w).status(), NtStatus::invalid_parameter);
}

TEST(EngineCreditsTest, GrantedCreditsNeverExceedCap) {
  auto st = make_test_state();
  EngineClient c(st);
  c.connect({0x0311});
  for (int i = 0; i < 20; ++i) {
    Req e{Command::echo, EngineClient::echo_body()};
    e.credit_request = 65535;
    ASSERT_EQ(c.one(e).status(), NtStatus::success);
    const std::uint64_t outstanding = std::uint64_t{c.credits_granted} + 1 - c.next_mid;
    EXPECT_LE(outstanding, engine::CommandSequenceWindow::kMaxOutstanding);
  }
  EXPECT_EQ(std::uint64_t{c.credits_granted} + 1 - c.next_mid, engine::CommandSequenceWindow::kMaxOutstanding);
  // Every granted id is usable: the last one.
  Req e{Command::echo, EngineClient::echo_body()};
  e.message_id = c.credits_granted;
  e.credit_request = 0;
  auto last = c.one(e);
  EXPECT_EQ(last.status(), NtStatus::success);
  EXPECT_GE(last.hdr.credit, 1);  // and the client is never left without a credit... once it used all
}

TEST(EngineCreditsTest, ZeroCreditRequestStillGrantsOne) {
  auto st = make_test_state();
  EngineClient c(st);
  c.connect({0x0210});
  // Spend every credit with CreditRequest 0; the server grants at least 1 when the client has none.
  while (std::uint64_t{c.credits_granted} + 1 > c.next_mid) {
    Req e{Command::echo, EngineClient::echo_body()};
    e.credit_request = 0;
    auto r = c.one(e);
    ASSERT_EQ(r.status(), NtStatus::success);
    if (c.next_mid > 2000) break;
  }
  EXPECT_EQ(c.echo().status(), NtStatus::success);
}

// ---- 6. compounds -------------------------------------------------------------------------------------
TEST(EngineCompoundTest, RelatedCreateQueryInfoCloseInheritsFileId) {
  auto st = make_test_state();
  EngineClient c(st);
  c.connect({0x0311});
  Req cr{Command::create, EngineClient::create_body("comp.txt", access::kFullAccess, kShareAll, kOpenIf, 0)};
  Req qi{Command::query_info,
         EngineClient::query_info_body(codec::kAllOnesFileId, codec::kInfoFile, fscc::kFileStandardInformation)};
  qi.flags = codec::kFlagRelatedOperations;
  Req cl{Command::close, EngineClient::close_body(codec::kAllOnesFileId)};
  cl.flags = codec::kFlagRelatedOperations;
  auto rep = c.send({cr, qi, cl});
  ASSERT_EQ(rep.msgs.size(), 3u);
  EXPECT_EQ(rep.at(0).status(), NtStatus::success);
  EXPECT_EQ(rep.at(1).status(), NtStatus::success);
  EXPECT_EQ(rep.at(2).status(), NtStatus::success);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_TRUE(rep.at(i).hdr.flags & codec::kFlagRelatedOperations || i == 0);
    EXPECT_TRUE(rep.at(i).sig_valid);
  }
  // Alignment: each non-last response padded to 8; the last one not padded at all.
  EXPECT_EQ(rep.at(0).hdr.next_command % 8, 0u);
  EXPECT_EQ(rep.at(1).hdr.next_command % 8, 0u);
  EXPECT_EQ(rep.at(2).hdr.next_command, 0u);
  EXPECT_EQ(rep.at(2).msg.size(), 64u + 60u);  // CLOSE response, unpadded
  EXPECT_EQ(rep.frame.size(), rep.at(0).msg.size() + rep.at(1).msg.size() + rep.at(2).msg.size());
  // The handle is gone.
  const codec::FileId fid{rep.at(0).u64(64), rep.at(0).u64(72)};
  EXPECT_EQ(c.close(fid).status(), NtStatus::file_closed);
}

TEST(EngineCompoundTest, FailedCreateFailsTheRelatedChainWithTheSameStatus) {
  auto st = make_test_state();
  EngineClient c(st);
  c.connect({0x0302});
  Req cr{Command::create, EngineClient::create_body("missing.txt", access::kFullAccess, kShareAll, kOpen, 0)};
  Req rd{Command::read, EngineClient::read_body(codec::kAllOnesFileId, 0, 10)};
  rd.flags = codec::kFlagRelatedOperations;
  Req cl{Command::close, EngineClient::close_body(codec::kAllOnesFileId)};
  cl.flags = codec::kFlagRelatedOperations;
  auto rep = c.send({cr, rd, cl});
  ASSERT_EQ(rep.msgs.size(), 3u);
  EXPECT_EQ(rep.at(0).status(), NtStatus::object_name_not_found);
  EXPECT_EQ(rep.at(1).status(), NtStatus::object_name_not_found);
  EXPECT_EQ(rep.at(2).status(), NtStatus::object_name_not_found);
}

TEST(EngineCompoundTest, UnrelatedCompoundIsIndependent) {
  auto st = make_test_state();
  EngineClient c(st);
  c.connect({0x0311});
  Req cr{Command::create, EngineClient::create_body("missing.txt", access::kFullAccess, kShareAll, kOpen, 0)};
  auto rep = c.send({cr, Req{Command::echo, EngineClient::echo_body()}});
  ASSERT_EQ(rep.msgs.size(), 2u);
  EXPECT_EQ(rep.at(0).status(), NtStatus::object_name_not_found);
  EXPECT_EQ(rep.at(1).status(), NtStatus::success);
}

TEST(EngineCompoundTest, FirstMessageRelatedIsInvalidParameter) {
  auto st = make_test_state();
  EngineClient c(st);
  c.connect({0x0311});
  Req e{Command::create, EngineClient::create_body("x", access::kFullAccess, kShareAll, kOpenIf, 0)};
  e.flags = codec::kFlagRelatedOperations;
  auto rep = c.send({e, Req{Command::echo, EngineClient::echo_body()}});
  ASSERT_EQ(rep.msgs.size(), 2u);
  EXPECT_EQ(rep.at(0).status(), NtStatus::invalid_parameter);
  EXPECT_EQ(rep.at(1).status(), NtStatus::success);
}

TEST(EngineCompoundTest, BadNextCommandDisconnects) {
  for (std::uint32_t bad : {68u, 63u, 0x10000u, 4u}) {
    auto st = make_test_state();
    EngineClient c(st);
    c.connect({0x0311});
    Vec m = c.frame({Req{Command::echo, EngineClient::echo_body()}, Req{Command::echo, EngineClient::echo_body()}});
    for (std::size_t k = 0; k < 4; ++k) m[20 + k] = static_cast<std::uint8_t>(bad >> (8 * k));
    auto rep = c.raw(m);
    EXPECT_EQ(rep.disposition, Disposition::close_now) << "NextCommand " << bad;
    EXPECT_TRUE(rep.msgs.empty());
  }
}

TEST(EngineCompoundTest, LastNextCommandPointingPastTheFrameDisconnects) {
  auto st = make_test_state();
  EngineClient c(st);
  c.connect({0x0311});
  Vec m = c.frame({Req{Command::echo, EngineClient::echo_body()}, Req{Command::echo, EngineClient::echo_body()}});
  const std::size_t second = le32(m, 20);
  m[second + 20] = 72;  // the last message claims a successor
  EXPECT_EQ(c.raw(m).disposition, Disposition::close_now);
}

// ---- 8. sessions, trees, handles ---------------------------------------------------------------------------
TEST(EngineSessionTest, WrongPasswordIsLogonFailure) {
  auto st = make_test_state();
  EngineClient c(st);
  ASSERT_EQ(c.negotiate({0x0311}).status(), NtStatus::success);
  EXPECT_EQ(c.session_setup("alice", "wrong"), NtStatus::logon_failure);
  EXPECT_EQ(c.session_setup("mallory", "Secret1", true), NtStatus::logon_failure);
  // The connection can still authenticate properly.
  EXPECT_EQ(c.session_setup("alice", "Secret1", true), NtStatus::success);
}

TEST(EngineSessionTest, UnknownSessionIdIsUserSessionDeleted) {
  auto st = make_test_state();
  EngineClient c(st);
  c.connect({0x0300});
  c.strict_signing = false;
  Req t{Command::tree_connect, EngineClient::tree_connect_body("\\\\srv\\share")};
  t.session_id = c.session_id ^ 0x5555;
  t.sign = false;
  EXPECT_EQ(c.one(t).status(), NtStatus::user_session_deleted);
  // SESSION_SETUP naming an unknown session too.
  Req s = c.session_setup_req(auth::ntlm::encode_negotiate(0x200));
  s.session_id = 0x1234;
  EXPECT_EQ(c.one(s).status(), NtStatus::user_session_deleted);
}

TEST(EngineSessionTest, RequestAfterLogoffIsUserSessionDeleted) {
  auto st = make_test_state();
  EngineClient c(st);
  c.connect({0x0311});
  auto f = c.create("f");
  ASSERT_EQ(f.status, NtStatus::success);
  EXPECT_EQ(c.logoff().status(), NtStatus::success);
  auto r = c.read(f.fid, 0, 1);
  EXPECT_EQ(r.status(), NtStatus::user_session_deleted);
  EXPECT_TRUE(r.sig_valid);  // still signed with the old key (clients that require signing want that)
  EXPECT_EQ(c.tree_connect("share").status(), NtStatus::user_session_deleted);
}

TEST(EngineSessionTest, RequestOnDisconnectedTreeIsNetworkNameDeleted) {
  auto st = make_test_state();
  EngineClient c(st);
  c.connect({0x0210});
  auto f = c.create("f");
  ASSERT_EQ(f.status, NtStatus::success);
  EXPECT_EQ(c.tree_disconnect().status(), NtStatus::success);
  EXPECT_EQ(c.create("g").status, NtStatus::network_name_deleted);
  EXPECT_EQ(c.read(f.fid, 0, 1).status(), NtStatus::network_name_deleted);
  EXPECT_EQ(c.tree_disconnect().status(), NtStatus::network_name_deleted);
  // The open went away with the tree: a new tree cannot use it.
  ASSERT_EQ(c.tree_connect("share").status(), NtStatus::success);
  EXPECT_EQ(c.close(f.fid).status(), NtStatus::file_closed);
}

TEST(EngineSessionTest, ReadAfterCloseIsFileClosed) {
  auto st = make_test_state();
  EngineClient c(st);
  c.connect({0x0202});
  auto f = c.create("f");
  ASSERT_EQ(f.status, NtStatus::success);
  EXPECT_EQ(c.close(f.fid).status(), NtStatus::success);
  EXPECT_EQ(c.read(f.fid, 0, 1).status(), NtStatus::file_closed);
  EXPECT_EQ(c.close(f.fid).status(), NtStatus::file_closed);
  EXPECT_EQ(c.write(f.fid, 0, bytes("x")).status(), NtStatus::file_closed);
}

TEST(EngineSessionTest, UnknownShareIsBadNetworkName) {
  auto st = make_test_state();
  EngineClient c(st);
  ASSERT_EQ(c.negotiate({0x0311}).status(), NtStatus::success);
  ASSERT_EQ(c.session_setup(), NtStatus::success);
  EXPECT_EQ(c.tree_connect("nosuch").status(), NtStatus::bad_network_name);
}

// ---- 9. share modes and delete-on-close ----------------------------------------------------------------------
TEST(EngineShareModeTest, SecondOpenWithoutShareWriteWhileWriterOpenIsSharingViolation) {
  auto st = make_test_state();
  EngineClient c(st);
  c.connect({0x0311});
  auto w = c.create("f", kRead | kWrite, kShareAll);
  ASSERT_EQ(w.status, NtStatus::success);
  EXPECT_EQ(c.create("f", kRead, /*share read*/ 1, kOpen).status, NtStatus::sharing_violation);
  // From a second connection (the table is server-wide) too.
  EngineClient c2(st);
  c2.connect({0x0302});
  EXPECT_EQ(c2.create("f", kRead, 1, kOpen).status, NtStatus::sharing_violation);
  auto ok = c2.create("f", kRead, kShareAll, kOpen);
  EXPECT_EQ(ok.status, NtStatus::success);
  EXPECT_EQ(c2.close(ok.fid).status(), NtStatus::success);
  EXPECT_EQ(c.close(w.fid).status(), NtStatus::success);
  auto now_ok = c.create("f", kRead, 1, kOpen);
  EXPECT_EQ(now_ok.status, NtStatus::success);
}

TEST(EngineShareModeTest, DeleteOnCloseRemovesAtLastClose) {
  auto st = make_test_state();
  EngineClient c(st);
  c.connect({0x0311});
  auto a = c.create("doc.txt", access::kFullAccess, kShareAll, kCreate, kDeleteOnCloseOpt);
  ASSERT_EQ(a.status, NtStatus::success);
  auto b = c.create("doc.txt", kRead, kShareAll, kOpen);
  ASSERT_EQ(b.status, NtStatus::success);
  EXPECT_EQ(c.close(a.fid).status(), NtStatus::success);
  // Still there while b is open (delete pending: new opens fail).
  EXPECT_EQ(c.create("doc.txt", kRead, kShareAll, kOpen).status, NtStatus::delete_pending);
  EXPECT_EQ(c.close(b.fid).status(), NtStatus::success);
  EXPECT_EQ(c.create("doc.txt", kRead, kShareAll, kOpen).status, NtStatus::object_name_not_found);
}

TEST(EngineShareModeTest, DeleteOnCloseWithoutDeleteAccessIsAccessDenied) {
  auto st = make_test_state();
  EngineClient c(st);
  c.connect({0x0311});
  EXPECT_EQ(c.create("x", kRead | kWrite, kShareAll, kCreate, kDeleteOnCloseOpt).status, NtStatus::access_denied);
}

// smbtorture smb2.create.gentest: a DesiredAccess of nothing is ACCESS_DENIED with a
// disposition that may create or overwrite; SYNCHRONIZE alone opens (smb2.getinfo.getinfo_access).
// ENCRYPTED on a CREATE that may make a file is ACCESS_DENIED (no EFS).
TEST(EngineShareModeTest, EmptyDesiredAccessAndEncryptedAttribute) {
  auto st = make_test_state();
  EngineClient c(st);
  c.connect({0x0311});
  EXPECT_EQ(c.create("x", 0, kShareAll, kOpenIf).status, NtStatus::access_denied);
  EXPECT_EQ(c.create("x", 0, kShareAll, 5 /*overwrite_if*/).status, NtStatus::access_denied);
  EXPECT_EQ(c.create("x", access::kFullAccess, kShareAll, kCreate, 0, 0x4000).status, NtStatus::access_denied);
  auto a = c.create("x", 0x00100000, kShareAll, kOpenIf);  // SYNCHRONIZE
  ASSERT_EQ(a.status, NtStatus::success);
  EXPECT_EQ(c.close(a.fid).status(), NtStatus::success);
  auto b = c.create("x", 0x00100000, kShareAll, kOpen);
  ASSERT_EQ(b.status, NtStatus::success);
  EXPECT_EQ(c.close(b.fid).status(), NtStatus::success);
}

TEST(EngineShareModeTest, DispositionOnNonEmptyDirectoryIsDirectoryNotEmpty) {
  auto st = make_test_state();
  EngineClient c(st);
  c.connect({0x0311});
  auto d = c.create("d", access::kFullAccess, kShareAll, kCreate, kDirectoryFile);
  ASSERT_EQ(d.status, NtStatus::success);
  auto f = c.create("d\\inner", access::kFullAccess, kShareAll, kCreate, kNonDirectoryFile);
  ASSERT_EQ(f.status, NtStatus::success);
  ASSERT_EQ(c.close(f.fid).status(), NtStatus::success);
  const Vec yes = {1};
  EXPECT_EQ(c.set_info(d.fid, codec::kInfoFile, fscc::kFileDispositionInformation, yes).status(),
            NtStatus::directory_not_empty);
  // Emptied, it can be deleted.
  auto f2 = c.create("d\\inner", access::kFullAccess | kDeleteAccess, kShareAll, kOpen);
  ASSERT_EQ(f2.status, NtStatus::success);
  EXPECT_EQ(c.set_info(f2.fid, codec::kInfoFile, fscc::kFileDispositionInformation, yes).status(), NtStatus::success);
  EXPECT_EQ(c.close(f2.fid).status(), NtStatus::success);
  EXPECT_EQ(c.set_info(d.fid, codec::kInfoFile, fscc::kFileDispositionInformation, yes).status(), NtStatus::success);
  EXPECT_EQ(c.close(d.fid).status(), NtStatus::success);
  EXPECT_EQ(c.create("d", kRead, kShareAll, kOpen).status, NtStatus::object_name_not_found);
}

}  // namespace
}  // namespace smbsrv::test

namespace smbsrv::test {
namespace {

// ---- more edge cases ------------------------------------------------------------------------------
TEST(EngineCompoundTest, TrailingCancelLeavesTheLastResponseUnpadded) {
  // CANCEL has no response: the response before it is then the last one of the frame, and must
  // carry NextCommand 0 without padding (a client would otherwise look for a header past the end).
  auto st = make_test_state();
  EngineClient c(st);
  c.connect({0x0311});
  Req cancel{Command::cancel, Body{}.u16(4).u16(0).b};
  cancel.charge = 0;
  auto rep = c.send({Req{Command::echo, EngineClient::echo_body()}, cancel});
  ASSERT_EQ(rep.msgs.size(), 1u);
  EXPECT_EQ(rep.at(0).status(), NtStatus::success);
  EXPECT_EQ(rep.at(0).hdr.next_command, 0u);
  EXPECT_EQ(rep.frame.size(), 64u + 4u);  // ECHO response, unpadded
  EXPECT_TRUE(rep.at(0).sig_valid);
}

TEST(EngineCompoundTest, BadlySignedCancelIsNotAnswered) {
  auto st = make_test_state();
  EngineClient c(st);
  c.connect({0x0300});
  Req cancel{Command::cancel, Body{}.u16(4).u16(0).b};
  cancel.charge = 0;
  cancel.message_id = 999;
  Vec m = c.frame({cancel});
  m[60] ^= 0xFF;  // break the signature
  auto alone = c.raw(m);
  EXPECT_EQ(alone.disposition, Disposition::keep);
  EXPECT_TRUE(alone.msgs.empty());
  // Trailing a compound, it does not make the ECHO response look chained either.
  Vec f = c.frame({Req{Command::echo, EngineClient::echo_body()}, cancel});
  f[72 + 60] ^= 0xFF;
  auto rep = c.raw(f);
  ASSERT_EQ(rep.msgs.size(), 1u);
  EXPECT_EQ(rep.at(0).hdr.next_command, 0u);
  EXPECT_EQ(rep.frame.size(), 64u + 4u);
  EXPECT_TRUE(rep.at(0).sig_valid);
}

TEST(EngineCompoundTest, CancelInTheMiddleKeepsTheChainWellFormed) {
  auto st = make_test_state();
  EngineClient c(st);
  c.connect({0x0311});
  Req cancel{Command::cancel, Body{}.u16(4).u16(0).b};
  cancel.charge = 0;
  cancel.message_id = 999;
  auto rep = c.send({Req{Command::echo, EngineClient::echo_body()}, cancel, Req{Command::echo, EngineClient::echo_body()}});
  ASSERT_EQ(rep.msgs.size(), 2u);
  EXPECT_EQ(rep.at(0).hdr.next_command, 72u);
  EXPECT_EQ(rep.at(1).hdr.next_command, 0u);
  EXPECT_EQ(rep.frame.size(), 72u + 68u);
  EXPECT_TRUE(rep.at(0).sig_valid);
  EXPECT_TRUE(rep.at(1).sig_valid);
}

TEST(EngineSmb1Test, OnlyNegotiateIsAcceptedAfterTheSmb1Upgrade) {
  // After the 0x02FF answer the client must send an SMB2 NEGOTIATE (MS-SMB2 3.3.5.2: any other
  // command while the dialect is still 2.??? ends the connection).
  auto st = make_test_state();
  EngineClient c(st);
  ASSERT_EQ(c.raw(smb1_negotiate({"SMB 2.002", "SMB 2.???"})).at(0).u16(4), 0x02FF);
  c.next_mid = 1;
  auto rep = c.send(c.session_setup_req(auth::ntlm::encode_negotiate(0x200)));
  EXPECT_EQ(rep.disposition, Disposition::close_now);
  EXPECT_TRUE(rep.msgs.empty());
}

TEST(EngineSmb1Test, FailedSmb2NegotiateAfterUpgradeDoesNotOpenTheConnection) {
  auto st = make_test_state();
  EngineClient c(st);
  ASSERT_EQ(c.raw(smb1_negotiate({"SMB 2.002", "SMB 2.???"})).at(0).u16(4), 0x02FF);
  c.next_mid = 1;
  EXPECT_EQ(c.negotiate({0x0311}, std::vector<EngineClient::Ctx>{}).status(), NtStatus::invalid_parameter);
  auto rep = c.send(Req{Command::echo, EngineClient::echo_body()});
  EXPECT_EQ(rep.disposition, Disposition::close_now);
}

TEST(EngineSessionTest, InProgressSessionCannotBeUsed) {
  auto st = make_test_state();
  EngineClient c(st);
  ASSERT_EQ(c.negotiate({0x0311}).status(), NtStatus::success);
  auto r1 = c.session_setup_step(auth::ntlm::encode_negotiate(NtlmClient{}.flags));
  ASSERT_EQ(r1.status(), NtStatus::more_processing_required);
  c.session_id = r1.hdr.session_id;
  EXPECT_EQ(c.tree_connect("share").status(), NtStatus::user_session_deleted);
}

TEST(EngineSessionTest, ReauthenticationKeepsTheSession) {
  auto st = make_test_state();
  EngineClient c(st);
  c.connect({0x0302});
  auto f = c.create("keep");
  ASSERT_EQ(f.status, NtStatus::success);
  // A SESSION_SETUP on the established session, signed with its key.
  const auto sid = c.session_id;
  NtlmClient cl;
  Req s1 = c.session_setup_req(cl.make_negotiate());
  s1.sign = true;
  auto r1 = c.one(s1);
  ASSERT_EQ(r1.status(), NtStatus::more_processing_required);
  EXPECT_EQ(r1.hdr.session_id, sid);
  Req s2 = c.session_setup_req(cl.make_authenticate(EngineClient::security_buffer(r1)));
  s2.sign = true;
  EXPECT_EQ(c.one(s2).status(), NtStatus::success);
  EXPECT_EQ(c.read(f.fid, 0, 1).status(), NtStatus::end_of_file);  // handle and key survive
}

}  // namespace
}  // namespace smbsrv::test
