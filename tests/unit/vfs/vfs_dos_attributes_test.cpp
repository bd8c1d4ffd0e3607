// Stored DOS attributes and settable CreationTime / ChangeTime, on every backend; the LocalVfs
// record ("user.smbsrv.dos") and its decoder.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <system_error>

#include "smbsrv/local_vfs.hpp"
#include "support/temp_dir.hpp"
#include "smbsrv/memory_vfs.hpp"
#include "vfs/dos_record.hpp"

namespace smbsrv {
namespace {

namespace fs = std::filesystem;
using D = CreateDisposition;

SmbPath P(std::string_view s) { return *SmbPath::parse(s); }

OpenParams params(D d, bool write = false, bool directory = false, std::uint32_t attrs = 0) {
  OpenParams op;
  op.disposition = d;
  op.write = write;
  op.directory = directory;
  op.attributes = attrs;
  return op;
}

using test::TempDir;

/// Whether the temporary directory's file system keeps user xattrs (the LocalVfs tests of stored
/// attributes need them; without, LocalVfs degrades to mode-bit attributes, tested separately).
bool user_xattrs(const fs::path& dir) {
  const auto f = dir / "probe";
  { std::FILE* fp = std::fopen(f.c_str(), "w"); if (fp) std::fclose(fp); }
  const bool ok = ::setxattr(f.c_str(), "user.probe", "1", 1, 0) == 0;
  fs::remove(f);
  return ok;
}

struct LocalBackend {
  static constexpr bool kLocal = true;
  TempDir tmp;
  std::shared_ptr<Vfs> make() { return make_local_vfs(tmp.path(), {}); }
  bool stores() { return user_xattrs(tmp.path()); }
};
struct MemoryBackend {
  static constexpr bool kLocal = false;
  std::shared_ptr<Vfs> make() { return make_memory_vfs({}); }
  bool stores() { return true; }
};

template <class Backend>
class DosAttributes : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!backend_.stores()) GTEST_SKIP() << "no user xattrs on the temp directory's file system";
  }
  Backend backend_;
  std::shared_ptr<Vfs> vfs_ = backend_.make();
  Vfs& v() { return *vfs_; }
  std::unique_ptr<VfsFile> open(std::string_view p, OpenParams op) {
    auto r = v().open(P(p), op);
    EXPECT_TRUE(r) << p << ": " << to_string(r.status());
    return r ? std::move(r->file) : nullptr;
  }
  std::uint32_t attrs(std::string_view p) {
    auto f = open(p, params(D::open));
    return f ? f->stat()->attributes : 0xffffffffu;
  }
  std::uint32_t listed(std::string_view name) {
    auto d = open("", params(D::open, false, true));
    auto entries = d->list();
    EXPECT_TRUE(entries);
    if (!entries) return 0xffffffffu;
    for (const auto& e : *entries)
      if (e.name == name) return e.info.attributes;
    return 0xffffffffu;
  }
};

struct Names {
  template <class T>
  static std::string GetName(int) {
    return T::kLocal ? "Local" : "Memory";
  }
};
using Backends = ::testing::Types<LocalBackend, MemoryBackend>;
TYPED_TEST_SUITE(DosAttributes, Backends, Names);

TYPED_TEST(DosAttributes, StoredBitsRoundTrip) {
  auto f = this->open("f", params(D::create, true, false, kAttrHidden | kAttrArchive));
  ASSERT_TRUE(f);
  EXPECT_EQ(f->stat()->attributes, kAttrHidden | kAttrArchive);
  EXPECT_EQ(this->attrs("f"), kAttrHidden | kAttrArchive);
  EXPECT_EQ(this->listed("f"), kAttrHidden | kAttrArchive);
  const std::uint32_t all = kAttrReadonly | kAttrSystem | kAttrTemporary | kAttrOffline | kAttrNotContentIndexed;
  ASSERT_TRUE(f->set_attributes(all));
  EXPECT_EQ(f->stat()->attributes, all);
  f.reset();
  EXPECT_EQ(this->attrs("f"), all);
  EXPECT_EQ(this->listed("f"), all);
  // None left: NORMAL.
  auto g = this->open("f", params(D::open));
  ASSERT_TRUE(g->set_attributes(0));
  EXPECT_EQ(g->stat()->attributes, kAttrNormal);
  EXPECT_EQ(this->listed("f"), kAttrNormal);
}

TYPED_TEST(DosAttributes, DirectoriesKeepTheirBits) {
  auto d = this->open("d", params(D::create, false, true, kAttrHidden));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->stat()->attributes, kAttrHidden);
  ASSERT_TRUE(d->set_attributes(kAttrReadonly | kAttrSystem));
  d.reset();
  EXPECT_EQ(this->listed("d"), kAttrReadonly | kAttrSystem);
  auto e = this->open("d", params(D::open, false, true));
  ASSERT_TRUE(e->set_attributes(0));
  EXPECT_EQ(e->stat()->attributes, 0u);  // a directory is never NORMAL
}

TYPED_TEST(DosAttributes, CreationAndChangeTimeAreSettable) {
  auto f = this->open("t", params(D::create, true));
  ASSERT_TRUE(f);
  const FileTime creation = 130000000000000000ULL, change = 131000000000000000ULL;
  FileTimes t;
  t.creation = creation;
  t.change = change;
  ASSERT_TRUE(f->set_times(t));
  EXPECT_EQ(f->stat()->creation, creation);
  EXPECT_EQ(f->stat()->change, change);
  f.reset();
  auto g = this->open("t", params(D::open, true));
  EXPECT_EQ(g->stat()->creation, creation);
  EXPECT_EQ(g->stat()->change, change);
  // -1 ("stop updating") is never stored as a time.
  t.creation = ~FileTime{0};
  t.change.reset();
  ASSERT_TRUE(g->set_times(t));
  EXPECT_EQ(g->stat()->creation, creation);
}

// ---- LocalVfs only --------------------------------------------------------------------------------

TEST(LocalDos, ReadOnlyIsTheModeBits) {
  TempDir tmp;
  auto v = make_local_vfs(tmp.path(), {});
  auto f = std::move(v->open(P("ro"), params(D::create, true, false, kAttrReadonly | kAttrArchive))->file);
  EXPECT_EQ(f->stat()->attributes, kAttrReadonly | kAttrArchive);
  struct stat st {};
  ASSERT_EQ(::stat((tmp.path() / "ro").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0222, 0u);
  // A chmod on the host shows.
  ASSERT_EQ(::chmod((tmp.path() / "ro").c_str(), 0644), 0);
  EXPECT_EQ(f->stat()->attributes & kAttrReadonly, 0u);
  ASSERT_EQ(::chmod((tmp.path() / "ro").c_str(), 0444), 0);
  EXPECT_EQ(f->stat()->attributes & kAttrReadonly, kAttrReadonly);
}

TEST(LocalDos, SetChangeTimeSticksUntilTheNextWrite) {
  TempDir tmp;
  if (!user_xattrs(tmp.path())) GTEST_SKIP() << "no user xattrs";
  auto v = make_local_vfs(tmp.path(), {});
  auto f = std::move(v->open(P("c"), params(D::create, true))->file);
  FileTimes t;
  t.change = 130000000000000000ULL;
  t.last_write = 130000000000000000ULL;  // a write below moves LastWriteTime off this
  ASSERT_TRUE(f->set_times(t));
  EXPECT_EQ(f->stat()->change, *t.change);
  const std::uint8_t x = 1;
  ASSERT_TRUE(f->write(0, std::span<const std::uint8_t>(&x, 1)));
  EXPECT_NE(f->stat()->change, *t.change);  // the real ctime again
}

TEST(LocalDos, FilesWithoutARecordAreArchive) {
  TempDir tmp;
  { std::FILE* fp = std::fopen((tmp.path() / "host").c_str(), "w"); std::fclose(fp); }
  auto v = make_local_vfs(tmp.path(), {});
  auto f = std::move(v->open(P("host"), params(D::open))->file);
  EXPECT_EQ(f->stat()->attributes, kAttrArchive);
  ASSERT_EQ(::chmod((tmp.path() / "host").c_str(), 0444), 0);
  EXPECT_EQ(f->stat()->attributes, kAttrReadonly | kAttrArchive);
}

TEST(LocalDos, SambaAttributeStringIsRead) {
  TempDir tmp;
  if (!user_xattrs(tmp.path())) GTEST_SKIP() << "no user xattrs";
  const auto p = tmp.path() / "s";
  { std::FILE* fp = std::fopen(p.c_str(), "w"); std::fclose(fp); }
  const char v1[] = "0x22\0\3\0binary";
  ASSERT_EQ(::setxattr(p.c_str(), detail::kSambaDosXattr, v1, sizeof v1, 0), 0);
  auto v = make_local_vfs(tmp.path(), {});
  auto f = std::move(v->open(P("s"), params(D::open))->file);
  EXPECT_EQ(f->stat()->attributes, kAttrHidden | kAttrArchive);
  // Ours wins once written.
  ASSERT_TRUE(f->set_attributes(kAttrSystem));
  EXPECT_EQ(f->stat()->attributes, kAttrSystem);
}

TEST(DosRecord, RoundTripsAndRejectsTruncation) {
  detail::DosRecord r{.attributes = kAttrHidden | kAttrReadonly, .creation = 5, .change = 7, .change_anchor = 9};
  const auto b = detail::encode_dos_record(r);
  ASSERT_EQ(b.size(), detail::kDosRecordSize);
  EXPECT_EQ(detail::decode_dos_record(b), r);
  for (std::size_t n = 0; n < b.size(); ++n)
    EXPECT_FALSE(detail::decode_dos_record(Bytes(b.data(), n))) << n;
  auto bad = b;
  bad[0] = 2;  // another version
  EXPECT_FALSE(detail::decode_dos_record(bad));
  const detail::DosRecord empty{};
  EXPECT_EQ(detail::decode_dos_record(detail::encode_dos_record(empty)), empty);
}

TEST(DosRecord, SambaStrings) {
  auto s = [](std::string_view t) {
    return detail::parse_samba_dosattrib(Bytes(reinterpret_cast<const std::uint8_t*>(t.data()), t.size()));
  };
  EXPECT_EQ(s("0x20"), kAttrArchive);
  EXPECT_EQ(s("0X2021"), kAttrArchive | kAttrNotContentIndexed | kAttrReadonly);
  EXPECT_EQ(s("0x10"), 0u);  // DIRECTORY is not a stored bit
  EXPECT_FALSE(s("0x"));
  EXPECT_FALSE(s("20"));
  EXPECT_FALSE(s(""));
}

}  // namespace
}  // namespace smbsrv
