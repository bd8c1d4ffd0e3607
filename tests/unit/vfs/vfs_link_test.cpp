// Vfs::link (hard links, FileLinkInformation) on LocalVfs and MemoryVfs: a second name for the
// same file, link counts, replacing a name, and the refusals the server relies on.
#include <gtest/gtest.h>
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

enum class Kind { local, memory };

class VfsLink : public ::testing::TestWithParam<Kind> {
 protected:
  void SetUp() override {
    vfs_ = GetParam() == Kind::memory ? make_memory_vfs() : make_local_vfs(root_);
  }
  static SmbPath P(std::string_view s) { return *SmbPath::parse(s); }
  Result<Vfs::Opened> open(std::string_view name, D d = D::open, bool write = false, bool dir = false) {
    OpenParams op;
    op.disposition = d;
    op.write = write;
    op.directory = dir;
    return vfs_->open(P(name), op);
  }
  void put(std::string_view name, std::string_view data) {
    auto f = open(name, D::overwrite_if, true);
    ASSERT_TRUE(f) << to_string(f.status());
    ASSERT_TRUE(f->file->write(0, {reinterpret_cast<const std::uint8_t*>(data.data()), data.size()}));
  }
  FileInfo info(std::string_view name) {
    auto f = open(name);
    EXPECT_TRUE(f) << name << ": " << to_string(f.status());
    if (!f) return {};
    auto i = f->file->stat();
    EXPECT_TRUE(i);
    return i ? *i : FileInfo{};
  }
  std::string get(std::string_view name) {
    auto f = open(name);
    if (!f) return "<" + std::string{to_string(f.status())} + ">";
    std::string out(64, '\0');
    auto n = f->file->read(0, {reinterpret_cast<std::uint8_t*>(out.data()), out.size()});
    out.resize(n ? *n : 0);
    return out;
  }
  test::TempDir dir_{"smbsrv-link"};
  fs::path root_ = dir_.path();
  std::shared_ptr<Vfs> vfs_;
};

TEST_P(VfsLink, ASecondNameSharesTheFile) {
  ASSERT_TRUE(vfs_->fs_info()->hard_links);
  put("a", "data");
  ASSERT_TRUE(open("d", D::create, false, true));
  ASSERT_TRUE(vfs_->link(P("a"), P("d\\b"), false));
  EXPECT_EQ(info("a").file_id, info("d\\b").file_id);
  EXPECT_EQ(info("a").link_count, 2u);
  EXPECT_EQ(get("d\\b"), "data");
  put("d\\b", "DATA");  // through the other name
  EXPECT_EQ(get("a"), "DATA");
  // Removing one name leaves the other.
  ASSERT_TRUE(vfs_->remove(P("a")));
  EXPECT_EQ(get("d\\b"), "DATA");
  EXPECT_EQ(info("d\\b").link_count, 1u);
  // A directory reports one link, as on Windows, whatever its subdirectories.
  ASSERT_TRUE(open("d\\sub", D::create, false, true));
  EXPECT_EQ(info("d").link_count, 1u);
}

TEST_P(VfsLink, ExistingNamesAreReplacedOnlyWhenAsked) {
  put("a", "A");
  put("b", "B");
  EXPECT_EQ(vfs_->link(P("a"), P("b"), false).status(), NtStatus::object_name_collision);
  EXPECT_EQ(vfs_->link(P("a"), P("B"), false).status(), NtStatus::object_name_collision);  // any case
  EXPECT_EQ(get("b"), "B");
  ASSERT_TRUE(vfs_->link(P("a"), P("b"), true));
  EXPECT_EQ(get("b"), "A");
  EXPECT_EQ(info("a").link_count, 2u);
  // Linking to a name the file already has changes nothing.
  ASSERT_TRUE(vfs_->link(P("a"), P("b"), true));
  EXPECT_EQ(info("a").link_count, 2u);
  // The listing has no leftovers of the replacement.
  auto d = open("", D::open, false, true);
  ASSERT_TRUE(d);
  auto l = d->file->list();
  ASSERT_TRUE(l);
  ASSERT_EQ(l->size(), 2u);
  EXPECT_EQ((*l)[0].name, "a");
  EXPECT_EQ((*l)[1].name, "b");
}

TEST_P(VfsLink, RefusalsHaveTheSpecsStatuses) {
  put("a", "A");
  ASSERT_TRUE(open("d", D::create, false, true));
  EXPECT_EQ(vfs_->link(P("d"), P("e"), false).status(), NtStatus::file_is_a_directory);
  EXPECT_EQ(vfs_->link(P("a"), P("d"), true).status(), NtStatus::access_denied);
  EXPECT_EQ(vfs_->link(P("missing"), P("x"), false).status(), NtStatus::object_name_not_found);
  EXPECT_EQ(vfs_->link(P("a"), P("nodir\\x"), false).status(), NtStatus::object_path_not_found);
}

INSTANTIATE_TEST_SUITE_P(Backends, VfsLink, ::testing::Values(Kind::local, Kind::memory),
                         [](const auto& i) { return i.param == Kind::local ? "Local" : "Memory"; });

}  // namespace
}  // namespace smbsrv
