// Stored security descriptors (Share::AclMode::nt): what QUERY_INFO reports of one, how SET_INFO
// merges into one, and what a new file or directory gets (MS-DTYP 2.5.3.4, MS-FSA 2.1.5.1.1,
// 2.1.5.16), and what access one grants (MS-DTYP 2.5.3.2 AccessCheck). Pure functions over the
// codec's SecurityDescriptor, plus the job-side helper that reads a VfsFile's descriptor.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "codec/security_descriptor.hpp"
#include "smbsrv/vfs.hpp"

namespace smbsrv::engine {

/// S-1-3-0 CREATOR OWNER and S-1-3-1 CREATOR GROUP (MS-DTYP 2.4.2.4), replaced in inherited ACEs.
codec::Sid creator_owner_sid();
codec::Sid creator_group_sid();
/// S-1-5-18 LOCAL SYSTEM.
codec::Sid local_system_sid();

/// S-1-3-4 OWNER RIGHTS: an ACE for it replaces the owner's implicit READ_CONTROL | WRITE_DAC.
codec::Sid owner_rights_sid();
/// S-1-5-11 Authenticated Users, S-1-5-32-545 BUILTIN\Users, S-1-5-32-546 BUILTIN\Guests.
codec::Sid authenticated_users_sid();
codec::Sid builtin_users_sid();
codec::Sid builtin_guests_sid();

/// The SIDs a session's access is checked against (MS-DTYP 2.5.2 Token: the user's SID and its
/// groups' SIDs), the user first.
struct AccessToken {
  std::vector<codec::Sid> sids;
  bool has(const codec::Sid& sid) const;
};

/// MS-DTYP 2.5.3.2 AccessCheck, as a MAXIMUM_ALLOWED request computes it: every right `sd`'s DACL
/// grants `token`. No DACL (absent, or a NULL DACL) grants everything (kFullAccess); an ALLOW
/// ACE adds what no earlier DENY ACE for the token took, a DENY ACE takes what no earlier ALLOW
/// ACE granted (so a trailing DENY does not remove rights, smbtorture smb2.acls.DENY1);
/// inherit-only ACEs do not apply. The owner gets READ_CONTROL | WRITE_DAC unless an ACE for
/// OWNER RIGHTS applies, whose ACEs then act as the owner's. A request for specific rights is
/// granted exactly when they are a subset of this answer, the two loops of 2.5.3.2 being the
/// same decision ACE by ACE.
std::uint32_t granted_access(const codec::SecurityDescriptor& sd, const AccessToken& token);

/// The parts of `sd` that `additional` (SECURITY_INFORMATION, MS-DTYP 2.4.7) selects, with the
/// Control bits of the selected ACLs only (QUERY_INFO SMB2_0_INFO_SECURITY, MS-FSA 2.1.5.13).
codec::SecurityDescriptor select_security(const codec::SecurityDescriptor& sd, std::uint32_t additional);

/// `stored` with the parts `additional` selects replaced by those of `in` (MS-FSA 2.1.5.16: a
/// SET with only DACL_SECURITY_INFORMATION replaces the DACL and keeps owner, group and SACL).
/// An owner or group the request selects but does not carry is kept. The new ACLs are stored as
/// Windows stores them (see canonical_set_acl).
codec::SecurityDescriptor merge_security(const codec::SecurityDescriptor& stored, const codec::SecurityDescriptor& in,
                                         std::uint32_t additional);

/// What a SET keeps of a client's ACL and its Control bits (MS-DTYP 2.4.6, as smbtorture
/// smb2.acls.INHERITFLAGS sees Windows do it): generic rights in effective ACEs become the file
/// rights they stand for (inherit-only ACEs keep them for their heirs), SE_DACL_AUTO_INHERIT_REQ
/// is a request and never stored, and SE_DACL_AUTO_INHERITED is stored only when the request
/// carried both. `req_bit` and `inherited_bit` name the DACL's or the SACL's pair.
void canonical_set_acl(std::optional<std::vector<codec::Ace>>& acl, std::uint16_t& control, std::uint16_t req_bit,
                       std::uint16_t inherited_bit);

/// The ACEs a new object inherits from its parent's DACL or SACL (MS-DTYP 2.5.3.4.2
/// ComputeInheritedACLfromParent, then 2.5.3.4.5's CREATOR OWNER / CREATOR GROUP substitution
/// and generic-rights mapping with the file generic mapping). A directory's inherited ACE that
/// still propagates but needed substitution or mapping is split in two, as Windows does: the
/// effective ACE (no inheritance flags) and the original kept as INHERIT_ONLY. INHERITED_ACE is
/// set on them only with `mark_inherited`: Windows marks inherited ACEs when the parent's ACL is
/// auto-inherited (SE_DACL_AUTO_INHERITED; smbtorture smb2.acls.INHERITANCE, INHERITFLAGS).
std::vector<codec::Ace> inherited_aces(const std::vector<codec::Ace>& parent, bool is_directory,
                                       const codec::Sid& owner, const codec::Sid& group, bool mark_inherited = true);

/// The descriptor of a new file or directory (MS-DTYP 2.5.3.4.1 CreateSecurityDescriptor, as
/// NTFS calls it with DACL_AUTO_INHERIT): owner and group from `creator` (the SD create
/// context) when it has them, else `owner` and `group`; the DACL is the creator's explicit
/// ACEs (with CREATOR OWNER substituted) followed, unless the creator's DACL is protected, by
/// what the parent's DACL passes on; without either, a default DACL (the owner and SYSTEM full
/// access). The SACL: the creator's, else the parent's inheritable audit ACEs.
codec::SecurityDescriptor create_security(const std::optional<codec::SecurityDescriptor>& parent,
                                          const std::optional<codec::SecurityDescriptor>& creator, bool is_directory,
                                          const codec::Sid& owner, const codec::Sid& group);

/// The stored descriptor of `file`: nullopt when none is stored (or what is stored does not
/// decode: a backend's bytes are not trusted more than the wire's).
Result<std::optional<codec::SecurityDescriptor>> stored_security(VfsFile& file);

}  // namespace smbsrv::engine
