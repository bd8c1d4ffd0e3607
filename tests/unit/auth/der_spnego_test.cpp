#include <gtest/gtest.h>

#include "auth/authenticator.hpp"
#include "auth/der.hpp"
#include "auth/ntlmssp.hpp"
#include "auth/spnego.hpp"
#include "unit/hex_util.hpp"

namespace smbsrv::auth {
namespace {

using test::hex;
using test::unhex;

// The first SESSION_SETUP security buffer of the SMB 3.1.1 example in Microsoft's "the anatomy of
// signing and cryptographic keys" blog: NegTokenInit with mechTypes [NTLMSSP] and a NEGOTIATE.
const char* kBlogNegTokenInit =
    "604806062B0601050502A03E303CA00E300C060A2B06010401823702020AA22A04284E544C4D5353500001000000"
    "978208E200000000000000000000000000000000060380250000000F";

TEST(Der, ReadsShortAndLongLengths) {
  der::Tlv t;
  EXPECT_TRUE(der::read_exact(unhex("0400"), t));
  EXPECT_EQ(t.tag, 0x04);
  EXPECT_TRUE(t.value.empty());
  std::vector<std::uint8_t> long_form = unhex("048181");
  long_form.resize(3 + 0x81, 0xAB);
  ASSERT_TRUE(der::read_exact(long_form, t));
  EXPECT_EQ(t.value.size(), 0x81u);
  std::vector<std::uint8_t> two = unhex("04820100");
  two.resize(4 + 256, 1);
  ASSERT_TRUE(der::read_exact(two, t));
  EXPECT_EQ(t.value.size(), 256u);
  // Writer round trip of both forms.
  std::vector<std::uint8_t> payload(300, 7);
  const auto enc = der::tlv(0x04, {payload});
  EXPECT_EQ(hex(std::span(enc).first(4)), "0482012c");
  ASSERT_TRUE(der::read_exact(enc, t));
  EXPECT_EQ(t.value.size(), 300u);
}

TEST(Der, RejectsMalformed) {
  der::Tlv t;
  EXPECT_FALSE(der::read_exact({}, t));
  EXPECT_FALSE(der::read_exact(unhex("04"), t));           // no length
  EXPECT_FALSE(der::read_exact(unhex("0480000000"), t));   // indefinite length
  EXPECT_FALSE(der::read_exact(unhex("0402aa"), t));       // longer than the buffer
  EXPECT_FALSE(der::read_exact(unhex("0481"), t));         // missing length octets
  EXPECT_FALSE(der::read_exact(unhex("0485ffffffffff"), t));  // 5 length octets
  EXPECT_FALSE(der::read_exact(unhex("0484ffffffff00"), t));  // 4 GiB claimed
  EXPECT_FALSE(der::read_exact(unhex("1f0100"), t));       // high tag number form
  EXPECT_FALSE(der::read_exact(unhex("040100ff"), t));     // trailing data
  // Nested element running past its parent (parent 3 bytes, child claims 5).
  spnego::NegTokenResp r;
  EXPECT_FALSE(spnego::parse_resp(unhex("a1053003a0050a0101"), r));
}

TEST(Spnego, ParsesMicrosoftNegTokenInit) {
  const auto tok = unhex(kBlogNegTokenInit);
  spnego::NegTokenInit init;
  ASSERT_TRUE(spnego::parse_init(tok, init));
  ASSERT_EQ(init.mech_types.size(), 1u);
  EXPECT_EQ(hex(init.mech_types[0]), hex(spnego::kOidNtlmssp));
  EXPECT_EQ(hex(init.mech_types_der), "300c060a2b06010401823702020a");
  ASSERT_TRUE(init.mech_token.has_value());
  EXPECT_EQ(init.mech_token->size(), 0x28u);
  EXPECT_EQ(ntlm::message_type(*init.mech_token), ntlm::MessageType::negotiate);
}

TEST(Spnego, EveryTruncationOfNegTokenInitFailsCleanly) {
  const auto tok = unhex(kBlogNegTokenInit);
  for (std::size_t n = 0; n < tok.size(); ++n) {
    spnego::NegTokenInit init;
    EXPECT_FALSE(spnego::parse_init(std::span(tok).first(n), init)) << n;
  }
  // And every single-byte corruption either parses or fails, never crashes.
  for (std::size_t i = 0; i < tok.size(); ++i) {
    for (std::uint8_t v : {std::uint8_t{0x00}, std::uint8_t{0x80}, std::uint8_t{0xff}}) {
      auto bad = tok;
      bad[i] = v;
      spnego::NegTokenInit init;
      (void)spnego::parse_init(bad, init);
    }
  }
}

TEST(Spnego, NegTokenRespRoundTrip) {
  const auto token = unhex("4e544c4d53535000020000");
  const auto mic = unhex("0100000011223344556677880000000");
  const auto enc = spnego::encode_resp(spnego::NegState::accept_incomplete, std::span(spnego::kOidNtlmssp),
                                       std::span<const std::uint8_t>(token), std::span<const std::uint8_t>(mic));
  spnego::NegTokenResp r;
  ASSERT_TRUE(spnego::parse_resp(enc, r));
  EXPECT_EQ(r.neg_state, spnego::NegState::accept_incomplete);
  EXPECT_EQ(hex(*r.supported_mech), hex(spnego::kOidNtlmssp));
  EXPECT_EQ(hex(*r.response_token), hex(token));
  EXPECT_EQ(hex(*r.mech_list_mic), hex(mic));
  for (std::size_t n = 0; n < enc.size(); ++n) {
    EXPECT_FALSE(spnego::parse_resp(std::span(enc).first(n), r)) << n;
  }
  // The blog's final server token: accept-completed + mechListMIC.
  const auto blog_final = unhex("A11B3019A0030A0100A3120410010000003B453CDC3524164200000000");
  ASSERT_TRUE(spnego::parse_resp(blog_final, r));
  EXPECT_EQ(r.neg_state, spnego::NegState::accept_completed);
  EXPECT_FALSE(r.response_token.has_value());
  EXPECT_EQ(hex(*r.mech_list_mic), "010000003b453cdc3524164200000000");
}

TEST(Spnego, HintToken) {
  const auto hint = negotiate_hint_token();
  EXPECT_EQ(hint[0], 0x60);
  spnego::NegTokenInit init;
  ASSERT_TRUE(spnego::parse_init(hint, init));  // negHints [3] is skipped
  ASSERT_EQ(init.mech_types.size(), 1u);
  EXPECT_EQ(hex(init.mech_types[0]), hex(spnego::kOidNtlmssp));
  const std::string h = "not_defined_in_RFC4178@please_ignore";
  EXPECT_NE(std::search(hint.begin(), hint.end(), h.begin(), h.end()), hint.end());
  EXPECT_EQ(hex(std::span(hint).subspan(2, 8)), "06062b0601050502");
  der::Tlv t;
  EXPECT_TRUE(der::read_exact(hint, t));
}

}  // namespace
}  // namespace smbsrv::auth
