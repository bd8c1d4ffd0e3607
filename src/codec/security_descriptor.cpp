// MS-DTYP SID (2.4.2), ACE (2.4.4), ACL (2.4.5), self-relative SECURITY_DESCRIPTOR (2.4.6).
#include "codec/security_descriptor.hpp"

#include <cassert>

namespace smbsrv::codec {
namespace {
constexpr std::size_t kSdHeaderSize = 20;
constexpr std::size_t kAclHeaderSize = 8;
constexpr std::size_t kAceHeaderSize = 4;  // AceType, AceFlags, AceSize (2.4.4.1)
constexpr std::size_t kMaskSize = 4;

std::size_t ace_size(const Ace& ace) { return kAceHeaderSize + kMaskSize + sid_size(ace.sid); }
}  // namespace

Sid everyone_sid() {
  Sid s;
  s.authority = {0, 0, 0, 0, 0, 1};  // SECURITY_WORLD_SID_AUTHORITY
  s.sub_authorities = {0};           // SECURITY_WORLD_RID
  return s;
}

std::size_t sid_size(const Sid& sid) { return 8 + 4 * sid.sub_authorities.size(); }

// 2.4.2.2 SID: Revision 0, SubAuthorityCount 1, IdentifierAuthority 2 (6 bytes, big-endian),
// SubAuthority 8 (4 bytes each, little-endian).
void encode_sid(ByteWriter& w, const Sid& sid) {
  assert(sid.sub_authorities.size() <= kMaxSubAuthorities);
  w.u8(sid.revision);
  w.u8(static_cast<std::uint8_t>(sid.sub_authorities.size()));
  w.bytes(sid.authority);
  for (const std::uint32_t sub : sid.sub_authorities) w.u32(sub);
}

// 2.4.6 SECURITY_DESCRIPTOR: Revision 0, Sbz1 1, Control 2, OffsetOwner 4, OffsetGroup 8,
// OffsetSacl 12, OffsetDacl 16, then the parts (here: owner, group, DACL), offsets from the
// descriptor's start. 2.4.5 ACL: AclRevision 0, Sbz1 1, AclSize 2, AceCount 4, Sbz2 6, ACEs 8.
// 2.4.4.2 ACCESS_ALLOWED_ACE (and the same layout for denied/audit): Header 0 (AceType, AceFlags,
// AceSize), Mask 4, Sid 8.
std::vector<std::uint8_t> encode_security_descriptor(const SecurityDescriptor& sd) {
  std::vector<std::uint8_t> out(kSdHeaderSize, 0);
  ByteWriter w(out);
  std::uint16_t control = static_cast<std::uint16_t>(sd.control | kSeSelfRelative);
  std::uint32_t owner = 0, group = 0, dacl = 0;
  if (sd.owner) {
    owner = static_cast<std::uint32_t>(w.size());
    encode_sid(w, *sd.owner);
  }
  if (sd.group) {
    group = static_cast<std::uint32_t>(w.size());
    encode_sid(w, *sd.group);
  }
  if (sd.dacl) {
    control = static_cast<std::uint16_t>(control | kSeDaclPresent);
    dacl = static_cast<std::uint32_t>(w.size());
    std::size_t acl_size = kAclHeaderSize;
    for (const Ace& ace : *sd.dacl) acl_size += ace_size(ace);
    assert(acl_size <= 0xFFFF);
    w.u8(kAclRevision);
    w.u8(0);
    w.u16(static_cast<std::uint16_t>(acl_size));
    w.u16(static_cast<std::uint16_t>(sd.dacl->size()));
    w.u16(0);
    for (const Ace& ace : *sd.dacl) {
      w.u8(ace.type);
      w.u8(ace.flags);
      w.u16(static_cast<std::uint16_t>(ace_size(ace)));
      w.u32(ace.mask);
      encode_sid(w, ace.sid);
    }
  }
  out[0] = 1;  // Revision
  w.put_u16(2, control);
  w.put_u32(4, owner);
  w.put_u32(8, group);
  w.put_u32(16, dacl);
  return out;
}

}  // namespace smbsrv::codec
