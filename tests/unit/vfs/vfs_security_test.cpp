// VfsFile::get_security / set_security on LocalVfs and MemoryVfs: nothing stored at first, a
// round trip seen by other opens and kept across a rename, directories, read-only shares; and
// LocalVfs's xattr user.smbsrv.sd staying out of the EA list.
#include <gtest/gtest.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <filesystem>
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

class VfsSecurity : public ::testing::TestWithParam<Kind> {
 protected:
  void SetUp() override {
    vfs_ = make(false);
  }
  std::shared_ptr<Vfs> make(bool ro) {
    if (GetParam() == Kind::memory) return make_memory_vfs({.read_only = ro});
    return make_local_vfs(root_, {.read_only = ro});
  }
  std::unique_ptr<VfsFile> open(Vfs& vfs, std::string_view name, D d = D::open_if, bool dir = false) {
    OpenParams op;
    op.disposition = d;
    op.write = d != D::open;
    op.directory = dir;
    auto f = vfs.open(*SmbPath::parse(name), op);
    EXPECT_TRUE(f) << to_string(f.status());
    return f ? std::move(f->file) : nullptr;
  }
  test::TempDir dir_{"smbsrv-sd"};
  std::string root_ = dir_.str();
  std::shared_ptr<Vfs> vfs_;
};

TEST_P(VfsSecurity, RoundTripAcrossOpensAndRename) {
  auto fsi = vfs_->fs_info();
  ASSERT_TRUE(fsi);
  EXPECT_TRUE(fsi->persistent_acls);
  auto f = open(*vfs_, "a.txt");
  ASSERT_TRUE(f);
  auto none = f->get_security();
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  const Vec sd = {1, 0, 4, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  ASSERT_TRUE(f->set_security(sd));
  auto g = open(*vfs_, "a.txt", D::open);
  ASSERT_TRUE(g);
  auto got = g->get_security();
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, sd);
  // Replaced, not appended.
  const Vec other = {1, 0, 0, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  ASSERT_TRUE(g->set_security(other));
  f.reset();
  g.reset();
  ASSERT_TRUE(vfs_->rename(*SmbPath::parse("a.txt"), *SmbPath::parse("b.txt"), false));
  auto h = open(*vfs_, "b.txt", D::open);
  ASSERT_TRUE(h);
  got = h->get_security();
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, other);
  // Not an EA.
  auto eas = h->list_eas();
  ASSERT_TRUE(eas);
  EXPECT_TRUE(eas->empty());
}

TEST_P(VfsSecurity, DirectoriesAndReadOnlyShares) {
  auto d = open(*vfs_, "dir", D::create, true);
  ASSERT_TRUE(d);
  const Vec sd(64, 7);
  ASSERT_TRUE(d->set_security(sd));
  d.reset();
  auto ro = make(true);
  if (GetParam() == Kind::memory) return;  // a read-only MemoryVfs is a different, empty tree
  auto again = open(*ro, "dir", D::open, true);
  ASSERT_TRUE(again);
  auto got = again->get_security();
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, sd);
  EXPECT_EQ(again->set_security(sd).status(), NtStatus::access_denied);
}

TEST(VfsSecurityLocal, StoredInTheReservedXattr) {
  std::string tmpl = (fs::temp_directory_path() / "smbsrv-sd-XXXXXX").string();
  ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
  auto vfs = make_local_vfs(tmpl);
  OpenParams op;
  op.disposition = D::create;
  op.write = true;
  auto f = vfs->open(*SmbPath::parse("x"), op);
  ASSERT_TRUE(f);
  const Vec sd = {1, 2, 3};
  ASSERT_TRUE(f->file->set_security(sd));
  Vec buf(16);
  const ssize_t n = ::getxattr((fs::path(tmpl) / "x").c_str(), "user.smbsrv.sd", buf.data(), buf.size());
  EXPECT_EQ(n, 3);
  f->file.reset();
  std::error_code ec;
  fs::remove_all(tmpl, ec);
}

INSTANTIATE_TEST_SUITE_P(Backends, VfsSecurity, ::testing::Values(Kind::local, Kind::memory),
                         [](const auto& i) { return i.param == Kind::local ? "Local" : "Memory"; });

}  // namespace
}  // namespace smbsrv
