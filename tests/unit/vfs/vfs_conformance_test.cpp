// One behavioural suite run against every Vfs backend, plus LocalVfs confinement tests.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <system_error>

#include "smbsrv/local_vfs.hpp"
#include "smbsrv/memory_vfs.hpp"
#include "vfs/local_vfs_internal.hpp"

namespace smbsrv {
namespace {

namespace fs = std::filesystem;

// ---- helpers -------------------------------------------------------------------------------------

SmbPath P(std::string_view s) {
  auto p = SmbPath::parse(s);
  EXPECT_TRUE(p) << s;
  return p ? *p : SmbPath{};
}

OpenParams params(CreateDisposition d, bool write = false, bool directory = false,
                  bool non_directory = false) {
  OpenParams op;
  op.disposition = d;
  op.write = write;
  op.directory = directory;
  op.non_directory = non_directory;
  return op;
}

using D = CreateDisposition;

std::span<const std::uint8_t> bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

std::string read_all(VfsFile& f) {
  std::string out;
  std::uint8_t buf[7];  // small on purpose: exercises partial reads
  for (std::uint64_t off = 0;;) {
    auto n = f.read(off, buf);
    EXPECT_TRUE(n);
    if (!n || *n == 0) break;
    out.append(reinterpret_cast<const char*>(buf), *n);
    off += *n;
  }
  return out;
}

std::unique_ptr<VfsFile> must_open(Vfs& vfs, std::string_view path, OpenParams op) {
  auto r = vfs.open(P(path), op);
  EXPECT_TRUE(r) << path << ": " << to_string(r.status());
  return r ? std::move(r->file) : nullptr;
}

void put_file(Vfs& vfs, std::string_view path, std::string_view content) {
  auto f = must_open(vfs, path, params(D::overwrite_if, true, false, true));
  ASSERT_TRUE(f);
  auto w = f->write(0, bytes(content));
  ASSERT_TRUE(w);
  EXPECT_EQ(*w, content.size());
}

void make_dir(Vfs& vfs, std::string_view path) {
  auto r = vfs.open(P(path), params(D::create, false, true));
  ASSERT_TRUE(r) << path << ": " << to_string(r.status());
  EXPECT_EQ(r->action, CreateAction::created);
}

std::string get_file(Vfs& vfs, std::string_view path) {
  auto f = must_open(vfs, path, params(D::open));
  return f ? read_all(*f) : std::string{};
}

NtStatus open_status(Vfs& vfs, std::string_view path, OpenParams op) {
  return vfs.open(P(path), op).status();
}

std::vector<std::string> names_in(Vfs& vfs, std::string_view dir) {
  auto d = must_open(vfs, dir, params(D::open, false, true));
  std::vector<std::string> out;
  if (!d) return out;
  auto l = d->list();
  EXPECT_TRUE(l) << to_string(l.status());
  if (l)
    for (auto& e : *l) out.push_back(e.name);
  return out;
}

std::uint64_t id_of(Vfs& vfs, std::string_view path) {
  auto f = must_open(vfs, path, params(D::open));
  if (!f) return 0;
  auto st = f->stat();
  EXPECT_TRUE(st);
  return st ? st->file_id : 0;
}

// ---- backends ------------------------------------------------------------------------------------

/// A fresh temporary directory under /tmp, removed afterwards.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "smbsrv-vfs-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::system_error(errno, std::generic_category());
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

struct LocalBackend {
  static constexpr bool kLocal = true;
  TempDir tmp;
  fs::path root = tmp.path() / "share";
  LocalBackend() { fs::create_directory(root); }
  std::shared_ptr<Vfs> make(bool read_only = false, bool case_sensitive = false) {
    return make_local_vfs(root, {.read_only = read_only, .case_sensitive = case_sensitive});
  }
};

struct MemoryBackend {
  static constexpr bool kLocal = false;
  std::shared_ptr<Vfs> make(bool read_only = false, bool case_sensitive = false) {
    return make_memory_vfs({.read_only = read_only, .case_sensitive = case_sensitive});
  }
};

template <class Backend>
class VfsConformance : public ::testing::Test {
 protected:
  Backend backend_;
  std::shared_ptr<Vfs> vfs_ = backend_.make();
  Vfs& v() { return *vfs_; }
};

struct BackendNames {
  template <class T>
  static std::string GetName(int) {
    return T::kLocal ? "Local" : "Memory";
  }
};

using Backends = ::testing::Types<LocalBackend, MemoryBackend>;
TYPED_TEST_SUITE(VfsConformance, Backends, BackendNames);

// ---- the suite -----------------------------------------------------------------------------------

TYPED_TEST(VfsConformance, RootIsADirectory) {
  auto& v = this->v();
  EXPECT_FALSE(v.read_only());
  EXPECT_FALSE(v.case_sensitive());
  auto r = v.open(SmbPath{}, params(D::open));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->action, CreateAction::opened);
  auto st = r->file->stat();
  ASSERT_TRUE(st);
  EXPECT_TRUE(st->is_directory);
  EXPECT_TRUE(v.open(SmbPath{}, params(D::open_if, false, true)));
  EXPECT_EQ(v.open(SmbPath{}, params(D::create, false, true)).status(), NtStatus::object_name_collision);
  EXPECT_EQ(v.open(SmbPath{}, params(D::open, false, false, true)).status(), NtStatus::file_is_a_directory);
  EXPECT_EQ(v.remove(SmbPath{}).status(), NtStatus::access_denied);
  EXPECT_EQ(v.rename(SmbPath{}, P("x"), false).status(), NtStatus::access_denied);
}

TYPED_TEST(VfsConformance, DispositionsOnMissingFile) {
  auto& v = this->v();
  EXPECT_EQ(open_status(v, "m_open", params(D::open)), NtStatus::object_name_not_found);
  EXPECT_EQ(open_status(v, "m_overwrite", params(D::overwrite, true)), NtStatus::object_name_not_found);
  for (auto d : {D::create, D::open_if, D::overwrite_if, D::supersede}) {
    const std::string name = "m_" + std::to_string(static_cast<int>(d));
    auto r = v.open(P(name), params(d, true));
    ASSERT_TRUE(r) << name << " " << to_string(r.status());
    EXPECT_EQ(r->action, CreateAction::created) << name;
    auto st = r->file->stat();
    ASSERT_TRUE(st);
    EXPECT_EQ(st->size, 0u);
    EXPECT_FALSE(st->is_directory);
  }
  EXPECT_EQ(names_in(v, ""), (std::vector<std::string>{"m_0", "m_2", "m_3", "m_5"}));
}

TYPED_TEST(VfsConformance, DispositionsOnExistingFile) {
  auto& v = this->v();
  const struct {
    D disp;
    NtStatus status;
    CreateAction action;
    bool keeps_data;
  } rows[] = {
      {D::open, NtStatus::success, CreateAction::opened, true},
      {D::create, NtStatus::object_name_collision, CreateAction::opened, true},
      {D::open_if, NtStatus::success, CreateAction::opened, true},
      {D::overwrite, NtStatus::success, CreateAction::overwritten, false},
      {D::overwrite_if, NtStatus::success, CreateAction::overwritten, false},
      {D::supersede, NtStatus::success, CreateAction::superseded, false},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(static_cast<int>(row.disp));
    put_file(v, "f", "hello");
    const auto id = id_of(v, "f");
    auto r = v.open(P("f"), params(row.disp, true));
    EXPECT_EQ(r.status(), row.status);
    if (r) {
      EXPECT_EQ(r->action, row.action);
      auto st = r->file->stat();
      ASSERT_TRUE(st);
      EXPECT_EQ(st->size, row.keeps_data ? 5u : 0u);
      EXPECT_EQ(st->file_id, id);
    }
    EXPECT_EQ(get_file(v, "f"), row.keeps_data ? "hello" : "");
  }
}

TYPED_TEST(VfsConformance, DirectoryVersusFile) {
  auto& v = this->v();
  make_dir(v, "d");
  put_file(v, "f", "x");
  // A second create of the directory collides; open_if opens it.
  EXPECT_EQ(open_status(v, "d", params(D::create, false, true)), NtStatus::object_name_collision);
  auto r = v.open(P("d"), params(D::open_if, false, true));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->action, CreateAction::opened);
  // Directory created via open_if.
  auto r2 = v.open(P("d2"), params(D::open_if, false, true));
  ASSERT_TRUE(r2);
  EXPECT_EQ(r2->action, CreateAction::created);
  EXPECT_TRUE(r2->file->stat()->is_directory);

  EXPECT_EQ(open_status(v, "f", params(D::open, false, true)), NtStatus::not_a_directory);
  EXPECT_EQ(open_status(v, "f", params(D::open_if, false, true)), NtStatus::not_a_directory);
  EXPECT_EQ(open_status(v, "d", params(D::open, false, false, true)), NtStatus::file_is_a_directory);
  EXPECT_EQ(open_status(v, "d", params(D::open_if, true, false, true)), NtStatus::file_is_a_directory);
  EXPECT_EQ(open_status(v, "d", params(D::overwrite_if, true)), NtStatus::file_is_a_directory);
  EXPECT_EQ(open_status(v, "d", params(D::supersede, true)), NtStatus::file_is_a_directory);
  EXPECT_EQ(open_status(v, "x", params(D::overwrite_if, true, true)), NtStatus::invalid_parameter);
  EXPECT_EQ(open_status(v, "x", params(D::open_if, false, true, true)), NtStatus::invalid_parameter);
  // Opening a directory without either flag works.
  EXPECT_TRUE(v.open(P("d"), params(D::open)));

  // Nested paths.
  put_file(v, "d\\inner.txt", "inner");
  EXPECT_EQ(get_file(v, "d\\inner.txt"), "inner");
  EXPECT_EQ(open_status(v, "d\\missing", params(D::open)), NtStatus::object_name_not_found);
  EXPECT_EQ(open_status(v, "nodir\\x", params(D::open)), NtStatus::object_path_not_found);
  EXPECT_EQ(open_status(v, "nodir\\x", params(D::create, true)), NtStatus::object_path_not_found);
  EXPECT_EQ(open_status(v, "nodir\\deeper\\x", params(D::open_if, true)), NtStatus::object_path_not_found);
  EXPECT_EQ(open_status(v, "f\\x", params(D::open)), NtStatus::object_path_not_found);
  EXPECT_EQ(open_status(v, "f\\x", params(D::create, true)), NtStatus::object_path_not_found);
  EXPECT_EQ(names_in(v, "d"), (std::vector<std::string>{"inner.txt"}));
}

TYPED_TEST(VfsConformance, ReadWrite) {
  auto& v = this->v();
  auto f = must_open(v, "rw", params(D::create, true));
  ASSERT_TRUE(f);
  ASSERT_EQ(*f->write(0, bytes("hello")), 5u);
  std::uint8_t buf[16] = {};
  EXPECT_EQ(*f->read(0, buf), 5u);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(buf), 5), "hello");
  EXPECT_EQ(*f->read(3, std::span(buf, 2)), 2u);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(buf), 2), "lo");
  EXPECT_EQ(*f->read(5, buf), 0u);            // at EOF
  EXPECT_EQ(*f->read(1000, buf), 0u);         // past EOF
  EXPECT_EQ(*f->read(~std::uint64_t{0} - 1, buf), 0u);
  EXPECT_EQ(*f->read(0, std::span<std::uint8_t>{}), 0u);
  // Overwrite in the middle, then a sparse extension.
  ASSERT_EQ(*f->write(1, bytes("EL")), 2u);
  ASSERT_EQ(*f->write(10, bytes("end")), 3u);
  EXPECT_EQ(f->stat()->size, 13u);
  EXPECT_EQ(read_all(*f), std::string("hELlo\0\0\0\0\0end", 13));
  // A zero-length write past EOF does not extend the file.
  ASSERT_EQ(*f->write(100, std::span<const std::uint8_t>{}), 0u);
  EXPECT_EQ(f->stat()->size, 13u);
  // A large write crosses the small-buffer boundaries of the backends.
  std::string big(200000, 'z');
  for (std::size_t i = 0; i < big.size(); i += 7) big[i] = static_cast<char>('a' + i % 26);
  ASSERT_EQ(*f->write(0, bytes(big)), big.size());
  EXPECT_EQ(get_file(v, "rw"), big);
  EXPECT_TRUE(f->flush());

  // A handle opened without write cannot write or truncate; times may still be set through it
  // (FILE_WRITE_ATTRIBUTES is checked by the server, not the backend).
  auto ro = must_open(v, "rw", params(D::open, false));
  ASSERT_TRUE(ro);
  EXPECT_EQ(ro->write(0, bytes("x")).status(), NtStatus::access_denied);
  EXPECT_EQ(ro->truncate(0).status(), NtStatus::access_denied);
  EXPECT_TRUE(ro->set_times({.last_write = kFileTimeUnixEpoch + 10'000'000}).ok());
  EXPECT_EQ(ro->stat()->last_write, kFileTimeUnixEpoch + 10'000'000);
  EXPECT_EQ(get_file(v, "rw"), big);

  // Directories cannot be read or written.
  make_dir(v, "dd");
  auto d = must_open(v, "dd", params(D::open, true));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->read(0, buf).status(), NtStatus::invalid_device_request);
  EXPECT_EQ(d->write(0, bytes("x")).status(), NtStatus::invalid_device_request);
  EXPECT_EQ(d->truncate(0).status(), NtStatus::file_is_a_directory);
  EXPECT_EQ(f->list().status(), NtStatus::invalid_parameter);
}

TYPED_TEST(VfsConformance, Truncate) {
  auto& v = this->v();
  put_file(v, "t", "0123456789");
  auto f = must_open(v, "t", params(D::open, true));
  ASSERT_TRUE(f);
  ASSERT_TRUE(f->truncate(4));
  EXPECT_EQ(f->stat()->size, 4u);
  EXPECT_EQ(get_file(v, "t"), "0123");
  ASSERT_TRUE(f->truncate(8));
  EXPECT_EQ(f->stat()->size, 8u);
  EXPECT_EQ(get_file(v, "t"), std::string("0123\0\0\0\0", 8));
  ASSERT_TRUE(f->truncate(0));
  EXPECT_EQ(get_file(v, "t"), "");
}

TYPED_TEST(VfsConformance, Times) {
  auto& v = this->v();
  auto f = must_open(v, "times", params(D::create, true));
  ASSERT_TRUE(f);
  auto st = f->stat();
  ASSERT_TRUE(st);
  const FileTime y2000 = 125911584000000000ULL;  // 2000-01-01T00:00:00Z
  EXPECT_GT(st->creation, y2000);
  EXPECT_GT(st->last_write, y2000);
  EXPECT_GT(st->change, y2000);
  EXPECT_GT(st->last_access, y2000);
  EXPECT_LE(st->creation, st->last_write);

  const FileTime t1 = 132223104001234567ULL;  // 2020-01-01 + 0.1234567 s
  const FileTime t2 = 129067776009876543ULL;  // 2010-01-01 + 0.9876543 s
  ASSERT_TRUE(f->set_times({.last_access = t2, .last_write = t1}));
  st = f->stat();
  ASSERT_TRUE(st);
  EXPECT_EQ(st->last_write, t1);
  EXPECT_EQ(st->last_access, t2);
  // Creation / change times may or may not be settable; setting them must not fail.
  ASSERT_TRUE(f->set_times({.creation = t2, .change = t1}));
  EXPECT_EQ(f->stat()->last_write, t1);
  // Empty set: nothing changes.
  ASSERT_TRUE(f->set_times({}));
  EXPECT_EQ(f->stat()->last_write, t1);
  // Writing moves last_write forward again.
  ASSERT_TRUE(f->write(0, bytes("x")));
  EXPECT_GT(f->stat()->last_write, t1);
  // Directories' times are settable too.
  make_dir(v, "tdir");
  auto d = must_open(v, "tdir", params(D::open, true, true));
  ASSERT_TRUE(d);
  ASSERT_TRUE(d->set_times({.last_write = t1}));
  EXPECT_EQ(d->stat()->last_write, t1);
}

TYPED_TEST(VfsConformance, ListDirectory) {
  auto& v = this->v();
  EXPECT_TRUE(names_in(v, "").empty());
  put_file(v, "b.txt", "bb");
  put_file(v, "a.txt", "a");
  make_dir(v, "c");
  put_file(v, "c\\inner", "");
  auto d = must_open(v, "", params(D::open));
  ASSERT_TRUE(d);
  auto l = d->list();
  ASSERT_TRUE(l);
  ASSERT_EQ(l->size(), 3u);
  std::set<std::string> seen;
  for (const auto& e : *l) {
    seen.insert(e.name);
    EXPECT_NE(e.name, ".");
    EXPECT_NE(e.name, "..");
    EXPECT_EQ(e.info.file_id, id_of(v, e.name)) << e.name;
    if (e.name == "c") {
      EXPECT_TRUE(e.info.is_directory);
    } else {
      EXPECT_FALSE(e.info.is_directory);
      EXPECT_EQ(e.info.size, e.name == "a.txt" ? 1u : 2u);
    }
    EXPECT_GT(e.info.last_write, 0u);
  }
  EXPECT_EQ(seen, (std::set<std::string>{"a.txt", "b.txt", "c"}));
  // Stable order between two listings.
  auto l2 = d->list();
  ASSERT_TRUE(l2);
  ASSERT_EQ(l2->size(), l->size());
  for (std::size_t i = 0; i < l->size(); ++i) EXPECT_EQ((*l)[i].name, (*l2)[i].name);
  // A new entry shows up in the next listing of the same handle.
  put_file(v, "d.txt", "");
  EXPECT_EQ(d->list()->size(), 4u);
}

TYPED_TEST(VfsConformance, Remove) {
  auto& v = this->v();
  put_file(v, "f", "x");
  make_dir(v, "d");
  put_file(v, "d\\g", "y");
  EXPECT_EQ(v.remove(P("missing")).status(), NtStatus::object_name_not_found);
  EXPECT_EQ(v.remove(P("nodir\\x")).status(), NtStatus::object_path_not_found);
  EXPECT_EQ(v.remove(P("d")).status(), NtStatus::directory_not_empty);
  ASSERT_TRUE(v.remove(P("d\\G")));  // case-insensitive
  ASSERT_TRUE(v.remove(P("D")));
  ASSERT_TRUE(v.remove(P("f")));
  EXPECT_EQ(open_status(v, "f", params(D::open)), NtStatus::object_name_not_found);
  EXPECT_EQ(open_status(v, "d", params(D::open)), NtStatus::object_name_not_found);
  EXPECT_TRUE(names_in(v, "").empty());
}

TYPED_TEST(VfsConformance, RemovedFileStaysUsableWhileOpen) {
  auto& v = this->v();
  put_file(v, "gone", "data");
  auto f = must_open(v, "gone", params(D::open, true));
  ASSERT_TRUE(f);
  ASSERT_TRUE(v.remove(P("gone")));
  EXPECT_EQ(open_status(v, "gone", params(D::open)), NtStatus::object_name_not_found);
  ASSERT_TRUE(f->write(4, bytes("more")));
  EXPECT_EQ(read_all(*f), "datamore");
  EXPECT_EQ(f->stat()->size, 8u);
  // The name is free again.
  auto r = v.open(P("gone"), params(D::create, true));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->file->stat()->size, 0u);
}

TYPED_TEST(VfsConformance, Rename) {
  auto& v = this->v();
  put_file(v, "a", "A-data");
  put_file(v, "b", "B-data");
  make_dir(v, "d");
  put_file(v, "d\\in", "in");
  const auto id_a = id_of(v, "a");

  // Plain rename keeps the file id and content.
  ASSERT_TRUE(v.rename(P("a"), P("a2"), false));
  EXPECT_EQ(open_status(v, "a", params(D::open)), NtStatus::object_name_not_found);
  EXPECT_EQ(get_file(v, "a2"), "A-data");
  EXPECT_EQ(id_of(v, "a2"), id_a);

  // Collision unless replace.
  EXPECT_EQ(v.rename(P("a2"), P("b"), false).status(), NtStatus::object_name_collision);
  EXPECT_EQ(v.rename(P("a2"), P("B"), false).status(), NtStatus::object_name_collision);
  ASSERT_TRUE(v.rename(P("a2"), P("b"), true));
  EXPECT_EQ(get_file(v, "b"), "A-data");
  EXPECT_EQ(id_of(v, "b"), id_a);
  EXPECT_EQ(open_status(v, "a2", params(D::open)), NtStatus::object_name_not_found);

  // Replacing a directory is refused even with replace.
  EXPECT_EQ(v.rename(P("b"), P("d"), true).status(), NtStatus::access_denied);
  EXPECT_EQ(v.rename(P("b"), P("d"), false).status(), NtStatus::object_name_collision);

  // Into a subdirectory and back out.
  ASSERT_TRUE(v.rename(P("b"), P("d\\b"), false));
  EXPECT_EQ(get_file(v, "d\\b"), "A-data");
  ASSERT_TRUE(v.rename(P("D\\B"), P("top"), false));
  EXPECT_EQ(get_file(v, "top"), "A-data");

  // Directories move with their contents.
  ASSERT_TRUE(v.rename(P("d"), P("e"), false));
  EXPECT_EQ(get_file(v, "e\\in"), "in");
  EXPECT_EQ(open_status(v, "d\\in", params(D::open)), NtStatus::object_path_not_found);
  // ...but not below themselves.
  make_dir(v, "e\\sub");
  EXPECT_EQ(v.rename(P("e"), P("e\\sub\\e"), false).status(), NtStatus::invalid_parameter);
  put_file(v, "e\\sub\\victim", "stays");
  EXPECT_EQ(v.rename(P("e"), P("e\\sub\\victim"), true).status(), NtStatus::invalid_parameter);
  EXPECT_EQ(get_file(v, "e\\sub\\victim"), "stays");
  EXPECT_EQ(get_file(v, "e\\in"), "in");

  // Missing source / missing target parent / target parent is a file.
  EXPECT_EQ(v.rename(P("nope"), P("x"), false).status(), NtStatus::object_name_not_found);
  EXPECT_EQ(v.rename(P("nodir\\nope"), P("x"), false).status(), NtStatus::object_path_not_found);
  EXPECT_EQ(v.rename(P("top"), P("nodir\\x"), false).status(), NtStatus::object_path_not_found);
  EXPECT_EQ(v.rename(P("top"), P("top\\x"), false).status(), NtStatus::object_path_not_found);
  EXPECT_EQ(get_file(v, "top"), "A-data");

  // A directory may replace a file (with replace only).
  make_dir(v, "mvdir");
  put_file(v, "mvdir\\kid", "k");
  put_file(v, "victim", "v");
  EXPECT_EQ(v.rename(P("mvdir"), P("victim"), false).status(), NtStatus::object_name_collision);
  ASSERT_TRUE(v.rename(P("mvdir"), P("victim"), true));
  EXPECT_EQ(get_file(v, "victim\\kid"), "k");
  EXPECT_EQ(open_status(v, "mvdir", params(D::open)), NtStatus::object_name_not_found);

  // Renaming onto itself is a no-op.
  ASSERT_TRUE(v.rename(P("top"), P("top"), false));
  EXPECT_EQ(get_file(v, "top"), "A-data");

  // A file handle stays valid across a rename.
  auto f = must_open(v, "top", params(D::open, true));
  ASSERT_TRUE(f);
  ASSERT_TRUE(v.rename(P("top"), P("e\\moved"), false));
  ASSERT_TRUE(f->write(0, bytes("a")));
  EXPECT_EQ(get_file(v, "e\\moved"), "a-data");
}

TYPED_TEST(VfsConformance, CaseOnlyRenameAndReplaceKeepClientSpelling) {
  auto& v = this->v();
  put_file(v, "name.txt", "n");
  const auto id = id_of(v, "name.txt");
  ASSERT_TRUE(v.rename(P("name.txt"), P("NAME.txt"), false));
  EXPECT_EQ(names_in(v, ""), (std::vector<std::string>{"NAME.txt"}));
  EXPECT_EQ(id_of(v, "name.TXT"), id);
  // Via a differently-cased source spelling as well.
  ASSERT_TRUE(v.rename(P("name.TXT"), P("Name.Txt"), true));
  EXPECT_EQ(names_in(v, ""), (std::vector<std::string>{"Name.Txt"}));

  // Replacing an existing entry whose case differs: the client's spelling wins.
  put_file(v, "x", "old");
  ASSERT_TRUE(v.rename(P("Name.Txt"), P("X"), true));
  EXPECT_EQ(names_in(v, ""), (std::vector<std::string>{"X"}));
  EXPECT_EQ(get_file(v, "x"), "n");

  // Directories too.
  make_dir(v, "dir");
  ASSERT_TRUE(v.rename(P("dir"), P("Dir"), false));
  EXPECT_EQ(names_in(v, ""), (std::vector<std::string>{"Dir", "X"}));
}

TYPED_TEST(VfsConformance, CaseInsensitiveLookupPreservesCase) {
  auto& v = this->v();
  make_dir(v, "Docs");
  put_file(v, "Docs\\ReadMe.TXT", "hi");
  const auto id = id_of(v, "Docs\\ReadMe.TXT");
  EXPECT_EQ(id_of(v, "docs\\readme.txt"), id);
  EXPECT_EQ(id_of(v, "DOCS\\README.TXT"), id);
  EXPECT_EQ(get_file(v, "dOcS\\rEaDmE.tXt"), "hi");
  EXPECT_EQ(open_status(v, "DOCS\\readme.txt", params(D::create, true)), NtStatus::object_name_collision);
  EXPECT_EQ(open_status(v, "docs", params(D::create, false, true)), NtStatus::object_name_collision);
  auto r = v.open(P("DOCS\\README.TXT"), params(D::open_if, true));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->action, CreateAction::opened);
  EXPECT_EQ(names_in(v, ""), (std::vector<std::string>{"Docs"}));
  EXPECT_EQ(names_in(v, "DOCS"), (std::vector<std::string>{"ReadMe.TXT"}));
  // A created name keeps the client's spelling, also below a case-folded parent.
  put_file(v, "DOCS\\MixedCase.Dat", "");
  EXPECT_EQ(names_in(v, "docs"), (std::vector<std::string>{"MixedCase.Dat", "ReadMe.TXT"}));
  // Non-ASCII folding (Latin-1 and Cyrillic).
  put_file(v, "gr\xC3\xB6\xC3\x9F" "e", "g");                     // "größe"
  EXPECT_EQ(get_file(v, "GR\xC3\x96\xC3\x9F" "E"), "g");          // "GRÖßE"
  put_file(v, "\xD0\xB4\xD0\xB0", "cyr");                          // "да"
  EXPECT_EQ(get_file(v, "\xD0\x94\xD0\x90"), "cyr");               // "ДА"
  ASSERT_TRUE(v.remove(P("GR\xC3\x96\xC3\x9F" "E")));
  EXPECT_EQ(open_status(v, "gr\xC3\xB6\xC3\x9F" "e", params(D::open)), NtStatus::object_name_not_found);
}

// Names compare as Windows compares them (util/upcase.hpp): one upcase table for all of the BMP.
TYPED_TEST(VfsConformance, CaseInsensitiveLookupUsesTheUpcaseTable) {
  auto& v = this->v();
  put_file(v, "\xC3\x84pfel.txt", "apples");                       // "Äpfel.txt"
  EXPECT_EQ(get_file(v, "\xC3\xA4PFEL.TXT"), "apples");            // "äPFEL.TXT"
  put_file(v, "\xCE\xA3.txt", "sigma");                            // "Σ.txt"
  EXPECT_EQ(get_file(v, "\xCF\x83.txt"), "sigma");                 // "σ.txt"
  EXPECT_EQ(get_file(v, "\xCF\x82.TXT"), "sigma");                 // "ς.TXT": final sigma too
  EXPECT_EQ(open_status(v, "\xCF\x83.txt", params(D::create, true)), NtStatus::object_name_collision);
  // An upcase may change the length in bytes: "ɐ" (2 bytes) upcases to "Ɐ" (3 bytes).
  put_file(v, "\xC9\x90.dat", "turned a");                         // "ɐ.dat"
  EXPECT_EQ(get_file(v, "\xE2\xB1\xAF.DAT"), "turned a");          // "Ɐ.DAT"
  // What Windows keeps apart stays apart: dotless i and I, ß and SS, ß and ẞ.
  put_file(v, "\xC4\xB1", "dotless");                              // "ı"
  EXPECT_EQ(open_status(v, "I", params(D::open)), NtStatus::object_name_not_found);
  put_file(v, "stra\xC3\x9F" "e", "sharp");                        // "straße"
  EXPECT_EQ(open_status(v, "STRASSE", params(D::open)), NtStatus::object_name_not_found);
  EXPECT_EQ(open_status(v, "STRA\xE1\xBA\x9E" "E", params(D::open)),  // "STRAẞE"
            NtStatus::object_name_not_found);
  EXPECT_EQ(get_file(v, "STRA\xC3\x9F" "E"), "sharp");             // "STRAßE"
  EXPECT_EQ(names_in(v, "").size(), 5u);
}

// The same in a directory large enough for LocalVfs's name index (64 names), so that lookups
// are answered by the index too, not only by the scan that builds it.
TYPED_TEST(VfsConformance, CaseInsensitiveLookupInALargeDirectory) {
  auto& v = this->v();
  make_dir(v, "big");
  for (int i = 0; i < 80; ++i) put_file(v, "big\\f" + std::to_string(i), "");
  put_file(v, "big\\\xC3\x84pfel.txt", "apples");                  // "Äpfel.txt"
  put_file(v, "big\\\xC9\x90.dat", "turned a");                    // "ɐ.dat"
  for (int round = 0; round < 2; ++round) {  // the first lookup may scan; the second one not
    EXPECT_EQ(get_file(v, "BIG\\\xC3\xA4PFEL.TXT"), "apples");     // "äPFEL.TXT"
    EXPECT_EQ(get_file(v, "big\\\xE2\xB1\xAF.DAT"), "turned a");   // "Ɐ.DAT"
    EXPECT_EQ(open_status(v, "big\\\xE2\xB1\xAF.dat", params(D::create, true)),
              NtStatus::object_name_collision);
    EXPECT_EQ(open_status(v, "big\\\xC4\xB1", params(D::open)), NtStatus::object_name_not_found);
  }
  ASSERT_TRUE(v.remove(P("big\\\xE2\xB1\xAF.DAT")));
  EXPECT_EQ(open_status(v, "big\\\xC9\x90.dat", params(D::open)), NtStatus::object_name_not_found);
  EXPECT_EQ(names_in(v, "big").size(), 81u);
}

TYPED_TEST(VfsConformance, CaseSensitiveOption) {
  auto vfs = this->backend_.make(false, true);
  auto& v = *vfs;
  EXPECT_TRUE(v.case_sensitive());
  put_file(v, "a", "lower");
  EXPECT_EQ(open_status(v, "A", params(D::open)), NtStatus::object_name_not_found);
  auto r = v.open(P("A"), params(D::create, true));
  ASSERT_TRUE(r);
  ASSERT_TRUE(r->file->write(0, bytes("upper")));
  EXPECT_EQ(get_file(v, "a"), "lower");
  EXPECT_EQ(get_file(v, "A"), "upper");
  EXPECT_NE(id_of(v, "a"), id_of(v, "A"));
  EXPECT_EQ(names_in(v, ""), (std::vector<std::string>{"A", "a"}));
  EXPECT_EQ(v.remove(P("B")).status(), NtStatus::object_name_not_found);
  make_dir(v, "Dir");
  EXPECT_EQ(open_status(v, "dir\\x", params(D::create, true)), NtStatus::object_path_not_found);
}

TYPED_TEST(VfsConformance, ReadOnlyOption) {
  if constexpr (TypeParam::kLocal) put_file(this->v(), "existing", "content");
  auto vfs = this->backend_.make(true, false);
  auto& v = *vfs;
  EXPECT_TRUE(v.read_only());
  ASSERT_TRUE(v.open(SmbPath{}, params(D::open)));
  EXPECT_EQ(open_status(v, "", params(D::open, true)), NtStatus::access_denied);
  EXPECT_EQ(open_status(v, "new", params(D::create, true)), NtStatus::access_denied);
  EXPECT_EQ(open_status(v, "new", params(D::create, false)), NtStatus::access_denied);
  EXPECT_EQ(open_status(v, "new", params(D::open_if, false)), NtStatus::access_denied);
  EXPECT_EQ(open_status(v, "newdir", params(D::create, false, true)), NtStatus::access_denied);
  EXPECT_EQ(open_status(v, "new", params(D::open, false)), NtStatus::object_name_not_found);
  EXPECT_EQ(v.remove(P("existing")).status(), NtStatus::access_denied);
  EXPECT_EQ(v.rename(P("existing"), P("other"), false).status(), NtStatus::access_denied);
  if constexpr (TypeParam::kLocal) {
    EXPECT_EQ(get_file(v, "existing"), "content");
    EXPECT_EQ(open_status(v, "existing", params(D::open, true)), NtStatus::access_denied);
    EXPECT_EQ(open_status(v, "existing", params(D::overwrite, false)), NtStatus::access_denied);
    EXPECT_EQ(open_status(v, "existing", params(D::supersede, false)), NtStatus::access_denied);
    auto f = must_open(v, "existing", params(D::open));
    ASSERT_TRUE(f);
    EXPECT_EQ(f->write(0, bytes("x")).status(), NtStatus::access_denied);
    EXPECT_EQ(get_file(v, "existing"), "content");
  }
}

TYPED_TEST(VfsConformance, FileIdStability) {
  auto& v = this->v();
  put_file(v, "one", "1");
  put_file(v, "two", "2");
  make_dir(v, "dir");
  const auto id1 = id_of(v, "one");
  EXPECT_NE(id1, 0u);
  EXPECT_EQ(id_of(v, "one"), id1);
  EXPECT_EQ(id_of(v, "ONE"), id1);
  EXPECT_NE(id_of(v, "two"), id1);
  EXPECT_NE(id_of(v, "dir"), id1);
  EXPECT_NE(id_of(v, ""), id1);
  // Rewriting and truncating keep the id.
  put_file(v, "one", "rewritten");
  EXPECT_EQ(id_of(v, "one"), id1);
  // list() reports the same ids.
  auto d = must_open(v, "", params(D::open));
  ASSERT_TRUE(d);
  auto l = d->list();
  ASSERT_TRUE(l);
  for (const auto& e : *l) EXPECT_EQ(e.info.file_id, id_of(v, e.name)) << e.name;
  // A rename keeps it as well.
  ASSERT_TRUE(v.rename(P("one"), P("dir\\uno"), false));
  EXPECT_EQ(id_of(v, "dir\\uno"), id1);
}

TYPED_TEST(VfsConformance, Attributes) {
  auto& v = this->v();
  OpenParams op = params(D::create, true);
  op.attributes = kAttrReadonly;
  auto r = v.open(P("ro.txt"), op);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->action, CreateAction::created);
  // The creating handle may still write.
  ASSERT_TRUE(r->file->write(0, bytes("x")));
  EXPECT_TRUE(r->file->stat()->attributes & kAttrReadonly);
  ASSERT_TRUE(r->file->set_attributes(0));
  EXPECT_FALSE(r->file->stat()->attributes & kAttrReadonly);
  ASSERT_TRUE(r->file->set_attributes(kAttrReadonly));
  EXPECT_TRUE(r->file->stat()->attributes & kAttrReadonly);
  ASSERT_TRUE(r->file->set_attributes(kAttrArchive));
  EXPECT_FALSE(r->file->stat()->attributes & kAttrReadonly);
  put_file(v, "plain", "");
  EXPECT_FALSE(id_of(v, "plain") == 0);
  auto f = must_open(v, "plain", params(D::open));
  ASSERT_TRUE(f);
  EXPECT_FALSE(f->stat()->attributes & kAttrReadonly);
  EXPECT_FALSE(f->stat()->attributes & kAttrDirectory);
}

// set_allocation reserves past EndOfFile and gives back what a smaller size no longer needs
// (FileAllocationInformation, MS-FSA 2.1.5.15.1). A file system without preallocation reserves
// nothing, so only "no more than asked" is checked on LocalVfs.
TYPED_TEST(VfsConformance, AllocationIsReservedAndGivenBack) {
  auto& v = this->v();
  auto r = v.open(P("alloc.bin"), params(D::create, true));
  ASSERT_TRUE(r);
  auto& f = *r->file;
  ASSERT_TRUE(f.write(0, std::vector<std::uint8_t>(100, 1)));
  ASSERT_TRUE(f.set_allocation(64 * 1024));
  auto st = f.stat();
  ASSERT_TRUE(st);
  EXPECT_EQ(st->size, 100u);
  if (!TypeParam::kLocal) {
    EXPECT_EQ(st->allocation_size, 64u * 1024);
  }
  ASSERT_TRUE(f.set_allocation(100));
  st = f.stat();
  ASSERT_TRUE(st);
  EXPECT_EQ(st->size, 100u);
  EXPECT_LE(st->allocation_size, 4096u);
  ASSERT_TRUE(f.truncate(0));
  ASSERT_TRUE(f.set_allocation(8192));
  ASSERT_TRUE(f.set_allocation(0));
  st = f.stat();
  ASSERT_TRUE(st);
  EXPECT_EQ(st->allocation_size, 0u);
}

TYPED_TEST(VfsConformance, FsInfo) {
  auto info = this->v().fs_info();
  ASSERT_TRUE(info);
  EXPECT_GT(info->total_bytes, 0u);
  EXPECT_LE(info->free_bytes, info->total_bytes);
  EXPECT_LE(info->available_bytes, info->total_bytes);
  EXPECT_GT(info->bytes_per_sector, 0u);
  EXPECT_GT(info->sectors_per_allocation_unit, 0u);
  EXPECT_EQ(info->max_name_length, 255u);
}

// ---- MemoryVfs only --------------------------------------------------------------------------------

TEST(MemoryVfs, CapacityIsEnforced) {
  auto vfs = make_memory_vfs({.capacity_bytes = 1000});
  EXPECT_EQ(vfs->fs_info()->total_bytes, 1000u);
  auto f = std::move(vfs->open(P("f"), params(D::create, true))->file);
  ASSERT_TRUE(f);
  std::string kb(600, 'k');
  ASSERT_TRUE(f->write(0, bytes(kb)));
  EXPECT_EQ(vfs->fs_info()->free_bytes, 400u);
  auto g = std::move(vfs->open(P("g"), params(D::create, true))->file);
  EXPECT_EQ(g->write(0, bytes(kb)).status(), NtStatus::disk_full);
  EXPECT_EQ(g->write(~std::uint64_t{0} - 10, bytes("x")).status(), NtStatus::disk_full);
  EXPECT_EQ(g->truncate(401).status(), NtStatus::disk_full);
  ASSERT_TRUE(g->truncate(400));
  EXPECT_EQ(vfs->fs_info()->free_bytes, 0u);
  // Space returns once a removed file's last handle is gone.
  ASSERT_TRUE(vfs->remove(P("f")));
  EXPECT_EQ(vfs->fs_info()->free_bytes, 0u);
  f.reset();
  EXPECT_EQ(vfs->fs_info()->free_bytes, 600u);
  ASSERT_TRUE(g->truncate(0));
  EXPECT_EQ(vfs->fs_info()->free_bytes, 1000u);
}

TEST(MemoryVfs, SetAllTimes) {
  auto vfs = make_memory_vfs();
  auto f = std::move(vfs->open(P("f"), params(D::create, true))->file);
  ASSERT_TRUE(f->set_times({.creation = 1, .last_access = 2, .last_write = 3, .change = 4}));
  auto st = f->stat();
  EXPECT_EQ(st->creation, 1u);
  EXPECT_EQ(st->last_access, 2u);
  EXPECT_EQ(st->last_write, 3u);
  EXPECT_EQ(st->change, 4u);
}

TEST(MemoryVfs, InjectedClockStampsEveryTime) {
  FileTime t = 1000;
  auto vfs = make_memory_vfs({.clock = [&t] { return t; }});
  EXPECT_EQ(vfs->fs_info()->created, 1000u);
  t = 2000;
  auto f = std::move(vfs->open(P("f"), params(D::create, true))->file);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->stat()->creation, 2000u);
  EXPECT_EQ(f->stat()->change, 2000u);
  t = 3000;
  ASSERT_TRUE(f->write(0, bytes("x")));
  EXPECT_EQ(f->stat()->creation, 2000u);
  EXPECT_EQ(f->stat()->last_write, 3000u);
  EXPECT_EQ(f->stat()->change, 3000u);
  t = 4000;
  ASSERT_TRUE(vfs->rename(P("f"), P("g"), false));
  EXPECT_EQ(f->stat()->change, 4000u);
}

// ---- LocalVfs confinement ------------------------------------------------------------------------

class LocalVfsEscape : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    detail::local_vfs_use_openat2(GetParam());
    fs::create_directory(root_);
    fs::create_directory(outside_);
    std::ofstream(outside_ / "secret.txt") << "secret";
    fs::create_directory_symlink(outside_, root_ / "link");
    fs::create_directory_symlink("/etc", root_ / "etc");
    fs::create_symlink(outside_ / "secret.txt", root_ / "flink");
    fs::create_symlink(outside_ / "created-through-link", root_ / "dangle");
    fs::create_directory(root_ / "d");
    fs::create_directory_symlink("..", root_ / "d" / "up");
    fs::create_directory_symlink("../..", root_ / "d" / "upup");
    std::ofstream(root_ / "d" / "ok.txt") << "ok";
    vfs_ = make_local_vfs(root_);
  }
  void TearDown() override { detail::local_vfs_use_openat2(true); }

  void expect_secret_untouched() {
    std::ifstream in(outside_ / "secret.txt");
    std::string s;
    std::getline(in, s);
    EXPECT_EQ(s, "secret");
    EXPECT_FALSE(fs::exists(fs::symlink_status(outside_ / "created-through-link")));
    EXPECT_FALSE(fs::exists(fs::symlink_status(outside_ / "new")));
    EXPECT_EQ(std::distance(fs::directory_iterator(outside_), fs::directory_iterator{}), 1);
  }

  TempDir tmp_;
  fs::path root_ = tmp_.path() / "share";
  fs::path outside_ = tmp_.path() / "outside";
  std::shared_ptr<Vfs> vfs_;
};

TEST_P(LocalVfsEscape, DirectorySymlinksAreNotFollowed) {
  auto& v = *vfs_;
  for (const char* p : {"link", "LINK", "etc"}) {
    EXPECT_FALSE(v.open(P(p), params(D::open))) << p;
    EXPECT_FALSE(v.open(P(p), params(D::open, false, true))) << p;
  }
  for (const char* p : {"link\\secret.txt", "LINK\\SECRET.TXT", "etc\\passwd", "etc\\hostname",
                        "d\\up\\link\\secret.txt", "d\\upup\\outside\\secret.txt",
                        "d\\up\\d\\ok.txt"}) {
    auto r = v.open(P(p), params(D::open));
    ASSERT_FALSE(r) << p;
    EXPECT_EQ(r.status(), NtStatus::access_denied) << p;
  }
  for (auto d : {D::create, D::open_if, D::overwrite_if, D::supersede}) {
    EXPECT_FALSE(v.open(P("link\\new"), params(d, true)));
    EXPECT_FALSE(v.open(P("link\\secret.txt"), params(d, true)));
  }
  EXPECT_FALSE(v.open(P("link\\newdir"), params(D::create, false, true)));
  EXPECT_FALSE(v.remove(P("link\\secret.txt")));
  EXPECT_FALSE(v.rename(P("link\\secret.txt"), P("stolen"), false));
  EXPECT_FALSE(v.rename(P("d\\ok.txt"), P("link\\new"), false));
  EXPECT_TRUE(fs::exists(root_ / "d" / "ok.txt"));
  expect_secret_untouched();
}

TEST_P(LocalVfsEscape, FileSymlinksAreNotFollowed) {
  auto& v = *vfs_;
  for (auto d : {D::open, D::open_if, D::overwrite, D::overwrite_if, D::supersede, D::create}) {
    auto r = v.open(P("flink"), params(d, true));
    EXPECT_FALSE(r) << static_cast<int>(d);
    auto r2 = v.open(P("dangle"), params(d, true));
    EXPECT_FALSE(r2) << static_cast<int>(d);
    auto r3 = v.open(P("FLINK"), params(d, false));
    EXPECT_FALSE(r3) << static_cast<int>(d);
  }
  EXPECT_EQ(v.open(P("flink"), params(D::open)).status(), NtStatus::access_denied);
  EXPECT_FALSE(v.open(P("dangle"), params(D::create, true, true)));
  EXPECT_FALSE(v.open(P("flink"), params(D::open, false, true)));
  // Removing or renaming symlinks is refused as well; replacing onto one too.
  EXPECT_EQ(v.remove(P("flink")).status(), NtStatus::access_denied);
  EXPECT_FALSE(v.rename(P("flink"), P("x"), false));
  put_file(v, "mine", "mine");
  EXPECT_FALSE(v.rename(P("mine"), P("flink"), true));
  EXPECT_FALSE(v.rename(P("mine"), P("dangle"), true));
  EXPECT_TRUE(fs::is_symlink(fs::symlink_status(root_ / "flink")));
  EXPECT_TRUE(fs::is_symlink(fs::symlink_status(root_ / "dangle")));
  expect_secret_untouched();
}

TEST_P(LocalVfsEscape, ResolverModeIsTheRequestedOne) {
  // With openat2 requested it is used unless the kernel lacks it; without, never.
  if (!GetParam()) {
    EXPECT_FALSE(detail::local_vfs_openat2_active());
  }
  ASSERT_TRUE(vfs_->open(P("d\\ok.txt"), params(D::open)));
  if (GetParam() && !detail::local_vfs_openat2_active()) {
    GTEST_SKIP() << "openat2 unavailable here; the openat walk was used";
  }
}

TEST_P(LocalVfsEscape, ListingHidesSymlinks) {
  auto names = names_in(*vfs_, "");
  EXPECT_EQ(names, (std::vector<std::string>{"d"}));
  EXPECT_EQ(names_in(*vfs_, "d"), (std::vector<std::string>{"ok.txt"}));
}

TEST_P(LocalVfsEscape, DotDotCannotBeConstructed) {
  EXPECT_FALSE(SmbPath::parse(".."));
  EXPECT_FALSE(SmbPath::parse("..\\outside\\secret.txt"));
  EXPECT_FALSE(SmbPath::parse("d\\..\\..\\outside"));
  EXPECT_FALSE(SmbPath::parse("d/../../outside"));
  EXPECT_FALSE(SmbPath::from_components({"d", "..", "..", "outside"}));
  EXPECT_FALSE(SmbPath{}.child(".."));
  // Absolute-looking paths stay inside the share.
  EXPECT_EQ(vfs_->open(P("\\etc\\passwd"), params(D::open)).status(), NtStatus::access_denied);
  EXPECT_EQ(vfs_->open(P("/tmp"), params(D::open)).status(), NtStatus::object_name_not_found);
  EXPECT_EQ(get_file(*vfs_, "\\d\\ok.txt"), "ok");
}

INSTANTIATE_TEST_SUITE_P(Openat2, LocalVfsEscape, ::testing::Values(true, false),
                         [](const ::testing::TestParamInfo<bool>& p) { return p.param ? "openat2" : "openat_walk"; });

TEST(LocalVfs, RootMustBeADirectory) {
  TempDir tmp;
  EXPECT_THROW(make_local_vfs(tmp.path() / "missing"), std::system_error);
  std::ofstream(tmp.path() / "file") << "x";
  EXPECT_THROW(make_local_vfs(tmp.path() / "file"), std::system_error);
  EXPECT_NO_THROW(make_local_vfs(tmp.path()));
}

TEST(LocalVfs, SeesFilesCreatedOutsideTheServer) {
  TempDir tmp;
  std::ofstream(tmp.path() / "External.TXT") << "ext";
  fs::create_directory(tmp.path() / "Sub");
  auto vfs = make_local_vfs(tmp.path());
  EXPECT_EQ(get_file(*vfs, "external.txt"), "ext");
  EXPECT_TRUE(vfs->open(P("SUB"), params(D::open, false, true)));
  EXPECT_EQ(names_in(*vfs, ""), (std::vector<std::string>{"External.TXT", "Sub"}));
}

}  // namespace
}  // namespace smbsrv
