// Stored security descriptors over MemoryVfs shares (Share::AclMode::nt): QUERY_INFO and SET_INFO
// SMB2_0_INFO_SECURITY by SECURITY_INFORMATION part (MS-FSA 2.1.5.13, 2.1.5.16), inheritance on
// CREATE (MS-DTYP 2.5.3.4), the SecD create context (MS-SMB2 2.2.13.2.2), bad descriptors; and
// a share in AclMode::none keeping the synthesized descriptor.
#include <gtest/gtest.h>

#include "codec/access_mask.hpp"
#include "codec/security_descriptor.hpp"
#include "support/engine_client.hpp"

namespace smbsrv::test {
namespace {

using codec::Ace;
using codec::SecurityDescriptor;

constexpr std::uint32_t kOpenIf = 3, kCreate = 2;
constexpr std::uint32_t kDirectoryFile = 1;
constexpr std::uint32_t kOwner = codec::kOwnerSecurityInformation, kGroup = codec::kGroupSecurityInformation,
                        kDacl = codec::kDaclSecurityInformation;

Vec set_security_body(const codec::FileId& f, std::uint32_t additional, const Vec& sd) {
  Body b;
  b.u16(33).u8(codec::kInfoSecurity).u8(0).u32(static_cast<std::uint32_t>(sd.size())).u16(0x60).u16(0);
  b.u32(additional).fid(f).bytes(sd);
  return b.b;
}

struct Security : ::testing::Test {
  std::shared_ptr<engine::ServerState> st = [] {
    auto s = make_test_state();
    Share acls;
    acls.name = "acls";
    acls.vfs = make_memory_vfs();
    acls.acl_mode = Share::AclMode::nt;
    s->add_share(std::move(acls));
    return s;
  }();
  EngineClient c{st};
  void SetUp() override { c.connect({0x0311}, "acls"); }

  struct Got {
    NtStatus status;
    SecurityDescriptor sd;
    std::uint32_t needed = 0;
  };
  Got query(const codec::FileId& f, std::uint32_t additional, std::uint32_t out_len = 4096) {
    auto r = c.one({Command::query_info, EngineClient::query_info_body(f, codec::kInfoSecurity, 0, out_len, additional)});
    Got g{r.status(), {}};
    if (r.status() == NtStatus::buffer_too_small) g.needed = r.u32(8);
    if (r.status() != NtStatus::success) return g;
    auto d = codec::decode_security_descriptor(r.buffer(r.u16(2), r.u32(4)));
    EXPECT_TRUE(d.ok());
    if (d) g.sd = *d;
    return g;
  }
  NtStatus set(const codec::FileId& f, std::uint32_t additional, const Vec& sd) {
    return c.one({Command::set_info, set_security_body(f, additional, sd)}).status();
  }
  codec::FileId make(std::string_view name, bool dir = false) {
    auto f = c.create(name, access::kFullAccess, kShareAll, kCreate, dir ? kDirectoryFile : 0);
    EXPECT_EQ(f.status, NtStatus::success) << name;
    return f.fid;
  }
};

TEST_F(Security, SynthesizedUntilSetThenStoredByPart) {
  const auto f = make("a.txt");
  auto before = query(f, kOwner | kGroup | kDacl);
  ASSERT_EQ(before.status, NtStatus::success);
  ASSERT_TRUE(before.sd.owner && before.sd.dacl);
  const codec::Sid me = *before.sd.owner;
  EXPECT_EQ(before.sd.group, codec::everyone_sid());

  // DACL only: owner and group stay.
  SecurityDescriptor in;
  in.owner = codec::everyone_sid();  // present but not selected: ignored
  in.dacl = std::vector<Ace>{{codec::kAccessDeniedAceType, 0, access::kFileWriteData, codec::everyone_sid()},
                             {codec::kAccessAllowedAceType, 0, access::kFullAccess, me}};
  ASSERT_EQ(set(f, kDacl, codec::encode_security_descriptor(in)), NtStatus::success);
  auto after = query(f, kOwner | kGroup | kDacl);
  ASSERT_EQ(after.status, NtStatus::success);
  EXPECT_EQ(after.sd.owner, me);
  EXPECT_EQ(after.sd.group, codec::everyone_sid());
  EXPECT_EQ(after.sd.dacl, in.dacl);
  // Only what is asked for comes back.
  auto owner_only = query(f, kOwner);
  EXPECT_TRUE(owner_only.sd.owner && !owner_only.sd.group && !owner_only.sd.dacl);

  // The stored DACL now decides opens: Everyone's DENY of FILE_WRITE_DATA comes first.
  EXPECT_EQ(c.create("a.txt", access::kFullAccess, kShareAll, kOpenIf).status, NtStatus::access_denied);
  // The owner alone, from another open.
  auto g = c.create("a.txt", access::kReadControl | access::kWriteOwner, kShareAll, kOpenIf);
  ASSERT_EQ(g.status, NtStatus::success);
  SecurityDescriptor new_owner;
  new_owner.owner = *codec::parse_sid("S-1-5-32-544");
  ASSERT_EQ(set(g.fid, kOwner, codec::encode_security_descriptor(new_owner)), NtStatus::success);
  after = query(f, kOwner | kDacl);
  EXPECT_EQ(after.sd.owner, new_owner.owner);
  EXPECT_EQ(after.sd.dacl, in.dacl);

  // BUFFER_TOO_SMALL tells the size.
  auto small = query(f, kOwner | kGroup | kDacl, 8);
  EXPECT_EQ(small.status, NtStatus::buffer_too_small);
  EXPECT_EQ(small.needed, codec::encode_security_descriptor(query(f, kOwner | kGroup | kDacl).sd).size());
}

TEST_F(Security, BadDescriptorsAreRefusedAndStoreNothing) {
  const auto f = make("b.txt");
  SecurityDescriptor in;
  in.dacl = std::vector<Ace>{{codec::kAccessAllowedAceType, 0, 1, codec::everyone_sid()}};
  Vec bad = codec::encode_security_descriptor(in);
  bad[20] = 9;  // AclRevision
  EXPECT_EQ(set(f, kDacl, bad), NtStatus::invalid_acl);
  EXPECT_EQ(set(f, kDacl, Vec(10, 1)), NtStatus::invalid_security_descr);
  auto q = query(f, kDacl);
  ASSERT_EQ(q.status, NtStatus::success);
  ASSERT_TRUE(q.sd.dacl);
  ASSERT_EQ(q.sd.dacl->size(), 1u);
  EXPECT_EQ((*q.sd.dacl)[0].sid, codec::everyone_sid());  // still the synthesized one
  EXPECT_NE((*q.sd.dacl)[0].mask, 1u);
  // No WRITE_DAC on the handle: refused.
  auto ro = c.create("b.txt", access::kFileReadData | access::kReadControl, kShareAll, kOpenIf);
  ASSERT_EQ(ro.status, NtStatus::success);
  EXPECT_EQ(set(ro.fid, kDacl, codec::encode_security_descriptor(in)), NtStatus::access_denied);
  EXPECT_EQ(set(ro.fid, kOwner, codec::encode_security_descriptor(in)), NtStatus::access_denied);
}

TEST_F(Security, NewFilesInheritFromTheirDirectory) {
  const auto d = make("dir", true);
  const codec::Sid me = *query(d, kOwner).sd.owner;
  SecurityDescriptor parent;
  parent.control = codec::kSeDaclAutoInherited | 0x0100;  // ... and SE_DACL_AUTO_INHERIT_REQ, or it is not kept
  parent.dacl = std::vector<Ace>{
      {codec::kAccessAllowedAceType, codec::kObjectInheritAce | codec::kContainerInheritAce, access::kGenericAll,
       *codec::parse_sid("S-1-3-0")},
      {codec::kAccessAllowedAceType, 0, access::kFullAccess, codec::everyone_sid()}};
  ASSERT_EQ(set(d, kDacl, codec::encode_security_descriptor(parent)), NtStatus::success);

  auto file = query(make("dir\\f.txt"), kOwner | kDacl);
  ASSERT_EQ(file.status, NtStatus::success);
  EXPECT_EQ(file.sd.owner, me);
  ASSERT_TRUE(file.sd.dacl);
  EXPECT_EQ(*file.sd.dacl, (std::vector<Ace>{{codec::kAccessAllowedAceType, codec::kInheritedAce, access::kFullAccess, me}}));
  EXPECT_TRUE(file.sd.control & codec::kSeDaclAutoInherited);

  auto sub = query(make("dir\\sub", true), kDacl);
  ASSERT_TRUE(sub.sd.dacl);
  ASSERT_EQ(sub.sd.dacl->size(), 2u);
  EXPECT_EQ((*sub.sd.dacl)[1].flags, codec::kObjectInheritAce | codec::kContainerInheritAce | codec::kInheritOnlyAce |
                                         codec::kInheritedAce);
  // Two levels down, through the inherit-only copy.
  auto deep = query(make("dir\\sub\\g.txt"), kDacl);
  ASSERT_TRUE(deep.sd.dacl);
  EXPECT_EQ(*deep.sd.dacl, *file.sd.dacl);
}

TEST_F(Security, SdCreateContextIsUsedAndChecked) {
  SecurityDescriptor sd;
  sd.owner = *codec::parse_sid("S-1-5-32-544");
  sd.dacl = std::vector<Ace>{{codec::kAccessAllowedAceType, 0, access::kFileGenericRead, codec::everyone_sid()}};
  const Vec bytes = codec::encode_security_descriptor(sd);
  auto r = c.one({Command::create, create_body_with_contexts("c.txt", kCreate, 0, {{"SecD", bytes}})});
  ASSERT_EQ(r.status(), NtStatus::success);
  const codec::FileId f{r.u64(64), r.u64(72)};
  auto q = query(f, kOwner | kDacl);
  EXPECT_EQ(q.sd.owner, sd.owner);
  EXPECT_EQ(q.sd.dacl, sd.dacl);
  Vec bad = bytes;
  bad[0] = 7;
  r = c.one({Command::create, create_body_with_contexts("d.txt", kCreate, 0, {{"SecD", bad}})});
  EXPECT_EQ(r.status(), NtStatus::invalid_security_descr);
  EXPECT_EQ(c.create("d.txt", access::kFullAccess, kShareAll, 1 /*open*/).status, NtStatus::object_name_not_found);
}

TEST_F(Security, AShareWithoutAclModeKeepsTheSynthesizedDescriptor) {
  EngineClient plain{st};
  plain.connect({0x0311}, "share");
  auto f = plain.create("x.txt", access::kFullAccess, kShareAll, kOpenIf);
  ASSERT_EQ(f.status, NtStatus::success);
  SecurityDescriptor in;
  in.dacl = std::vector<Ace>{{codec::kAccessAllowedAceType, 0, 1, codec::everyone_sid()}};
  EXPECT_EQ(plain.one({Command::set_info, set_security_body(f.fid, kDacl, codec::encode_security_descriptor(in))}).status(),
            NtStatus::success);
  auto r = plain.one({Command::query_info, EngineClient::query_info_body(f.fid, codec::kInfoSecurity, 0, 4096, kDacl)});
  ASSERT_EQ(r.status(), NtStatus::success);
  auto d = codec::decode_security_descriptor(r.buffer(r.u16(2), r.u32(4)));
  ASSERT_TRUE(d.ok());
  ASSERT_TRUE(d->dacl);
  EXPECT_NE((*d->dacl)[0].mask, 1u);
}

// Access decided by the stored DACL (MS-DTYP 2.5.3.2, MS-FSA 2.1.5.1.2.1), as smbtorture
// smb2.acls checks it against Windows.
TEST_F(Security, TheStoredDaclDecidesOpens) {
  const auto f = make("e.txt");
  const codec::Sid me = *query(f, kOwner).sd.owner;
  SecurityDescriptor in;
  in.dacl = std::vector<Ace>{{codec::kAccessAllowedAceType, 0, access::kFileGenericRead, me}};
  ASSERT_EQ(set(f, kDacl, codec::encode_security_descriptor(in)), NtStatus::success);
  EXPECT_EQ(c.create("e.txt", access::kFileWriteData, kShareAll, kOpenIf).status, NtStatus::access_denied);
  EXPECT_EQ(c.create("e.txt", access::kGenericWrite, kShareAll, kOpenIf).status, NtStatus::access_denied);
  EXPECT_EQ(c.create("e.txt", access::kFileReadData, kShareAll, 5 /*overwrite_if*/).status, NtStatus::access_denied);
  EXPECT_EQ(c.create("e.txt", access::kFileReadData, kShareAll, kOpenIf).status, NtStatus::success);
  // MAXIMUM_ALLOWED: the DACL's read, the owner's WRITE_DAC, and DELETE and FILE_READ_ATTRIBUTES
  // through the parent (the share's root, which grants everything).
  auto m = c.create("e.txt", access::kMaximumAllowed, kShareAll, kOpenIf);
  ASSERT_EQ(m.status, NtStatus::success);
  auto a = c.query_info(m.fid, codec::kInfoFile, 8 /*FileAccessInformation*/);
  ASSERT_EQ(a.status(), NtStatus::success);
  const Vec granted = a.buffer(a.u16(2), a.u32(4));
  ASSERT_EQ(granted.size(), 4u);
  std::uint32_t mask = 0;
  for (int i = 3; i >= 0; --i) mask = (mask << 8) | granted[static_cast<std::size_t>(i)];
  EXPECT_EQ(mask, access::kFileGenericRead | access::kWriteDac | access::kDelete);
  // ... but a right it does not grant, named beside MAXIMUM_ALLOWED, is refused.
  EXPECT_EQ(c.create("e.txt", access::kMaximumAllowed | access::kFileWriteData, kShareAll, kOpenIf).status,
            NtStatus::access_denied);
  EXPECT_EQ(c.create("e.txt", access::kAccessSystemSecurity, kShareAll, kOpenIf).status,
            NtStatus::privilege_not_held);
}

TEST_F(Security, CreatingNeedsAddFileOnTheParent) {
  const auto d = make("ro", true);
  const codec::Sid me = *query(d, kOwner).sd.owner;
  SecurityDescriptor in;
  in.dacl = std::vector<Ace>{{codec::kAccessAllowedAceType, 0, access::kFileGenericRead | access::kWriteDac, me}};
  ASSERT_EQ(set(d, kDacl, codec::encode_security_descriptor(in)), NtStatus::success);
  EXPECT_EQ(c.create("ro\\x.txt", access::kFullAccess, kShareAll, kCreate).status, NtStatus::access_denied);
  EXPECT_EQ(c.create("ro\\x.txt", access::kFullAccess, kShareAll, kOpenIf).status, NtStatus::access_denied);
  EXPECT_EQ(c.create("ro\\sub", access::kFullAccess, kShareAll, kCreate, kDirectoryFile).status, NtStatus::access_denied);
  // FILE_ADD_FILE (FILE_WRITE_DATA on a directory) lets files in, not subdirectories.
  in.dacl->push_back({codec::kAccessAllowedAceType, 0, access::kFileAddFile, me});
  ASSERT_EQ(set(d, kDacl, codec::encode_security_descriptor(in)), NtStatus::success);
  EXPECT_EQ(c.create("ro\\x.txt", access::kFullAccess, kShareAll, kCreate).status, NtStatus::success);
  EXPECT_EQ(c.create("ro\\sub", access::kFullAccess, kShareAll, kCreate, kDirectoryFile).status, NtStatus::access_denied);
}

TEST(SecurityAbe, ListingsLeaveOutWhatTheUserMayNotRead) {
  auto st = make_test_state();
  Share abe;
  abe.name = "abe";
  abe.vfs = make_memory_vfs();
  abe.acl_mode = Share::AclMode::nt;
  abe.access_based_enumeration = true;
  st->add_share(std::move(abe));
  EngineClient c{st};
  c.connect({0x0311}, "abe");
  auto shown = c.create("shown.txt", access::kFullAccess, kShareAll, kCreate);
  auto hidden = c.create("hidden.txt", access::kFullAccess, kShareAll, kCreate);
  ASSERT_EQ(hidden.status, NtStatus::success);
  SecurityDescriptor in;
  in.dacl = std::vector<Ace>{{codec::kAccessAllowedAceType, 0, access::kFileReadAttributes, codec::everyone_sid()}};
  ASSERT_EQ(c.one({Command::set_info, set_security_body(hidden.fid, kDacl, codec::encode_security_descriptor(in))}).status(),
            NtStatus::success);
  auto root = c.create("", access::kFileGenericRead, kShareAll, kOpenIf, kDirectoryFile);
  ASSERT_EQ(root.status, NtStatus::success);
  auto q = c.query_directory(root.fid, "*");
  ASSERT_EQ(q.status(), NtStatus::success);
  EXPECT_EQ(EngineClient::dir_names(q), (std::vector<std::string>{".", "..", "shown.txt"}));
  (void)shown;
}

}  // namespace
}  // namespace smbsrv::test
