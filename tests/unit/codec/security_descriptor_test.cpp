// MS-DTYP self-relative security descriptors (2.4.6) with SIDs (2.4.2), ACLs (2.4.5) and
// ACCESS_ALLOWED_ACEs (2.4.4.2).
#include <gtest/gtest.h>

#include <vector>

#include "codec/security_descriptor.hpp"
#include "support/pdu_builder.hpp"

namespace smbsrv::codec {
namespace {
using test::rd16;
using test::rd32;

// Reference: a verbatim copy of security_descriptor() from src/engine/handlers/info.cpp as it was
// when the layout moved into the codec (commit 60a3ac4). The encoder must keep producing these
// bytes for the same request, so that the engine can switch over without a visible change.
std::vector<std::uint8_t> engine_security_descriptor(std::uint32_t additional, std::uint32_t access) {
  const std::uint8_t everyone[] = {1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0};  // S-1-1-0
  std::vector<std::uint8_t> sd(20, 0);
  ByteWriter w(sd);
  std::uint16_t control = 0x8000;  // SE_SELF_RELATIVE
  std::uint32_t owner = 0, group = 0, dacl = 0;
  if (additional & 0x1) { owner = static_cast<std::uint32_t>(sd.size()); w.bytes(everyone); }
  if (additional & 0x2) { group = static_cast<std::uint32_t>(sd.size()); w.bytes(everyone); }
  if (additional & 0x4) {
    control |= 0x0004;  // SE_DACL_PRESENT
    dacl = static_cast<std::uint32_t>(sd.size());
    w.u8(2); w.u8(0); w.u16(8 + 20); w.u16(1); w.u16(0);        // ACL header, one ACE
    w.u8(0); w.u8(0); w.u16(20); w.u32(access); w.bytes(everyone);  // ACCESS_ALLOWED_ACE
  }
  sd[0] = 1;
  w.put_u16(2, control);
  w.put_u32(4, owner);
  w.put_u32(8, group);
  w.put_u32(16, dacl);
  return sd;
}

// The descriptor the engine means: Everyone as owner and group, a DACL granting Everyone `access`,
// each part only when AdditionalInformation asks for it.
SecurityDescriptor everyone_descriptor(std::uint32_t additional, std::uint32_t access) {
  SecurityDescriptor sd;
  if (additional & kOwnerSecurityInformation) sd.owner = everyone_sid();
  if (additional & kGroupSecurityInformation) sd.group = everyone_sid();
  if (additional & kDaclSecurityInformation)
    sd.dacl = std::vector<Ace>{Ace{kAccessAllowedAceType, 0, access, everyone_sid()}};
  return sd;
}

TEST(SecurityDescriptor, ReproducesTheEngineBytes) {
  for (std::uint32_t additional : {0x1u, 0x2u, 0x4u, 0x7u, 0x0u, 0x3u, 0x5u, 0x6u, 0x8u, 0xFu}) {
    for (std::uint32_t access : {0x001F01FFu, 0x00120089u}) {
      EXPECT_EQ(encode_security_descriptor(everyone_descriptor(additional, access)),
                engine_security_descriptor(additional, access))
          << "additional 0x" << std::hex << additional << " access 0x" << access;
    }
  }
}

TEST(SecurityDescriptor, FullLayoutByHand) {
  // additional 0x7, access 0x001F01FF: header, owner at 20, group at 32, DACL at 44 (28 bytes).
  const auto sd = encode_security_descriptor(everyone_descriptor(0x7, 0x001F01FF));
  const std::vector<std::uint8_t> expect = {
      1, 0, 0x04, 0x80,                                   // Revision, Sbz1, Control
      20, 0, 0, 0, 32, 0, 0, 0, 0, 0, 0, 0, 44, 0, 0, 0,  // OffsetOwner, Group, Sacl, Dacl
      1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0,                 // owner S-1-1-0
      1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0,                 // group S-1-1-0
      2, 0, 28, 0, 1, 0, 0, 0,                            // ACL: revision 2, size 28, 1 ACE
      0, 0, 20, 0, 0xFF, 0x01, 0x1F, 0x00,                // ACCESS_ALLOWED_ACE, size 20, mask
      1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0};                // S-1-1-0
  EXPECT_EQ(sd, expect);
}

TEST(SecurityDescriptor, EmptyDescriptor) {
  const auto sd = encode_security_descriptor(SecurityDescriptor{});
  EXPECT_EQ(sd, (std::vector<std::uint8_t>{1, 0, 0x00, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
}

TEST(SecurityDescriptor, NullAndEmptyDacl) {
  SecurityDescriptor null_dacl;
  null_dacl.control = kSeDaclPresent;  // present, but no ACL: everyone is granted everything
  const auto n = encode_security_descriptor(null_dacl);
  ASSERT_EQ(n.size(), 20u);
  EXPECT_EQ(rd16(n, 2), kSeSelfRelative | kSeDaclPresent);
  EXPECT_EQ(rd32(n, 16), 0u);
  SecurityDescriptor empty;
  empty.dacl = std::vector<Ace>{};  // an ACL with no ACE: nothing is granted
  const auto e = encode_security_descriptor(empty);
  ASSERT_EQ(e.size(), 28u);
  EXPECT_EQ(rd16(e, 2), kSeSelfRelative | kSeDaclPresent);
  EXPECT_EQ(rd32(e, 16), 20u);
  EXPECT_EQ(e[20], kAclRevision);
  EXPECT_EQ(rd16(e, 22), 8);  // AclSize
  EXPECT_EQ(rd16(e, 24), 0);  // AceCount
}

TEST(SecurityDescriptor, DomainSidsAndSeveralAces) {
  // Owner S-1-5-21-1-2-3-500, group S-1-5-32-544 (BUILTIN\Administrators), DACL: deny Guests
  // write, allow Everyone read, inherited.
  Sid owner;
  owner.authority = {0, 0, 0, 0, 0, 5};
  owner.sub_authorities = {21, 1, 2, 3, 500};
  Sid admins;
  admins.authority = {0, 0, 0, 0, 0, 5};
  admins.sub_authorities = {32, 544};
  Sid guests = admins;
  guests.sub_authorities = {32, 546};
  SecurityDescriptor sd;
  sd.control = 0x0400;  // SE_DACL_AUTO_INHERITED is kept
  sd.owner = owner;
  sd.group = admins;
  sd.dacl = std::vector<Ace>{Ace{kAccessDeniedAceType, 0x10, 0x00000116, guests},
                             Ace{kAccessAllowedAceType, 0x03, 0x00120089, everyone_sid()}};
  EXPECT_EQ(sid_size(owner), 28u);
  EXPECT_EQ(sid_size(admins), 16u);
  const auto b = encode_security_descriptor(sd);
  const std::size_t owner_at = 20, group_at = owner_at + 28, dacl_at = group_at + 16;
  const std::size_t ace1 = dacl_at + 8, ace2 = ace1 + 8 + 16;
  ASSERT_EQ(b.size(), ace2 + 8 + 12);
  EXPECT_EQ(rd16(b, 2), 0x0400 | kSeSelfRelative | kSeDaclPresent);
  EXPECT_EQ(rd32(b, 4), owner_at);
  EXPECT_EQ(rd32(b, 8), group_at);
  EXPECT_EQ(rd32(b, 12), 0u);
  EXPECT_EQ(rd32(b, 16), dacl_at);
  // Owner SID: revision 1, 5 sub-authorities, authority 5 (big-endian), then LE sub-authorities.
  EXPECT_EQ(b[owner_at], 1);
  EXPECT_EQ(b[owner_at + 1], 5);
  for (std::size_t i = 0; i < 5; ++i) EXPECT_EQ(b[owner_at + 2 + i], 0);
  EXPECT_EQ(b[owner_at + 7], 5);
  EXPECT_EQ(rd32(b, owner_at + 8), 21u);
  EXPECT_EQ(rd32(b, owner_at + 8 + 16), 500u);
  EXPECT_EQ(b[group_at + 1], 2);
  EXPECT_EQ(rd32(b, group_at + 12), 544u);
  // ACL header.
  EXPECT_EQ(b[dacl_at], 2);
  EXPECT_EQ(rd16(b, dacl_at + 2), 8 + 24 + 20);
  EXPECT_EQ(rd16(b, dacl_at + 4), 2);
  // ACEs.
  EXPECT_EQ(b[ace1], kAccessDeniedAceType);
  EXPECT_EQ(b[ace1 + 1], 0x10);
  EXPECT_EQ(rd16(b, ace1 + 2), 24);
  EXPECT_EQ(rd32(b, ace1 + 4), 0x116u);
  EXPECT_EQ(rd32(b, ace1 + 8 + 12), 546u);
  EXPECT_EQ(b[ace2], kAccessAllowedAceType);
  EXPECT_EQ(b[ace2 + 1], 0x03);
  EXPECT_EQ(rd16(b, ace2 + 2), 20);
  EXPECT_EQ(rd32(b, ace2 + 4), 0x00120089u);
  EXPECT_EQ(b[ace2 + 8 + 7], 1);  // S-1-1-0's authority
}

TEST(Sid, Encoding) {
  std::vector<std::uint8_t> out;
  ByteWriter w(out);
  encode_sid(w, everyone_sid());
  EXPECT_EQ(out, (std::vector<std::uint8_t>{1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0}));
  out.clear();
  Sid nt_authority;  // S-1-5, no sub-authority
  nt_authority.authority = {0, 0, 0, 0, 0, 5};
  encode_sid(w, nt_authority);
  EXPECT_EQ(out, (std::vector<std::uint8_t>{1, 0, 0, 0, 0, 0, 0, 5}));
  EXPECT_EQ(sid_size(nt_authority), 8u);
  out.clear();
  Sid big;  // the largest authority and a full set of sub-authorities
  big.authority = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06};
  big.sub_authorities.assign(kMaxSubAuthorities, 0xDEADBEEF);
  encode_sid(w, big);
  ASSERT_EQ(out.size(), 8u + 4u * kMaxSubAuthorities);
  EXPECT_EQ(out[1], 15);
  EXPECT_EQ(out[2], 0x01);
  EXPECT_EQ(out[7], 0x06);
  EXPECT_EQ(rd32(out, 8 + 4 * 14), 0xDEADBEEFu);
}

}  // namespace
}  // namespace smbsrv::codec
