// SPNEGO (RFC 4178, MS-SPNG) tokens: the initiator's InitialContextToken/NegTokenInit, the
// NegTokenResp in both directions, and the server's NegTokenInit2 hint.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace smbsrv::auth::spnego {

using Bytes = std::span<const std::uint8_t>;

/// Encoded OBJECT IDENTIFIER TLVs (tag 0x06 included).
extern const std::uint8_t kOidSpnego[8];    // 1.3.6.1.5.5.2
extern const std::uint8_t kOidNtlmssp[12];  // 1.3.6.1.4.1.311.2.2.10

enum class NegState : std::uint8_t { accept_completed = 0, accept_incomplete = 1, reject = 2, request_mic = 3 };

/// A parsed NegTokenInit; all views point into the parsed buffer.
struct NegTokenInit {
  std::vector<Bytes> mech_types;       // each an encoded OID TLV
  Bytes mech_types_der;                // the MechTypeList SEQUENCE exactly as sent (for mechListMIC)
  std::optional<Bytes> mech_token;     // OCTET STRING contents
  std::optional<Bytes> mech_list_mic;  // OCTET STRING contents
};

/// Parses an InitialContextToken ([APPLICATION 0] { OID 1.3.6.1.5.5.2, [0] NegTokenInit }).
bool parse_init(Bytes token, NegTokenInit& out);

struct NegTokenResp {
  std::optional<NegState> neg_state;
  std::optional<Bytes> supported_mech;  // encoded OID TLV
  std::optional<Bytes> response_token;
  std::optional<Bytes> mech_list_mic;
};

/// Parses a [1] NegTokenResp.
bool parse_resp(Bytes token, NegTokenResp& out);

/// Encodes a [1] NegTokenResp; absent fields are omitted.
std::vector<std::uint8_t> encode_resp(std::optional<NegState> state, std::optional<Bytes> supported_mech,
                                      std::optional<Bytes> response_token, std::optional<Bytes> mech_list_mic);

/// Encodes an InitialContextToken carrying a NegTokenInit (used by tests acting as a client).
std::vector<std::uint8_t> encode_init(std::span<const Bytes> mech_types, std::optional<Bytes> mech_token,
                                      std::vector<std::uint8_t>* mech_types_der = nullptr);

/// The NegTokenInit2 for the SMB2 NEGOTIATE response.
std::vector<std::uint8_t> encode_hint();

}  // namespace smbsrv::auth::spnego
