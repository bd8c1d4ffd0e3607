// Test support: a minimal NTLMv2 client (MS-NLMP 3.1.5), written for driving the server from the
// unit tests, the engine client and the fuzz targets. It does not use gtest so the libFuzzer
// targets can share it (test code wraps it to EXPECT that the CHALLENGE parses). Every byte a real
// client would pick at random is a fixed, configurable value, so its tokens are reproducible.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "auth/ntlmssp.hpp"
#include "crypto/crypto.hpp"
#include "smbsrv/credentials.hpp"
#include "util/utf16.hpp"

namespace smbsrv::test {

inline constexpr std::uint32_t kNtlmClientFlags =
    auth::ntlm::flag::kUnicode | auth::ntlm::flag::kRequestTarget | auth::ntlm::flag::kSign |
    auth::ntlm::flag::kSeal | auth::ntlm::flag::kNtlm | auth::ntlm::flag::kAlwaysSign |
    auth::ntlm::flag::kExtendedSessionSecurity | auth::ntlm::flag::kTargetInfo | auth::ntlm::flag::kVersion |
    auth::ntlm::flag::k128 | auth::ntlm::flag::kKeyExch | auth::ntlm::flag::k56;

struct BasicNtlmClient {
  using Vec = std::vector<std::uint8_t>;

  std::string user = "alice", domain = "WORKGROUP", password = "Secret1", workstation = "WS";
  std::uint32_t flags = kNtlmClientFlags;
  std::uint8_t timestamp_byte = 0x11;         // the blob's timestamp: 8 times this byte
  std::uint8_t client_challenge_byte = 0xaa;  // the blob's client challenge: 8 times this byte
  std::uint8_t exported_base = 0x40;          // with KEY_EXCH, ExportedSessionKey[i] = base + i
  bool send_mic = true;
  std::size_t nt_len_override = 0;  // nonzero: truncate the NT response to this length (NTLMv1 style)

  Vec negotiate, challenge, authenticate;
  std::array<std::uint8_t, 16> exported{};
  bool challenge_parsed = false;

  Vec make_negotiate() {
    negotiate = auth::ntlm::encode_negotiate(flags);
    return negotiate;
  }

  /// An AUTHENTICATE answering `challenge_msg`; empty when it (or its target info) does not parse.
  Vec make_authenticate(std::span<const std::uint8_t> challenge_msg) {
    using namespace auth;
    challenge.assign(challenge_msg.begin(), challenge_msg.end());
    authenticate.clear();
    ntlm::Challenge ch;
    std::vector<ntlm::AvPair> avs;
    challenge_parsed = ntlm::parse_challenge(challenge, ch) && ntlm::parse_av_pairs(ch.target_info, avs);
    if (!challenge_parsed) return {};
    Vec blob = {1, 1, 0, 0, 0, 0, 0, 0};
    blob.insert(blob.end(), 8, timestamp_byte);
    blob.insert(blob.end(), 8, client_challenge_byte);
    blob.insert(blob.end(), 4, 0);
    for (const auto& av : avs) ntlm::write_av_pair(blob, av.id, av.value);  // parse_av_pairs drops EOL
    if (send_mic) {
      const std::uint8_t mic_present[4] = {2, 0, 0, 0};
      ntlm::write_av_pair(blob, ntlm::AvId::flags, mic_present);
    }
    ntlm::write_av_pair(blob, ntlm::AvId::eol, {});
    blob.insert(blob.end(), 4, 0);
    const NtHash nt = nt_hash_of_password(password);
    const auto owf = ntlm::ntowf_v2(nt, user, domain);
    const auto proof = crypto::hmac_md5(owf, {ch.server_challenge, blob});
    Vec nt_resp(proof.begin(), proof.end());
    nt_resp.insert(nt_resp.end(), blob.begin(), blob.end());
    if (nt_len_override) nt_resp.resize(nt_len_override);
    const auto base = crypto::hmac_md5(owf, {proof});
    Vec enc_key;
    if (flags & ntlm::flag::kKeyExch) {
      for (std::size_t i = 0; i < 16; ++i) exported[i] = static_cast<std::uint8_t>(exported_base + i);
      enc_key.resize(16);
      crypto::rc4(base, exported, enc_key);
    } else {
      exported = base;
    }
    const Vec lm(24, 0);
    const Vec u = to_utf16le(user), d = to_utf16le(domain), ws = to_utf16le(workstation);
    ntlm::AuthenticateFields af;
    af.flags = flags;
    af.lm_response = lm;
    af.nt_response = nt_resp;
    af.domain = d;
    af.user = u;
    af.workstation = ws;
    af.encrypted_session_key = enc_key;
    authenticate = ntlm::encode_authenticate(af, ntlm::Version{});
    if (send_mic) {
      const auto mic = crypto::hmac_md5(exported, {negotiate, challenge, authenticate});
      std::memcpy(authenticate.data() + ntlm::kMicOffset, mic.data(), 16);
    }
    return authenticate;
  }
};

}  // namespace smbsrv::test
