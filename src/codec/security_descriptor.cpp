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

void encode_acl(ByteWriter& w, const std::vector<Ace>& acl) {
  std::size_t acl_size = kAclHeaderSize;
  for (const Ace& ace : acl) acl_size += ace_size(ace);
  assert(acl_size <= 0xFFFF);
  w.u8(kAclRevision);
  w.u8(0);
  w.u16(static_cast<std::uint16_t>(acl_size));
  w.u16(static_cast<std::uint16_t>(acl.size()));
  w.u16(0);
  for (const Ace& ace : acl) {
    w.u8(ace.type);
    w.u8(ace.flags);
    w.u16(static_cast<std::uint16_t>(ace_size(ace)));
    w.u32(ace.mask);
    encode_sid(w, ace.sid);
  }
}

/// The ACL at `offset` of the descriptor `data` (2.4.5), each ACE within its AceSize and every
/// ACE within AclSize.
Result<std::vector<Ace>> decode_acl(Bytes data, std::uint32_t offset) {
  if (offset < kSdHeaderSize || offset > data.size() || data.size() - offset < kAclHeaderSize)
    return NtStatus::invalid_security_descr;
  ByteReader h(data.subspan(offset));
  const std::uint8_t revision = h.u8();
  h.u8();
  const std::uint16_t acl_size = h.u16();
  const std::uint16_t count = h.u16();
  h.u16();
  if (revision < 2 || revision > 4) return NtStatus::invalid_acl;  // MIN_ACL_REVISION..MAX_ACL_REVISION (smbcacls sends 3)
  if (acl_size < kAclHeaderSize || acl_size > h.size()) return NtStatus::invalid_acl;
  // The smallest ACE this decoder accepts: header, mask and a SID without sub-authorities.
  if (count > (acl_size - kAclHeaderSize) / (kAceHeaderSize + kMaskSize + 8)) return NtStatus::invalid_acl;
  ByteReader r(data.subspan(offset + kAclHeaderSize, acl_size - kAclHeaderSize));
  std::vector<Ace> out;
  out.reserve(count);
  for (std::uint16_t i = 0; i < count; ++i) {
    Ace ace;
    ace.type = r.u8();
    ace.flags = r.u8();
    const std::uint16_t size = r.u16();
    if (!r.ok() || size < kAceHeaderSize + kMaskSize || size - kAceHeaderSize > r.remaining())
      return NtStatus::invalid_acl;
    if (ace.type > kSystemAlarmAceType) return NtStatus::invalid_acl;
    ByteReader body(r.bytes(size - kAceHeaderSize));
    ace.mask = body.u32();
    auto sid = decode_sid(body);
    if (!sid) return sid.status() == NtStatus::invalid_sid ? NtStatus::invalid_sid : NtStatus::invalid_acl;
    ace.sid = std::move(*sid);
    out.push_back(std::move(ace));
  }
  return out;
}

/// The SID at `offset` of the descriptor (owner or group).
Result<Sid> decode_sid_at(Bytes data, std::uint32_t offset) {
  if (offset < kSdHeaderSize || offset >= data.size()) return NtStatus::invalid_security_descr;
  ByteReader r(data.subspan(offset));
  return decode_sid(r);
}
}  // namespace

bool acls_fit(const SecurityDescriptor& sd) {
  auto fits = [](const std::optional<std::vector<Ace>>& acl) {
    if (!acl) return true;
    std::size_t size = kAclHeaderSize;
    for (const Ace& ace : *acl) size += ace_size(ace);
    return size <= 0xFFFF;
  };
  return fits(sd.dacl) && fits(sd.sacl);
}

Result<Sid> decode_sid(ByteReader& r) {
  Sid sid;
  sid.revision = r.u8();
  const std::uint8_t count = r.u8();
  const Bytes authority = r.bytes(6);
  if (!r.ok()) return NtStatus::invalid_sid;
  if (sid.revision != 1 || count > kMaxSubAuthorities) return NtStatus::invalid_sid;
  if (r.remaining() / 4 < count) return NtStatus::invalid_sid;
  for (std::size_t i = 0; i < 6; ++i) sid.authority[i] = authority[i];
  for (std::uint8_t i = 0; i < count; ++i) sid.sub_authorities.push_back(r.u32());
  return sid;
}

Result<SecurityDescriptor> decode_security_descriptor(Bytes data) {
  ByteReader r(data);
  const std::uint8_t revision = r.u8();
  r.u8();  // Sbz1 (a resource manager's; kept as 0)
  SecurityDescriptor sd;
  sd.control = r.u16();
  const std::uint32_t owner = r.u32(), group = r.u32(), sacl = r.u32(), dacl = r.u32();
  if (!r.ok() || revision != 1) return NtStatus::invalid_security_descr;
  if (owner != 0) {
    auto s = decode_sid_at(data, owner);
    if (!s) return s.status();
    sd.owner = std::move(*s);
  }
  if (group != 0) {
    auto s = decode_sid_at(data, group);
    if (!s) return s.status();
    sd.group = std::move(*s);
  }
  if ((sd.control & kSeDaclPresent) && dacl != 0) {
    auto a = decode_acl(data, dacl);
    if (!a) return a.status();
    sd.dacl = std::move(*a);
  }
  if ((sd.control & kSeSaclPresent) && sacl != 0) {
    auto a = decode_acl(data, sacl);
    if (!a) return a.status();
    sd.sacl = std::move(*a);
  }
  sd.control = static_cast<std::uint16_t>(sd.control | kSeSelfRelative);
  return sd;
}

Sid everyone_sid() {
  Sid s;
  s.authority = {0, 0, 0, 0, 0, 1};  // SECURITY_WORLD_SID_AUTHORITY
  s.sub_authorities = {0};           // SECURITY_WORLD_RID
  return s;
}

std::string sid_to_string(const Sid& sid) {
  std::uint64_t authority = 0;
  for (const std::uint8_t b : sid.authority) authority = (authority << 8) | b;
  std::string out = "S-" + std::to_string(sid.revision) + "-";
  if (authority >> 32) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    out += "0x";
    for (const std::uint8_t b : sid.authority) {
      out += kHex[b >> 4];
      out += kHex[b & 15];
    }
  } else {
    out += std::to_string(authority);
  }
  for (const std::uint32_t sub : sid.sub_authorities) out += "-" + std::to_string(sub);
  return out;
}

std::optional<Sid> parse_sid(std::string_view text) {
  if (text.size() < 4 || (text[0] != 'S' && text[0] != 's') || text.substr(1, 3) != "-1-") return std::nullopt;
  text.remove_prefix(4);
  std::vector<std::uint64_t> parts;
  while (true) {
    std::uint64_t v = 0;
    std::size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') {
      v = v * 10 + static_cast<std::uint64_t>(text[digits] - '0');
      if (v > 0xFFFFFFFFu) return std::nullopt;
      ++digits;
    }
    if (digits == 0) return std::nullopt;
    parts.push_back(v);
    text.remove_prefix(digits);
    if (text.empty()) break;
    if (text[0] != '-') return std::nullopt;
    text.remove_prefix(1);
  }
  if (parts.size() > kMaxSubAuthorities + 1) return std::nullopt;
  Sid sid;
  for (int i = 0; i < 4; ++i) sid.authority[static_cast<std::size_t>(2 + i)] = static_cast<std::uint8_t>(parts[0] >> (24 - 8 * i));
  for (std::size_t i = 1; i < parts.size(); ++i) sid.sub_authorities.push_back(static_cast<std::uint32_t>(parts[i]));
  return sid;
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
    encode_acl(w, *sd.dacl);
  }
  std::uint32_t sacl = 0;
  if (sd.sacl) {
    control = static_cast<std::uint16_t>(control | kSeSaclPresent);
    sacl = static_cast<std::uint32_t>(w.size());
    encode_acl(w, *sd.sacl);
  }
  out[0] = 1;  // Revision
  w.put_u16(2, control);
  w.put_u32(4, owner);
  w.put_u32(8, group);
  w.put_u32(12, sacl);
  w.put_u32(16, dacl);
  return out;
}

}  // namespace smbsrv::codec
