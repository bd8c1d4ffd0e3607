// Extended attributes over a MemoryVfs share: SET_INFO / QUERY_INFO FileFullEaInformation
// (MS-FSA 2.1.5.12.12, 2.1.5.15.5), FileEaInformation, the ExtA create context (MS-SMB2
// 2.2.13.2.1), and a backend without EAs.
#include <gtest/gtest.h>

#include "codec/ea.hpp"
#include "codec/fscc.hpp"
#include "support/engine_client.hpp"

namespace smbsrv::test {
namespace {

constexpr std::uint32_t kOpen = 1, kCreate = 2, kOpenIf = 3, kOverwriteIf = 5;
constexpr std::uint32_t kRestart = 1, kSingle = 2, kIndex = 4;

Vec v(std::string_view s) { return Vec(s.begin(), s.end()); }

Vec full(std::initializer_list<std::pair<std::string_view, std::string_view>> eas) {
  std::vector<ExtendedAttribute> l;
  for (auto [n, val] : eas) l.push_back({std::string(n), v(val)});
  return codec::encode_full_ea_list(l);
}

/// A QUERY_INFO FileFullEaInformation body with an optional FILE_GET_EA_INFORMATION list.
Vec query_ea_body(const codec::FileId& f, std::uint32_t out_len, std::uint32_t flags, std::uint32_t index = 0,
                  const Vec& input = {}) {
  Body b;
  b.u16(41).u8(codec::kInfoFile).u8(fscc::kFileFullEaInformation).u32(out_len);
  b.u16(input.empty() ? 0 : 0x68).u16(0).u32(static_cast<std::uint32_t>(input.size())).u32(index).u32(flags).fid(f);
  if (input.empty()) b.u8(0);
  else b.bytes(input);
  return b.b;
}

/// A CREATE body carrying one ExtA context.
Vec create_with_exta(std::string_view name, std::uint32_t disposition, const Vec& data) {
  return create_body_with_contexts(name, disposition, 0, {{"ExtA", data}});
}

struct Result_ {
  NtStatus status;
  std::vector<ExtendedAttribute> eas;
};

struct Ea : ::testing::Test {
  std::shared_ptr<engine::ServerState> st = make_test_state();
  EngineClient c{st};
  codec::FileId fid;
  void SetUp() override {
    c.connect({0x0311});
    auto f = c.create("a.txt", access::kFullAccess, kShareAll, kOpenIf);
    ASSERT_EQ(f.status, NtStatus::success);
    fid = f.fid;
  }
  NtStatus set(const codec::FileId& f, const Vec& list) {
    return c.set_info(f, codec::kInfoFile, fscc::kFileFullEaInformation, list).status();
  }
  Result_ query(const codec::FileId& f, std::uint32_t flags = kRestart, std::uint32_t out_len = 4096,
                std::uint32_t index = 0, const Vec& input = {}) {
    auto r = c.one({Command::query_info, query_ea_body(f, out_len, flags, index, input)});
    Result_ res{r.status(), {}};
    if (r.status() == NtStatus::success || r.status() == NtStatus::buffer_overflow) {
      const Vec buf = r.buffer(r.u16(2), r.u32(4));
      // The returned list decodes as a SET list would (empty values included).
      auto d = codec::decode_full_ea_list(buf);
      EXPECT_TRUE(d.ok());
      if (d) res.eas = *d;
    }
    return res;
  }
  std::uint32_t ea_size(const codec::FileId& f) {
    auto r = c.query_info(f, codec::kInfoFile, fscc::kFileEaInformation);
    EXPECT_EQ(r.status(), NtStatus::success);
    return r.u32(8);
  }
};

TEST_F(Ea, SetListReadBackDelete) {
  EXPECT_EQ(query(fid).status, NtStatus::no_eas_on_file);
  EXPECT_EQ(ea_size(fid), 0u);
  ASSERT_EQ(set(fid, full({{"b", "two"}, {"a", "one"}})), NtStatus::success);
  auto all = query(fid);
  ASSERT_EQ(all.status, NtStatus::success);
  ASSERT_EQ(all.eas.size(), 2u);
  EXPECT_EQ(all.eas[0], (ExtendedAttribute{"a", v("one")}));
  EXPECT_EQ(all.eas[1], (ExtendedAttribute{"b", v("two")}));
  // EaSize: the FILE_FULL_EA_INFORMATION list's size (8+1+1+3 = 13, padded to 16, + 13).
  EXPECT_EQ(ea_size(fid), 29u);
  // Names match case-insensitively: "B" replaces "b" and keeps the new case.
  ASSERT_EQ(set(fid, full({{"B", "2"}})), NtStatus::success);
  all = query(fid);
  ASSERT_EQ(all.eas.size(), 2u);
  EXPECT_EQ(all.eas[0], (ExtendedAttribute{"B", v("2")}));
  // An empty value deletes; deleting a missing one is no error.
  ASSERT_EQ(set(fid, full({{"b", ""}, {"zz", ""}})), NtStatus::success);
  all = query(fid);
  ASSERT_EQ(all.eas.size(), 1u);
  EXPECT_EQ(all.eas[0].name, "a");
  // FileAllInformation carries EaSize too (after Basic 40, Standard 24, Internal 8).
  auto r = c.query_info(fid, codec::kInfoFile, fscc::kFileAllInformation);
  ASSERT_EQ(r.status(), NtStatus::success);
  EXPECT_EQ(r.u32(8 + 72), 13u);
}

TEST_F(Ea, EnumerationIndexAndBufferSizes) {
  ASSERT_EQ(set(fid, full({{"a", "1"}, {"b", "2"}, {"c", "3"}})), NtStatus::success);
  // One at a time: the open's index moves on; at the end, NO_MORE_EAS.
  for (std::string_view name : {"a", "b", "c"}) {
    auto one = query(fid, kSingle);
    ASSERT_EQ(one.status, NtStatus::success) << name;
    ASSERT_EQ(one.eas.size(), 1u);
    EXPECT_EQ(one.eas[0].name, name);
  }
  EXPECT_EQ(query(fid, 0).status, NtStatus::no_more_eas);
  // Restart; a buffer for one entry (11 bytes each): BUFFER_OVERFLOW with what fits.
  auto part = query(fid, kRestart, 12);
  EXPECT_EQ(part.status, NtStatus::buffer_overflow);
  ASSERT_EQ(part.eas.size(), 1u);
  auto rest = query(fid, 0);
  ASSERT_EQ(rest.status, NtStatus::success);
  ASSERT_EQ(rest.eas.size(), 2u);
  EXPECT_EQ(rest.eas[0].name, "b");
  // Not even one entry fits: BUFFER_TOO_SMALL.
  EXPECT_EQ(query(fid, kRestart, 10).status, NtStatus::buffer_too_small);
  // SL_INDEX_SPECIFIED: 1-based.
  auto at = query(fid, kIndex | kSingle, 4096, 3);
  ASSERT_EQ(at.status, NtStatus::success);
  ASSERT_EQ(at.eas.size(), 1u);
  EXPECT_EQ(at.eas[0].name, "c");
  EXPECT_EQ(query(fid, kIndex, 4096, 4).status, NtStatus::nonexistent_ea_entry);
  EXPECT_EQ(query(fid, kIndex, 4096, 0).status, NtStatus::nonexistent_ea_entry);
}

TEST_F(Ea, QueryByNameList) {
  ASSERT_EQ(set(fid, full({{"Alpha", "1"}, {"b", "2"}})), NtStatus::success);
  std::vector<std::string> names{"b", "ALPHA", "missing"};
  auto r = query(fid, 0, 4096, 0, codec::encode_get_ea_list(names));
  ASSERT_EQ(r.status, NtStatus::success);
  ASSERT_EQ(r.eas.size(), 3u);
  EXPECT_EQ(r.eas[0], (ExtendedAttribute{"b", v("2")}));
  EXPECT_EQ(r.eas[1], (ExtendedAttribute{"Alpha", v("1")}));
  EXPECT_EQ(r.eas[2], (ExtendedAttribute{"missing", {}}));
  // Malformed lists and bad names.
  EXPECT_EQ(query(fid, 0, 4096, 0, Vec{1, 0, 0}).status, NtStatus::ea_list_inconsistent);
  std::vector<std::string> bad{"a*b"};
  EXPECT_EQ(query(fid, 0, 4096, 0, codec::encode_get_ea_list(bad)).status, NtStatus::invalid_ea_name);
}

TEST_F(Ea, BadListsChangeNothing) {
  ASSERT_EQ(set(fid, full({{"keep", "1"}})), NtStatus::success);
  // A good entry before a bad name: nothing is set.
  EXPECT_EQ(set(fid, full({{"new", "1"}, {"bad:name", "2"}})), NtStatus::invalid_ea_name);
  EXPECT_EQ(set(fid, full({{"new", "1"}, {std::string(256, 'x').substr(0, 0), "2"}})), NtStatus::invalid_ea_name);
  // Structure errors.
  Vec broken = full({{"new", "1"}, {"x", "2"}});
  broken[0] = 3;  // NextEntryOffset not aligned
  EXPECT_EQ(set(fid, broken), NtStatus::ea_list_inconsistent);
  Vec cut = full({{"new", "12345"}});
  cut.pop_back();
  EXPECT_EQ(set(fid, cut), NtStatus::ea_list_inconsistent);
  EXPECT_EQ(set(fid, Vec{}), NtStatus::ea_list_inconsistent);
  Vec flags = full({{"new", "1"}});
  flags[4] = 0x01;  // not FILE_NEED_EA
  EXPECT_EQ(set(fid, flags), NtStatus::invalid_ea_name);
  flags[4] = 0x80;
  EXPECT_EQ(set(fid, flags), NtStatus::success);
  auto all = query(fid);
  ASSERT_EQ(all.eas.size(), 2u);
  // Too much in all: 64 KiB - 5 bytes at most.
  const std::string big(60000, 'v');
  EXPECT_EQ(set(fid, full({{"big1", big}, {"big2", std::string(6000, 'w')}})), NtStatus::ea_too_large);
  EXPECT_EQ(query(fid).eas.size(), 2u);
}

TEST_F(Ea, AccessIsChecked) {
  ASSERT_EQ(set(fid, full({{"a", "1"}})), NtStatus::success);
  auto ro = c.create("a.txt", access::kFileReadAttributes | access::kFileReadData, kShareAll, kOpen);
  ASSERT_EQ(ro.status, NtStatus::success);
  EXPECT_EQ(set(ro.fid, full({{"a", "2"}})), NtStatus::access_denied);
  EXPECT_EQ(query(ro.fid).status, NtStatus::access_denied);
  auto rea = c.create("a.txt", access::kFileReadEa, kShareAll, kOpen);
  ASSERT_EQ(rea.status, NtStatus::success);
  EXPECT_EQ(query(rea.fid).eas.size(), 1u);
  EXPECT_EQ(set(rea.fid, full({{"a", "2"}})), NtStatus::access_denied);
}

TEST_F(Ea, CreateContextSetsEasOnCreateOnly) {
  auto r = c.one({Command::create, create_with_exta("n.txt", kCreate, full({{"x", "1"}, {"y", "2"}}))});
  ASSERT_EQ(r.status(), NtStatus::success);
  codec::FileId nf{r.u64(64), r.u64(72)};
  EXPECT_EQ(query(nf).eas.size(), 2u);
  // Opening the existing file: the context is ignored.
  r = c.one({Command::create, create_with_exta("n.txt", kOpenIf, full({{"z", "1"}}))});
  ASSERT_EQ(r.status(), NtStatus::success);
  EXPECT_EQ(query(nf).eas.size(), 2u);
  // Overwriting: the context's EAs replace the old ones.
  r = c.one({Command::create, create_with_exta("n.txt", kOverwriteIf, full({{"z", "1"}}))});
  ASSERT_EQ(r.status(), NtStatus::success);
  auto all = query(nf);
  ASSERT_EQ(all.eas.size(), 1u);
  EXPECT_EQ(all.eas[0].name, "z");
  // A bad list fails the CREATE and creates nothing.
  r = c.one({Command::create, create_with_exta("bad.txt", kCreate, full({{"a?", "1"}}))});
  EXPECT_EQ(r.status(), NtStatus::invalid_ea_name);
  EXPECT_EQ(c.create("bad.txt", access::kFullAccess, kShareAll, kOpen).status, NtStatus::object_name_not_found);
  r = c.one({Command::create, create_with_exta("bad.txt", kCreate, Vec{0, 0, 0})});
  EXPECT_EQ(r.status(), NtStatus::ea_list_inconsistent);
  EXPECT_EQ(c.create("bad.txt", access::kFullAccess, kShareAll, kOpen).status, NtStatus::object_name_not_found);
}

TEST_F(Ea, FsAttributeFlag) {
  auto r = c.query_info(fid, codec::kInfoFilesystem, fscc::kFileFsAttributeInformation);
  ASSERT_EQ(r.status(), NtStatus::success);
  EXPECT_NE(r.u32(8) & 0x00800000u, 0u);
}

/// A backend without EAs: a MemoryVfs that says so.
class NoEaVfs : public Vfs {
 public:
  NoEaVfs() : inner_(make_memory_vfs()) {}
  Result<Opened> open(const SmbPath& p, const OpenParams& o) override {
    auto r = inner_->open(p, o);
    if (!r) return r;
    r->file = std::make_unique<Plain>(std::move(r->file));
    return r;
  }
  Result<void> remove(const SmbPath& p) override { return inner_->remove(p); }
  Result<void> rename(const SmbPath& a, const SmbPath& b, bool r) override { return inner_->rename(a, b, r); }
  Result<FsInfo> fs_info() override {
    auto f = inner_->fs_info();
    if (f) f->extended_attributes = false;
    return f;
  }

 private:
  /// Forwards everything but the EA calls (which keep the VfsFile defaults).
  struct Plain : VfsFile {
    explicit Plain(std::unique_ptr<VfsFile> f) : f_(std::move(f)) {}
    Result<std::size_t> read(std::uint64_t o, std::span<std::uint8_t> out) override { return f_->read(o, out); }
    Result<std::size_t> write(std::uint64_t o, std::span<const std::uint8_t> in) override { return f_->write(o, in); }
    Result<FileInfo> stat() override { return f_->stat(); }
    Result<void> truncate(std::uint64_t s) override { return f_->truncate(s); }
    Result<void> set_times(const FileTimes& t) override { return f_->set_times(t); }
    Result<void> flush() override { return f_->flush(); }
    Result<std::vector<DirEntry>> list() override { return f_->list(); }
    std::unique_ptr<VfsFile> f_;
  };
  std::shared_ptr<Vfs> inner_;
};

TEST(EaNotSupported, AnsweredAsWindowsDoes) {
  auto st = make_test_state();
  Share s;
  s.name = "noea";
  s.vfs = std::make_shared<NoEaVfs>();
  st->add_share(std::move(s));
  EngineClient c{st};
  c.connect({0x0311}, "noea");
  auto f = c.create("a.txt", access::kFullAccess, kShareAll, kOpenIf);
  ASSERT_EQ(f.status, NtStatus::success);
  EXPECT_EQ(c.set_info(f.fid, codec::kInfoFile, fscc::kFileFullEaInformation, full({{"a", "1"}})).status(),
            NtStatus::eas_not_supported);
  EXPECT_EQ(c.one({Command::query_info, query_ea_body(f.fid, 4096, kRestart)}).status(), NtStatus::eas_not_supported);
  auto ea = c.query_info(f.fid, codec::kInfoFile, fscc::kFileEaInformation);
  ASSERT_EQ(ea.status(), NtStatus::success);
  EXPECT_EQ(ea.u32(8), 0u);
  auto fsa = c.query_info(f.fid, codec::kInfoFilesystem, fscc::kFileFsAttributeInformation);
  EXPECT_EQ(fsa.u32(8) & 0x00800000u, 0u);
  auto r = c.one({Command::create, create_with_exta("n.txt", kCreate, full({{"x", "1"}}))});
  EXPECT_EQ(r.status(), NtStatus::eas_not_supported);
  EXPECT_EQ(c.create("n.txt", access::kFullAccess, kShareAll, kOpen).status, NtStatus::object_name_not_found);
}

}  // namespace
}  // namespace smbsrv::test
