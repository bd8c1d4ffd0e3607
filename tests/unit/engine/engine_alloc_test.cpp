// AllocationSize: the SMB2_CREATE_ALLOCATION_SIZE context (MS-SMB2 2.2.13.2.6) on a new file, and
// FileAllocationInformation above EndOfFile (MS-FSA 2.1.5.15.1), over a MemoryVfs share.
#include <gtest/gtest.h>

#include "codec/fscc.hpp"
#include "support/engine_client.hpp"

namespace smbsrv::test {
namespace {

constexpr std::uint32_t kOpen = 1, kCreate = 2;

/// A CREATE body carrying one AlSi context with `data` (8 bytes when well formed).
Vec create_with_alsi(std::string_view name, std::uint32_t disposition, const Vec& data) {
  return create_body_with_contexts(name, disposition, 0, {{"AlSi", data}});
}

Vec le64v(std::uint64_t v) {
  Body b;
  b.u64(v);
  return b.b;
}

constexpr std::size_t kRspAllocation = 40, kRspEndOfFile = 48;  // CREATE response body offsets

struct Alloc : ::testing::Test {
  std::shared_ptr<engine::ServerState> st = make_test_state();
  EngineClient c{st};
  void SetUp() override { c.connect({0x0311}); }
  std::uint64_t allocation(const codec::FileId& f) {
    auto r = c.one({Command::query_info,
                    EngineClient::query_info_body(f, codec::kInfoFile, fscc::kFileStandardInformation)});
    EXPECT_EQ(r.status(), NtStatus::success);
    return r.u64(8);  // FILE_STANDARD_INFORMATION.AllocationSize
  }
};

TEST_F(Alloc, TheCreateContextReservesRoomInANewFile) {
  auto r = c.one({Command::create, create_with_alsi("a.bin", kCreate, le64v(10000))});
  ASSERT_EQ(r.status(), NtStatus::success);
  EXPECT_EQ(r.u64(kRspAllocation), 12288u);  // rounded up to the allocation unit
  EXPECT_EQ(r.u64(kRspEndOfFile), 0u);
  const codec::FileId f{r.u64(64), r.u64(72)};
  EXPECT_EQ(allocation(f), 12288u);
  // Writing within the reservation leaves it; beyond it, the allocation follows the data.
  ASSERT_EQ(c.write(f, 0, Vec(1, 1)).status(), NtStatus::success);
  EXPECT_EQ(allocation(f), 12288u);
  ASSERT_EQ(c.write(f, 12288, Vec(1, 1)).status(), NtStatus::success);
  EXPECT_EQ(allocation(f), 16384u);
  ASSERT_EQ(c.close(f).status(), NtStatus::success);
  // An existing file opened (not overwritten) keeps its allocation.
  auto again = c.one({Command::create, create_with_alsi("a.bin", kOpen, le64v(1 << 20))});
  ASSERT_EQ(again.status(), NtStatus::success);
  EXPECT_EQ(again.u64(kRspAllocation), 16384u);
}

TEST_F(Alloc, AMalformedContextIsInvalidParameter) {
  for (std::size_t n : {0u, 4u, 7u, 9u, 16u}) {
    auto r = c.one({Command::create, create_with_alsi("b.bin", kCreate, Vec(n, 0))});
    EXPECT_EQ(r.status(), NtStatus::invalid_parameter) << n;
  }
  EXPECT_EQ(c.create("b.bin", access::kFullAccess, kShareAll, kOpen).status, NtStatus::object_name_not_found);
}

TEST_F(Alloc, FileAllocationInformationAboveEndOfFileReserves) {
  auto f = c.create("c.bin", access::kFullAccess, kShareAll, kCreate);
  ASSERT_EQ(f.status, NtStatus::success);
  ASSERT_EQ(c.write(f.fid, 0, Vec(100, 7)).status(), NtStatus::success);
  ASSERT_EQ(c.set_info(f.fid, codec::kInfoFile, fscc::kFileAllocationInformation, le64v(20000)).status(),
            NtStatus::success);
  EXPECT_EQ(allocation(f.fid), 20480u);
  // Below EndOfFile it truncates, and the reservation goes with it.
  ASSERT_EQ(c.set_info(f.fid, codec::kInfoFile, fscc::kFileAllocationInformation, le64v(10)).status(),
            NtStatus::success);
  EXPECT_EQ(allocation(f.fid), 4096u);
}

}  // namespace
}  // namespace smbsrv::test
