// Named streams (MS-FSCC 2.1.4, MS-FSA 2.1.5.1) over a MemoryVfs share: opening "file:stream",
// FileStreamInformation, per-stream share modes, delete-on-close and rename of a stream, and the
// names that are refused.
#include <gtest/gtest.h>

#include "codec/fscc.hpp"
#include "support/engine_client.hpp"

namespace smbsrv::test {
namespace {

constexpr std::uint32_t kOpen = 1, kCreate = 2, kOpenIf = 3, kOverwriteIf = 5;
constexpr std::uint32_t kDirectoryFile = 0x1, kDeleteOnClose = 0x1000;

Vec rename_info(std::string_view name, bool replace) {
  const Vec n = to_utf16le(name);
  Body b;
  b.u8(replace ? 1 : 0).zeros(7).u64(0).u32(static_cast<std::uint32_t>(n.size())).bytes(n);
  return b.b;
}

struct Streams : ::testing::Test {
  std::shared_ptr<engine::ServerState> st = make_test_state();
  EngineClient c{st};
  void SetUp() override { c.connect({0x0311}); }
  Vec read_all(const codec::FileId& f) {
    auto r = c.read(f, 0, 4096);
    if (r.status() == NtStatus::end_of_file) return {};
    EXPECT_EQ(r.status(), NtStatus::success);
    return EngineClient::read_data(r);
  }
};

TEST_F(Streams, AStreamHoldsItsOwnData) {
  auto base = c.create("f.txt", access::kFullAccess, kShareAll, kCreate);
  ASSERT_EQ(base.status, NtStatus::success);
  ASSERT_EQ(c.write(base.fid, 0, Vec(10, 'B')).status(), NtStatus::success);
  auto s = c.create("f.txt:ads", access::kFullAccess, kShareAll, kCreate);
  ASSERT_EQ(s.status, NtStatus::success);
  ASSERT_EQ(c.write(s.fid, 0, Vec{'h', 'i'}).status(), NtStatus::success);
  EXPECT_EQ(read_all(base.fid), Vec(10, 'B'));
  // The same stream by another spelling (case, the $DATA type) is the same data.
  auto s2 = c.create("F.TXT:ADS:$DATA", access::kFullAccess, kShareAll, kOpen);
  ASSERT_EQ(s2.status, NtStatus::success);
  EXPECT_EQ(read_all(s2.fid), (Vec{'h', 'i'}));
  // "::$DATA" is the file itself.
  auto d = c.create("f.txt::$DATA", access::kFullAccess, kShareAll, kOpen);
  ASSERT_EQ(d.status, NtStatus::success);
  EXPECT_EQ(read_all(d.fid), Vec(10, 'B'));
  auto q = c.query_info(base.fid, codec::kInfoFile, fscc::kFileStreamInformation);
  ASSERT_EQ(q.status(), NtStatus::success);
  auto list = stream_information(q);
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0], (std::pair<std::string, std::uint64_t>{"::$DATA", 10}));
  EXPECT_EQ(list[1], (std::pair<std::string, std::uint64_t>{":ads:$DATA", 2}));
  // Asked through the stream's handle, the answer is the same.
  auto q2 = c.query_info(s.fid, codec::kInfoFile, fscc::kFileStreamInformation);
  ASSERT_EQ(q2.status(), NtStatus::success);
  EXPECT_EQ(stream_information(q2), list);
  for (auto f : {base.fid, s.fid, s2.fid, d.fid}) ASSERT_EQ(c.close(f).status(), NtStatus::success);
}

TEST_F(Streams, CreatingAStreamOfAMissingFileMakesTheFile) {
  auto s = c.create("new.txt:ads", access::kFullAccess, kShareAll, kCreate);
  ASSERT_EQ(s.status, NtStatus::success);
  ASSERT_EQ(c.close(s.fid).status(), NtStatus::success);
  auto base = c.create("new.txt", access::kFullAccess, kShareAll, kOpen);
  EXPECT_EQ(base.status, NtStatus::success);
  EXPECT_EQ(c.create("missing.txt:ads", access::kFullAccess, kShareAll, kOpen).status, NtStatus::object_name_not_found);
  EXPECT_EQ(c.create("new.txt:other", access::kFullAccess, kShareAll, kOpen).status, NtStatus::object_name_not_found);
  EXPECT_EQ(c.create("new.txt:ads", access::kFullAccess, kShareAll, kCreate).status, NtStatus::object_name_collision);
}

TEST_F(Streams, ShareModesAreCheckedPerStream) {
  auto a = c.create("f.txt:one", access::kFullAccess, 0, kCreate);
  ASSERT_EQ(a.status, NtStatus::success);
  // Another stream and the file itself are other objects.
  auto b = c.create("f.txt:two", access::kFullAccess, 0, kCreate);
  EXPECT_EQ(b.status, NtStatus::success);
  auto base = c.create("f.txt", access::kFileReadData, kShareAll, kOpen);
  EXPECT_EQ(base.status, NtStatus::success);
  EXPECT_EQ(c.create("f.txt:one", access::kFileReadData, kShareAll, kOpen).status, NtStatus::sharing_violation);
  EXPECT_EQ(c.create("f.txt:ONE", access::kFileReadData, kShareAll, kOpen).status, NtStatus::sharing_violation);
}

TEST_F(Streams, DeleteOnCloseRemovesOnlyTheStream) {
  auto base = c.create("f.txt", access::kFullAccess, kShareAll, kCreate);
  ASSERT_EQ(base.status, NtStatus::success);
  auto s = c.create("f.txt:gone", access::kFullAccess, kShareAll, kCreate, kDeleteOnClose);
  ASSERT_EQ(s.status, NtStatus::success);
  ASSERT_EQ(c.close(s.fid).status(), NtStatus::success);
  EXPECT_EQ(c.create("f.txt:gone", access::kFullAccess, kShareAll, kOpen).status, NtStatus::object_name_not_found);
  EXPECT_EQ(c.create("f.txt", access::kFullAccess, kShareAll, kOpen).status, NtStatus::success);
}

TEST_F(Streams, AFileGoesOnlyWhenItsStreamsAreClosed) {
  // A stream open without FILE_SHARE_DELETE keeps the file from being opened for DELETE.
  auto s = c.create("f.txt:one", access::kFullAccess, 0, kCreate);
  ASSERT_EQ(s.status, NtStatus::success);
  EXPECT_EQ(c.create("f.txt", access::kDelete, kShareAll, kOpen).status, NtStatus::sharing_violation);
  ASSERT_EQ(c.close(s.fid).status(), NtStatus::success);
  // With FILE_SHARE_DELETE the file may be deleted; the stream still reads, names give
  // DELETE_PENDING, and the file goes when the stream's handle closes.
  s = c.create("f.txt:one", access::kFileReadData | access::kFileWriteData, kShareAll, kOpen);
  ASSERT_EQ(s.status, NtStatus::success);
  ASSERT_EQ(c.write(s.fid, 0, Vec{'k'}).status(), NtStatus::success);
  auto del = c.create("f.txt", access::kDelete, kShareAll, kOpen, kDeleteOnClose);
  ASSERT_EQ(del.status, NtStatus::success);
  ASSERT_EQ(c.close(del.fid).status(), NtStatus::success);
  EXPECT_EQ(read_all(s.fid), Vec{'k'});
  EXPECT_EQ(c.create("f.txt", access::kFullAccess, kShareAll, kOpenIf).status, NtStatus::delete_pending);
  EXPECT_EQ(c.create("f.txt:one", access::kFullAccess, kShareAll, kOpenIf).status, NtStatus::delete_pending);
  ASSERT_EQ(c.close(s.fid).status(), NtStatus::success);
  EXPECT_EQ(c.create("f.txt", access::kFullAccess, kShareAll, kOpen).status, NtStatus::object_name_not_found);
}

TEST_F(Streams, AStreamBecomesTheFilesData) {
  auto base = c.create("f.txt", access::kFullAccess, kShareAll, kCreate);
  ASSERT_EQ(base.status, NtStatus::success);
  ASSERT_EQ(c.close(base.fid).status(), NtStatus::success);
  auto s = c.create("f.txt:s", access::kFullAccess, kShareAll, kCreate);
  ASSERT_EQ(s.status, NtStatus::success);
  ASSERT_EQ(c.write(s.fid, 0, Vec{'a', 'b'}).status(), NtStatus::success);
  auto rn = [&](std::string_view to) {
    return c.set_info(s.fid, codec::kInfoFile, fscc::kFileRenameInformation, rename_info(to, false)).status();
  };
  EXPECT_EQ(rn("f.txt:other"), NtStatus::sharing_violation);  // "<file>:<stream>" as Windows answers it
  ASSERT_EQ(rn("::$DATA"), NtStatus::success);
  EXPECT_EQ(read_all(s.fid), (Vec{'a', 'b'}));
  EXPECT_EQ(c.create("f.txt:s", access::kFullAccess, kShareAll, kOpen).status, NtStatus::object_name_not_found);
  auto f = c.create("f.txt", access::kFullAccess, kShareAll, kOpen);
  ASSERT_EQ(f.status, NtStatus::success);
  EXPECT_EQ(read_all(f.fid), (Vec{'a', 'b'}));
}

TEST_F(Streams, RenameAStreamWithinItsFile) {
  auto s = c.create("f.txt:old", access::kFullAccess, kShareAll, kCreate);
  ASSERT_EQ(s.status, NtStatus::success);
  ASSERT_EQ(c.write(s.fid, 0, Vec{'x'}).status(), NtStatus::success);
  auto other = c.create("f.txt:taken", access::kFullAccess, kShareAll, kCreate);
  ASSERT_EQ(other.status, NtStatus::success);
  ASSERT_EQ(c.close(other.fid).status(), NtStatus::success);
  auto rn = [&](std::string_view to, bool replace) {
    return c.set_info(s.fid, codec::kInfoFile, fscc::kFileRenameInformation, rename_info(to, replace)).status();
  };
  EXPECT_EQ(rn(":taken", false), NtStatus::object_name_collision);
  EXPECT_EQ(rn("g.txt", false), NtStatus::invalid_parameter);  // a stream stays a stream of its file
  EXPECT_EQ(rn(":bad:$BOGUS", false), NtStatus::object_name_invalid);
  EXPECT_EQ(rn(":new:$DATA", false), NtStatus::success);
  EXPECT_EQ(c.create("f.txt:old", access::kFullAccess, kShareAll, kOpen).status, NtStatus::object_name_not_found);
  auto n = c.create("f.txt:new", access::kFullAccess, kShareAll, kOpen);
  ASSERT_EQ(n.status, NtStatus::success);
  EXPECT_EQ(read_all(n.fid), Vec{'x'});
  EXPECT_EQ(rn(":taken", true), NtStatus::success);
  // A file's own data is not renamed to a stream.
  auto base = c.create("f.txt", access::kFullAccess, kShareAll, kOpen);
  ASSERT_EQ(base.status, NtStatus::success);
  EXPECT_EQ(c.set_info(base.fid, codec::kInfoFile, fscc::kFileRenameInformation, rename_info(":s", false)).status(),
            NtStatus::invalid_parameter);
}

TEST_F(Streams, DirectoriesHaveStreamsButNoUnnamedData) {
  auto d = c.create("dir", access::kFullAccess, kShareAll, kCreate, kDirectoryFile);
  ASSERT_EQ(d.status, NtStatus::success);
  auto s = c.create("dir:ads", access::kFullAccess, kShareAll, kCreate);
  ASSERT_EQ(s.status, NtStatus::success);
  ASSERT_EQ(c.write(s.fid, 0, Vec{'d'}).status(), NtStatus::success);
  auto q = c.query_info(d.fid, codec::kInfoFile, fscc::kFileStreamInformation);
  ASSERT_EQ(q.status(), NtStatus::success);
  auto list = stream_information(q);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].first, ":ads:$DATA");
  EXPECT_EQ(c.create("dir::$DATA", access::kFullAccess, kShareAll, kOpen).status, NtStatus::file_is_a_directory);
  auto idx = c.create("dir::$INDEX_ALLOCATION", access::kFullAccess, kShareAll, kOpen);
  EXPECT_EQ(idx.status, NtStatus::success);
  EXPECT_EQ(c.create("dir:ads", access::kFullAccess, kShareAll, kOpen, kDirectoryFile).status,
            NtStatus::not_a_directory);
}

TEST_F(Streams, BadNamesAndOverwrite) {
  for (const char* n : {"f.txt:", "f.txt:a:$BOGUS", "f.txt:a:b:c", "f.txt:a\\b"})
    EXPECT_EQ(c.create(n, access::kFullAccess, kShareAll, kOpenIf).status, NtStatus::object_name_invalid) << n;
  auto s = c.create("f.txt:s", access::kFullAccess, kShareAll, kCreate);
  ASSERT_EQ(s.status, NtStatus::success);
  ASSERT_EQ(c.write(s.fid, 0, Vec(5, 'z')).status(), NtStatus::success);
  ASSERT_EQ(c.close(s.fid).status(), NtStatus::success);
  auto o = c.create("f.txt:s", access::kFullAccess, kShareAll, kOverwriteIf);
  ASSERT_EQ(o.status, NtStatus::success);
  EXPECT_TRUE(read_all(o.fid).empty());
  ASSERT_EQ(c.close(o.fid).status(), NtStatus::success);
  // Overwriting the file itself takes its named streams away.
  auto f = c.create("f.txt", access::kFullAccess, kShareAll, kOverwriteIf);
  ASSERT_EQ(f.status, NtStatus::success);
  EXPECT_EQ(c.create("f.txt:s", access::kFullAccess, kShareAll, kOpen).status, NtStatus::object_name_not_found);
}

}  // namespace
}  // namespace smbsrv::test
