// Named streams (Vfs::open_stream, remove_stream, rename_stream, VfsFile::list_streams): one
// suite for every backend whose fs_info() says named_streams (skipped for the others), and
// LocalVfs's own: the Samba streams_xattr layout, the size limit, EAs, read-only shares.
#include <gtest/gtest.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <system_error>

#include "smbsrv/local_vfs.hpp"
#include "smbsrv/memory_vfs.hpp"
#include "support/temp_dir.hpp"

namespace smbsrv {
namespace {

namespace fs = std::filesystem;
using D = CreateDisposition;

enum class Backend { local, local_case_sensitive, local_side, memory };

std::span<const std::uint8_t> bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

std::string read_all(VfsFile& f) {
  std::string out;
  std::uint8_t buf[5];  // small on purpose: partial reads
  for (std::uint64_t off = 0;;) {
    auto n = f.read(off, buf);
    EXPECT_TRUE(n) << to_string(n.status());
    if (!n || *n == 0) break;
    out.append(reinterpret_cast<const char*>(buf), *n);
    off += *n;
  }
  return out;
}

OpenParams params(D d, bool write = true) {
  OpenParams op;
  op.disposition = d;
  op.write = write;
  return op;
}

std::vector<StreamInfo> sorted(std::vector<StreamInfo> v) {
  std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return v;
}

using TempRoot = test::TempDir;

class StreamFixture {
 protected:
  SmbPath path(std::string_view s) { return *SmbPath::parse(s); }
  std::unique_ptr<VfsFile> open(std::string_view name, D d = D::open_if) {
    OpenParams op = params(d);
    op.non_directory = true;
    auto f = vfs_->open(path(name), op);
    EXPECT_TRUE(f) << name << ": " << to_string(f.status());
    return f ? std::move(f->file) : nullptr;
  }
  std::unique_ptr<VfsFile> dir(std::string_view name) {
    OpenParams op = params(D::open_if, false);
    op.directory = true;
    auto f = vfs_->open(path(name), op);
    EXPECT_TRUE(f) << name << ": " << to_string(f.status());
    return f ? std::move(f->file) : nullptr;
  }
  Result<Vfs::Opened> stream(std::string_view file, std::string_view name, D d, bool write = true) {
    return vfs_->open_stream(path(file), name, params(d, write));
  }
  std::unique_ptr<VfsFile> must_stream(std::string_view file, std::string_view name, D d = D::open_if) {
    auto s = stream(file, name, d);
    EXPECT_TRUE(s) << file << ":" << name << ": " << to_string(s.status());
    return s ? std::move(s->file) : nullptr;
  }
  void put(std::string_view file, std::string_view name, std::string_view content) {
    auto s = must_stream(file, name);
    ASSERT_TRUE(s);
    ASSERT_TRUE(s->truncate(0));
    auto w = s->write(0, bytes(content));
    ASSERT_TRUE(w) << to_string(w.status());
    EXPECT_EQ(*w, content.size());
  }
  std::string get(std::string_view file, std::string_view name) {
    auto s = must_stream(file, name, D::open);
    return s ? read_all(*s) : std::string{};
  }
  std::vector<StreamInfo> streams_of(std::string_view file) {
    auto f = vfs_->open(path(file), params(D::open, false));
    EXPECT_TRUE(f) << to_string(f.status());
    if (!f) return {};
    auto l = f->file->list_streams();
    EXPECT_TRUE(l) << to_string(l.status());
    return l ? sorted(*l) : std::vector<StreamInfo>{};
  }

  std::shared_ptr<Vfs> vfs_;
};

// ---- every backend with named streams ----------------------------------------------------------

class VfsStreams : public StreamFixture, public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    switch (GetParam()) {
      case Backend::local: vfs_ = make_local_vfs(root_.path()); break;
      case Backend::local_case_sensitive: vfs_ = make_local_vfs(root_.path(), {.case_sensitive = true}); break;
      case Backend::local_side:
        vfs_ = make_local_vfs(root_.path(), {.streams = LocalVfsOptions::StreamStore::side_directory});
        break;
      case Backend::memory: vfs_ = make_memory_vfs(); break;
    }
    auto fsi = vfs_->fs_info();
    ASSERT_TRUE(fsi);
    if (!fsi->named_streams) GTEST_SKIP() << "this backend has no named streams";
  }
  TempRoot root_;
};

TEST_P(VfsStreams, Dispositions) {
  ASSERT_TRUE(open("f.txt"));
  EXPECT_EQ(stream("f.txt", "s", D::open).status(), NtStatus::object_name_not_found);
  auto c = stream("f.txt", "s", D::create);
  ASSERT_TRUE(c) << to_string(c.status());
  EXPECT_EQ(c->action, CreateAction::created);
  EXPECT_EQ(stream("f.txt", "s", D::create).status(), NtStatus::object_name_collision);
  auto o = stream("f.txt", "s", D::open_if);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->action, CreateAction::opened);
  o = stream("f.txt", "s", D::open);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->action, CreateAction::opened);
  o = stream("f.txt", "t", D::open_if);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->action, CreateAction::created);
  // The base file's data is not touched.
  auto f = open("f.txt", D::open);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->stat()->size, 0u);
}

TEST_P(VfsStreams, MissingBase) {
  EXPECT_EQ(stream("none.txt", "s", D::open).status(), NtStatus::object_name_not_found);
  EXPECT_EQ(stream("nodir/f.txt", "s", D::open_if).status(), NtStatus::object_path_not_found);
  // Creating a stream of a missing file creates the file, as a regular file.
  auto c = stream("new.txt", "s", D::create);
  ASSERT_TRUE(c) << to_string(c.status());
  EXPECT_EQ(c->action, CreateAction::created);
  auto f = vfs_->open(path("new.txt"), params(D::open, false));
  ASSERT_TRUE(f);
  auto st = f->file->stat();
  ASSERT_TRUE(st);
  EXPECT_FALSE(st->is_directory);
  EXPECT_EQ(st->size, 0u);
  auto o = stream("new2.txt", "s", D::open_if);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->action, CreateAction::created);
}

TEST_P(VfsStreams, TwoHandlesSeeEachOthersWrites) {
  ASSERT_TRUE(open("f.txt"));
  auto a = must_stream("f.txt", "s");
  auto b = must_stream("f.txt", "s", D::open);
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(a->write(0, bytes("hello world")));
  EXPECT_EQ(read_all(*b), "hello world");
  ASSERT_TRUE(b->write(6, bytes("WORLD!")));
  EXPECT_EQ(read_all(*a), "hello WORLD!");
  // A write past the end zero-fills the gap.
  ASSERT_TRUE(a->write(14, bytes("x")));
  EXPECT_EQ(read_all(*b), std::string("hello WORLD!\0\0x", 15));
  std::uint8_t buf[4];
  auto n = b->read(100, buf);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 0u);
}

TEST_P(VfsStreams, TruncateAndStat) {
  {
    auto f = open("f.txt");
    ASSERT_TRUE(f);
    ASSERT_TRUE(f->write(0, bytes("0123456789")));
  }
  auto s = must_stream("f.txt", "s");
  ASSERT_TRUE(s);
  auto st = s->stat();
  ASSERT_TRUE(st);
  EXPECT_EQ(st->size, 0u);
  EXPECT_EQ(st->allocation_size, 0u);
  ASSERT_TRUE(s->write(0, bytes("abcdef")));
  ASSERT_TRUE(s->truncate(3));
  EXPECT_EQ(read_all(*s), "abc");
  ASSERT_TRUE(s->truncate(5));
  EXPECT_EQ(read_all(*s), std::string("abc\0\0", 5));
  st = s->stat();
  ASSERT_TRUE(st);
  EXPECT_EQ(st->size, 5u);
  EXPECT_GE(st->allocation_size, 5u);
  EXPECT_FALSE(st->is_directory);
  // The file's identity, not its data size.
  auto f = open("f.txt", D::open);
  auto fst = f->stat();
  ASSERT_TRUE(fst);
  EXPECT_EQ(st->file_id, fst->file_id);
  EXPECT_EQ(fst->size, 10u);
  EXPECT_EQ(st->link_count, fst->link_count);
  EXPECT_EQ(st->creation, fst->creation);
  EXPECT_EQ(s->list().status(), NtStatus::not_a_directory);
}

TEST_P(VfsStreams, ListStreams) {
  ASSERT_TRUE(open("f.txt"));
  EXPECT_TRUE(streams_of("f.txt").empty());
  put("f.txt", "Alpha", "12345");
  put("f.txt", "beta", "");
  const auto l = streams_of("f.txt");
  ASSERT_EQ(l.size(), 2u);
  EXPECT_EQ(l[0].name, "Alpha");
  EXPECT_EQ(l[0].size, 5u);
  EXPECT_GE(l[0].allocation_size, 5u);
  EXPECT_EQ(l[1].name, "beta");
  EXPECT_EQ(l[1].size, 0u);
}

TEST_P(VfsStreams, Remove) {
  put("f.txt", "s", "data");
  put("f.txt", "t", "more");
  ASSERT_TRUE(vfs_->remove_stream(path("f.txt"), "s"));
  EXPECT_EQ(stream("f.txt", "s", D::open).status(), NtStatus::object_name_not_found);
  EXPECT_EQ(vfs_->remove_stream(path("f.txt"), "s").status(), NtStatus::object_name_not_found);
  const auto l = streams_of("f.txt");
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(l[0].name, "t");
  EXPECT_EQ(get("f.txt", "t"), "more");
  EXPECT_EQ(vfs_->remove_stream(path("none.txt"), "s").status(), NtStatus::object_name_not_found);
}

TEST_P(VfsStreams, Rename) {
  put("f.txt", "a", "AAA");
  put("f.txt", "b", "BB");
  EXPECT_EQ(vfs_->rename_stream(path("f.txt"), "a", "b", false).status(), NtStatus::object_name_collision);
  EXPECT_EQ(vfs_->rename_stream(path("f.txt"), "none", "c", false).status(), NtStatus::object_name_not_found);
  ASSERT_TRUE(vfs_->rename_stream(path("f.txt"), "a", "c", false));
  EXPECT_EQ(stream("f.txt", "a", D::open).status(), NtStatus::object_name_not_found);
  EXPECT_EQ(get("f.txt", "c"), "AAA");
  // Replacing.
  ASSERT_TRUE(vfs_->rename_stream(path("f.txt"), "c", "b", true));
  EXPECT_EQ(get("f.txt", "b"), "AAA");
  const auto l = streams_of("f.txt");
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(l[0].name, "b");
  EXPECT_EQ(l[0].size, 3u);
}

TEST_P(VfsStreams, CaseOfNames) {
  put("f.txt", "MyStream", "x");
  if (vfs_->case_sensitive()) {
    EXPECT_EQ(stream("f.txt", "MYSTREAM", D::open).status(), NtStatus::object_name_not_found);
    return;
  }
  EXPECT_EQ(get("f.txt", "MYSTREAM"), "x");
  EXPECT_EQ(stream("f.txt", "mystream", D::create).status(), NtStatus::object_name_collision);
  auto o = stream("f.txt", "mystream", D::open_if);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->action, CreateAction::opened);
  auto l = streams_of("f.txt");
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(l[0].name, "MyStream");  // the creator's case
  // A case-only rename keeps the stream and takes the new spelling.
  ASSERT_TRUE(vfs_->rename_stream(path("f.txt"), "mystream", "MYSTREAM", false));
  l = streams_of("f.txt");
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(l[0].name, "MYSTREAM");
  EXPECT_EQ(get("f.txt", "MyStream"), "x");
  ASSERT_TRUE(vfs_->remove_stream(path("f.txt"), "mystream"));
  EXPECT_TRUE(streams_of("f.txt").empty());
}

TEST_P(VfsStreams, OnDirectories) {
  ASSERT_TRUE(dir("d"));
  put("d", "ds", "dir data");
  EXPECT_EQ(get("d", "ds"), "dir data");
  auto s = must_stream("d", "ds", D::open);
  ASSERT_TRUE(s);
  auto st = s->stat();
  ASSERT_TRUE(st);
  EXPECT_FALSE(st->is_directory);
  EXPECT_EQ(st->size, 8u);
  auto d = dir("d");
  ASSERT_TRUE(d);
  EXPECT_EQ(st->file_id, d->stat()->file_id);
  auto l = d->list_streams();
  ASSERT_TRUE(l);
  ASSERT_EQ(l->size(), 1u);
  EXPECT_EQ((*l)[0].name, "ds");
  // The directory is still a directory, with no entries.
  auto entries = d->list();
  ASSERT_TRUE(entries);
  EXPECT_TRUE(entries->empty());
  // Streams on the root directory too.
  put("", "rs", "root");
  EXPECT_EQ(get("", "rs"), "root");
}

TEST_P(VfsStreams, StreamsGoWithTheFile) {
  put("f.txt", "s", "kept");
  ASSERT_TRUE(vfs_->rename(path("f.txt"), path("g.txt"), false));
  EXPECT_EQ(get("g.txt", "s"), "kept");
  EXPECT_EQ(stream("f.txt", "s", D::open).status(), NtStatus::object_name_not_found);
  ASSERT_TRUE(vfs_->remove(path("g.txt")));
  ASSERT_TRUE(open("g.txt", D::create));
  EXPECT_TRUE(streams_of("g.txt").empty());
}

TEST_P(VfsStreams, EasDoNotShowStreams) {
  auto fsi = vfs_->fs_info();
  if (!fsi->extended_attributes) GTEST_SKIP() << "no EAs";
  put("f.txt", "s", "stream data");
  auto f = open("f.txt", D::open);
  ASSERT_TRUE(f);
  auto eas = f->list_eas();
  ASSERT_TRUE(eas);
  EXPECT_TRUE(eas->empty());
  // Nor does a stream's data change with the EAs.
  const std::vector<ExtendedAttribute> set{{"user1", {1, 2, 3}}};
  ASSERT_TRUE(f->set_eas(set));
  eas = f->list_eas();
  ASSERT_TRUE(eas);
  ASSERT_EQ(eas->size(), 1u);
  EXPECT_EQ(get("f.txt", "s"), "stream data");
  EXPECT_EQ(streams_of("f.txt").size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Backends, VfsStreams,
                         ::testing::Values(Backend::local, Backend::local_case_sensitive, Backend::local_side,
                                           Backend::memory),
                         [](const auto& i) {
                           switch (i.param) {
                             case Backend::local: return "Local";
                             case Backend::local_case_sensitive: return "LocalCaseSensitive";
                             case Backend::local_side: return "LocalSideDirectory";
                             case Backend::memory: break;
                           }
                           return "Memory";
                         });

// ---- LocalVfs: the side directory ----------------------------------------------------------------

class SideStreams : public StreamFixture, public ::testing::Test {
 protected:
  void SetUp() override {
    vfs_ = make_local_vfs(root_.path(), {.streams = LocalVfsOptions::StreamStore::side_directory});
  }
  /// Entries of the store (one directory per file with streams).
  std::size_t store_entries() {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(root_.str() + "/.smbsrv-streams")) ++n;
    return n;
  }
  TempRoot root_;
};

TEST_F(SideStreams, AnySizeAndHidden) {
  ASSERT_TRUE(open("f.txt"));
  auto s = must_stream("f.txt", "big", D::create);
  ASSERT_TRUE(s);
  const std::string data(1 << 20, 'x');
  ASSERT_TRUE(s->write(64u << 20, bytes(data)));  // far past what an xattr holds
  auto st = s->stat();
  ASSERT_TRUE(st);
  EXPECT_EQ(st->size, (64u << 20) + data.size());
  s.reset();
  ASSERT_EQ(streams_of("f.txt").size(), 1u);
  // The store is no part of the share.
  auto root = vfs_->open(path(""), OpenParams{.directory = true});
  ASSERT_TRUE(root);
  auto names = root->file->list();
  ASSERT_TRUE(names);
  ASSERT_EQ(names->size(), 1u);
  EXPECT_EQ((*names)[0].name, "f.txt");
  EXPECT_EQ(vfs_->open(path(".smbsrv-streams"), OpenParams{}).status(), NtStatus::access_denied);
  EXPECT_EQ(vfs_->open(path(".SMBSRV-Streams\\x"), OpenParams{}).status(), NtStatus::access_denied);
  EXPECT_EQ(vfs_->remove(path(".smbsrv-streams")).status(), NtStatus::access_denied);
}

TEST_F(SideStreams, StreamsFollowTheFileAndGoWithIt) {
  put("f.txt", "s", "kept");
  EXPECT_EQ(store_entries(), 1u);
  ASSERT_TRUE(vfs_->rename(path("f.txt"), path("g.txt"), false));
  EXPECT_EQ(get("g.txt", "s"), "kept");
  ASSERT_TRUE(vfs_->link(path("g.txt"), path("h.txt"), false));
  ASSERT_TRUE(vfs_->remove(path("g.txt")));  // another name remains
  EXPECT_EQ(get("h.txt", "s"), "kept");
  ASSERT_TRUE(vfs_->remove(path("h.txt")));  // the last one: the streams go too
  EXPECT_EQ(store_entries(), 0u);
  // A file replaced by a rename loses its streams; the one renamed keeps its own.
  put("a.txt", "s", "of a");
  put("b.txt", "s", "of b");
  ASSERT_TRUE(vfs_->rename(path("a.txt"), path("b.txt"), true));
  EXPECT_EQ(get("b.txt", "s"), "of a");
  EXPECT_EQ(store_entries(), 1u);
  // Directories too; the last stream removed leaves no directory behind.
  ASSERT_TRUE(vfs_->open(path("d"), OpenParams{.directory = true, .disposition = D::create}));
  put("d", "s", "of d");
  EXPECT_EQ(store_entries(), 2u);
  ASSERT_TRUE(vfs_->remove_stream(path("d"), "S"));
  EXPECT_EQ(store_entries(), 1u);
  put("d", "s", "of d");
  ASSERT_TRUE(vfs_->remove(path("d")));
  EXPECT_EQ(store_entries(), 1u);
}

// ---- LocalVfs: xattrs ----------------------------------------------------------------------------

class LocalStreams : public StreamFixture, public ::testing::Test {
 protected:
  void SetUp() override {
    vfs_ = make_local_vfs(root_.path());
    auto fsi = vfs_->fs_info();
    ASSERT_TRUE(fsi);
    if (!fsi->named_streams) GTEST_SKIP() << "no user xattrs on " << root_.path();
  }
  std::string host(std::string_view name) { return root_.str() + "/" + std::string(name); }
  /// The raw xattr value, or "<none>".
  std::string xattr(std::string_view file, const std::string& key) {
    char buf[70000];
    const ssize_t n = ::getxattr(host(file).c_str(), key.c_str(), buf, sizeof buf);
    return n < 0 ? std::string("<none>") : std::string(buf, static_cast<std::size_t>(n));
  }
  TempRoot root_;
};

TEST_F(LocalStreams, SambaLayout) {
  put("f.txt", "strm", "hello");
  put("f.txt", "Empty", "");
  // As Samba's streams_xattr stores them: the data and one NUL byte.
  EXPECT_EQ(xattr("f.txt", "user.DosStream.strm:$DATA"), std::string("hello\0", 6));
  EXPECT_EQ(xattr("f.txt", "user.DosStream.Empty:$DATA"), std::string("\0", 1));
  // And one Samba made is read the same way.
  const std::string v("from samba\0", 11);
  ASSERT_EQ(::setxattr(host("f.txt").c_str(), "user.DosStream.samba:$DATA", v.data(), v.size(), 0), 0);
  EXPECT_EQ(get("f.txt", "samba"), "from samba");
  const auto l = streams_of("f.txt");
  ASSERT_EQ(l.size(), 3u);  // sorted by name: Empty, samba, strm
  EXPECT_EQ(l[0], (StreamInfo{"Empty", 0, 0}));
  EXPECT_EQ(l[1], (StreamInfo{"samba", 10, 4096}));
  EXPECT_EQ(l[2], (StreamInfo{"strm", 5, 4096}));
  // Other xattrs are not streams.
  ASSERT_EQ(::setxattr(host("f.txt").c_str(), "user.DosStream.nosuffix", "x", 1, 0), 0);
  ASSERT_EQ(::setxattr(host("f.txt").c_str(), "user.other", "x", 1, 0), 0);
  EXPECT_EQ(streams_of("f.txt").size(), 3u);
}

TEST_F(LocalStreams, TooLargeIsDiskFullAndChangesNothing) {
  put("f.txt", "s", "old");
  auto s = must_stream("f.txt", "s", D::open);
  ASSERT_TRUE(s);
  // Past the 64 KiB an xattr value can hold: refused before the file system is asked.
  EXPECT_EQ(s->write(65530, bytes("0123456789")).status(), NtStatus::disk_full);
  EXPECT_EQ(s->truncate(70000).status(), NtStatus::disk_full);
  EXPECT_EQ(read_all(*s), "old");
  // Within 64 KiB but maybe beyond this file system (ext4 without ea_inode: ~4 KiB): either it is
  // stored whole or nothing changes.
  const std::string big(20000, 'b');
  auto w = s->write(0, bytes(big));
  if (w) {
    EXPECT_EQ(read_all(*s), big);
  } else {
    EXPECT_EQ(w.status(), NtStatus::disk_full);
    EXPECT_EQ(read_all(*s), "old");
  }
}

TEST_F(LocalStreams, AnOpenHandleFollowsARename) {
  put("f.txt", "a", "one");
  auto s = must_stream("f.txt", "a", D::open);
  ASSERT_TRUE(s);
  ASSERT_TRUE(vfs_->rename_stream(path("f.txt"), "a", "b", false));
  EXPECT_EQ(read_all(*s), "one");
  ASSERT_TRUE(s->write(3, bytes("+")));
  EXPECT_EQ(get("f.txt", "b"), "one+");
  EXPECT_EQ(stream("f.txt", "a", D::open).status(), NtStatus::object_name_not_found);
}

TEST_F(LocalStreams, TimesAndAttributesAreTheFiles) {
  put("f.txt", "s", "x");
  auto s = must_stream("f.txt", "s", D::open);
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->set_attributes(kAttrHidden));
  FileTimes t;
  t.last_write = 130000000000000000ULL;
  ASSERT_TRUE(s->set_times(t));
  auto f = open("f.txt", D::open);
  auto st = f->stat();
  ASSERT_TRUE(st);
  EXPECT_EQ(st->attributes & kAttrHidden, kAttrHidden);
  EXPECT_EQ(st->last_write, 130000000000000000ULL);
  EXPECT_EQ(s->stat()->attributes, st->attributes);
}

TEST_F(LocalStreams, ClientsCannotReachStreamsAsEas) {
  put("f.txt", "s", "x");
  auto f = open("f.txt", D::open);
  // An EA name cannot hold ':' (so never a whole stream key), and the DosStream. prefix is reserved.
  const std::vector<ExtendedAttribute> set{{"DosStream.s", {1}}};
  EXPECT_EQ(f->set_eas(set).status(), NtStatus::access_denied);
  const std::vector<ExtendedAttribute> full{{"DosStream.s:$DATA", {1}}};
  EXPECT_EQ(f->set_eas(full).status(), NtStatus::invalid_ea_name);
  EXPECT_EQ(get("f.txt", "s"), "x");
}

TEST_F(LocalStreams, InvalidNames) {
  ASSERT_TRUE(open("f.txt"));
  const std::string_view bad_names[] = {"", "a:b", "a/b", "a\\b", std::string_view("a\0b", 3)};
  for (std::string_view bad : bad_names)
    EXPECT_EQ(stream("f.txt", bad, D::open_if).status(), NtStatus::object_name_invalid) << bad;
  EXPECT_EQ(stream("f.txt", std::string(235, 'n'), D::open_if).status(), NtStatus::object_name_invalid);
  EXPECT_TRUE(stream("f.txt", std::string(234, 'n'), D::open_if));
}

TEST_F(LocalStreams, ReadOnlyShare) {
  put("f.txt", "s", "ro");
  auto ro = make_local_vfs(root_.path(), {.read_only = true});
  EXPECT_EQ(ro->open_stream(path("f.txt"), "s", params(D::open, true)).status(), NtStatus::access_denied);
  EXPECT_EQ(ro->open_stream(path("f.txt"), "t", params(D::create, false)).status(), NtStatus::access_denied);
  EXPECT_EQ(ro->open_stream(path("g.txt"), "t", params(D::open, false)).status(), NtStatus::object_name_not_found);
  auto r = ro->open_stream(path("f.txt"), "s", params(D::open, false));
  ASSERT_TRUE(r);
  EXPECT_EQ(read_all(*r->file), "ro");
  EXPECT_EQ(r->file->write(0, bytes("x")).status(), NtStatus::access_denied);
  EXPECT_EQ(ro->remove_stream(path("f.txt"), "s").status(), NtStatus::access_denied);
  EXPECT_EQ(ro->rename_stream(path("f.txt"), "s", "t", false).status(), NtStatus::access_denied);
}

}  // namespace
}  // namespace smbsrv
