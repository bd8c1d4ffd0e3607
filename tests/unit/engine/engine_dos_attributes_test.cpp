// Stored DOS attributes through the engine (over a MemoryVfs share): what CREATE, QUERY_INFO and
// SET_INFO FileBasicInformation report and refuse (MS-FSA 2.1.5.1.2.1, MS-FSCC 2.4.7).
#include <gtest/gtest.h>

#include "codec/fscc.hpp"
#include "support/engine_client.hpp"

namespace smbsrv::test {
namespace {

constexpr std::uint32_t kOpen = 1, kCreate = 2, kOverwrite = 4, kOverwriteIf = 5, kSupersede = 0;
constexpr std::uint32_t kDirectoryFile = 0x1, kDeleteOnClose = 0x1000;
constexpr std::uint32_t kRead = 0x00120089, kReadWrite = 0x0012019F, kMaximumAllowed = 0x02000000;
constexpr std::uint32_t kDeleteAccess = 0x10000;

struct EngineDosAttributes : ::testing::Test {
  std::shared_ptr<engine::ServerState> st = make_test_state();
  EngineClient c{st};
  void SetUp() override { c.connect({0x0311}); }

  /// A file made with the given attributes, then closed.
  void make(std::string_view name, std::uint32_t attrs) {
    auto f = c.create(name, access::kFullAccess, kShareAll, kCreate, 0, attrs);
    ASSERT_EQ(f.status, NtStatus::success);
    EXPECT_EQ(f.rsp.u32(56), attrs | kAttrArchive);  // CREATE's FileAttributes: ARCHIVE added
    ASSERT_EQ(c.close(f.fid).status(), NtStatus::success);
  }
  std::uint32_t attributes(const codec::FileId& f) {
    auto r = c.query_info(f, codec::kInfoFile, fscc::kFileBasicInformation);
    EXPECT_EQ(r.status(), NtStatus::success);
    return r.u32(8 + 32);
  }
  std::uint32_t attributes_of(std::string_view name) {
    auto f = c.create(name, kRead, kShareAll, kOpen);
    EXPECT_EQ(f.status, NtStatus::success);
    const auto a = attributes(f.fid);
    c.close(f.fid);
    return a;
  }
  NtStatus set_basic(const codec::FileId& f, std::uint32_t attrs, std::uint64_t creation = 0, std::uint64_t change = 0) {
    Body b;
    b.u64(creation).u64(0).u64(0).u64(change).u32(attrs).u32(0);
    return c.set_info(f, codec::kInfoFile, fscc::kFileBasicInformation, b.b).status();
  }
};

TEST_F(EngineDosAttributes, NewFilesAreArchiveAndBitsStick) {
  make("h.txt", kAttrHidden | kAttrSystem);
  EXPECT_EQ(attributes_of("h.txt"), kAttrHidden | kAttrSystem | kAttrArchive);
  auto f = c.create("h.txt", kRead | 0x100 /*FILE_WRITE_ATTRIBUTES*/, kShareAll, kOpen);
  ASSERT_EQ(f.status, NtStatus::success);
  EXPECT_EQ(set_basic(f.fid, 0), NtStatus::success);  // 0: no change
  EXPECT_EQ(attributes(f.fid), kAttrHidden | kAttrSystem | kAttrArchive);
  EXPECT_EQ(set_basic(f.fid, kAttrNormal), NtStatus::success);  // NORMAL alone clears them
  EXPECT_EQ(attributes(f.fid), kAttrNormal);
  EXPECT_EQ(set_basic(f.fid, kAttrReadonly | kAttrTemporary), NtStatus::success);
  EXPECT_EQ(attributes(f.fid), kAttrReadonly | kAttrTemporary);
  EXPECT_EQ(set_basic(f.fid, kAttrDirectory), NtStatus::invalid_parameter);
  // The CLOSE postquery reports them too.
  auto closed = c.close(f.fid, codec::kClosePostqueryAttrib);
  EXPECT_EQ(closed.u32(56), kAttrReadonly | kAttrTemporary);
}

TEST_F(EngineDosAttributes, CreationAndChangeTimeAreSettable) {
  auto f = c.create("t.txt", access::kFullAccess, kShareAll, kCreate);
  ASSERT_EQ(f.status, NtStatus::success);
  EXPECT_EQ(set_basic(f.fid, 0, 0x01D0000000000000ULL, 0x01D1000000000000ULL), NtStatus::success);
  auto r = c.query_info(f.fid, codec::kInfoFile, fscc::kFileBasicInformation);
  EXPECT_EQ(r.u64(8), 0x01D0000000000000ULL);
  EXPECT_EQ(r.u64(8 + 24), 0x01D1000000000000ULL);
  // -1 (freeze) is not a time to store.
  EXPECT_EQ(set_basic(f.fid, 0, ~0ULL, ~0ULL), NtStatus::success);
  r = c.query_info(f.fid, codec::kInfoFile, fscc::kFileBasicInformation);
  EXPECT_EQ(r.u64(8), 0x01D0000000000000ULL);
}

TEST_F(EngineDosAttributes, ReadOnlyIsEnforcedOnCreate) {
  make("ro.txt", kAttrReadonly);
  EXPECT_EQ(attributes_of("ro.txt"), kAttrReadonly | kAttrArchive);
  EXPECT_EQ(c.create("ro.txt", kReadWrite, kShareAll, kOpen).status, NtStatus::access_denied);
  EXPECT_EQ(c.create("ro.txt", 0x4 /*FILE_APPEND_DATA*/, kShareAll, kOpen).status, NtStatus::access_denied);
  for (auto disp : {kOverwrite, kOverwriteIf, kSupersede})
    EXPECT_EQ(c.create("ro.txt", kRead, kShareAll, disp).status, NtStatus::access_denied) << disp;
  EXPECT_EQ(c.create("ro.txt", kRead | kDeleteAccess, kShareAll, kOpen, kDeleteOnClose).status,
            NtStatus::cannot_delete);
  // MAXIMUM_ALLOWED opens, without the write rights.
  auto m = c.create("ro.txt", kMaximumAllowed, kShareAll, kOpen);
  ASSERT_EQ(m.status, NtStatus::success);
  EXPECT_EQ(c.write(m.fid, 0, Vec{1}).status(), NtStatus::access_denied);
  // Setting delete-pending on it: CANNOT_DELETE.
  auto d = c.create("ro.txt", kRead | kDeleteAccess, kShareAll, kOpen);
  ASSERT_EQ(d.status, NtStatus::success);
  EXPECT_EQ(c.set_info(d.fid, codec::kInfoFile, fscc::kFileDispositionInformation, Vec{1}).status(),
            NtStatus::cannot_delete);
  // Reading is fine.
  EXPECT_EQ(c.create("ro.txt", kRead, kShareAll, kOpen).status, NtStatus::success);
}

TEST_F(EngineDosAttributes, OverwriteNeedsHiddenAndSystemAndTakesTheNewAttributes) {
  make("hs.txt", kAttrHidden | kAttrSystem);
  EXPECT_EQ(c.create("hs.txt", access::kFullAccess, kShareAll, kOverwriteIf, 0, kAttrHidden).status,
            NtStatus::access_denied);
  EXPECT_EQ(c.create("hs.txt", access::kFullAccess, kShareAll, kOverwriteIf, 0, kAttrSystem).status,
            NtStatus::access_denied);
  auto f = c.create("hs.txt", access::kFullAccess, kShareAll, kSupersede, 0, kAttrHidden | kAttrSystem | kAttrTemporary);
  ASSERT_EQ(f.status, NtStatus::success);
  EXPECT_EQ(f.rsp.u32(56), kAttrHidden | kAttrSystem | kAttrTemporary | kAttrArchive);
}

TEST_F(EngineDosAttributes, DirectoriesReportTheirBits) {
  auto d = c.create("d", access::kFullAccess, kShareAll, kCreate, kDirectoryFile, kAttrHidden);
  ASSERT_EQ(d.status, NtStatus::success);
  EXPECT_EQ(d.rsp.u32(56), kAttrDirectory | kAttrHidden);  // no ARCHIVE for a new directory
  EXPECT_EQ(attributes(d.fid), kAttrDirectory | kAttrHidden);
}

TEST_F(EngineDosAttributes, AttributesAndTimesNeedReadAttributesAccess) {
  // MS-FSA 2.1.5.12: Basic, All, NetworkOpen and AttributeTag need FILE_READ_ATTRIBUTES;
  // Standard and the others do not.
  make("a.txt", 0);
  auto f = c.create("a.txt", access::kFileReadData, kShareAll, kOpen);
  ASSERT_EQ(f.status, NtStatus::success);
  for (std::uint8_t cls : {fscc::kFileBasicInformation, fscc::kFileAllInformation, fscc::kFileNetworkOpenInformation,
                           fscc::kFileAttributeTagInformation})
    EXPECT_EQ(c.query_info(f.fid, codec::kInfoFile, cls).status(), NtStatus::access_denied) << int{cls};
  EXPECT_EQ(c.query_info(f.fid, codec::kInfoFile, fscc::kFileStandardInformation).status(), NtStatus::success);
  EXPECT_EQ(c.query_info(f.fid, codec::kInfoFile, fscc::kFileStreamInformation).status(), NtStatus::success);
}

}  // namespace
}  // namespace smbsrv::test
