#include "auth/authenticator.hpp"

#include <gtest/gtest.h>

#include <cstring>

#include "auth/ntlmssp.hpp"
#include "auth/spnego.hpp"
#include "crypto/crypto.hpp"
#include "support/ntlm_client.hpp"
#include "unit/hex_util.hpp"
#include "util/utf16.hpp"

namespace smbsrv::auth {
namespace {

using test::hex;
using test::unhex;
using namespace ntlm::flag;
using Vec = std::vector<std::uint8_t>;

// The shared NTLMv2 client with this file's exported session key (0x30..0x3f), failing the test
// when the server's CHALLENGE does not parse.
struct TestClient : test::BasicNtlmClient {
  TestClient() { exported_base = 0x30; }
  Vec make_authenticate(Bytes challenge_msg) {
    Vec a = BasicNtlmClient::make_authenticate(challenge_msg);
    EXPECT_TRUE(challenge_parsed) << "CHALLENGE (or its target info) does not parse";
    return a;
  }
};

struct Fixture : ::testing::Test {
  InMemoryCredentialStore store;
  Fixture() { store.add_user("Alice", "Secret1"); }
  AuthConfig config(bool allow_guest = false) {
    AuthConfig c;
    c.credentials = &store;
    c.allow_guest = allow_guest;
    c.now = [] { return std::uint64_t{0x01d0000000000000}; };
    c.random = [](std::span<std::uint8_t> out) {
      for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<std::uint8_t>(0x10 + i);
    };
    return c;
  }
};

using AuthenticatorTest = Fixture;

TEST_F(AuthenticatorTest, RawNtlmSuccess) {
  Authenticator a(config());
  TestClient cl;
  auto s1 = a.step(cl.make_negotiate());
  ASSERT_EQ(s1.status, NtStatus::more_processing_required);
  ntlm::Challenge ch;
  ASSERT_TRUE(ntlm::parse_challenge(s1.out_token, ch));
  EXPECT_TRUE(ch.flags & kKeyExch);
  EXPECT_TRUE(ch.flags & k128);
  EXPECT_TRUE(ch.flags & kSign);
  EXPECT_TRUE(ch.flags & kExtendedSessionSecurity);
  EXPECT_TRUE(ch.flags & kTargetInfo);
  EXPECT_TRUE(ch.flags & kTargetTypeDomain);
  EXPECT_EQ(hex(ch.server_challenge), "1011121314151617");
  EXPECT_EQ(utf16le_to_utf8(ch.target_name), "WORKGROUP");
  std::vector<ntlm::AvPair> avs;
  ASSERT_TRUE(ntlm::parse_av_pairs(ch.target_info, avs));
  ASSERT_EQ(avs.size(), 5u);
  EXPECT_EQ(avs[4].id, ntlm::AvId::timestamp);
  auto s2 = a.step(cl.make_authenticate(s1.out_token));
  EXPECT_EQ(s2.status, NtStatus::success);
  EXPECT_TRUE(s2.out_token.empty());
  EXPECT_EQ(hex(a.session_key()), hex(cl.exported));
  EXPECT_FALSE(a.is_guest());
  EXPECT_FALSE(a.is_anonymous());
  EXPECT_EQ(a.user(), "alice");
  EXPECT_EQ(a.domain(), "WORKGROUP");
  // Further tokens are refused.
  EXPECT_EQ(a.step(cl.authenticate).status, NtStatus::invalid_parameter);
}

TEST_F(AuthenticatorTest, RawWithoutKeyExchUsesSessionBaseKey) {
  Authenticator a(config());
  TestClient cl;
  cl.flags &= ~kKeyExch;
  auto s1 = a.step(cl.make_negotiate());
  ASSERT_EQ(s1.status, NtStatus::more_processing_required);
  ntlm::Challenge ch;
  ASSERT_TRUE(ntlm::parse_challenge(s1.out_token, ch));
  EXPECT_FALSE(ch.flags & kKeyExch);
  EXPECT_EQ(a.step(cl.make_authenticate(s1.out_token)).status, NtStatus::success);
  EXPECT_EQ(hex(a.session_key()), hex(cl.exported));
}

TEST_F(AuthenticatorTest, EmptyDomainFallback) {
  Authenticator a(config());
  TestClient cl;
  cl.domain = "";  // client computed NTOWFv2 with an empty domain
  auto s1 = a.step(cl.make_negotiate());
  auto tok = cl.make_authenticate(s1.out_token);
  EXPECT_EQ(a.step(tok).status, NtStatus::success);
}

TEST_F(AuthenticatorTest, SpnegoSuccessWithMechListMic) {
  Authenticator a(config());
  TestClient cl;
  const Bytes mechs[] = {Bytes(spnego::kOidNtlmssp)};
  Vec mech_types_der;
  const auto init = spnego::encode_init(mechs, Bytes(cl.make_negotiate()), &mech_types_der);
  auto s1 = a.step(init);
  ASSERT_EQ(s1.status, NtStatus::more_processing_required);
  spnego::NegTokenResp r1;
  ASSERT_TRUE(spnego::parse_resp(s1.out_token, r1));
  EXPECT_EQ(r1.neg_state, spnego::NegState::accept_incomplete);
  EXPECT_EQ(hex(*r1.supported_mech), hex(spnego::kOidNtlmssp));
  ASSERT_TRUE(r1.response_token.has_value());
  const Vec challenge(r1.response_token->begin(), r1.response_token->end());
  const auto auth = cl.make_authenticate(challenge);
  const auto mic = ntlm::mac_ess(ntlm::derive_keys(cl.exported, cl.flags, true), cl.flags, 0, mech_types_der);
  const auto final_tok = spnego::encode_resp(std::nullopt, std::nullopt, Bytes(auth), Bytes(mic));
  auto s2 = a.step(final_tok);
  ASSERT_EQ(s2.status, NtStatus::success);
  EXPECT_EQ(hex(a.session_key()), hex(cl.exported));
  spnego::NegTokenResp r2;
  ASSERT_TRUE(spnego::parse_resp(s2.out_token, r2));
  EXPECT_EQ(r2.neg_state, spnego::NegState::accept_completed);
  ASSERT_TRUE(r2.mech_list_mic.has_value());
  const auto server_mic = ntlm::mac_ess(ntlm::derive_keys(cl.exported, cl.flags, false), cl.flags, 0, mech_types_der);
  EXPECT_EQ(hex(*r2.mech_list_mic), hex(server_mic));
}

TEST_F(AuthenticatorTest, SpnegoBadMechListMicFails) {
  Authenticator a(config());
  TestClient cl;
  const Bytes mechs[] = {Bytes(spnego::kOidNtlmssp)};
  const auto init = spnego::encode_init(mechs, Bytes(cl.make_negotiate()));
  auto s1 = a.step(init);
  spnego::NegTokenResp r1;
  ASSERT_TRUE(spnego::parse_resp(s1.out_token, r1));
  const auto auth = cl.make_authenticate(*r1.response_token);
  std::array<std::uint8_t, 16> mic{};
  mic[0] = 1;
  const auto final_tok = spnego::encode_resp(std::nullopt, std::nullopt, Bytes(auth), Bytes(mic));
  EXPECT_EQ(a.step(final_tok).status, NtStatus::logon_failure);
  EXPECT_EQ(hex(a.session_key()), std::string(32, '0'));
}

TEST_F(AuthenticatorTest, SpnegoKerberosFirstGetsChallengeDirectly) {
  Authenticator a(config());
  const auto krb = unhex("06092a864882f712010202");
  const Bytes mechs[] = {Bytes(krb), Bytes(spnego::kOidNtlmssp)};
  const Vec kerberos_token = {0x60, 0x03, 0x01, 0x02, 0x03};
  Vec mech_types_der;
  const auto init = spnego::encode_init(mechs, Bytes(kerberos_token), &mech_types_der);
  auto s1 = a.step(init);
  ASSERT_EQ(s1.status, NtStatus::more_processing_required);
  spnego::NegTokenResp r1;
  ASSERT_TRUE(spnego::parse_resp(s1.out_token, r1));
  EXPECT_EQ(r1.neg_state, spnego::NegState::accept_incomplete);
  EXPECT_EQ(hex(*r1.supported_mech), hex(spnego::kOidNtlmssp));
  ASSERT_TRUE(r1.response_token.has_value());
  EXPECT_EQ(ntlm::message_type(*r1.response_token), ntlm::MessageType::challenge);
  // The client never sent a NEGOTIATE: its MIC covers the (empty) NEGOTIATE too.
  TestClient cl;
  cl.negotiate.clear();
  const auto auth = cl.make_authenticate(*r1.response_token);
  const auto mic = ntlm::mac_ess(ntlm::derive_keys(cl.exported, cl.flags, true), cl.flags, 0, mech_types_der);
  auto s2 = a.step(spnego::encode_resp(std::nullopt, std::nullopt, Bytes(auth), Bytes(mic)));
  EXPECT_EQ(s2.status, NtStatus::success);
  EXPECT_EQ(hex(a.session_key()), hex(cl.exported));
}

TEST_F(AuthenticatorTest, UnsupportedMechsOnlyIsRejected) {
  Authenticator a(config());
  const auto krb = unhex("06092a864882f712010202");
  const Bytes mechs[] = {Bytes(krb)};
  auto s = a.step(spnego::encode_init(mechs, std::nullopt));
  EXPECT_EQ(s.status, NtStatus::logon_failure);
}

TEST_F(AuthenticatorTest, WrongPasswordFails) {
  Authenticator a(config(true));  // even with guest allowed: a known user with a bad password fails
  TestClient cl;
  cl.password = "wrong";
  auto s1 = a.step(cl.make_negotiate());
  EXPECT_EQ(a.step(cl.make_authenticate(s1.out_token)).status, NtStatus::logon_failure);
  EXPECT_EQ(hex(a.session_key()), std::string(32, '0'));
}

TEST_F(AuthenticatorTest, BadMicFails) {
  Authenticator a(config());
  TestClient cl;
  auto s1 = a.step(cl.make_negotiate());
  auto tok = cl.make_authenticate(s1.out_token);
  tok[ntlm::kMicOffset] ^= 1;
  EXPECT_EQ(a.step(tok).status, NtStatus::logon_failure);
}

TEST_F(AuthenticatorTest, NtlmV1LengthResponseFails) {
  Authenticator a(config(true));
  TestClient cl;
  cl.nt_len_override = 24;
  cl.send_mic = false;
  auto s1 = a.step(cl.make_negotiate());
  EXPECT_EQ(a.step(cl.make_authenticate(s1.out_token)).status, NtStatus::logon_failure);
}

TEST_F(AuthenticatorTest, UnknownUser) {
  for (bool allow : {false, true}) {
    Authenticator a(config(allow));
    TestClient cl;
    cl.user = "mallory";
    auto s1 = a.step(cl.make_negotiate());
    auto s2 = a.step(cl.make_authenticate(s1.out_token));
    if (allow) {
      EXPECT_EQ(s2.status, NtStatus::success);
      EXPECT_TRUE(a.is_guest());
      EXPECT_EQ(hex(a.session_key()), std::string(32, '0'));
    } else {
      EXPECT_EQ(s2.status, NtStatus::logon_failure);
      EXPECT_FALSE(a.is_guest());
    }
  }
}

TEST_F(AuthenticatorTest, Anonymous) {
  for (bool allow : {false, true}) {
    Authenticator a(config(allow));
    TestClient cl;
    auto s1 = a.step(cl.make_negotiate());
    ASSERT_EQ(s1.status, NtStatus::more_processing_required);
    const Vec lm = {0};
    ntlm::AuthenticateFields f;
    f.flags = kUnicode | kNtlm | kAnonymous;
    f.lm_response = lm;
    auto s2 = a.step(ntlm::encode_authenticate(f, ntlm::Version{}));
    if (allow) {
      EXPECT_EQ(s2.status, NtStatus::success);
      EXPECT_TRUE(a.is_anonymous());
      EXPECT_EQ(hex(a.session_key()), std::string(32, '0'));
    } else {
      EXPECT_EQ(s2.status, NtStatus::logon_failure);
    }
  }
}

TEST_F(AuthenticatorTest, GarbageAndEmptyTokens) {
  {
    Authenticator a(config());
    EXPECT_EQ(a.step({}).status, NtStatus::invalid_parameter);
  }
  {
    Authenticator a(config());
    EXPECT_EQ(a.step(unhex("0102030405")).status, NtStatus::invalid_parameter);
  }
  {
    Authenticator a(config());  // an AUTHENTICATE as the first message
    EXPECT_EQ(a.step(ntlm::encode_authenticate({}, ntlm::Version{})).status, NtStatus::invalid_parameter);
  }
}

bool acceptable(NtStatus s) { return s == NtStatus::invalid_parameter || s == NtStatus::logon_failure; }

TEST_F(AuthenticatorTest, EveryTruncationFailsCleanlyRaw) {
  TestClient cl;
  Vec neg = cl.make_negotiate();
  Vec auth;
  {
    Authenticator a(config());
    auth = cl.make_authenticate(a.step(neg).out_token);
  }
  for (std::size_t n = 0; n < neg.size(); ++n) {
    Authenticator a(config());
    const auto s = a.step(std::span(neg).first(n));
    // A NEGOTIATE cut after its flags is still a valid NEGOTIATE (the rest is optional).
    if (n >= 16) {
      EXPECT_EQ(s.status, NtStatus::more_processing_required) << n;
    } else {
      EXPECT_TRUE(acceptable(s.status)) << n;
    }
  }
  for (std::size_t n = 0; n < auth.size(); ++n) {
    Authenticator a(config());
    ASSERT_EQ(a.step(neg).status, NtStatus::more_processing_required);
    const auto s = a.step(std::span(auth).first(n));
    EXPECT_TRUE(acceptable(s.status)) << n;
  }
  // Sanity: the full token does succeed with this deterministic configuration.
  Authenticator a(config());
  a.step(neg);
  EXPECT_EQ(a.step(auth).status, NtStatus::success);
}

TEST_F(AuthenticatorTest, EveryTruncationFailsCleanlySpnego) {
  TestClient cl;
  const Bytes mechs[] = {Bytes(spnego::kOidNtlmssp)};
  Vec mech_types_der;
  const auto init = spnego::encode_init(mechs, Bytes(cl.make_negotiate()), &mech_types_der);
  Vec final_tok;
  {
    Authenticator a(config());
    spnego::NegTokenResp r1;
    const auto s1 = a.step(init);
    ASSERT_TRUE(spnego::parse_resp(s1.out_token, r1));
    const auto auth = cl.make_authenticate(*r1.response_token);
    const auto mic = ntlm::mac_ess(ntlm::derive_keys(cl.exported, cl.flags, true), cl.flags, 0, mech_types_der);
    final_tok = spnego::encode_resp(std::nullopt, std::nullopt, Bytes(auth), Bytes(mic));
  }
  for (std::size_t n = 0; n < init.size(); ++n) {
    Authenticator a(config());
    EXPECT_TRUE(acceptable(a.step(std::span(init).first(n)).status)) << n;
  }
  for (std::size_t n = 0; n < final_tok.size(); ++n) {
    Authenticator a(config());
    ASSERT_EQ(a.step(init).status, NtStatus::more_processing_required);
    EXPECT_TRUE(acceptable(a.step(std::span(final_tok).first(n)).status)) << n;
  }
  // Single-byte corruptions of the final token never crash and never succeed with another key.
  for (std::size_t i = 0; i < final_tok.size(); ++i) {
    Authenticator a(config());
    a.step(init);
    auto bad = final_tok;
    bad[i] ^= 0x5a;
    const auto s = a.step(bad);
    if (s.status == NtStatus::success) {
      EXPECT_EQ(hex(a.session_key()), hex(cl.exported)) << i;
    }
  }
  Authenticator a(config());
  a.step(init);
  EXPECT_EQ(a.step(final_tok).status, NtStatus::success);
}

}  // namespace
}  // namespace smbsrv::auth
