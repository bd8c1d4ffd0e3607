// Stored security descriptors: selection, merge and inheritance (see sd_policy.hpp).
#include "engine/sd_policy.hpp"

#include "codec/access_mask.hpp"

namespace smbsrv::engine {
namespace {

using codec::Ace;
using codec::SecurityDescriptor;
using codec::Sid;

// SE_DACL_AUTO_INHERIT_REQ and SE_SACL_AUTO_INHERIT_REQ (MS-DTYP 2.4.6).
constexpr std::uint16_t kSeDaclAutoInheritReq = 0x0100, kSeSaclAutoInheritReq = 0x0200;

constexpr std::uint8_t kInheritFlags = codec::kObjectInheritAce | codec::kContainerInheritAce |
                                       codec::kNoPropagateInheritAce | codec::kInheritOnlyAce;

Sid well_known(std::uint8_t authority, std::vector<std::uint32_t> subs) {
  Sid s;
  s.authority = {0, 0, 0, 0, 0, authority};
  s.sub_authorities = std::move(subs);
  return s;
}

/// An inherited ACE's SID and mask as they apply to the new object (MS-DTYP 2.5.3.4.5
/// PostProcessACL): CREATOR OWNER / CREATOR GROUP become the new owner / group, generic rights
/// the file rights they stand for. Returns whether anything changed.
bool make_effective(Ace& ace, const Sid& owner, const Sid& group) {
  bool changed = false;
  if (ace.sid == creator_owner_sid()) {
    ace.sid = owner;
    changed = true;
  } else if (ace.sid == creator_group_sid()) {
    ace.sid = group;
    changed = true;
  }
  const std::uint32_t mapped = access::map_generic(ace.mask);
  if (mapped != ace.mask) {
    ace.mask = mapped;
    changed = true;
  }
  return changed;
}

/// The ACL part of CreateSecurityDescriptor for one ACL (DACL or SACL).
std::optional<std::vector<Ace>> create_acl(const std::optional<std::vector<Ace>>& parent, bool parent_auto_inherited,
                                           bool creator_present,
                                           const std::optional<std::vector<Ace>>& creator, bool creator_protected,
                                           bool is_directory, const Sid& owner, const Sid& group, bool& inherited) {
  inherited = false;
  std::vector<Ace> out;
  if (creator_present) {
    if (!creator) return std::nullopt;  // a NULL ACL stays NULL (smb2.create.nulldacl)
    // PreProcessACLfromCreator: the creator's own inherited ACEs give way to the parent's.
    for (const Ace& a : *creator)
      if (!(a.flags & codec::kInheritedAce)) out.push_back(a);
    if (creator_protected || !parent) return out;
  }
  if (parent) {
    auto from_parent = inherited_aces(*parent, is_directory, owner, group, parent_auto_inherited);
    inherited = !from_parent.empty();
    for (auto& a : from_parent) out.push_back(std::move(a));
    if (!creator_present && !inherited) return std::nullopt;
    return out;
  }
  return std::nullopt;
}

}  // namespace

Sid creator_owner_sid() { return well_known(3, {0}); }
Sid creator_group_sid() { return well_known(3, {1}); }
Sid local_system_sid() { return well_known(5, {18}); }
Sid owner_rights_sid() { return well_known(3, {4}); }
Sid authenticated_users_sid() { return well_known(5, {11}); }
Sid builtin_users_sid() { return well_known(5, {32, 545}); }
Sid builtin_guests_sid() { return well_known(5, {32, 546}); }

bool AccessToken::has(const Sid& sid) const {
  for (const Sid& s : sids)
    if (s == sid) return true;
  return false;
}

// MS-DTYP 2.5.3.2 AccessCheck with MAXIMUM_ALLOWED.
std::uint32_t granted_access(const SecurityDescriptor& sd, const AccessToken& token) {
  if (!sd.dacl) return access::kFullAccess;  // no DACL, or a NULL one: no protection
  const bool is_owner = sd.owner && token.has(*sd.owner);
  const Sid owner_rights = owner_rights_sid();
  const auto applies = [&](const Ace& a) {
    if (a.flags & codec::kInheritOnlyAce) return false;
    if (a.sid == owner_rights) return is_owner;
    return token.has(a.sid);
  };
  bool owner_rights_ace = false;
  if (is_owner)
    for (const Ace& a : *sd.dacl)
      if (!(a.flags & codec::kInheritOnlyAce) && a.sid == owner_rights) owner_rights_ace = true;
  std::uint32_t allowed = 0, denied = 0;
  if (is_owner && !owner_rights_ace) allowed = access::kReadControl | access::kWriteDac;
  for (const Ace& a : *sd.dacl) {
    if (!applies(a)) continue;
    const std::uint32_t mask = access::map_generic(a.mask);
    if (a.type == codec::kAccessAllowedAceType) allowed |= mask & ~denied;
    else if (a.type == codec::kAccessDeniedAceType) denied |= mask & ~allowed;
  }
  return allowed & access::kFullAccess;
}

void canonical_set_acl(std::optional<std::vector<Ace>>& acl, std::uint16_t& control, std::uint16_t req_bit,
                       std::uint16_t inherited_bit) {
  if (acl)
    for (Ace& a : *acl)
      if (!(a.flags & codec::kInheritOnlyAce)) a.mask = access::map_generic(a.mask);
  const bool auto_inherited = (control & req_bit) && (control & inherited_bit);
  control = static_cast<std::uint16_t>(control & ~(req_bit | inherited_bit));
  if (auto_inherited) control = static_cast<std::uint16_t>(control | inherited_bit);
}

SecurityDescriptor select_security(const SecurityDescriptor& sd, std::uint32_t additional) {
  SecurityDescriptor out;
  out.control = codec::kSeSelfRelative;
  if (additional & codec::kOwnerSecurityInformation) out.owner = sd.owner;
  if (additional & codec::kGroupSecurityInformation) out.group = sd.group;
  if (additional & codec::kDaclSecurityInformation) {
    out.dacl = sd.dacl;
    out.control = static_cast<std::uint16_t>(out.control | (sd.control & codec::kSeDaclBits));
  }
  if (additional & codec::kSaclSecurityInformation) {
    out.sacl = sd.sacl;
    out.control = static_cast<std::uint16_t>(out.control | (sd.control & codec::kSeSaclBits));
  }
  return out;
}

SecurityDescriptor merge_security(const SecurityDescriptor& stored, const SecurityDescriptor& in,
                                  std::uint32_t additional) {
  SecurityDescriptor out = stored;
  if ((additional & codec::kOwnerSecurityInformation) && in.owner) out.owner = in.owner;
  if ((additional & codec::kGroupSecurityInformation) && in.group) out.group = in.group;
  auto take = [&](std::uint16_t bits, std::optional<std::vector<Ace>>& acl, const std::optional<std::vector<Ace>>& from) {
    acl = from;
    out.control = static_cast<std::uint16_t>((out.control & ~bits) | (in.control & bits));
  };
  if (additional & codec::kDaclSecurityInformation) {
    take(codec::kSeDaclBits, out.dacl, in.dacl);
    // Setting no DACL sets a NULL DACL (smbtorture smb2.create.nulldacl: Windows then reports
    // DACL_PRESENT with no ACL), not an absent one.
    if (!out.dacl) out.control = static_cast<std::uint16_t>(out.control | codec::kSeDaclPresent);
    canonical_set_acl(out.dacl, out.control, kSeDaclAutoInheritReq, codec::kSeDaclAutoInherited);
  }
  if (additional & codec::kSaclSecurityInformation) {
    take(codec::kSeSaclBits, out.sacl, in.sacl);
    canonical_set_acl(out.sacl, out.control, kSeSaclAutoInheritReq, codec::kSeSaclAutoInherited);
  }
  out.control = static_cast<std::uint16_t>(out.control | codec::kSeSelfRelative);
  return out;
}

// MS-DTYP 2.5.3.4.2 ComputeInheritedACLfromParent.
std::vector<Ace> inherited_aces(const std::vector<Ace>& parent, bool is_directory, const Sid& owner, const Sid& group,
                                bool mark_inherited) {
  std::vector<Ace> out;
  for (const Ace& p : parent) {
    if (is_directory) {
      if (p.flags & codec::kContainerInheritAce) {
        Ace a = p;
        a.flags = static_cast<std::uint8_t>(a.flags | codec::kInheritedAce);
        if (p.flags & codec::kNoPropagateInheritAce) {
          // Applies to this directory and goes no further.
          a.flags = static_cast<std::uint8_t>(a.flags & ~kInheritFlags);
          make_effective(a, owner, group);
          out.push_back(std::move(a));
          continue;
        }
        a.flags = static_cast<std::uint8_t>(a.flags & ~codec::kInheritOnlyAce);
        Ace effective = a;
        if (make_effective(effective, owner, group)) {
          // The effective ACE for this directory, and the original passed on, inherit-only.
          effective.flags = static_cast<std::uint8_t>(effective.flags & ~kInheritFlags);
          out.push_back(std::move(effective));
          a.flags = static_cast<std::uint8_t>(a.flags | codec::kInheritOnlyAce);
        }
        out.push_back(std::move(a));
      } else if ((p.flags & codec::kObjectInheritAce) && !(p.flags & codec::kNoPropagateInheritAce)) {
        // For the files below, not for this directory.
        Ace a = p;
        a.flags = static_cast<std::uint8_t>(a.flags | codec::kInheritedAce | codec::kInheritOnlyAce);
        out.push_back(std::move(a));
      }
    } else if (p.flags & codec::kObjectInheritAce) {
      Ace a = p;
      a.flags = static_cast<std::uint8_t>((a.flags & ~kInheritFlags) | codec::kInheritedAce);
      make_effective(a, owner, group);
      out.push_back(std::move(a));
    }
  }
  if (!mark_inherited)
    for (Ace& a : out) a.flags = static_cast<std::uint8_t>(a.flags & ~codec::kInheritedAce);
  return out;
}

SecurityDescriptor create_security(const std::optional<SecurityDescriptor>& parent,
                                   const std::optional<SecurityDescriptor>& creator, bool is_directory,
                                   const Sid& owner, const Sid& group) {
  SecurityDescriptor sd;
  sd.control = codec::kSeSelfRelative;
  sd.owner = creator && creator->owner ? *creator->owner : owner;
  sd.group = creator && creator->group ? *creator->group : group;
  const bool dacl_given = creator && (creator->control & codec::kSeDaclPresent);
  const bool dacl_protected = dacl_given && (creator->control & codec::kSeDaclProtected);
  bool inherited = false;
  const std::uint16_t parent_control = parent ? parent->control : 0;
  sd.dacl = create_acl(parent ? parent->dacl : std::nullopt, parent_control & codec::kSeDaclAutoInherited, dacl_given,
                       creator ? creator->dacl : std::nullopt,
                       dacl_protected, is_directory, *sd.owner, *sd.group, inherited);
  if (dacl_given) {
    sd.control = static_cast<std::uint16_t>(sd.control | codec::kSeDaclPresent | (dacl_protected ? codec::kSeDaclProtected : 0));
  } else if (!sd.dacl) {
    // No DACL from anywhere: the default DACL (a token's: the owner and SYSTEM, full access).
    sd.dacl = std::vector<Ace>{{codec::kAccessAllowedAceType, 0, access::kFullAccess, *sd.owner},
                               {codec::kAccessAllowedAceType, 0, access::kFullAccess, local_system_sid()}};
  }
  if (inherited && (parent_control & codec::kSeDaclAutoInherited))  // and then so is the new one
    sd.control = static_cast<std::uint16_t>(sd.control | codec::kSeDaclAutoInherited);
  const bool sacl_given = creator && (creator->control & codec::kSeSaclPresent);
  const bool sacl_protected = sacl_given && (creator->control & codec::kSeSaclProtected);
  bool sacl_inherited = false;
  sd.sacl = create_acl(parent ? parent->sacl : std::nullopt, parent_control & codec::kSeSaclAutoInherited, sacl_given,
                       creator ? creator->sacl : std::nullopt,
                       sacl_protected, is_directory, *sd.owner, *sd.group, sacl_inherited);
  if (sacl_given)
    sd.control = static_cast<std::uint16_t>(sd.control | codec::kSeSaclPresent | (sacl_protected ? codec::kSeSaclProtected : 0));
  if (sacl_inherited && (parent_control & codec::kSeSaclAutoInherited)) sd.control = static_cast<std::uint16_t>(sd.control | codec::kSeSaclAutoInherited);
  return sd;
}

Result<std::optional<SecurityDescriptor>> stored_security(VfsFile& file) {
  auto bytes = file.get_security();
  if (!bytes) return bytes.status();
  if (bytes->empty()) return std::optional<SecurityDescriptor>{};
  auto sd = codec::decode_security_descriptor(*bytes);
  if (!sd) return std::optional<SecurityDescriptor>{};
  return std::optional<SecurityDescriptor>{std::move(*sd)};
}

}  // namespace smbsrv::engine
