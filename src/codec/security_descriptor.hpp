// MS-DTYP security structures the server synthesizes: SID (2.4.2), ACE (2.4.4), ACL (2.4.5) and
// the self-relative SECURITY_DESCRIPTOR (2.4.6) that QUERY_INFO SMB2_0_INFO_SECURITY returns.
// Encoded for QUERY_INFO and decoded (SET_INFO, the SecD create context) for storage.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <string>
#include <optional>
#include <vector>

#include "smbsrv/result.hpp"
#include "util/byte_reader.hpp"
#include "util/byte_writer.hpp"

namespace smbsrv::codec {

// SECURITY_INFORMATION bits (MS-DTYP 2.4.7): QUERY_INFO's AdditionalInformation.
inline constexpr std::uint32_t kOwnerSecurityInformation = 0x00000001;
inline constexpr std::uint32_t kGroupSecurityInformation = 0x00000002;
inline constexpr std::uint32_t kDaclSecurityInformation = 0x00000004;
inline constexpr std::uint32_t kSaclSecurityInformation = 0x00000008;

// SECURITY_DESCRIPTOR Control bits (2.4.6).
inline constexpr std::uint16_t kSeDaclPresent = 0x0004;
inline constexpr std::uint16_t kSeSelfRelative = 0x8000;
inline constexpr std::uint16_t kSeOwnerDefaulted = 0x0001;
inline constexpr std::uint16_t kSeGroupDefaulted = 0x0002;
inline constexpr std::uint16_t kSeDaclDefaulted = 0x0008;
inline constexpr std::uint16_t kSeSaclPresent = 0x0010;
inline constexpr std::uint16_t kSeSaclDefaulted = 0x0020;
inline constexpr std::uint16_t kSeDaclAutoInherited = 0x0400;
inline constexpr std::uint16_t kSeSaclAutoInherited = 0x0800;
inline constexpr std::uint16_t kSeDaclProtected = 0x1000;
inline constexpr std::uint16_t kSeSaclProtected = 0x2000;
/// The Control bits that describe the DACL and the SACL (what a merge takes with each part).
inline constexpr std::uint16_t kSeDaclBits = kSeDaclPresent | kSeDaclDefaulted | kSeDaclAutoInherited | kSeDaclProtected |
                                             0x0100 /* SE_DACL_AUTO_INHERIT_REQ */;
inline constexpr std::uint16_t kSeSaclBits = kSeSaclPresent | kSeSaclDefaulted | kSeSaclAutoInherited | kSeSaclProtected |
                                             0x0200 /* SE_SACL_AUTO_INHERIT_REQ */;

// ACE flags (2.4.4.1).
inline constexpr std::uint8_t kObjectInheritAce = 0x01;
inline constexpr std::uint8_t kContainerInheritAce = 0x02;
inline constexpr std::uint8_t kNoPropagateInheritAce = 0x04;
inline constexpr std::uint8_t kInheritOnlyAce = 0x08;
inline constexpr std::uint8_t kInheritedAce = 0x10;

// ACE types (2.4.4.1) whose body is Mask + Sid (2.4.4.2, 2.4.4.4, 2.4.4.10).
inline constexpr std::uint8_t kAccessAllowedAceType = 0x00;
inline constexpr std::uint8_t kAccessDeniedAceType = 0x01;
inline constexpr std::uint8_t kSystemAuditAceType = 0x02;
inline constexpr std::uint8_t kSystemAlarmAceType = 0x03;
inline constexpr std::uint8_t kAclRevision = 0x02;  // ACL_REVISION (2.4.5): no object ACEs

/// SID (2.4.2): at most 15 sub-authorities (SID_MAX_SUB_AUTHORITIES).
struct Sid {
  std::uint8_t revision = 1;
  std::array<std::uint8_t, 6> authority{};  // IdentifierAuthority, big-endian as on the wire
  std::vector<std::uint32_t> sub_authorities;
  friend bool operator==(const Sid&, const Sid&) = default;
};
inline constexpr std::size_t kMaxSubAuthorities = 15;
/// S-1-1-0, Everyone (MS-DTYP 2.4.2.4).
Sid everyone_sid();
/// "S-1-5-21-1-2-3" (MS-DTYP 2.4.2.1; an authority of 2^32 or more in hex, "0x...").
std::string sid_to_string(const Sid& sid);
/// The string form back: "S-1-" then a decimal authority below 2^32 and up to 15 decimal
/// sub-authorities, each below 2^32; nullopt otherwise.
std::optional<Sid> parse_sid(std::string_view text);
/// 8 + 4 * sub-authority count.
std::size_t sid_size(const Sid& sid);
/// Appends the SID: Revision, SubAuthorityCount, IdentifierAuthority (6), SubAuthority (4 each,
/// little-endian). Precondition: at most kMaxSubAuthorities sub-authorities.
void encode_sid(ByteWriter& w, const Sid& sid);

/// An ACE whose body is Mask + Sid (ACCESS_ALLOWED_ACE, ACCESS_DENIED_ACE, SYSTEM_AUDIT_ACE).
struct Ace {
  std::uint8_t type = kAccessAllowedAceType;
  std::uint8_t flags = 0;
  std::uint32_t mask = 0;
  Sid sid;
  friend bool operator==(const Ace&, const Ace&) = default;
};

/// A self-relative security descriptor. `dacl`: nullopt = no DACL; an empty vector = an empty
/// DACL (grants nothing). A NULL DACL (everything granted) is nullopt with kSeDaclPresent in
/// `control`. The SACL likewise (kSeSaclPresent).
struct SecurityDescriptor {
  std::uint16_t control = 0;  // kSeSelfRelative, and kSeDaclPresent when dacl holds a value, are added
  std::optional<Sid> owner;
  std::optional<Sid> group;
  std::optional<std::vector<Ace>> dacl;
  std::optional<std::vector<Ace>> sacl;  // kSeSaclPresent is added when it holds a value
  friend bool operator==(const SecurityDescriptor&, const SecurityDescriptor&) = default;
};
/// SECURITY_DESCRIPTOR in self-relative form (2.4.6): the 20-byte header (Revision 1), then the
/// owner SID, the group SID and the DACL (ACL header, 2.4.5, AclRevision 2, then each ACE),
/// each present part's offset in the header and absent parts' offsets 0. Preconditions: every
/// SID within kMaxSubAuthorities, the DACL within 65535 bytes.
std::vector<std::uint8_t> encode_security_descriptor(const SecurityDescriptor& sd);

/// Whether every ACL of `sd` fits the 65535 bytes of AclSize (encode_security_descriptor's
/// precondition), the SIDs being valid.
bool acls_fit(const SecurityDescriptor& sd);

/// Decodes a self-relative SECURITY_DESCRIPTOR (2.4.6), every offset and length checked by
/// subtraction against the buffer. Errors (as Windows' RtlValidSecurityDescriptor answers):
/// invalid_security_descr for a short header, a Revision other than 1 or a part's offset
/// inside the header or past the end; invalid_sid for a SID that does not fit or has a Revision
/// other than 1 or over 15 sub-authorities; invalid_acl for an ACL whose AclRevision is not 2
/// to 4 (Windows accepts 3, ACL_REVISION3, and smbcacls sends it), whose AclSize does not fit,
/// whose AceCount is more than its AclSize holds, or with an ACE that does not fit its ACL, is
/// shorter than its body, or is of a type other than ACCESS_ALLOWED, ACCESS_DENIED, SYSTEM_AUDIT
/// and SYSTEM_ALARM (object and callback ACEs are not kept). A DACL_PRESENT Control with
/// OffsetDacl 0 is a NULL DACL (dacl nullopt, the bit kept in control); OffsetDacl non-zero
/// without DACL_PRESENT is ignored, as Windows does.
Result<SecurityDescriptor> decode_security_descriptor(Bytes data);
/// Decodes a SID at the reader's position (2.4.2.2); reader failure or invalid_sid otherwise.
Result<Sid> decode_sid(ByteReader& r);

}  // namespace smbsrv::codec
