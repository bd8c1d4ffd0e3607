#include <gtest/gtest.h>

#include "auth/ntlmssp.hpp"
#include "crypto/crypto.hpp"
#include "smbsrv/credentials.hpp"
#include "unit/hex_util.hpp"

namespace smbsrv::auth {
namespace {

using test::hex;
using test::unhex;

// MS-NLMP 4.2.4 (NTLMv2): User "User", UserDom "Domain", Passwd "Password", ServerChallenge
// 0123456789abcdef, ClientChallenge aaaaaaaaaaaaaaaa, Time 0, TargetInfo = NbDomainName "Domain",
// NbComputerName "Server", EOL.
TEST(NtlmVectors, MsNlmp424) {
  const NtHash nt = nt_hash_of_password("Password");
  const auto owf = ntlm::ntowf_v2(nt, "User", "Domain");
  EXPECT_EQ(hex(owf), "0c868a403bfd7a93a3001ef22ef02e3f");  // 4.2.4.1.1
  const auto server_challenge = unhex("0123456789abcdef");
  const auto blob = unhex(
      "01010000000000000000000000000000aaaaaaaaaaaaaaaa00000000"
      "02000c0044006f006d00610069006e0001000c0053006500720076006500720000000000"
      "00000000");
  const auto proof = crypto::hmac_md5(owf, {server_challenge, blob});
  EXPECT_EQ(hex(proof), "68cd0ab851e51c96aabc927bebef6a1c");  // 4.2.4.2.2 NTProofStr
  const auto base = crypto::hmac_md5(owf, {proof});
  EXPECT_EQ(hex(base), "8de40ccadbc14a82f15cb0ad0de95ca3");   // 4.2.4.1.2 SessionBaseKey
  // LMv2 response (4.2.4.2.1).
  const auto client_challenge = unhex("aaaaaaaaaaaaaaaa");
  EXPECT_EQ(hex(crypto::hmac_md5(owf, {server_challenge, client_challenge})), "86c35097ac9cec102554764a57cccc19");
  // The AV pairs of the blob parse, ending at EOL (trailing zero padding ignored).
  std::vector<ntlm::AvPair> avs;
  ASSERT_TRUE(ntlm::parse_av_pairs(std::span(blob).subspan(28), avs));
  ASSERT_EQ(avs.size(), 2u);
  EXPECT_EQ(avs[0].id, ntlm::AvId::nb_domain_name);
  // Client signing/sealing keys from the RandomSessionKey 0x55 * 16 (4.2.4.1.4-5 style).
  const std::vector<std::uint8_t> exported(16, 0x55);
  const std::uint32_t flags = 0xe2888a33;  // KEY_EXCH|56|128|VERSION|TARGET_INFO|ESS|... (4.2.4)
  const auto k = ntlm::derive_keys(exported, flags, true);
  EXPECT_EQ(hex(k.sign_key), "4788dc861b4782f35d43fd98fe1a2d39");
  EXPECT_EQ(hex(k.seal_key), "59f600973cc4960a25480a7c196e4c58");
}

// The SPNEGO mechListMICs of the SMB 3.1.1 example in Microsoft's "anatomy of signing and
// cryptographic keys" blog: ExportedSessionKey (SMB SessionKey) 270E1B..., the AUTHENTICATE's
// NegotiateFlags 0xE2888215, mechTypes = SEQUENCE { NTLMSSP }. The client's final NegTokenResp
// carries A3 12 04 10 <01000000 63775A9A5FD97F06 00000000>, the server's <... 3B453CDC35241642 ...>.
TEST(NtlmVectors, MechListMicMicrosoftExample) {
  const auto key = unhex("270E1BA896585EEB7AF3472D3B4C75A7");
  const auto mech_types = unhex("300C060A2B06010401823702020A");
  const std::uint32_t flags = 0xE2888215;
  const auto c2s = ntlm::derive_keys(key, flags, true);
  EXPECT_EQ(hex(ntlm::mac_ess(c2s, flags, 0, mech_types)), "0100000063775a9a5fd97f0600000000");
  const auto s2c = ntlm::derive_keys(key, flags, false);
  EXPECT_EQ(hex(ntlm::mac_ess(s2c, flags, 0, mech_types)), "010000003b453cdc3524164200000000");
}

TEST(Ntlmssp, CodecRoundTripsAndTruncations) {
  const auto neg = ntlm::encode_negotiate(0xe2088297);
  ntlm::Negotiate n;
  ASSERT_TRUE(ntlm::parse_negotiate(neg, n));
  EXPECT_EQ(n.flags, 0xe2088297u);
  const std::uint8_t chal[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  const auto name = unhex("41004200");
  std::vector<std::uint8_t> info;
  ntlm::write_av_pair(info, ntlm::AvId::nb_domain_name, name);
  ntlm::write_av_pair(info, ntlm::AvId::eol, {});
  const auto ch = ntlm::encode_challenge(0x12345678, chal, name, info, ntlm::Version{});
  ntlm::Challenge c;
  ASSERT_TRUE(ntlm::parse_challenge(ch, c));
  EXPECT_EQ(c.flags, 0x12345678u);
  EXPECT_EQ(hex(c.target_name), "41004200");
  EXPECT_EQ(hex(c.target_info), hex(info));
  EXPECT_EQ(c.server_challenge[7], 8);
  for (std::size_t k = 0; k < ch.size(); ++k) EXPECT_FALSE(ntlm::parse_challenge(std::span(ch).first(k), c));
  for (std::size_t k = 0; k < 16; ++k) EXPECT_FALSE(ntlm::parse_negotiate(std::span(neg).first(k), n));
  // A field whose offset+length overflows 32 bits is rejected.
  auto bad = ch;
  bad[44] = 0xff; bad[45] = 0xff; bad[46] = 0xff; bad[47] = 0xff;
  EXPECT_FALSE(ntlm::parse_challenge(bad, c));
  std::vector<ntlm::AvPair> avs;
  for (std::size_t k = 0; k < info.size(); ++k) EXPECT_FALSE(ntlm::parse_av_pairs(std::span(info).first(k), avs));
}

}  // namespace
}  // namespace smbsrv::auth
