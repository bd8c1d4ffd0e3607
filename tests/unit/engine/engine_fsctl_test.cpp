// The file FSCTLs (engine/handlers/fsctl_file.cpp) over a MemoryVfs share: statuses, access
// checks and output buffers as MS-FSA / Windows give them.
#include <gtest/gtest.h>

#include "codec/fscc.hpp"
#include "support/engine_client.hpp"

namespace smbsrv::test {
namespace {

constexpr std::uint32_t kCreate = 2, kOpenIf = 3;
constexpr std::uint32_t kDirectoryFile = 0x1;
constexpr std::uint32_t kReadOnly = 0x00120089;

Vec le64s(std::initializer_list<std::uint64_t> vs) {
  Body b;
  for (auto v : vs) b.u64(v);
  return b.b;
}

struct Fsctl : ::testing::Test {
  std::shared_ptr<engine::ServerState> st = make_test_state();
  EngineClient c{st};
  codec::FileId fid;
  void SetUp() override {
    c.connect({0x0311});
    auto f = c.create("f.bin", access::kFullAccess, kShareAll, kOpenIf);
    ASSERT_EQ(f.status, NtStatus::success);
    fid = f.fid;
    ASSERT_EQ(c.write(fid, 0, Vec(8192, 0xAB)).status(), NtStatus::success);
  }
  Rsp ioctl(std::uint32_t ctl, const Vec& in, std::uint32_t max_out = 1024, std::optional<codec::FileId> f = {}) {
    return c.one({Command::ioctl, EngineClient::ioctl_body(ctl, f.value_or(fid), in, max_out)});
  }
  static Vec output(const Rsp& r) { return r.buffer(r.u32(32), r.u32(36)); }
  std::uint32_t attributes(const codec::FileId& f) {
    auto r = c.one({Command::query_info,
                    EngineClient::query_info_body(f, codec::kInfoFile, fscc::kFileBasicInformation)});
    EXPECT_EQ(r.status(), NtStatus::success);
    return r.u32(8 + 32);
  }
};

TEST_F(Fsctl, SetSparseTogglesTheAttribute) {
  EXPECT_FALSE(attributes(fid) & kAttrSparseFile);
  EXPECT_EQ(ioctl(codec::kFsctlSetSparse, {}).status(), NtStatus::success);  // no buffer: TRUE
  EXPECT_TRUE(attributes(fid) & kAttrSparseFile);
  // Kept across a close and a reopen.
  ASSERT_EQ(c.close(fid).status(), NtStatus::success);
  auto again = c.create("f.bin", access::kFullAccess, kShareAll, 1);
  ASSERT_EQ(again.status, NtStatus::success);
  fid = again.fid;
  EXPECT_TRUE(attributes(fid) & kAttrSparseFile);
  EXPECT_EQ(ioctl(codec::kFsctlSetSparse, Vec(100, 0)).status(), NtStatus::success);  // oversized: FALSE
  EXPECT_FALSE(attributes(fid) & kAttrSparseFile);
}

TEST_F(Fsctl, SetSparseRefusals) {
  auto d = c.create("d", access::kFullAccess, kShareAll, kCreate, kDirectoryFile);
  ASSERT_EQ(d.status, NtStatus::success);
  EXPECT_EQ(ioctl(codec::kFsctlSetSparse, {1}, 0, d.fid).status(), NtStatus::invalid_parameter);
  auto ro = c.create("f.bin", kReadOnly, kShareAll, 1);
  ASSERT_EQ(ro.status, NtStatus::success);
  EXPECT_EQ(ioctl(codec::kFsctlSetSparse, {1}, 0, ro.fid).status(), NtStatus::access_denied);
  auto attrs_only = c.create("f.bin", access::kFileWriteAttributes, kShareAll, 1);
  ASSERT_EQ(attrs_only.status, NtStatus::success);
  EXPECT_EQ(ioctl(codec::kFsctlSetSparse, {1}, 0, attrs_only.fid).status(), NtStatus::success);
}

TEST_F(Fsctl, QueryAllocatedRangesOfAFileWithoutHoles) {
  auto r = ioctl(codec::kFsctlQueryAllocatedRanges, le64s({100, 100000}));
  ASSERT_EQ(r.status(), NtStatus::success);
  EXPECT_EQ(output(r), le64s({100, 8092}));  // clipped to EndOfFile
  EXPECT_TRUE(output(ioctl(codec::kFsctlQueryAllocatedRanges, le64s({8192, 10}))).empty());  // past EOF
  EXPECT_TRUE(output(ioctl(codec::kFsctlQueryAllocatedRanges, le64s({0, 0}))).empty());
  // No room for the one range → BUFFER_TOO_SMALL; no range needs no room.
  EXPECT_EQ(ioctl(codec::kFsctlQueryAllocatedRanges, le64s({0, 10}), 15).status(), NtStatus::buffer_too_small);
  EXPECT_EQ(ioctl(codec::kFsctlQueryAllocatedRanges, le64s({9000, 10}), 0).status(), NtStatus::success);
  EXPECT_EQ(ioctl(codec::kFsctlQueryAllocatedRanges, Vec(15, 0)).status(), NtStatus::invalid_parameter);
  EXPECT_EQ(ioctl(codec::kFsctlQueryAllocatedRanges, le64s({512, ~0ULL})).status(), NtStatus::invalid_parameter);
  // FILE_READ_DATA is needed.
  auto attrs = c.create("f.bin", access::kFileReadAttributes, kShareAll, 1);
  ASSERT_EQ(attrs.status, NtStatus::success);
  EXPECT_EQ(ioctl(codec::kFsctlQueryAllocatedRanges, le64s({0, 10}), 1024, attrs.fid).status(),
            NtStatus::access_denied);
}

TEST_F(Fsctl, SetZeroDataZeroesWithinTheFile) {
  EXPECT_EQ(ioctl(codec::kFsctlSetZeroData, le64s({100, 200}), 0).status(), NtStatus::success);
  EXPECT_EQ(ioctl(codec::kFsctlSetZeroData, le64s({8000, 100000}), 0).status(), NtStatus::success);
  auto rd = c.read(fid, 0, 8192);
  ASSERT_EQ(rd.status(), NtStatus::success);
  Vec want(8192, 0xAB);
  std::fill(want.begin() + 100, want.begin() + 200, 0);
  std::fill(want.begin() + 8000, want.end(), 0);
  EXPECT_EQ(EngineClient::read_data(rd), want);  // and the size did not change
  EXPECT_EQ(ioctl(codec::kFsctlSetZeroData, le64s({4096, 4095}), 0).status(), NtStatus::invalid_parameter);
  EXPECT_EQ(ioctl(codec::kFsctlSetZeroData, Vec(8, 0), 0).status(), NtStatus::invalid_parameter);
  auto attrs = c.create("f.bin", access::kFileWriteAttributes, kShareAll, 1);
  ASSERT_EQ(attrs.status, NtStatus::success);
  EXPECT_EQ(ioctl(codec::kFsctlSetZeroData, le64s({0, 10}), 0, attrs.fid).status(), NtStatus::access_denied);
}

TEST_F(Fsctl, ReparsePointSnapshotsTrimCompressionRegions) {
  EXPECT_EQ(ioctl(codec::kFsctlGetReparsePoint, {}).status(), NtStatus::not_a_reparse_point);

  auto snaps = ioctl(codec::kFsctlSrvEnumerateSnapshots, {}, 16);
  ASSERT_EQ(snaps.status(), NtStatus::success);
  EXPECT_EQ(output(snaps).size(), codec::kEmptySnapshotArraySize);
  EXPECT_EQ(ioctl(codec::kFsctlSrvEnumerateSnapshots, {}, 15).status(), NtStatus::invalid_parameter);

  Body trim;
  trim.u32(0).u32(1).u64(0).u64(4096);
  auto t = ioctl(codec::kFsctlFileLevelTrim, trim.b, 4);
  ASSERT_EQ(t.status(), NtStatus::success);
  EXPECT_EQ(output(t), (Vec{1, 0, 0, 0}));

  auto gc = ioctl(codec::kFsctlGetCompression, {}, 2);
  ASSERT_EQ(gc.status(), NtStatus::success);
  EXPECT_EQ(output(gc), (Vec{0, 0}));
  EXPECT_EQ(ioctl(codec::kFsctlSetCompression, {0, 0}, 0).status(), NtStatus::success);
  EXPECT_EQ(ioctl(codec::kFsctlSetCompression, {1, 0}, 0).status(), NtStatus::not_supported);
  EXPECT_EQ(ioctl(codec::kFsctlSetCompression, {5, 0}, 0).status(), NtStatus::invalid_parameter);
  EXPECT_EQ(ioctl(codec::kFsctlSetCompression, {0}, 0).status(), NtStatus::invalid_parameter);

  auto regions = ioctl(codec::kFsctlQueryFileRegions, {});
  ASSERT_EQ(regions.status(), NtStatus::success);
  const Vec out = output(regions);
  ASSERT_EQ(out.size(), codec::kFileRegionOutputHeaderSize + codec::kFileRegionInfoSize);
  EXPECT_EQ(le32(out, 4), 1u);
  EXPECT_EQ(le64(out, 16), 0u);
  EXPECT_EQ(le64(out, 24), 8192u);
  EXPECT_EQ(le32(out, 32), codec::kFileRegionUsageValidCachedData);
  EXPECT_EQ(ioctl(codec::kFsctlQueryFileRegions, Vec(23, 0)).status(), NtStatus::invalid_parameter);
}

}  // namespace
}  // namespace smbsrv::test
