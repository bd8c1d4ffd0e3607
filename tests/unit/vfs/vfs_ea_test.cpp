// VfsFile::list_eas / set_eas on LocalVfs and MemoryVfs: set, replace, remove, directories,
// read-only shares; and LocalVfs's mapping onto "user." xattrs with its reserved names.
#include <gtest/gtest.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <system_error>

#include "smbsrv/local_vfs.hpp"
#include "support/temp_dir.hpp"
#include "smbsrv/memory_vfs.hpp"

namespace smbsrv {
namespace {

namespace fs = std::filesystem;
using D = CreateDisposition;
using Vec = std::vector<std::uint8_t>;

enum class Kind { local, memory };

Vec v(std::string_view s) { return Vec(s.begin(), s.end()); }

/// EaSize of each entry of the share's root, as list() reports it.
std::map<std::string, std::uint32_t> listed_ea_sizes(Vfs& vfs) {
  std::map<std::string, std::uint32_t> sizes;
  auto root = vfs.open(*SmbPath::parse(""), OpenParams{.directory = true});
  EXPECT_TRUE(root);
  if (!root) return sizes;
  auto entries = root->file->list();
  EXPECT_TRUE(entries);
  if (entries)
    for (const auto& e : *entries) sizes[e.name] = e.info.ea_size;
  return sizes;
}

class VfsEa : public ::testing::TestWithParam<Kind> {
 protected:
  void SetUp() override {
    vfs_ = make();
  }
  std::shared_ptr<Vfs> make() { return GetParam() == Kind::memory ? make_memory_vfs() : make_local_vfs(root_); }
  std::unique_ptr<VfsFile> open(std::string_view name, D d = D::open_if, bool dir = false) {
    OpenParams op;
    op.disposition = d;
    op.write = true;
    op.directory = dir;
    auto f = vfs_->open(*SmbPath::parse(name), op);
    EXPECT_TRUE(f) << to_string(f.status());
    return f ? std::move(f->file) : nullptr;
  }
  test::TempDir dir_{"smbsrv-ea"};
  std::string root_ = dir_.str();
  std::shared_ptr<Vfs> vfs_;
};

TEST_P(VfsEa, SetReplaceRemove) {
  auto fsi = vfs_->fs_info();
  ASSERT_TRUE(fsi);
  EXPECT_TRUE(fsi->extended_attributes);
  auto f = open("a.txt");
  ASSERT_TRUE(f);
  auto l = f->list_eas();
  ASSERT_TRUE(l);
  EXPECT_TRUE(l->empty());
  const std::vector<ExtendedAttribute> set{{"b", v("2")}, {"a", v("1")}};
  ASSERT_TRUE(f->set_eas(set));
  l = f->list_eas();
  ASSERT_TRUE(l);
  ASSERT_EQ(l->size(), 2u);
  EXPECT_EQ((*l)[0], (ExtendedAttribute{"a", v("1")}));  // in name order
  EXPECT_EQ((*l)[1], (ExtendedAttribute{"b", v("2")}));
  // Replace one, remove the other, remove one that is not there.
  const std::vector<ExtendedAttribute> change{{"a", v("one")}, {"b", {}}, {"none", {}}};
  ASSERT_TRUE(f->set_eas(change));
  // Another open sees the same.
  auto g = open("a.txt", D::open);
  ASSERT_TRUE(g);
  l = g->list_eas();
  ASSERT_TRUE(l);
  ASSERT_EQ(l->size(), 1u);
  EXPECT_EQ((*l)[0], (ExtendedAttribute{"a", v("one")}));
}

TEST_P(VfsEa, ListingsReportEaSize) {
  auto f = open("a.txt");
  ASSERT_TRUE(f);
  ASSERT_TRUE(open("plain.txt"));
  const std::vector<ExtendedAttribute> set{{"EAONE", v("VALUE1")}, {"SECONDEA", v("ValueTwo")}};
  ASSERT_TRUE(f->set_eas(set));
  const auto sizes = listed_ea_sizes(*vfs_);
  // FILE_FULL_EA_INFORMATION: 8 + 5 + 1 + 6 = 20 for EAONE (4-aligned already), then 8 + 8 + 1 + 8.
  EXPECT_EQ(sizes.at("a.txt"), 45u);
  EXPECT_EQ(sizes.at("plain.txt"), 0u);  // the server's own xattrs (DOS record) are no EAs
}

TEST_P(VfsEa, Directories) {
  auto d = open("dir", D::create, true);
  ASSERT_TRUE(d);
  const std::vector<ExtendedAttribute> set{{"x", v("y")}};
  ASSERT_TRUE(d->set_eas(set));
  auto l = d->list_eas();
  ASSERT_TRUE(l);
  ASSERT_EQ(l->size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Backends, VfsEa, ::testing::Values(Kind::local, Kind::memory),
                         [](const auto& i) { return i.param == Kind::local ? "Local" : "Memory"; });

class LocalEa : public ::testing::Test {
 protected:
  void SetUp() override {
    vfs_ = make_local_vfs(root_);
    OpenParams op;
    op.disposition = D::open_if;
    op.write = true;
    auto f = vfs_->open(*SmbPath::parse("a.txt"), op);
    ASSERT_TRUE(f);
    file_ = std::move(f->file);
    path_ = root_ + "/a.txt";
  }
  void TearDown() override {
    file_.reset();
  }
  test::TempDir dir_{"smbsrv-ea"};
  std::string root_ = dir_.str();
  std::string path_;
  std::shared_ptr<Vfs> vfs_;
  std::unique_ptr<VfsFile> file_;
};

TEST_F(LocalEa, ReadOnlyShareRefuses) {
  LocalVfsOptions o;
  o.read_only = true;
  auto ro = make_local_vfs(root_, o);
  auto f = ro->open(*SmbPath::parse("a.txt"), OpenParams{});
  ASSERT_TRUE(f);
  const std::vector<ExtendedAttribute> set{{"x", v("y")}};
  EXPECT_EQ(f->file->set_eas(set).status(), NtStatus::access_denied);
  EXPECT_TRUE(f->file->list_eas());
}

TEST_F(LocalEa, ListingsFindEasSetOnTheHost) {
  // A file made and given an EA outside the server has no DOS record to keep its EaSize: the
  // listing lists its xattrs.
  { std::FILE* f = std::fopen((root_ + "/h.txt").c_str(), "w"); ASSERT_NE(f, nullptr); std::fclose(f); }
  ASSERT_EQ(::setxattr((root_ + "/h.txt").c_str(), "user.color", "blue", 4, 0), 0);
  const auto sizes = listed_ea_sizes(*vfs_);
  EXPECT_EQ(sizes.at("h.txt"), 8u + 5u + 1u + 4u);
  EXPECT_EQ(sizes.at("a.txt"), 0u);
}

TEST_F(LocalEa, EasAreUserXattrs) {
  const std::vector<ExtendedAttribute> set{{"Foo", v("bar")}};
  ASSERT_TRUE(file_->set_eas(set));
  char buf[16] = {};
  ASSERT_EQ(::getxattr(path_.c_str(), "user.Foo", buf, sizeof buf), 3);
  EXPECT_EQ(std::string(buf, 3), "bar");
  // An xattr set on the host shows as an EA.
  ASSERT_EQ(::setxattr(path_.c_str(), "user.host", "h", 1, 0), 0);
  auto l = file_->list_eas();
  ASSERT_TRUE(l);
  ASSERT_EQ(l->size(), 2u);
  EXPECT_EQ((*l)[1], (ExtendedAttribute{"host", v("h")}));
}

TEST_F(LocalEa, TheServersOwnXattrsAreNeitherListedNorSettable) {
  ASSERT_TRUE(file_->set_attributes(kAttrHidden));  // writes user.smbsrv.dos
  ASSERT_EQ(::setxattr(path_.c_str(), "user.DOSATTRIB", "0x2", 3, 0), 0);
  ASSERT_EQ(::setxattr(path_.c_str(), "user.DosStream.s:$DATA", "d", 1, 0), 0);
  ASSERT_EQ(::setxattr(path_.c_str(), "user.bad:name", "d", 1, 0), 0);  // no EA can carry this name
  auto l = file_->list_eas();
  ASSERT_TRUE(l);
  EXPECT_TRUE(l->empty());
  for (std::string_view n : {"smbsrv.dos", "SMBSRV.x", "dosattrib", "DosStream.s"}) {
    const std::vector<ExtendedAttribute> set{{"ok", v("1")}, {std::string(n), v("x")}};
    EXPECT_EQ(file_->set_eas(set).status(), NtStatus::access_denied) << n;
    const std::vector<ExtendedAttribute> del{{std::string(n), {}}};
    EXPECT_EQ(file_->set_eas(del).status(), NtStatus::access_denied) << n;
  }
  // Nothing was changed: not even the valid entry before the refused one.
  l = file_->list_eas();
  ASSERT_TRUE(l);
  EXPECT_TRUE(l->empty());
  auto info = file_->stat();
  ASSERT_TRUE(info);
  EXPECT_EQ(info->attributes & kAttrHidden, kAttrHidden);
}

TEST_F(LocalEa, AFailurePartWayPutsBackWhatWasThere) {
  const std::vector<ExtendedAttribute> first{{"a", v("old")}};
  ASSERT_TRUE(file_->set_eas(first));
  // ext4 keeps at most a block of xattrs per inode: a 64 KiB value does not fit (E2BIG/ENOSPC).
  const std::vector<ExtendedAttribute> change{{"a", v("new")}, {"b", Vec(65535, 'x')}};
  auto r = file_->set_eas(change);
  if (r) GTEST_SKIP() << "this file system took a 64 KiB xattr";
  EXPECT_EQ(r.status(), NtStatus::ea_too_large);
  auto l = file_->list_eas();
  ASSERT_TRUE(l);
  ASSERT_EQ(l->size(), 1u);
  EXPECT_EQ((*l)[0], (ExtendedAttribute{"a", v("old")}));
}

}  // namespace
}  // namespace smbsrv
