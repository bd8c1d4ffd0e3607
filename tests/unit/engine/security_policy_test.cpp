// The stored-descriptor policy (engine/sd_policy.hpp): which parts QUERY_INFO returns, how SET_INFO
// merges by SECURITY_INFORMATION, and what a new file or directory inherits (MS-DTYP 2.5.3.4).
#include <gtest/gtest.h>

#include "codec/access_mask.hpp"
#include "engine/sd_policy.hpp"

namespace smbsrv::engine {
namespace {

using codec::Ace;
using codec::SecurityDescriptor;
using codec::Sid;

Sid sid(const char* s) { return *codec::parse_sid(s); }
const Sid kOwner = sid("S-1-5-21-1-2-3-1000");
const Sid kGroup = sid("S-1-5-21-1-2-3-513");
const Sid kAlice = sid("S-1-5-21-1-2-3-1001");
constexpr std::uint8_t OI = codec::kObjectInheritAce, CI = codec::kContainerInheritAce,
                       NP = codec::kNoPropagateInheritAce, IO = codec::kInheritOnlyAce, ID = codec::kInheritedAce;
constexpr std::uint8_t A = codec::kAccessAllowedAceType, D = codec::kAccessDeniedAceType;

struct InheritCase {
  const char* what;
  Ace parent;
  std::vector<Ace> file;  // what a new file gets
  std::vector<Ace> dir;   // what a new directory gets
};

// The inheritance table of MS-DTYP 2.5.3.4.2 (and the Windows split of a propagating ACE that
// needed CREATOR OWNER substitution or generic mapping).
TEST(SecurityPolicy, InheritanceTable) {
  const std::uint32_t R = access::kFileGenericRead;
  const std::vector<InheritCase> cases = {
      {"no inheritance flags: nothing", {A, 0, R, kAlice}, {}, {}},
      {"OI: files, and dirs inherit-only", {A, OI, R, kAlice}, {{A, ID, R, kAlice}}, {{A, OI | IO | ID, R, kAlice}}},
      {"CI: dirs only", {A, CI, R, kAlice}, {}, {{A, CI | ID, R, kAlice}}},
      {"OI|CI: both", {A, OI | CI, R, kAlice}, {{A, ID, R, kAlice}}, {{A, OI | CI | ID, R, kAlice}}},
      {"OI|NP: files only, one level", {A, OI | NP, R, kAlice}, {{A, ID, R, kAlice}}, {}},
      {"CI|NP: the dir only, not beyond", {A, CI | NP, R, kAlice}, {}, {{A, ID, R, kAlice}}},
      {"OI|CI|IO: IO cleared on children", {A, OI | CI | IO, R, kAlice}, {{A, ID, R, kAlice}},
       {{A, OI | CI | ID, R, kAlice}}},
      {"deny ACEs inherit alike", {D, OI | CI, 2, kAlice}, {{D, ID, 2, kAlice}}, {{D, OI | CI | ID, 2, kAlice}}},
      {"CREATOR OWNER: substituted; dirs split", {A, OI | CI, R, creator_owner_sid()}, {{A, ID, R, kOwner}},
       {{A, ID, R, kOwner}, {A, OI | CI | IO | ID, R, creator_owner_sid()}}},
      {"CREATOR GROUP on a file", {A, OI, R, creator_group_sid()}, {{A, ID, R, kGroup}},
       {{A, OI | IO | ID, R, creator_group_sid()}}},
      {"GENERIC_ALL mapped; dirs split", {A, OI | CI, access::kGenericAll, kAlice},
       {{A, ID, access::kFullAccess, kAlice}},
       {{A, ID, access::kFullAccess, kAlice}, {A, OI | CI | IO | ID, access::kGenericAll, kAlice}}},
      {"GENERIC_READ|CI|NP: mapped, not split", {A, CI | NP, access::kGenericRead, kAlice}, {},
       {{A, ID, access::kFileGenericRead, kAlice}}},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(inherited_aces({c.parent}, false, kOwner, kGroup), c.file) << c.what;
    EXPECT_EQ(inherited_aces({c.parent}, true, kOwner, kGroup), c.dir) << c.what;
  }
}

TEST(SecurityPolicy, CreateFromParentKeepsOrderAndMarksAutoInherited) {
  SecurityDescriptor parent;
  parent.control = codec::kSeDaclAutoInherited;
  parent.owner = kAlice;
  parent.dacl = std::vector<Ace>{{A, OI | CI, 1, kAlice}, {A, 0, 2, kAlice}, {D, OI, 4, codec::everyone_sid()}};
  auto sd = create_security(parent, std::nullopt, false, kOwner, kGroup);
  EXPECT_EQ(sd.owner, kOwner);
  EXPECT_EQ(sd.group, kGroup);
  ASSERT_TRUE(sd.dacl);
  EXPECT_EQ(*sd.dacl, (std::vector<Ace>{{A, ID, 1, kAlice}, {D, ID, 4, codec::everyone_sid()}}));
  EXPECT_TRUE(sd.control & codec::kSeDaclAutoInherited);
  EXPECT_FALSE(sd.sacl.has_value());
  // A parent that is not auto-inherited passes its ACEs on unmarked (as Windows does).
  parent.control = 0;
  sd = create_security(parent, std::nullopt, false, kOwner, kGroup);
  EXPECT_EQ(*sd.dacl, (std::vector<Ace>{{A, 0, 1, kAlice}, {D, 0, 4, codec::everyone_sid()}}));
  EXPECT_FALSE(sd.control & codec::kSeDaclAutoInherited);
}

TEST(SecurityPolicy, CreateWithoutInheritableAcesGetsTheDefaultDacl) {
  SecurityDescriptor parent;
  parent.dacl = std::vector<Ace>{{A, 0, 2, kAlice}};
  const auto sd = create_security(parent, std::nullopt, true, kOwner, kGroup);
  ASSERT_TRUE(sd.dacl);
  EXPECT_EQ(*sd.dacl, (std::vector<Ace>{{A, 0, access::kFullAccess, kOwner}, {A, 0, access::kFullAccess, local_system_sid()}}));
  EXPECT_FALSE(sd.control & codec::kSeDaclAutoInherited);
}

TEST(SecurityPolicy, CreatorDescriptorComesFirstThenInherited) {
  SecurityDescriptor parent;
  parent.control = codec::kSeDaclAutoInherited;
  parent.dacl = std::vector<Ace>{{A, OI, 1, kAlice}};
  SecurityDescriptor creator;
  creator.control = codec::kSeDaclPresent;
  creator.owner = kAlice;
  creator.dacl = std::vector<Ace>{{D, 0, 8, codec::everyone_sid()}, {A, ID, 16, kAlice} /* dropped */};
  auto sd = create_security(parent, creator, false, kOwner, kGroup);
  EXPECT_EQ(sd.owner, kAlice);
  EXPECT_EQ(sd.group, kGroup);
  EXPECT_EQ(*sd.dacl, (std::vector<Ace>{{D, 0, 8, codec::everyone_sid()}, {A, ID, 1, kAlice}}));
  // Protected: the parent's ACEs stay out.
  creator.control |= codec::kSeDaclProtected;
  sd = create_security(parent, creator, false, kOwner, kGroup);
  EXPECT_EQ(*sd.dacl, (std::vector<Ace>{{D, 0, 8, codec::everyone_sid()}}));
  EXPECT_TRUE(sd.control & codec::kSeDaclProtected);
  // A NULL DACL stays NULL.
  SecurityDescriptor null_dacl;
  null_dacl.control = codec::kSeDaclPresent;
  sd = create_security(parent, null_dacl, false, kOwner, kGroup);
  EXPECT_FALSE(sd.dacl.has_value());
  EXPECT_TRUE(sd.control & codec::kSeDaclPresent);
  const auto bytes = codec::encode_security_descriptor(sd);
  auto back = codec::decode_security_descriptor(bytes);
  ASSERT_TRUE(back.ok());
  EXPECT_FALSE(back->dacl.has_value());
  EXPECT_TRUE(back->control & codec::kSeDaclPresent);
}

TEST(SecurityPolicy, MergeReplacesOnlyTheSelectedParts) {
  SecurityDescriptor stored;
  stored.control = codec::kSeDaclProtected;
  stored.owner = kOwner;
  stored.group = kGroup;
  stored.dacl = std::vector<Ace>{{A, 0, 1, kOwner}};
  SecurityDescriptor in;
  in.owner = kAlice;
  in.group = kAlice;
  in.dacl = std::vector<Ace>{{D, 0, 2, kAlice}};
  in.control = codec::kSeDaclAutoInherited | 0x0100;  // with SE_DACL_AUTO_INHERIT_REQ, which is not kept
  auto m = merge_security(stored, in, codec::kDaclSecurityInformation);
  EXPECT_EQ(m.owner, kOwner);
  EXPECT_EQ(m.group, kGroup);
  EXPECT_EQ(m.dacl, in.dacl);
  EXPECT_EQ(m.control & codec::kSeDaclBits, codec::kSeDaclAutoInherited);  // the DACL's bits come with it
  m = merge_security(stored, in, codec::kOwnerSecurityInformation);
  EXPECT_EQ(m.owner, kAlice);
  EXPECT_EQ(m.group, kGroup);
  EXPECT_EQ(m.dacl, stored.dacl);
  EXPECT_TRUE(m.control & codec::kSeDaclProtected);
  m = merge_security(stored, in, codec::kGroupSecurityInformation | codec::kSaclSecurityInformation);
  EXPECT_EQ(m.group, kAlice);
  EXPECT_FALSE(m.sacl.has_value());
  // An owner selected but not carried is kept.
  m = merge_security(stored, SecurityDescriptor{}, codec::kOwnerSecurityInformation);
  EXPECT_EQ(m.owner, kOwner);
}

TEST(SecurityPolicy, SelectReturnsOnlyWhatIsAskedFor) {
  SecurityDescriptor sd;
  sd.control = codec::kSeDaclProtected | codec::kSeSaclProtected;
  sd.owner = kOwner;
  sd.group = kGroup;
  sd.dacl = std::vector<Ace>{{A, 0, 1, kOwner}};
  sd.sacl = std::vector<Ace>{{codec::kSystemAuditAceType, 0x40, 1, kOwner}};
  auto s = select_security(sd, codec::kOwnerSecurityInformation);
  EXPECT_EQ(s.owner, kOwner);
  EXPECT_FALSE(s.group || s.dacl || s.sacl);
  EXPECT_EQ(s.control, codec::kSeSelfRelative);
  s = select_security(sd, codec::kDaclSecurityInformation);
  EXPECT_EQ(s.dacl, sd.dacl);
  EXPECT_EQ(s.control, codec::kSeSelfRelative | codec::kSeDaclProtected);
}

}  // namespace
}  // namespace smbsrv::engine

namespace smbsrv::engine {
namespace {

// MS-DTYP 2.5.3.2 AccessCheck, in the cases smbtorture smb2.acls checks against Windows.
struct AccessCheckCase {
  const char* what;
  std::vector<Ace> dacl;
  std::uint32_t expected;
};

TEST(SecurityPolicy, AccessCheckAsWindowsAnswersIt) {
  using namespace access;
  const Sid owner_rights = owner_rights_sid();
  const std::uint32_t kRead = kFileGenericRead;
  const AccessCheckCase cases[] = {
      {"empty DACL: the owner's READ_CONTROL | WRITE_DAC only", {}, kReadControl | kWriteDac},
      {"an ALLOW adds to the owner's rights", {{A, 0, kFileWriteData, kOwner}}, kFileWriteData | kReadControl | kWriteDac},
      {"generic rights in an ACE are mapped", {{A, 0, kGenericRead, kOwner}}, kRead | kWriteDac},
      {"an ACE for another SID does nothing", {{A, 0, kFullAccess, kAlice}}, kReadControl | kWriteDac},
      {"inherit-only ACEs do not apply", {{A, OI | IO, kFullAccess, kOwner}}, kReadControl | kWriteDac},
      {"a leading DENY wins", {{D, 0, kFileWriteData, kOwner}, {A, 0, kRead | kFileWriteData, kOwner}},
       kRead | kWriteDac},
      {"a trailing DENY does not take what was granted (DENY1)",
       {{A, 0, kRead | kFileWriteData, kOwner}, {D, 0, kFileWriteData, kOwner}}, kRead | kFileWriteData | kWriteDac},
      {"OWNER RIGHTS replaces the implicit rights (OWNER-RIGHTS)",
       {{A, 0, kRead, kOwner}, {A, 0, kFileWriteData, owner_rights}}, kRead | kFileWriteData},
      {"OWNER RIGHTS DENY first (OWNER-RIGHTS-DENY)",
       {{D, 0, kFileReadData, owner_rights}, {A, 0, kRead, kOwner}}, kRead & ~kFileReadData},
      {"Everyone in the token", {{A, 0, kFileReadData, codec::everyone_sid()}}, kFileReadData | kReadControl | kWriteDac},
  };
  AccessToken token;
  token.sids = {kOwner, codec::everyone_sid()};
  for (const auto& c : cases) {
    SecurityDescriptor sd;
    sd.owner = kOwner;
    sd.dacl = c.dacl;
    EXPECT_EQ(granted_access(sd, token), c.expected) << c.what;
  }
  // Not the owner: nothing implicit, and OWNER RIGHTS ACEs do not apply.
  AccessToken other;
  other.sids = {kAlice};
  SecurityDescriptor sd;
  sd.owner = kOwner;
  sd.dacl = std::vector<Ace>{{A, 0, kFullAccess, owner_rights}, {A, 0, kFileReadData, kAlice}};
  EXPECT_EQ(granted_access(sd, other), kFileReadData);
  // No DACL, or a NULL one: everything.
  sd.dacl.reset();
  EXPECT_EQ(granted_access(sd, other), kFullAccess);
  sd.control = codec::kSeDaclPresent;
  EXPECT_EQ(granted_access(sd, other), kFullAccess);
}

TEST(SecurityPolicy, SetKeepsAutoInheritedOnlyWithTheRequestAndMapsGenericRights) {
  SecurityDescriptor stored;
  stored.owner = kOwner;
  SecurityDescriptor in;
  in.dacl = std::vector<Ace>{{A, 0, access::kGenericRead, kOwner}, {A, OI | IO, access::kGenericAll, kAlice}};
  in.control = codec::kSeDaclAutoInherited;  // without SE_DACL_AUTO_INHERIT_REQ: dropped
  auto m = merge_security(stored, in, codec::kDaclSecurityInformation);
  EXPECT_EQ(m.control & codec::kSeDaclBits, codec::kSeDaclPresent & m.control);
  EXPECT_FALSE(m.control & codec::kSeDaclAutoInherited);
  ASSERT_TRUE(m.dacl);
  EXPECT_EQ((*m.dacl)[0].mask, access::kFileGenericRead);  // mapped
  EXPECT_EQ((*m.dacl)[1].mask, access::kGenericAll);       // inherit-only: kept for the heirs
  in.control = codec::kSeDaclAutoInherited | 0x0100;
  m = merge_security(stored, in, codec::kDaclSecurityInformation);
  EXPECT_TRUE(m.control & codec::kSeDaclAutoInherited);
  EXPECT_FALSE(m.control & 0x0100);
  // Setting no DACL sets a NULL DACL.
  m = merge_security(stored, SecurityDescriptor{}, codec::kDaclSecurityInformation);
  EXPECT_FALSE(m.dacl);
  EXPECT_TRUE(m.control & codec::kSeDaclPresent);
}

}  // namespace
}  // namespace smbsrv::engine
