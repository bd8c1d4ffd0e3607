// VfsFile::copy_from on every backend: LocalVfs (copy_file_range), MemoryVfs, and the default
// through read()/write() (a backend that does not override it, and copies between backends).
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

/// A VfsFile that only forwards the required calls: copy_from is the default one.
class Plain final : public VfsFile {
 public:
  explicit Plain(std::unique_ptr<VfsFile> f) : f_(std::move(f)) {}
  Result<std::size_t> read(std::uint64_t o, std::span<std::uint8_t> out) override { return f_->read(o, out); }
  Result<std::size_t> write(std::uint64_t o, std::span<const std::uint8_t> in) override { return f_->write(o, in); }
  Result<FileInfo> stat() override { return f_->stat(); }
  Result<void> truncate(std::uint64_t s) override { return f_->truncate(s); }
  Result<void> set_times(const FileTimes& t) override { return f_->set_times(t); }
  Result<void> flush() override { return f_->flush(); }
  Result<std::vector<DirEntry>> list() override { return f_->list(); }

 private:
  std::unique_ptr<VfsFile> f_;
};

enum class Kind { local, memory, plain };

class VfsCopy : public ::testing::TestWithParam<Kind> {
 protected:
  void SetUp() override {
    vfs_ = GetParam() == Kind::memory ? make_memory_vfs() : make_local_vfs(root_);
  }
  std::unique_ptr<VfsFile> open(Vfs& v, std::string_view name, bool write = true) {
    OpenParams op;
    op.disposition = write ? D::open_if : D::open;
    op.write = write;
    auto r = v.open(*SmbPath::parse(name), op);
    EXPECT_TRUE(r) << to_string(r.status());
    if (!r) return nullptr;
    if (GetParam() == Kind::plain) return std::make_unique<Plain>(std::move(r->file));
    return std::move(r->file);
  }
  std::unique_ptr<VfsFile> open(std::string_view name, bool write = true) { return open(*vfs_, name, write); }
  static void put(VfsFile& f, std::string_view s) {
    auto w = f.write(0, {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()});
    ASSERT_TRUE(w);
  }
  static std::string get(VfsFile& f) {
    auto st = f.stat();
    EXPECT_TRUE(st);
    std::string s(st ? st->size : 0, '\0');
    auto n = f.read(0, {reinterpret_cast<std::uint8_t*>(s.data()), s.size()});
    EXPECT_TRUE(n);
    return s;
  }

  test::TempDir dir_{"smbsrv-copy"};
  fs::path root_ = dir_.path();
  std::shared_ptr<Vfs> vfs_;
};

TEST_P(VfsCopy, CopiesARange) {
  auto src = open("src");
  auto dst = open("dst");
  put(*src, "hello world");
  auto n = dst->copy_from(*src, 6, 0, 5);
  ASSERT_TRUE(n) << to_string(n.status());
  EXPECT_EQ(*n, 5u);
  EXPECT_EQ(get(*dst), "world");
  // Past the target's end: the gap is zeros.
  n = dst->copy_from(*src, 0, 8, 5);
  ASSERT_TRUE(n);
  EXPECT_EQ(get(*dst), std::string("world\0\0\0hello", 13));
}

TEST_P(VfsCopy, StopsAtTheSourcesEnd) {
  auto src = open("src");
  auto dst = open("dst");
  put(*src, "0123456789");
  auto n = dst->copy_from(*src, 7, 0, 100);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 3u);
  EXPECT_EQ(get(*dst), "789");
  n = dst->copy_from(*src, 10, 0, 5);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 0u);
  n = dst->copy_from(*src, 1000, 0, 5);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 0u);
  EXPECT_EQ(get(*dst), "789");
  n = dst->copy_from(*src, 0, 0, 0);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 0u);
}

TEST_P(VfsCopy, OverlappingRangesOfOneFile) {
  auto f = open("f");
  put(*f, "abcdefghij");
  auto n = f->copy_from(*f, 0, 4, 6);  // the target starts inside the source
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 6u);
  EXPECT_EQ(get(*f), "abcdabcdef");
  put(*f, "abcdefghij");
  n = f->copy_from(*f, 4, 0, 6);  // the source starts inside the target
  ASSERT_TRUE(n);
  EXPECT_EQ(get(*f), "efghijghij");
  // Two opens of one file (LocalVfs: one inode, two descriptors).
  auto g = open("f");
  put(*f, "abcdefghij");
  n = g->copy_from(*f, 0, 2, 8);
  ASSERT_TRUE(n);
  EXPECT_EQ(get(*f), "ababcdefgh");
  // Not overlapping, within one file.
  n = f->copy_from(*f, 0, 10, 4);
  ASSERT_TRUE(n);
  EXPECT_EQ(get(*f), "ababcdefghabab");
}

TEST_P(VfsCopy, LargeCopyInPieces) {
  auto src = open("src");
  auto dst = open("dst");
  std::string big(3 * 1024 * 1024 + 123, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 31 + (i >> 12));
  put(*src, big);
  auto n = dst->copy_from(*src, 0, 0, big.size());
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, big.size());
  EXPECT_EQ(get(*dst), big);
  // Overlapping and backwards over several pieces.
  n = dst->copy_from(*dst, 0, 1000, big.size());
  ASSERT_TRUE(n);
  EXPECT_EQ(get(*dst), big.substr(0, 1000) + big);
}

TEST_P(VfsCopy, ReadOnlyTargetIsRefused) {
  auto src = open("src");
  put(*src, "x");
  open("dst");
  auto dst = open("dst", false);
  auto n = dst->copy_from(*src, 0, 0, 1);
  EXPECT_EQ(n.status(), NtStatus::access_denied);
}

TEST_P(VfsCopy, BetweenBackends) {
  auto other = GetParam() == Kind::memory ? make_local_vfs(root_) : make_memory_vfs();
  auto src = open("src");
  put(*src, "between");
  auto dst = open(*other, "dst");
  auto n = dst->copy_from(*src, 0, 0, 7);
  ASSERT_TRUE(n) << to_string(n.status());
  EXPECT_EQ(get(*dst), "between");
  n = src->copy_from(*dst, 0, 7, 7);
  ASSERT_TRUE(n);
  EXPECT_EQ(get(*src), "betweenbetween");
}

INSTANTIATE_TEST_SUITE_P(Backends, VfsCopy, ::testing::Values(Kind::local, Kind::memory, Kind::plain),
                         [](const auto& p) {
                           return p.param == Kind::local ? "Local" : p.param == Kind::memory ? "Memory" : "Default";
                         });

}  // namespace
}  // namespace smbsrv
