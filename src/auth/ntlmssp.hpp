// NTLMSSP message codec (MS-NLMP 2.2): NEGOTIATE, CHALLENGE and AUTHENTICATE, AV pairs and the
// Version block, plus the NTLMv2 / session-security computations the server needs (3.3.2, 3.4).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace smbsrv::auth::ntlm {

using Bytes = std::span<const std::uint8_t>;

namespace flag {
constexpr std::uint32_t kUnicode = 0x00000001;
constexpr std::uint32_t kOem = 0x00000002;
constexpr std::uint32_t kRequestTarget = 0x00000004;
constexpr std::uint32_t kSign = 0x00000010;
constexpr std::uint32_t kSeal = 0x00000020;
constexpr std::uint32_t kLmKey = 0x00000080;
constexpr std::uint32_t kNtlm = 0x00000200;
constexpr std::uint32_t kAnonymous = 0x00000800;
constexpr std::uint32_t kAlwaysSign = 0x00008000;
constexpr std::uint32_t kTargetTypeDomain = 0x00010000;
constexpr std::uint32_t kTargetTypeServer = 0x00020000;
constexpr std::uint32_t kExtendedSessionSecurity = 0x00080000;
constexpr std::uint32_t kTargetInfo = 0x00800000;
constexpr std::uint32_t kVersion = 0x02000000;
constexpr std::uint32_t k128 = 0x20000000;
constexpr std::uint32_t kKeyExch = 0x40000000;
constexpr std::uint32_t k56 = 0x80000000;
}  // namespace flag

enum class AvId : std::uint16_t {
  eol = 0, nb_computer_name = 1, nb_domain_name = 2, dns_computer_name = 3, dns_domain_name = 4,
  dns_tree_name = 5, flags = 6, timestamp = 7, single_host = 8, target_name = 9, channel_bindings = 10
};
constexpr std::uint32_t kAvFlagMicPresent = 0x2;

struct AvPair {
  AvId id;
  Bytes value;
};

/// Parses AV pairs up to MsvAvEOL (required); trailing bytes after EOL are ignored.
bool parse_av_pairs(Bytes in, std::vector<AvPair>& out);
void write_av_pair(std::vector<std::uint8_t>& out, AvId id, Bytes value);

extern const std::uint8_t kSignature[8];  // "NTLMSSP\0"
enum class MessageType : std::uint32_t { negotiate = 1, challenge = 2, authenticate = 3 };

/// The message type of a token that starts with "NTLMSSP\0", or nullopt.
std::optional<MessageType> message_type(Bytes msg);

struct Version {
  std::uint8_t major = 10, minor = 0;
  std::uint16_t build = 20348;
  std::uint8_t ntlm_revision = 15;
};

struct Negotiate {
  std::uint32_t flags = 0;
};
bool parse_negotiate(Bytes msg, Negotiate& out);
std::vector<std::uint8_t> encode_negotiate(std::uint32_t flags);

struct Challenge {
  std::uint32_t flags = 0;
  std::array<std::uint8_t, 8> server_challenge{};
  Bytes target_name;  // raw (UTF-16LE when UNICODE)
  Bytes target_info;  // raw AV pairs
};
bool parse_challenge(Bytes msg, Challenge& out);
std::vector<std::uint8_t> encode_challenge(std::uint32_t flags, std::span<const std::uint8_t, 8> server_challenge,
                                           Bytes target_name, Bytes target_info, const Version& version);

struct Authenticate {
  std::uint32_t flags = 0;
  Bytes lm_response, nt_response, domain, user, workstation, encrypted_session_key;
  bool has_version_and_mic_space = false;  // the fixed header extends to 88 bytes (MIC at 72)
};
bool parse_authenticate(Bytes msg, Authenticate& out);
constexpr std::size_t kMicOffset = 72;

struct AuthenticateFields {
  std::uint32_t flags = 0;
  Bytes lm_response, nt_response, domain, user, workstation, encrypted_session_key;
};
/// Encodes an AUTHENTICATE message with Version and a zero MIC field (for tests / clients).
std::vector<std::uint8_t> encode_authenticate(const AuthenticateFields& f, const Version& version);

// ---- computations ----
using Key16 = std::array<std::uint8_t, 16>;

/// NTOWFv2 = HMAC_MD5(NT hash, UTF16LE(UPPER(user) + domain)); user/domain are UTF-8.
Key16 ntowf_v2(std::span<const std::uint8_t, 16> nt_hash, std::string_view user, std::string_view domain);

/// Session-security keys for one direction (MS-NLMP 3.4.5.2/3.4.5.3), ESS only.
struct DirectionKeys {
  Key16 sign_key{};
  std::vector<std::uint8_t> seal_key;
};
DirectionKeys derive_keys(Bytes exported_session_key, std::uint32_t flags, bool client_to_server);

/// NTLMSSP_MESSAGE_SIGNATURE with ESS (MS-NLMP 3.4.4.2) for sequence number `seq`, as for the
/// first use of a fresh sealing handle (which is what SPNEGO's mechListMIC needs).
std::array<std::uint8_t, 16> mac_ess(const DirectionKeys& keys, std::uint32_t flags, std::uint32_t seq, Bytes data);

}  // namespace smbsrv::auth::ntlm
