// Decoding self-relative security descriptors (MS-DTYP 2.4.6) as SET_INFO security and the SecD
// create context carry them: round trips, every truncation, and each kind of bad input with the
// status Windows gives it.
#include <gtest/gtest.h>

#include <vector>

#include "codec/security_descriptor.hpp"

namespace smbsrv::codec {
namespace {

using Vec = std::vector<std::uint8_t>;

SecurityDescriptor sample() {
  SecurityDescriptor sd;
  sd.control = kSeDaclProtected;
  sd.owner = parse_sid("S-1-5-21-1-2-3-1000");
  sd.group = parse_sid("S-1-5-32-544");
  sd.dacl = std::vector<Ace>{{kAccessAllowedAceType, kObjectInheritAce | kContainerInheritAce, 0x001F01FF,
                              *parse_sid("S-1-3-0")},
                             {kAccessDeniedAceType, 0, 0x2, everyone_sid()}};
  sd.sacl = std::vector<Ace>{{kSystemAuditAceType, 0x40, 0x00010000, everyone_sid()}};
  return sd;
}

void put16(Vec& b, std::size_t at, std::uint16_t v) {
  b[at] = static_cast<std::uint8_t>(v);
  b[at + 1] = static_cast<std::uint8_t>(v >> 8);
}
void put32(Vec& b, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v >> (8 * i));
}
std::uint32_t get32(const Vec& b, std::size_t at) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < 4; ++i) v |= static_cast<std::uint32_t>(b[at + i]) << (8 * i);
  return v;
}

TEST(SecurityDescriptorDecode, RoundTripsEveryPart) {
  const SecurityDescriptor sd = sample();
  const Vec bytes = encode_security_descriptor(sd);
  auto back = decode_security_descriptor(bytes);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->owner, sd.owner);
  EXPECT_EQ(back->group, sd.group);
  EXPECT_EQ(back->dacl, sd.dacl);
  EXPECT_EQ(back->sacl, sd.sacl);
  EXPECT_EQ(back->control, kSeDaclProtected | kSeSelfRelative | kSeDaclPresent | kSeSaclPresent);
  EXPECT_EQ(encode_security_descriptor(*back), bytes);
}

TEST(SecurityDescriptorDecode, NullAndEmptyDacl) {
  SecurityDescriptor null_dacl;
  null_dacl.control = kSeDaclPresent;
  auto n = decode_security_descriptor(encode_security_descriptor(null_dacl));
  ASSERT_TRUE(n.ok());
  EXPECT_FALSE(n->dacl.has_value());
  EXPECT_TRUE(n->control & kSeDaclPresent);
  SecurityDescriptor empty;
  empty.dacl = std::vector<Ace>{};
  auto e = decode_security_descriptor(encode_security_descriptor(empty));
  ASSERT_TRUE(e.ok());
  ASSERT_TRUE(e->dacl.has_value());
  EXPECT_TRUE(e->dacl->empty());
  // A header alone: nothing present.
  auto h = decode_security_descriptor(encode_security_descriptor({}));
  ASSERT_TRUE(h.ok());
  EXPECT_FALSE(h->owner || h->group || h->dacl || h->sacl);
}

TEST(SecurityDescriptorDecode, EveryTruncationIsRejected) {
  const Vec bytes = encode_security_descriptor(sample());
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    auto r = decode_security_descriptor(Vec(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n)));
    EXPECT_FALSE(r.ok()) << n;
  }
}

TEST(SecurityDescriptorDecode, BadHeaderAndOffsets) {
  Vec b = encode_security_descriptor(sample());
  Vec bad = b;
  bad[0] = 2;  // Revision
  EXPECT_EQ(decode_security_descriptor(bad).status(), NtStatus::invalid_security_descr);
  bad = b;
  put32(bad, 4, 8);  // owner inside the header
  EXPECT_EQ(decode_security_descriptor(bad).status(), NtStatus::invalid_security_descr);
  bad = b;
  put32(bad, 4, static_cast<std::uint32_t>(b.size()));  // owner at the end
  EXPECT_EQ(decode_security_descriptor(bad).status(), NtStatus::invalid_security_descr);
  bad = b;
  put32(bad, 16, 0xFFFFFFF0u);  // DACL far past the end
  EXPECT_EQ(decode_security_descriptor(bad).status(), NtStatus::invalid_security_descr);
  bad = b;
  put32(bad, 8, static_cast<std::uint32_t>(b.size() - 4));  // group SID running off the end
  EXPECT_EQ(decode_security_descriptor(bad).status(), NtStatus::invalid_sid);
}

TEST(SecurityDescriptorDecode, BadSids) {
  Vec b = encode_security_descriptor(sample());
  const std::size_t owner = get32(b, 4);
  Vec bad = b;
  bad[owner] = 2;  // SID Revision
  EXPECT_EQ(decode_security_descriptor(bad).status(), NtStatus::invalid_sid);
  bad = b;
  bad[owner + 1] = 16;  // SubAuthorityCount over 15
  EXPECT_EQ(decode_security_descriptor(bad).status(), NtStatus::invalid_sid);
}

TEST(SecurityDescriptorDecode, BadAcls) {
  const Vec b = encode_security_descriptor(sample());
  const std::size_t dacl = get32(b, 16);
  Vec bad = b;
  bad[dacl] = 5;  // AclRevision
  EXPECT_EQ(decode_security_descriptor(bad).status(), NtStatus::invalid_acl);
  bad = b;
  put16(bad, dacl + 2, 0xFFFF);  // AclSize past the end
  EXPECT_EQ(decode_security_descriptor(bad).status(), NtStatus::invalid_acl);
  bad = b;
  put16(bad, dacl + 4, 0x4000);  // more ACEs than AclSize holds
  EXPECT_EQ(decode_security_descriptor(bad).status(), NtStatus::invalid_acl);
  bad = b;
  put16(bad, dacl + 4, 3);  // one more ACE than there is: runs off the ACL
  EXPECT_EQ(decode_security_descriptor(bad).status(), NtStatus::invalid_acl);
  bad = b;
  bad[dacl + 8] = 0x05;  // ACCESS_ALLOWED_OBJECT_ACE: not kept
  EXPECT_EQ(decode_security_descriptor(bad).status(), NtStatus::invalid_acl);
  bad = b;
  put16(bad, dacl + 8 + 2, 6);  // AceSize below header + mask
  EXPECT_EQ(decode_security_descriptor(bad).status(), NtStatus::invalid_acl);
  bad = b;
  put16(bad, dacl + 8 + 2, 0x1000);  // AceSize past the ACL
  EXPECT_EQ(decode_security_descriptor(bad).status(), NtStatus::invalid_acl);
}

TEST(SecurityDescriptorDecode, AcePaddingIsAcceptedAndDropped) {
  // An ACE whose AceSize leaves room after its SID (Windows pads to 4): decoded, re-encoded tight.
  SecurityDescriptor sd;
  sd.dacl = std::vector<Ace>{{kAccessAllowedAceType, 0, 1, everyone_sid()}};
  Vec b = encode_security_descriptor(sd);
  const std::size_t dacl = get32(b, 16);
  b.insert(b.end(), {0, 0, 0, 0});
  put16(b, dacl + 2, static_cast<std::uint16_t>(8 + 24));
  put16(b, dacl + 8 + 2, 24);
  auto d = decode_security_descriptor(b);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->dacl, sd.dacl);
}

TEST(SecurityDescriptorDecode, DaclOffsetWithoutPresentBitIsIgnored) {
  Vec b = encode_security_descriptor(sample());
  put16(b, 2, static_cast<std::uint16_t>(kSeSelfRelative | kSeSaclPresent));
  auto d = decode_security_descriptor(b);
  ASSERT_TRUE(d.ok());
  EXPECT_FALSE(d->dacl.has_value());
}

}  // namespace
}  // namespace smbsrv::codec
