// LocalVfs's index of names in large directories (case-insensitive shares): lookups of missing
// names stop scanning the directory, and the index follows changes made outside the server.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "smbsrv/local_vfs.hpp"
#include "vfs/local_vfs_internal.hpp"

namespace smbsrv {
namespace {

namespace fs = std::filesystem;
using D = CreateDisposition;

constexpr int kFill = 100;  // above the index threshold (64 names)

SmbPath P(std::string_view s) {
  auto p = SmbPath::parse(s);
  EXPECT_TRUE(p) << s;
  return p ? *p : SmbPath{};
}

OpenParams params(CreateDisposition d, bool directory = false) {
  OpenParams op;
  op.disposition = d;
  op.write = d != D::open;
  op.directory = directory;
  return op;
}

std::string num(const char* prefix, int i) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s%04d", prefix, i);
  return buf;
}

void touch(const fs::path& p) {
  const int fd = ::open(p.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0) << p;
  ::close(fd);
}

std::uint64_t scans() { return detail::local_vfs_lookup_scans(); }

class LocalVfsNameCache : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "smbsrv-names-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::system_error(errno, std::generic_category());
    root_ = tmpl;
    struct statfs sf {};
    ASSERT_EQ(::statfs(root_.c_str(), &sf), 0);
    switch (static_cast<unsigned long>(sf.f_type)) {
      case EXT4_SUPER_MAGIC:
      case XFS_SUPER_MAGIC:
      case BTRFS_SUPER_MAGIC:
      case TMPFS_MAGIC:
      case OVERLAYFS_SUPER_MAGIC: break;
      default: GTEST_SKIP() << "the temp directory's file system is not indexed";
    }
    vfs_ = make_local_vfs(root_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  NtStatus open(std::string_view path, OpenParams op) { return vfs_->open(P(path), op).status(); }
  bool exists(std::string_view path) { return open(path, params(D::open)) == NtStatus::success; }
  void create(std::string_view path) {
    auto r = vfs_->open(P(path), params(D::create));
    ASSERT_TRUE(r) << path << ": " << to_string(r.status());
    EXPECT_EQ(r->action, CreateAction::created);
  }

  /// Creates `dir` holding kFill files f_NNNN through the server, so that it gets indexed.
  void fill(const std::string& dir) {
    ASSERT_EQ(vfs_->open(P(dir), params(D::create, true)).status(), NtStatus::success);
    for (int i = 0; i < kFill; ++i) create(dir + "/" + num("f_", i));
  }

  fs::path root_;
  std::shared_ptr<Vfs> vfs_;
};

TEST_F(LocalVfsNameCache, CreatesStopScanningOnceIndexed) {
  fill("d");
  const auto before = scans();
  for (int i = 0; i < 200; ++i) create("d/" + num("G_", i));
  EXPECT_TRUE(exists("d/F_0007"));
  EXPECT_TRUE(exists("d/g_0199"));
  EXPECT_EQ(open("d/missing", params(D::open)), NtStatus::object_name_not_found);
  EXPECT_EQ(open("d/f_0007", params(D::create)), NtStatus::object_name_collision);
  EXPECT_EQ(open("d/F_0007", params(D::create)), NtStatus::object_name_collision);
  EXPECT_EQ(scans(), before);
}

TEST_F(LocalVfsNameCache, CaseSensitiveSharesNeverScan) {
  auto cs = make_local_vfs(root_, {.case_sensitive = true});
  const auto before = scans();
  for (int i = 0; i < kFill; ++i)
    ASSERT_EQ(cs->open(P(num("f_", i)), params(D::create)).status(), NtStatus::success);
  EXPECT_EQ(cs->open(P("F_0001"), params(D::open)).status(), NtStatus::object_name_not_found);
  EXPECT_EQ(scans(), before);
}

TEST_F(LocalVfsNameCache, SeesExternalCreatesInAnotherCase) {
  fill("d");
  const auto before = scans();
  touch(root_ / "d" / "External.TXT");
  ASSERT_EQ(::mkdir((root_ / "d" / "SubDir").c_str(), 0755), 0);
  EXPECT_TRUE(exists("d/external.txt"));
  EXPECT_EQ(open("d/EXTERNAL.txt", params(D::create)), NtStatus::object_name_collision);
  EXPECT_EQ(open("d/subdir", params(D::open, true)), NtStatus::success);
  EXPECT_EQ(open("d/SUBDIR", params(D::create, true)), NtStatus::object_name_collision);
  EXPECT_EQ(scans(), before);
}

TEST_F(LocalVfsNameCache, SeesExternalUnlinkAndRename) {
  fill("d");
  const auto before = scans();
  ASSERT_EQ(::unlink((root_ / "d" / "f_0001").c_str()), 0);
  ASSERT_EQ(::rename((root_ / "d" / "f_0002").c_str(), (root_ / "d" / "Moved").c_str()), 0);
  EXPECT_EQ(open("d/F_0001", params(D::open)), NtStatus::object_name_not_found);
  EXPECT_EQ(open("d/F_0002", params(D::open)), NtStatus::object_name_not_found);
  EXPECT_TRUE(exists("d/MOVED"));
  create("d/F_0001");  // allowed again, with the new spelling
  EXPECT_TRUE(fs::exists(root_ / "d" / "F_0001"));
  EXPECT_FALSE(fs::exists(root_ / "d" / "f_0001"));
  // Moved out to another (unindexed) directory and back in.
  ASSERT_EQ(::rename((root_ / "d" / "Moved").c_str(), (root_ / "Out").c_str()), 0);
  EXPECT_EQ(open("d/moved", params(D::open)), NtStatus::object_name_not_found);
  ASSERT_EQ(::rename((root_ / "Out").c_str(), (root_ / "d" / "Back").c_str()), 0);
  EXPECT_TRUE(exists("d/BACK"));
  // An exchange reports what "x -> y, y -> x" would, yet both names stay.
  ASSERT_EQ(::renameat2(AT_FDCWD, (root_ / "d" / "f_0003").c_str(), AT_FDCWD,
                        (root_ / "d" / "f_0004").c_str(), RENAME_EXCHANGE), 0);
  EXPECT_TRUE(exists("d/F_0003"));
  EXPECT_TRUE(exists("d/F_0004"));
  EXPECT_EQ(scans(), before);
  // A plain rename leaves the old name in the index; the lookup finds it gone and drops it.
  ASSERT_EQ(::rename((root_ / "d" / "f_0005").c_str(), (root_ / "d" / "f_0006").c_str()), 0);
  EXPECT_EQ(open("d/F_0005", params(D::open)), NtStatus::object_name_not_found);
  EXPECT_EQ(open("d/F_0005", params(D::open)), NtStatus::object_name_not_found);
  EXPECT_TRUE(exists("d/F_0006"));
}

TEST_F(LocalVfsNameCache, OwnRenameAndRemoveUpdateIt) {
  fill("d");
  fill("e");
  const auto before = scans();
  ASSERT_TRUE(vfs_->rename(P("d/F_0003"), P("d/Renamed"), false));
  EXPECT_TRUE(exists("d/RENAMED"));
  EXPECT_EQ(open("d/f_0003", params(D::open)), NtStatus::object_name_not_found);
  ASSERT_TRUE(vfs_->rename(P("d/renamed"), P("e/Across"), false));
  EXPECT_EQ(open("d/renamed", params(D::open)), NtStatus::object_name_not_found);
  EXPECT_TRUE(exists("e/ACROSS"));
  ASSERT_TRUE(vfs_->rename(P("e/across"), P("e/ACROSS"), false));  // case only
  EXPECT_TRUE(fs::exists(root_ / "e" / "ACROSS"));
  EXPECT_TRUE(exists("e/Across"));
  ASSERT_TRUE(vfs_->rename(P("e/f_0004"), P("e/F_0005"), true));  // replaces, client's spelling
  EXPECT_EQ(open("e/f_0004", params(D::open)), NtStatus::object_name_not_found);
  EXPECT_TRUE(fs::exists(root_ / "e" / "F_0005"));
  EXPECT_FALSE(fs::exists(root_ / "e" / "f_0005"));
  EXPECT_TRUE(exists("e/f_0005"));
  // A directory over a file is an exchange followed by an unlink.
  ASSERT_EQ(open("d/Sub", params(D::create, true)), NtStatus::success);
  ASSERT_TRUE(vfs_->rename(P("d/sub"), P("d/f_0006"), true));
  EXPECT_EQ(open("d/F_0006", params(D::open, true)), NtStatus::success);
  EXPECT_EQ(open("d/SUB", params(D::open)), NtStatus::object_name_not_found);
  ASSERT_TRUE(vfs_->remove(P("e/ACROSS")));
  EXPECT_EQ(open("e/across", params(D::open)), NtStatus::object_name_not_found);
  create("e/across");
  EXPECT_EQ(scans(), before);
}

TEST_F(LocalVfsNameCache, LargeDirectory) {
  constexpr int kFiles = 3000;
  const auto start = scans();
  ASSERT_EQ(open("big", params(D::create, true)), NtStatus::success);
  for (int i = 0; i < kFiles; ++i) create("big/" + num("Name_", i));
  EXPECT_LT(scans() - start, 70u);  // only while the directory was small
  const auto before = scans();
  for (int i = 0; i < kFiles; i += 7) EXPECT_TRUE(exists("big/" + num("NAME_", i)));
  for (int i = 0; i < kFiles; i += 7) EXPECT_EQ(open("big/" + num("name_", i), params(D::create)),
                                                NtStatus::object_name_collision);
  EXPECT_EQ(scans(), before);
}

TEST_F(LocalVfsNameCache, ExternalChangeRightAfterOurs) {
  // The same-tick race that directory timestamps cannot see: our create and another process's
  // create in the same clock tick leave the directory's mtime as our change set it.
  fill("d");
  for (int i = 0; i < 300; ++i) {
    create("d/" + num("ours_", i));
    touch(root_ / "d" / num("Theirs_", i));
    ASSERT_EQ(open("d/" + num("THEIRS_", i), params(D::create)), NtStatus::object_name_collision) << i;
    ASSERT_EQ(::unlink((root_ / "d" / num("f_", i % kFill)).c_str()) == 0, i < kFill);
    ASSERT_EQ(open("d/" + num("F_", i % kFill), params(D::open)), NtStatus::object_name_not_found) << i;
  }
}

TEST_F(LocalVfsNameCache, ExternalChangeRightAfterTheIndexScan) {
  for (int round = 0; round < 20; ++round) {
    const std::string dir = num("d", round);
    const fs::path on_disk = root_ / dir;
    ASSERT_EQ(::mkdir(on_disk.c_str(), 0755), 0);
    for (int i = 0; i < kFill; ++i) touch(on_disk / num("f_", i));
    // This miss scans and indexes the directory; the change follows at once.
    EXPECT_EQ(open(dir + "/x", params(D::open)), NtStatus::object_name_not_found);
    touch(on_disk / "Late");
    ASSERT_EQ(::unlink((on_disk / "f_0000").c_str()), 0);
    EXPECT_EQ(open(dir + "/LATE", params(D::create)), NtStatus::object_name_collision);
    EXPECT_EQ(open(dir + "/F_0000", params(D::open)), NtStatus::object_name_not_found);
  }
}

TEST_F(LocalVfsNameCache, DirectoryReplacedBehindOurBack) {
  fill("d");
  EXPECT_TRUE(exists("d/F_0010"));
  fs::remove_all(root_ / "d");
  ASSERT_EQ(::mkdir((root_ / "d").c_str(), 0755), 0);  // may reuse the inode number
  touch(root_ / "d" / "New");
  EXPECT_EQ(open("d/f_0010", params(D::open)), NtStatus::object_name_not_found);
  EXPECT_TRUE(exists("d/NEW"));
}

TEST_F(LocalVfsNameCache, ManyDirectoriesEvictAndStayCorrect) {
  // More directories than are kept indexed (128): older ones are dropped, then re-indexed.
  constexpr int kDirs = 140;
  for (int d = 0; d < kDirs; ++d) {
    const fs::path dir = root_ / num("d", d);
    ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0);
    for (int i = 0; i < 70; ++i) touch(dir / num("f_", i));
    EXPECT_EQ(open(num("d", d) + "/x", params(D::open)), NtStatus::object_name_not_found);
  }
  for (int d = 0; d < kDirs; ++d) {
    touch(root_ / num("d", d) / "Later");
    EXPECT_EQ(open(num("d", d) + "/LATER", params(D::create)), NtStatus::object_name_collision) << d;
    EXPECT_TRUE(exists(num("D", d) + "/F_0069")) << d;
  }
}

TEST_F(LocalVfsNameCache, ConcurrentCreatesAndLookups) {
  fill("d");
  constexpr int kThreads = 4, kEach = 300;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const std::string name = "d/" + num(("t" + std::to_string(t) + "_").c_str(), i);
        if (vfs_->open(P(name), params(D::create)).status() != NtStatus::success) ++failures;
        // Another case of a name that thread created, and an external one.
        std::string upper = name;
        for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        if (vfs_->open(P(upper), params(D::create)).status() != NtStatus::object_name_collision) ++failures;
        const fs::path ext = root_ / "d" / num(("X" + std::to_string(t) + "_").c_str(), i);
        const int fd = ::open(ext.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
        if (fd < 0) ++failures; else ::close(fd);
        if (vfs_->open(P("d/" + num(("x" + std::to_string(t) + "_").c_str(), i)), params(D::open)).status() !=
            NtStatus::success)
          ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(std::distance(fs::directory_iterator(root_ / "d"), fs::directory_iterator{}),
            kFill + 2 * kThreads * kEach);
}

}  // namespace
}  // namespace smbsrv
